"""What must hold after a run with faults, each checked from what the world outside the
services recorded, and each violation said precisely (which dossier, task or message):

* every dossier submitted reaches its final state;
* no agency saw a task twice under different idempotency keys (nor one step as two tasks);
* no citizen message went out twice, except a send in flight when notify was killed (same
  reference, within `IN_FLIGHT_S` before the kill); and every message queued went out;
* every tracking timeline is complete and in order (the intake's view against the topic);
* `lienthong audit verify --all` passes;
* and, beyond the five: no service hung (alive, not answering its liveness probe).

The stream is the truth: `Stream` holds each dossier's events from `dossier.events` in
partition order, the first copy of each id (a re-published event is a duplicate consumers
drop).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from _follow import Track
from _load import Submission

from lienthong.events import Event
from lienthong_intake.projection import STATUS_BY_EVENT

FINAL = ("completed", "at_desk")  # how a dossier of the load ends when every agency approves
IN_FLIGHT_S = 30.0  # a send accepted this long before a kill of notify may not be recorded yet
SHOWN = 15  # violations listed per property; the count says how many there were
TRACED_FIELDS = frozenset(
    {"code", "task_id", "step", "unit", "agency", "outcome", "notification_id", "trigger"}
    | {"channel", "reference", "attempts", "reason"}
)


@dataclass
class Verdict:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "violations": len(self.violations),
            "first_violations": self.violations[:SHOWN],
            **self.notes,
        }

    def explain(self) -> str:
        lines = [f"{self.name}: {len(self.violations)} of {self.checked} violate it"]
        lines += [f"  - {v}" for v in self.violations[:SHOWN]]
        if len(self.violations) > SHOWN:
            lines.append(f"  … and {len(self.violations) - SHOWN} more")
        return "\n".join(lines)


class Stream:
    """Each dossier's events, in partition order, first copies only."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.duplicates = 0
        self._seen: set[str] = set()

    def add(self, event: Event) -> None:
        if event.id in self._seen:
            self.duplicates += 1
            return
        self._seen.add(event.id)
        self.events[event.subject].append(event)

    def of_type(self, kind: str) -> Iterable[Event]:
        return (e for events in self.events.values() for e in events if e.type == kind)

    def write(self, path: Path) -> None:
        """Every event, one JSON line each, for reading after a failure: the envelope and the
        data fields that name tasks, steps and messages (never the applicant's)."""
        with path.open("w", encoding="utf-8") as file:
            for events in self.events.values():
                for e in events:
                    data = {k: v for k, v in e.data.items() if k in TRACED_FIELDS}
                    row: dict[str, Any] = {"id": e.id, "type": e.type, "subject": e.subject}
                    row |= {"time": e.time.isoformat(), "causationid": e.causationid, **data}
                    file.write(json.dumps(row) + "\n")


def final_states(submissions: Sequence[Submission], tracks: Mapping[str, Track]) -> Verdict:
    verdict = Verdict("every dossier reaches its final state", len(submissions))
    for s in submissions:
        name = f"submission #{s.index} ({s.template.procedure}, key {s.key})"
        if s.outcome != "received":
            tries = ", ".join(s.failed_attempts) or "none"
            verdict.violations.append(f"{name}: not received: {s.outcome} (failed tries: {tries})")
            continue
        track = tracks.get(s.dossier_id)
        final = track.final if track else None
        if final not in FINAL:
            seen = sorted(track.first, key=track.first.__getitem__) if track else []
            verdict.violations.append(
                f"dossier {s.dossier_id} (code {s.code}, {name}): "
                f"{'ended as ' + final if final else 'not final'}; event types seen: {seen}"
            )
    return verdict


def agency_tasks(calls: Sequence[Mapping[str, Any]], stream: Stream) -> Verdict:
    """`calls`: what the simulated agencies answered (`_agencies.py --record`)."""
    opened = {e.data["task_id"]: e for e in stream.of_type("dossier.step-opened")}
    opened = {task: e for task, e in opened.items() if task}
    accepted = [c for c in calls if 200 <= int(c["status"]) < 300]
    verdict = Verdict("no agency saw a task twice under different keys", len({*opened}))
    keys: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for call in accepted:
        keys[(call["system"], call["task"])][call["key"]] += 1
    tasks_of_step: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (system, task), seen in keys.items():
        step = opened.get(task)
        if step is None:
            verdict.violations.append(f"{system} accepted task {task!r}, which no step opened")
            continue
        tasks_of_step[(step.subject, step.data["step"])].add(task)
        if len(seen) > 1:
            verdict.violations.append(
                f"{system} accepted task {task} (dossier {step.subject}, step "
                f"{step.data['step']}) under {len(seen)} keys: {dict(seen)}"
            )
    for (dossier, step_id), tasks in tasks_of_step.items():
        if len(tasks) > 1:
            verdict.violations.append(
                f"dossier {dossier}, step {step_id}: agencies accepted {len(tasks)} tasks "
                f"{sorted(tasks)}"
            )
    repeats = sum(n - 1 for seen in keys.values() for n in seen.values())
    verdict.notes = {"calls": len(calls), "accepted": len(accepted), "same_key_repeats": repeats}
    return verdict


def citizen_messages(
    received: Sequence[Mapping[str, Any]], stream: Stream, notify_kills: Sequence[float]
) -> Verdict:
    """`received`: what the SMTP server and SMS gateway got (`_sinks.py`); `notify_kills`:
    when notify was SIGKILLed (epoch seconds). A message is known by its queued event, or by
    its sent event when the queued one never reached the topic (a violation too: the dossier's
    timeline would miss it)."""
    queued = {e.data["notification_id"]: e for e in stream.of_type("dossier.notification-queued")}
    sent = {e.data["notification_id"]: e for e in stream.of_type("dossier.notification-sent")}
    verdict = Verdict("no citizen message went out twice (nor was lost)", len(queued))
    arrivals: dict[str, list[float]] = defaultdict(list)
    for message in received:
        arrivals[message["reference"]].append(float(message["at"]))
    allowed = 0
    for reference, times in arrivals.items():
        cause = queued.get(reference) or sent.get(reference)
        if cause is None:
            verdict.violations.append(f"a message with unknown reference {reference!r} arrived")
            continue
        for first, again in pairwise(sorted(times)):
            if any(first - IN_FLIGHT_S <= kill <= again for kill in notify_kills):
                allowed += 1
                continue
            verdict.violations.append(
                f"message {reference} ({_about(cause)}) arrived again {again - first:.1f} s "
                "later, no kill of notify in between"
            )
    _same_news_twice(verdict, queued, arrivals, stream)
    for reference, cause in queued.items():
        if reference not in arrivals:
            verdict.violations.append(f"message {reference} ({_about(cause)}) never arrived")
    unannounced = sorted(r for r in arrivals if r in sent and r not in queued)
    for reference in unannounced:  # notify sends only what its queued event announced
        verdict.violations.append(f"message {reference} went out, its queued event never did")
    verdict.notes = {
        "messages_received": len(received),
        "repeats_in_flight_at_a_kill": allowed,
    }
    return verdict


def _about(event: Event) -> str:
    trigger = event.data.get("trigger", "trigger unknown")
    return f"{event.data['channel']}, {trigger}, dossier {event.subject}"


def _same_news_twice(
    verdict: Verdict,
    queued: Mapping[str, Event],
    arrivals: Mapping[str, list[float]],
    stream: Stream,
) -> None:
    """Two references for one piece of news (same dossier, trigger and channel) are two
    messages, unless the trigger happened twice."""
    sent: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for reference, cause in queued.items():
        if reference in arrivals:
            sent[(cause.subject, cause.data["trigger"], cause.data["channel"])].add(reference)
    for (dossier, trigger, channel), references in sent.items():
        happened = sum(1 for e in stream.events.get(dossier, []) if e.type == trigger)
        if len(references) > max(1, happened):
            verdict.violations.append(
                f"dossier {dossier}: {len(references)} {channel} messages about {trigger} "
                f"({sorted(references)}), which happened {happened} time(s)"
            )


Row = tuple[str, datetime]  # a timeline row: event type, moment


def expected_timeline(stream: Stream, dossier_id: str) -> list[Row]:
    """What the tracking view must show: the events it projects, in the topic's order."""
    events = stream.events.get(dossier_id, [])
    return [(e.type, e.time) for e in events if e.type in STATUS_BY_EVENT]


def timelines(
    views: Mapping[str, Mapping[str, Any] | str], stream: Stream, tracks: Mapping[str, Track]
) -> Verdict:
    """`views`: dossier id → the tracking answer (`GET /v1/tracking/{code}`), or why none.
    The view must be the topic's story, and the story a whole one: submitted, received, ...,
    every step opened also completed, and `dossier.completed` last when the dossier ended so."""
    verdict = Verdict("every tracking timeline is complete and in order", len(views))
    for dossier_id, view in views.items():
        if isinstance(view, str):
            verdict.violations.append(f"dossier {dossier_id}: no tracking view ({view})")
            continue
        shown = [(row["type"], datetime.fromisoformat(row["at"])) for row in view["timeline"]]
        expected = expected_timeline(stream, dossier_id)
        track = tracks.get(dossier_id)
        why = _difference(shown, expected) if shown != expected else _untold(shown, track)
        if why:
            verdict.violations.append(f"dossier {dossier_id} (code {view['code']}): {why}")
    return verdict


def _untold(shown: list[Row], track: Track | None) -> str:
    """What a finished dossier's timeline lacks, if anything ("" when it tells it all)."""
    types = [kind for kind, _ in shown]
    if types[:2] != ["dossier.submitted", "dossier.received"]:
        return f"it begins with {types[:2]}, not submitted then received"
    if track is None or track.final not in FINAL:
        return ""
    opened, completed = types.count("dossier.step-opened"), types.count("dossier.step-completed")
    if opened != completed:
        return f"{opened} steps opened and {completed} completed"
    if track.final == "completed" and types[-1] != "dossier.completed":
        return f"it ends with {types[-1]}, not dossier.completed"
    return ""


def _difference(shown: list[Row], expected: list[Row]) -> str:
    for row, (have, want) in enumerate(zip(shown, expected, strict=False)):
        if have != want:
            return f"row {row}: the view has {have}, the topic {want}"
    if len(shown) < len(expected):
        return f"the view stops after {len(shown)} rows; missing {expected[len(shown) :]}"
    return f"the view has {len(shown) - len(expected)} rows too many: {shown[len(expected) :]}"


def audit(exit_code: int | None, output: str) -> Verdict:
    """`lienthong audit verify --all`: exit 0, and no dossier left unverified (it exits 0 too
    when the notary is still behind, which is not "verified for all")."""
    verdict = Verdict("lienthong audit verify --all passes", 1)
    behind = "the notary is behind" in output
    if exit_code != 0 or behind:
        tail = "\n    ".join(output.strip().splitlines()[-12:])
        verdict.violations.append(f"exit code {exit_code}:\n    {tail}")
    verdict.notes = {"output": [line for line in output.splitlines() if line][-6:]}
    return verdict


def no_service_hung(hangs: Sequence[tuple[str, float, str]], services: int) -> Verdict:
    """`hangs`: (service, when, how) of each service the supervisor found alive but not
    answering, and stopped."""
    verdict = Verdict("no service hung", services)
    for name, at, how in hangs:
        verdict.violations.append(f"{name} at {datetime.fromtimestamp(at).isoformat()}: {how}")
    return verdict
