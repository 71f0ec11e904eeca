"""Answering a survey: one answer per token, checked, flagged and published.

The `answers` collection is the claim: inserting the document whose `_id` is the token's
SHA-256 is atomic on MongoDB and FerretDB alike, so of two concurrent answers exactly one
wins; the other gets `AlreadyAnswered` (HTTP 409). The claim stays `pending` until the
published answer comes back from the stream (`record_answer`); a pending claim whose attempt
went silent (the process killed between claim and publish) stops holding the link after
`answer_attempt_s`, and the next answer with the link is taken (one of several at once: the
one that inserts the next takeover). Its event id is the invitation's, so if the silent
attempt did publish, the stream keeps one answer. The request marks its claim `published`
as soon as the broker has the answer, so a lagging consumer does not free the link.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import structlog

from lienthong.bus import Bus
from lienthong.clock import Clock
from lienthong.events import Event, derived_id, parse_payload
from lienthong.schemas.survey import AnswerChannel, Level, SipasFactor, SurveyAnswered
from lienthong.store import Document, DuplicateKey, Store
from lienthong.topics import DOSSIER_EVENTS
from lienthong_survey.flags import device_hint, device_kind, suspicion_flags
from lienthong_survey.invitations import SOURCE, Invitations, parse_utc, utc_iso
from lienthong_survey.projection import ANSWERS, DossierProjection
from lienthong_survey.questions import QuestionSet
from lienthong_survey.settings import SurveySettings
from lienthong_survey.tokens import well_formed

log = structlog.get_logger("lienthong.survey")


class UnknownToken(LookupError):
    """No invitation has this token (HTTP 404)."""


class ExpiredToken(Exception):
    """The invitation expired (HTTP 410)."""


class AlreadyAnswered(Exception):
    """The token was used (HTTP 409)."""


class InvalidAnswer(ValueError):
    """The answer does not fit the invitation's question set (HTTP 422)."""


class NotRecorded(Exception):
    """The answer could not be published; nothing was kept, the citizen may retry (HTTP 503)."""


@dataclass(frozen=True)
class AnswerInput:
    overall: Level
    units: dict[str, Level] = field(default_factory=dict)
    factors: dict[SipasFactor, Level] = field(default_factory=dict)
    comment: str = ""
    desk: str | None = None
    channel: AnswerChannel = "api"
    address: str = ""
    user_agent: str = ""


class Answers:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        projection: DossierProjection,
        invitations: Invitations,
        questions: QuestionSet,
        settings: SurveySettings,
        key: bytes,
        clock: Clock,
    ) -> None:
        self._answers = store.collection(ANSWERS)
        self._bus, self._projection, self._invitations = bus, projection, invitations
        self._questions, self._settings, self._key, self._clock = questions, settings, key, clock

    async def prepare(self) -> None:
        await self._answers.ensure_index([("device", 1), ("answered_at", 1)])
        await self._answers.ensure_index([("desk", 1), ("answered_at", 1)])

    async def open_invitation(self, token: str) -> Document:
        """The invitation a token opens; raises UnknownToken, ExpiredToken, AlreadyAnswered."""
        invitation = await self._invitations.find(token) if well_formed(token) else None
        if invitation is None:
            raise UnknownToken()
        if self._clock() >= parse_utc(invitation["expires_at"]):
            raise ExpiredToken()
        if _holds(await self._answers.get(invitation["_id"])):
            raise AlreadyAnswered()
        return invitation

    async def answer(self, token: str, given: AnswerInput) -> SurveyAnswered:
        invitation = await self.open_invitation(token)
        self._check(given, invitation)
        fact = await self._fact(invitation, given)
        claim: Document = {
            "_id": fact.token_sha256,
            "dossier_id": invitation["dossier_id"],
            "device": fact.device,
            "desk": fact.desk,
            "answered_at": utc_iso(fact.answered_at),
            "flags": list(fact.flags),
            "state": "pending",
            "attempt_until": time.time() + self._settings.answer_attempt_s,
        }
        try:
            await self._answers.insert(claim)
        except DuplicateKey:
            await self._take_over(claim)
        event_id = derived_id(invitation["invitation_id"], SurveyAnswered.event_type)
        try:
            await self._bus.publish(
                DOSSIER_EVENTS, fact.to_event(invitation["dossier_id"], source=SOURCE, id=event_id)
            )
        except Exception as exc:
            # Not deleted: the broker may still take the record. The claim lapses at once (or,
            # if even this cannot be written, after the attempt time).
            with contextlib.suppress(Exception):
                await self._answers.update(fact.token_sha256, {"attempt_until": 0.0})
            raise NotRecorded() from exc
        with contextlib.suppress(Exception):  # else settled when the answer comes back
            await self._answers.update(fact.token_sha256, {"state": "published"})
        log.info(
            "survey_answered",
            dossier_id=invitation["dossier_id"],
            channel=fact.channel,
            flags=list(fact.flags),
        )
        return fact

    async def _take_over(self, claim: Document) -> None:
        """The link is answered, unless its claim is an attempt that went silent; of several
        answers taking over at once, the one that inserts the next takeover wins."""
        held = await self._answers.get(claim["_id"])
        if _holds(held):
            raise AlreadyAnswered()
        generation = int((held or {}).get("takeovers", 0)) + 1
        try:
            await self._answers.insert({"_id": f"{claim['_id']}#takeover-{generation}"})
        except DuplicateKey:
            raise AlreadyAnswered() from None
        await self._answers.replace({**claim, "takeovers": generation})
        log.info("survey_answer_taken_over")

    def _check(self, given: AnswerInput, invitation: Document) -> None:
        levels = [given.overall, *given.units.values(), *given.factors.values()]
        if not all(self._questions.accepts(level) for level in levels):
            raise InvalidAnswer("a rating level is not offered by this question set")
        if not set(given.units) <= set(invitation["units"]):
            raise InvalidAnswer("only units that handled the dossier can be rated")
        if len(given.comment) > self._questions.comment.max_length:
            raise InvalidAnswer("the comment is too long")

    async def _fact(self, invitation: Document, given: AnswerInput) -> SurveyAnswered:
        now = self._clock()
        device = device_hint(self._key, given.address, given.user_agent)
        since = utc_iso(now - self._settings.burst.window)
        from_device = await self._answers.count({"device": device, "answered_at": {"$gte": since}})
        from_desk = 0
        if given.desk:
            from_desk = await self._answers.count(
                {"desk": given.desk, "answered_at": {"$gte": since}}
            )
        record = await self._projection.get(invitation["dossier_id"])
        returned_at = record.completed_at if record else None
        step = invitation.get("step")
        flags = suspicion_flags(now, from_device, from_desk, returned_at, self._settings.burst)
        if step is not None:  # a step is rated while the dossier is still being handled
            flags = [flag for flag in flags if flag != "before_result_returned"]
        return SurveyAnswered(
            token_sha256=invitation["_id"],
            question_set=invitation["question_set"],
            step=step,
            overall=given.overall,
            units=given.units,
            factors=given.factors,
            comment=given.comment.strip() if self._questions.comment.enabled else "",
            channel=given.channel,
            device=device,
            device_kind=device_kind(given.user_agent),
            desk=given.desk,
            answered_at=now,
            flags=flags,
        )

    async def record_answer(self, event: Event) -> None:
        """survey.answered → the claim (rebuilt on replay) and the invitation marked answered."""
        fact: SurveyAnswered = parse_payload(event)
        claim: Document = {
            "_id": fact.token_sha256,
            "dossier_id": event.subject,
            "device": fact.device,
            "desk": fact.desk,
            "answered_at": utc_iso(fact.answered_at),
            "flags": list(fact.flags),
            "state": "published",
        }
        try:
            await self._answers.insert(claim)
        except DuplicateKey:  # claimed by the request that published it
            await self._answers.update(fact.token_sha256, {"state": "published"})
        await self._invitations.mark_answered(fact.token_sha256)


def _holds(claim: Document | None) -> bool:
    """A claim holds its link once published, and while its attempt may still publish."""
    if claim is None:
        return False
    if claim.get("state", "published") != "pending":
        return True
    return float(claim.get("attempt_until", 0.0)) > time.time()
