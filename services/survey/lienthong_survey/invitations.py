"""Invitations: one link per dossier, valid from receipt, sent when it completes; at most one
reminder.

The link is derived from the dossier (`lienthong.survey_links`): intake prints it as a QR code
on the receipt, and the completion invitation carries the same one. The invitation's id is
derived from the `dossier.completed` event, so a redelivered or replayed completion issues it
again and notify drops the duplicate by event id. Only the token's SHA-256 is stored; logs
carry neither the token nor the link.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import structlog

from lienthong.bus import Bus
from lienthong.clock import Clock
from lienthong.events import Event, derived_id, parse_payload
from lienthong.schemas.dossier import DossierReceived, StepCompleted
from lienthong.schemas.survey import SurveyInvited
from lienthong.store import Document, DuplicateKey, Store
from lienthong.survey_links import dossier_token_source
from lienthong.topics import DOSSIER_EVENTS
from lienthong_survey.projection import INVITATIONS, DossierProjection
from lienthong_survey.questions import QuestionSet
from lienthong_survey.settings import SurveySettings
from lienthong_survey.tokens import link_path, survey_token, token_sha256

SOURCE = "/lienthong/survey"
log = structlog.get_logger("lienthong.survey")


def utc_iso(moment: datetime) -> str:
    """A fixed-width UTC timestamp: stored times compare correctly as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class Invitations:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        projection: DossierProjection,
        questions: QuestionSet,
        settings: SurveySettings,
        key: bytes,
        clock: Clock,
    ) -> None:
        self._invitations = store.collection(INVITATIONS)
        self._bus, self._projection, self._questions = bus, projection, questions
        self._settings, self._key, self._clock = settings, key, clock

    async def prepare(self) -> None:
        await self._invitations.ensure_index([("answered", 1), ("reminded", 1), ("invited_at", 1)])

    async def find(self, token: str) -> Document | None:
        return await self._invitations.get(token_sha256(token))

    async def register_on_receipt(self, event: Event) -> None:
        """dossier.received → the dossier's survey token is valid from now on: it is printed as
        a QR code on the receipt (intake derives the same link). No invitation is sent; an
        answer given before the result was returned is flagged."""
        fact: DossierReceived = parse_payload(event)
        source = dossier_token_source(event.subject)
        document = self._document(event, source, None, [fact.receiving_unit], fact.code)
        document["invited_at"] = None
        with contextlib.suppress(DuplicateKey):  # redelivered: already registered
            await self._invitations.insert(document)

    async def invite_on_completion(self, event: Event) -> None:
        """dossier.completed → emit survey.invited with the dossier's link (notify sends it),
        unless the citizen already answered through the receipt's QR code."""
        source = dossier_token_source(event.subject)
        token = survey_token(self._key, source)
        registered = await self._invitations.get(token_sha256(token))
        if registered is not None and registered.get("answered"):
            log.info("survey_already_answered", dossier_id=event.subject)
            return
        record = await self._projection.get(event.subject)
        code = record.code if record and record.code else (registered or {}).get("code")
        document = self._document(event, source, None, record.units if record else [], code)
        if registered is None:
            with contextlib.suppress(DuplicateKey):
                await self._invitations.insert(document)
        else:
            invited = {k: document[k] for k in ("units", "invited_at", "expires_at", "code")}
            await self._invitations.update(registered["_id"], invited)
            document = {**registered, **invited}
        await self._publish_invitation(event, document, token)

    async def invite_after_step(self, event: Event) -> None:
        """dossier.step-completed of a configured step → an invitation to rate its unit."""
        fact: StepCompleted = parse_payload(event)
        if fact.step not in self._settings.invite_after_steps:
            return
        document = self._document(event, event.id, fact.step, [fact.unit], None)
        with contextlib.suppress(DuplicateKey):  # redelivered: the same token was issued
            await self._invitations.insert(document)
        await self._publish_invitation(event, document, survey_token(self._key, event.id))

    def _document(
        self, event: Event, source: str, step: str | None, units: list[str], code: str | None
    ) -> Document:
        token = survey_token(self._key, source)
        return {
            "_id": token_sha256(token),
            "dossier_id": event.subject,
            "cause_id": event.id,
            "token_source": source,
            "invitation_id": derived_id(event.id, SurveyInvited.event_type),
            "code": code,
            "units": units,
            "step": step,
            "question_set": self._questions.version,
            "invited_at": utc_iso(event.time),
            "expires_at": utc_iso(event.time + self._settings.token_ttl),
            "answered": False,
            "reminded": False,
        }

    async def _publish_invitation(self, event: Event, document: Document, token: str) -> None:
        if document.get("code") is None:
            record = await self._projection.get(event.subject)
            document = {**document, "code": record.code if record else None}
        invitation = self._payload(document, token, attempt=1)
        await self._bus.publish(DOSSIER_EVENTS, invitation.caused_by(event, source=SOURCE))
        log.info(
            "survey_invited",
            dossier_id=event.subject,
            step=document.get("step"),
            token_ref=document["_id"][:12],
        )

    async def record_reminder(self, event: Event) -> None:
        fact: SurveyInvited = parse_payload(event)
        if fact.attempt > 1:
            await self._invitations.update(fact.token_sha256, {"reminded": True})

    async def mark_answered(self, digest: str) -> None:
        await self._invitations.update(digest, {"answered": True})

    async def send_due_reminders(self) -> int:
        """The one reminder for every invitation unanswered after the configured delay and not
        yet expired. Safe to run on several replicas: the reminder's id is derived, so a
        duplicate is dropped downstream."""
        now = self._clock()
        due = await self._invitations.find(
            {
                "answered": False,
                "reminded": False,
                "invited_at": {"$lte": utc_iso(now - self._settings.reminder_after)},
                "expires_at": {"$gt": utc_iso(now)},
            },
            limit=500,
        )
        for document in due:
            token = survey_token(self._key, document.get("token_source") or document["cause_id"])
            reminder = self._payload(document, token, attempt=2).to_event(
                document["dossier_id"],
                source=SOURCE,
                id=derived_id(document["cause_id"], "survey.reminder"),
            )
            await self._bus.publish(DOSSIER_EVENTS, reminder)
            await self._invitations.update(document["_id"], {"reminded": True})
            log.info("survey_reminded", dossier_id=document["dossier_id"])
        return len(due)

    def _payload(self, document: Document, token: str, attempt: int) -> SurveyInvited:
        return SurveyInvited(
            code=document["code"],
            link_path=link_path(token),
            token_sha256=document["_id"],
            question_set=document["question_set"],
            expires_at=parse_utc(document["expires_at"]),
            attempt=attempt,
            units=document["units"],
            step=document.get("step"),
        )
