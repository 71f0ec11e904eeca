"""Facts about tasks, published on `dossier.events` (keyed by dossier id) and kept in the
outbox.

Every fact is derived from the TaskAssigned event with a deterministic id, and is published
*before* the outbox is updated: a crash in between repeats the publication with the same id
(consumers drop it) rather than losing it.
"""

from __future__ import annotations

import hashlib
import json

import structlog

from lienthong.bus import Bus
from lienthong.bus.delivery import dead_letter
from lienthong.events import Event, Payload, encode
from lienthong.schemas.agency import (
    AgencyAskedForSupplement,
    ResultReturned,
    TaskDelivered,
    TaskDeliveryFailed,
)
from lienthong.schemas.tasks import TaskAssigned
from lienthong.store.port import Document
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_agency_adapter.connectors.base import AgencyAnswer
from lienthong_agency_adapter.outbox import TaskOutbox

SOURCE = "/services/agency-adapter"
log = structlog.get_logger("lienthong.agency_adapter")


class AnswerConflict(Exception):
    """A task already has a different final answer."""


def assigned(document: Document) -> tuple[Event, TaskAssigned]:
    event = Event.model_validate(document["event"])
    return event, TaskAssigned.model_validate(event.data)


def _digest(answer: AgencyAnswer) -> str:
    return hashlib.sha256(json.dumps(answer.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


class TaskRecorder:
    def __init__(self, bus: Bus, outbox: TaskOutbox, group: str) -> None:
        self.bus = bus
        self.outbox = outbox
        self.group = group

    async def _publish(self, document: Document, fact: Payload, reaction: str) -> None:
        cause, task = assigned(document)
        event = fact.caused_by(cause, source=SOURCE, reaction=reaction, subject=task.dossier_id)
        await self.bus.publish(DOSSIER_EVENTS, event)

    def _common(self, document: Document) -> dict[str, str]:
        _, task = assigned(document)
        agency = document["agency"]
        return {"task_id": task.task_id, "step": task.step, "unit": task.unit, "agency": agency}

    async def delivered(
        self, document: Document, connector: str, attempts: int, reference: str | None = None
    ) -> None:
        await self.announce_delivered(document, connector, attempts)
        await self.mark_delivered(document, attempts, reference)

    async def announce_delivered(self, document: Document, connector: str, attempts: int) -> None:
        """The `agency.task-delivered` fact alone: the task stays due until marked."""
        fact = TaskDelivered(connector=connector, attempts=attempts, **self._common(document))
        await self._publish(document, fact, "delivered")

    async def mark_delivered(
        self, document: Document, attempts: int, reference: str | None = None
    ) -> None:
        """The task no longer due (or still answered, if its answer came first)."""
        await self.outbox.mark_delivered(document["_id"], attempts, reference)
        log.info("task_delivered", task_id=document["_id"], agency=document["agency"])

    async def failed(
        self, document: Document, reason: str, *, retryable: bool, attempts: int
    ) -> None:
        """A terminal failure: a visible event, and the task in the dead-letter topic."""
        common = self._common(document)
        fact = TaskDeliveryFailed(reason=reason[:500], retryable=retryable, **common)
        await self._publish(document, fact, "delivery-failed")
        cause, _ = assigned(document)
        topic = agency_tasks(document["agency"])
        error = RuntimeError(reason[:500])
        await self.bus.publish_raw(
            [dead_letter(encode(cause, topic), self.group, error, attempts, topic)]
        )
        await self.outbox.set(document["_id"], state="failed", attempts=attempts, error=reason)
        log.warning("task_failed", task_id=document["_id"], agency=document["agency"])

    async def answered(self, document: Document, answer: AgencyAnswer) -> None:
        """Record an agency's answer; repeating the same answer is harmless."""
        recorded = [a for a in document.get("answers", []) if a.get("kind") == "result"]
        if recorded and recorded[-1] != answer.as_dict():
            raise AnswerConflict("the task already has a different result")
        reaction = f"{answer.kind}:{_digest(answer)}"
        common = self._common(document)
        fact: Payload
        if answer.kind == "supplement":
            if recorded:
                raise AnswerConflict("the task already has a final result")
            fact = AgencyAskedForSupplement(missing=list(answer.missing), **common)
        else:
            assert answer.outcome is not None
            fact = ResultReturned(
                outcome=answer.outcome,
                result_documents=list(answer.result_documents),
                reasons=list(answer.reasons),
                delivery=answer.delivery,
                **common,
            )
        await self._publish(document, fact, reaction)
        answers = [a for a in document.get("answers", []) if a != answer.as_dict()]
        state = "answered" if answer.kind == "result" else document["state"]
        await self.outbox.set(document["_id"], answers=[*answers, answer.as_dict()], state=state)
        log.info("task_answered", task_id=document["_id"], kind=answer.kind)
