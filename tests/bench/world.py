"""A hand-made record of a fault run that went well: what the topic, the agencies, the sinks
and the tracking API would hold for a few dossiers. Each test breaks one thing in it and the
property that must see it has to fail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from _agencies import recorded_systems
from _evidence import Stream
from _follow import Track
from _load import Submission, Template, contact_channel
from _messages import due_messages, preferences, shipped_rules
from _timelines import SHOWN

from lienthong.events import Event, derived_id, new_event

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TEMPLATE = Template("1.001193", "toan_trinh", ("to-khai",), ())
STEPS = (("receive", None), ("register-death", "civil-status"), ("deregister", "police-residence"))


class World:
    """Everything a run's end reads, for dossiers made with `dossier()`."""

    def __init__(self) -> None:
        self.stream = Stream()
        self.submissions: list[Submission] = []
        self.tracks: dict[str, Track] = {}
        self.views: dict[str, dict[str, Any] | str] = {}
        self.calls: list[dict[str, Any]] = []
        self.arrivals: list[dict[str, Any]] = []
        self.clock = 0.0

    def at(self, seconds: float = 1.0) -> datetime:
        self.clock += seconds
        return T0 + timedelta(seconds=self.clock)

    def event(
        self, kind: str, dossier: str, data: dict[str, Any] | None = None, cause: str | None = None
    ) -> Event:
        event = new_event(kind, dossier, data or {}, source="/tests", time=self.at())
        event = event.model_copy(update={"causationid": cause})
        self.stream.add(event)
        self.tracks.setdefault(dossier, Track()).record(kind, event.time.timestamp(), event.data)
        return event

    def dossier(self, index: int, steps: Sequence[tuple[str, str | None]] = STEPS) -> str:
        """A dossier submitted, received, through every step (each agency answering), its
        result returned and its survey invited; every message sent and arrived; its view."""
        dossier, code = f"d{index}", f"000.00.00.H29-261201-{index:04d}"
        submission = Submission(index, TEMPLATE, "26734", outcome="received", status_code=201)
        submission.dossier_id, submission.code, submission.secret = dossier, code, "s"
        self.submissions.append(submission)
        applicant = {"contact_channel": contact_channel(index)}
        submitted = self.event("dossier.submitted", dossier, {"applicant": applicant})
        received = self.event("dossier.received", dossier, {"code": code}, submitted.id)
        self.message(received)
        for step, agency in steps:
            self.step(dossier, code, step, agency, received.id)
        ready = self.event("dossier.result-ready", dossier, {"delivery": "electronic"})
        self.message(ready)
        self.event("dossier.completed", dossier, {"returned_by": "electronic"}, ready.id)
        self.message(self.event("survey.invited", dossier, {"attempt": 1}))
        self.view(dossier, code, "result_returned")
        return dossier

    def step(self, dossier: str, code: str, step: str, agency: str | None, cause: str) -> None:
        task = f"task-{dossier}-{step}" if agency else None
        data = {"step": step, "unit": "25747", "task_id": task, "agency": agency}
        self.event("dossier.step-opened", dossier, data, cause)
        if task is not None and agency is not None:
            self.call(recorded_systems()[agency] or "", task, code, 201)
        self.event("dossier.step-completed", dossier, {"step": step, "unit": "25747"}, cause)

    def call(self, system: str, task: str, code: str, status: int, key: str = "") -> None:
        row = {"system": system, "at": self.at().timestamp(), "key": key or f"key-{task}"}
        row |= {"task": task, "dossier": code}
        self.calls += [{**row, "phase": "received"}, {**row, "phase": "answered", "status": status}]

    def message(self, trigger: Event, channel: str | None = None, arrive: bool = True) -> str:
        """The message notify queues, sends and the sink gets, for `trigger`."""
        channel = channel or contact_channel(int(trigger.subject[1:]))
        nid = derived_id(trigger.id, f"notify:{channel}")
        common = {"notification_id": nid, "channel": channel}
        self.event(
            "dossier.notification-queued",
            trigger.subject,
            common | {"trigger": trigger.type},
            trigger.id,
        )
        if arrive:
            self.arrive(nid)
            self.event(
                "dossier.notification-sent",
                trigger.subject,
                common | {"reference": nid},
                trigger.id,
            )
        return nid

    def arrive(self, reference: str, at: float | None = None) -> None:
        when = at if at is not None else self.at().timestamp()
        self.arrivals.append({"channel": "sms", "reference": reference, "at": when})

    def view(self, dossier: str, code: str, status: str) -> None:
        rows = [
            {"type": e.type, "at": e.time.isoformat(), "unit": None}
            for e in self.stream.of_dossier(dossier)
            if e.type in SHOWN
        ]
        self.views[dossier] = {"code": code, "status": status, "timeline": rows}

    def due(self) -> set[tuple[str, str]]:
        return due_messages(
            self.stream, shipped_rules(), preferences(self.submissions, self.stream)
        )

    def of(self, kind: str, dossier: str) -> Event:
        return next(e for e in self.stream.of_dossier(dossier) if e.type == kind)
