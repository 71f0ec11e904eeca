"""What the pages do beyond rendering: the application form of a procedure, and turning
a posted HTML form (fields + scanned files) into a submission through the same use cases as
the API (upload, then submit with the form's idempotency key)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from lienthong.domain import Procedure
from lienthong.http import Problem
from lienthong_intake.context import Intake
from lienthong_intake.idempotency import StoredAnswer
from lienthong_intake.models import SubmissionIn
from lienthong_intake.submission import submit_dossier

AUTOMATIC_FIELDS = frozenset({"submitted_online"})  # follows from the channel


class PageUnavailable(Exception):
    """The submission could not be recorded now (503); the files it uploaded are kept, so the
    form sent again (without choosing them again) is the same request and completes it."""

    def __init__(self, problem: Problem, kept: dict[str, str]) -> None:
        super().__init__(problem.detail)
        self.problem = problem
        self.kept = kept


class PageInputError(Exception):
    """What the person filling the form should fix (shown above the form)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def form_fields(procedure: Procedure) -> list[str]:
    """The yes/no questions the catalogue's document conditions ask about."""
    fields = {
        d.condition.form_field
        for d in procedure.documents
        if d.condition is not None and d.condition.form_field is not None
    }
    return sorted(fields - AUTOMATIC_FIELDS)


def apply_context(intake: Intake, procedure: Procedure) -> dict[str, Any]:
    wards = [u for u in intake.timeline.units_in_force(intake.clock()) if u.is_ward_level]
    return {
        "procedure": procedure,
        "fields": form_fields(procedure),
        "wards": sorted(wards, key=lambda unit: unit.name),
        "idempotency_key": f"page-{uuid.uuid4()}",
        "posted": FormData(),
    }


def refill(context: dict[str, Any], form: FormData) -> dict[str, Any]:
    """The form shown again after a refusal: its key and its fields as sent (not its files,
    which a browser cannot be given back)."""
    fields: list[tuple[str, str | UploadFile]] = [
        (name, value) for name, value in form.multi_items() if isinstance(value, str)
    ]
    key = form.get("idempotency_key")
    return {
        **context,
        "posted": FormData(fields),
        "idempotency_key": key or context["idempotency_key"],
    }


async def submit_from_page(
    intake: Intake, procedure: Procedure, form: FormData, channel: str
) -> StoredAnswer:
    """Upload the posted files, then submit; raises PageInputError for what to fix."""
    key = str(form.get("idempotency_key") or "")
    if not 8 <= len(key) <= 200:
        raise PageInputError(["the form has expired: reload the page"])
    documents, errors = await _upload_documents(intake, procedure, form)
    try:
        submission = SubmissionIn.model_validate(_body(procedure, form, channel, documents))
    except ValidationError as exc:
        errors += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    if errors:
        raise PageInputError(errors)
    try:
        return await submit_dossier(intake, key, submission)
    except Problem as exc:
        if exc.status == 503:  # nothing to fix: the same form, sent again later, completes
            kept = {d["type"]: d["attachment_id"] for d in documents}
            raise PageUnavailable(exc, kept) from None
        raise PageInputError([exc.detail or exc.title]) from None


def redirect_target(answer: StoredAnswer) -> str:
    body = answer.body
    return str(body.get("receipt_url") or body.get("form_url"))


async def _upload_documents(
    intake: Intake, procedure: Procedure, form: FormData
) -> tuple[list[dict[str, str]], list[str]]:
    """Stored uploads as `{type, attachment_id}`, and what was refused."""
    documents: list[dict[str, str]] = []
    errors: list[str] = []
    for document in procedure.documents:
        upload = form.get(f"doc.{document.type}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            kept = form.get(f"kept.{document.type}")  # uploaded by this form's refused attempt
            if isinstance(kept, str) and 0 < len(kept) <= 100:
                documents.append({"type": document.type, "attachment_id": kept})
            continue
        content = await upload.read(intake.attachments.max_bytes + 1)
        try:
            stored = await intake.attachments.upload(
                content, upload.filename, intake.clock().isoformat()
            )
        except Problem as exc:
            errors.append(f"{document.name.vi}: {exc.detail}")
            continue
        documents.append({"type": document.type, "attachment_id": stored.attachment_id})
    return documents, errors


def _body(
    procedure: Procedure, form: FormData, channel: str, documents: list[dict[str, str]]
) -> dict[str, Any]:
    answers: dict[str, Any] = {f: True for f in form_fields(procedure) if form.get(f"form.{f}")}
    if any(d.condition and d.condition.form_field in AUTOMATIC_FIELDS for d in procedure.documents):
        answers["submitted_online"] = channel == "online"
    applicant = {
        name: str(form.get(name) or "").strip()
        for name in ("full_name", "id_number", "phone", "email", "ward_code", "contact_channel")
    }
    return {
        "procedure": procedure.code,
        "channel": channel,
        "applicant": applicant,
        "form": answers,
        "documents": documents,
        "sub_procedures": [str(v) for v in form.getlist("sub_procedures")],
    }
