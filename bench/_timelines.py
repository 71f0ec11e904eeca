"""Every tracking timeline is complete and in order.

What a citizen sees (`GET /v1/tracking/{code}`: a status and the rows of the process control
sheet, each an event type, a moment, a unit and a timeliness; no step id) is held to:

* the topic: row by row, the dossier's events of the types a timeline shows (`SHOWN`, written
  here from what the tracking API documents, not imported from the projection under test),
  in the topic's order, at the events' moments;
* a dossier's story, written here: exactly one `submitted` row, then exactly one `received`;
  never more steps completed than opened so far; at the end, as the dossier ended (`Track`),
  and the view's status agreeing with it;
* on the topic, where steps have ids: each step opened exactly once, completed at most once
  and only after its opening, and every step of a finished dossier completed.

The load's dossiers are approved at every step (no supplement, transfer or refusal), so no
step is opened twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from _evidence import Stream, Verdict
from _follow import Track

from lienthong.events import Event

SUBMITTED, RECEIVED, COMPLETED = "dossier.submitted", "dossier.received", "dossier.completed"
OPENED, DONE = "dossier.step-opened", "dossier.step-completed"
READY = "dossier.result-ready"
SHOWN = frozenset(
    {SUBMITTED, RECEIVED, OPENED, DONE, READY, COMPLETED}
    | {"dossier.rejected", "dossier.withdrawn"}
    | {"dossier.supplement-requested", "dossier.supplement-provided"}
)
# How the view's status reads at each end: the result returned, or waiting at the counter.
STATUS_AT_END = {"completed": {"result_returned"}, "at_desk": {"processing_done"}}

Row = tuple[str, datetime]  # a timeline row: event type, moment


def shown_on_the_stream(stream: Stream, dossier_id: str) -> list[Row]:
    """The rows the topic says the view must show, in the topic's order."""
    return [(e.type, e.time) for e in stream.of_dossier(dossier_id) if e.type in SHOWN]


def timelines(
    views: Mapping[str, Mapping[str, Any] | str], stream: Stream, tracks: Mapping[str, Track]
) -> Verdict:
    """`views`: dossier id → the tracking answer, or why there is none."""
    verdict = Verdict("every tracking timeline is complete and in order", len(views))
    for dossier_id, view in views.items():
        if isinstance(view, str):
            verdict.violations.append(f"dossier {dossier_id}: no tracking view ({view})")
            continue
        track = tracks.get(dossier_id)
        final = track.final if track else None
        shown = [(row["type"], datetime.fromisoformat(row["at"])) for row in view["timeline"]]
        expected = shown_on_the_stream(stream, dossier_id)
        why = (
            (_difference(shown, expected) if shown != expected else "")
            or untold([kind for kind, _ in shown], final)
            or status_at_end(str(view.get("status")), final)
            or steps_on_the_stream(stream.of_dossier(dossier_id), final)
        )
        if why:
            verdict.violations.append(f"dossier {dossier_id} (code {view.get('code')}): {why}")
    return verdict


def untold(kinds: Sequence[str], final: str | None) -> str:
    """What is wrong with a timeline's story, if anything ("" when it holds)."""
    if list(kinds[:2]) != [SUBMITTED, RECEIVED]:
        return f"it begins with {list(kinds[:2])}, not submitted then received"
    counts = Counter(kinds)
    for kind in (SUBMITTED, RECEIVED):
        if counts[kind] != 1:
            return f"{counts[kind]} {kind} rows"
    opened = completed = 0
    for row, kind in enumerate(kinds):
        opened += kind == OPENED
        completed += kind == DONE
        if completed > opened:
            return f"row {row}: a step completed with only {opened} opened before it"
    if final not in STATUS_AT_END:
        return ""  # not ended as the load's dossiers do: `final_states` says so
    if counts[READY] != 1:
        return f"ended ({final}) with {counts[READY]} result-ready rows, not one"
    if final == "at_desk" and counts[COMPLETED]:
        return "the result waits at the counter, yet the view says it was returned"
    # At the counter the return step stays open until the citizen collects the result.
    still_open = 1 if final == "at_desk" else 0
    if opened != completed + still_open:
        return f"ended ({final}) with {opened} steps opened and {completed} completed"
    if final == "completed" and (kinds[-1] != COMPLETED or counts[COMPLETED] != 1):
        return f"ended with {kinds[-1]} and {counts[COMPLETED]} completed rows, not one last"
    if final == "at_desk" and kinds[-1] != READY:
        return f"the result waits at the counter, yet the view ends with {kinds[-1]}"
    return ""


def status_at_end(status: str, final: str | None) -> str:
    wanted = STATUS_AT_END.get(final or "")
    if wanted is None or status in wanted:
        return ""
    return f"ended {final}, its view's status is {status!r}, not {' or '.join(sorted(wanted))}"


def steps_on_the_stream(events: Sequence[Event], final: str | None) -> str:
    """Each step (by id) opened once, completed at most once and after it was opened."""
    opened: Counter[str] = Counter()
    completed: Counter[str] = Counter()
    for event in events:
        step = str(event.data.get("step"))
        if event.type == OPENED:
            opened[step] += 1
            if opened[step] > 1:
                return f"step {step} opened {opened[step]} times"
        elif event.type == DONE:
            if not opened[step]:
                return f"step {step} completed before it was opened"
            completed[step] += 1
            if completed[step] > 1:
                return f"step {step} completed {completed[step]} times"
    unfinished = sorted(opened.keys() - completed.keys())
    if final in STATUS_AT_END and unfinished:
        return f"ended ({final}) with steps {unfinished} never completed"
    return ""


def _difference(shown: list[Row], expected: list[Row]) -> str:
    for row, (have, want) in enumerate(zip(shown, expected, strict=False)):
        if have != want:
            return f"row {row}: the view has {have}, the topic {want}"
    if len(shown) < len(expected):
        return f"the view stops after {len(shown)} rows; missing {expected[len(shown) :]}"
    return f"the view has {len(shown) - len(expected)} rows too many: {shown[len(expected) :]}"
