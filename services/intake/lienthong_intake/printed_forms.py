"""Use case: print a dossier's form, from the tracking view and the catalogue in force.

* Giấy tiếp nhận hồ sơ và hẹn trả kết quả (receipt and appointment), with the tracking QR;
* Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (supplement request);
* Phiếu từ chối tiếp nhận giải quyết hồ sơ (refusal to receive).

The forms are legal documents and are printed in Vietnamese whatever the page language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lienthong.domain import Procedure, ProcedureNotFound, UnknownTopology
from lienthong.http import Problem
from lienthong.store import Document
from lienthong.survey_links import dossier_survey_path
from lienthong_intake.access import authorised_view
from lienthong_intake.context import Intake
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.qr import qr_svg
from lienthong_intake.rendering import render
from lienthong_intake.staff import Viewer
from lienthong_intake.tracking_secret import tracking_secret


@dataclass(frozen=True)
class PrintedForm:
    template: str
    needs: str  # the view field without which this form does not exist for the dossier


RECEIPT = PrintedForm("receipt.html", "code")
SUPPLEMENT_FORM = PrintedForm("supplement_form.html", "missing")
REJECTION_FORM = PrintedForm("rejection_form.html", "reasons")


async def print_form(
    intake: Intake,
    projection: TrackingProjection,
    form: PrintedForm,
    reference: str,
    secret: str | None,
    viewer: Viewer,
) -> str:
    view = await authorised_view(intake, projection, reference, secret, viewer)
    if not view.get(form.needs):
        raise Problem(
            409,
            "No such form for this dossier",
            f"the dossier is {view.get('status')}; this form does not apply",
            type="urn:lienthong:problem:form-not-applicable",
        )
    return render(form.template, **form_context(intake, view, viewer))


def tracking_link(base_url: str, code: str, secret: str) -> str:
    return f"{base_url}/track/{code}?secret={secret}"


def form_context(intake: Intake, view: Document, viewer: Viewer) -> dict[str, Any]:
    at = datetime.fromisoformat(view.get("submitted_at") or intake.clock().isoformat())
    procedure = _procedure(intake, view.get("procedure") or "", at)
    names = {d.type: d.name.vi for d in procedure.documents} if procedure else {}
    secret = tracking_secret(intake.secret_key, view["_id"])
    code = view.get("code")
    link = tracking_link(viewer.base_url, code, secret) if code else None
    # The dossier's survey link (served by the survey service on the same host): valid from
    # receipt, and the one the completion invitation sends (lienthong.survey_links).
    survey = (
        f"{viewer.base_url}{dossier_survey_path(intake.secret_key, view['_id'])}" if code else None
    )
    return {
        "view": view,
        "procedure_code": view.get("procedure"),
        "procedure_name": procedure.name.vi if procedure else view.get("procedure"),
        "time_limit": procedure.time_limit if procedure else None,
        "unit_name": _unit_name(intake, view.get("unit"), at),
        "applicant": view.get("applicant") or {},
        "documents": [names.get(t, t) for t in view.get("documents", [])],
        "missing": [names.get(t, t) for t in view.get("missing", [])],
        "reasons": view.get("reasons", []),
        "secret": secret,
        "tracking_link": link,
        "qr": qr_svg(link) if link else None,
        "survey_link": survey,
        "survey_qr": qr_svg(survey) if survey else None,
        "officer": viewer.staff.subject if viewer.staff else None,
        "printed_at": intake.clock(),
    }


def _procedure(intake: Intake, code: str, at: datetime) -> Procedure | None:
    try:
        return intake.catalogue.procedure(code, at)
    except ProcedureNotFound:
        return None


def _unit_name(intake: Intake, unit: str | None, at: datetime) -> str:
    if unit is None:
        return ""
    try:
        return str(intake.timeline.at(at).unit(unit).name)
    except (UnknownTopology, KeyError):
        return unit
