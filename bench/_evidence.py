"""What a run's properties are judged on, and how a judgement is said.

`Stream` holds each dossier's events from `dossier.events` in partition order, the first copy
of each id (a re-published event is a duplicate consumers drop): the stream is the truth.
`Verdict` is one property's result, each violation said precisely (which dossier, task or
message).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lienthong.events import Event

SHOWN = 15  # violations listed per property; the count says how many there were
TRACED_FIELDS = frozenset(
    {"code", "task_id", "step", "unit", "agency", "outcome", "notification_id", "trigger"}
    | {"channel", "reference", "attempts", "reason", "delivery", "attempt"}
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
        self.by_id: dict[str, Event] = {}
        self.duplicates = 0

    def add(self, event: Event) -> None:
        if event.id in self.by_id:
            self.duplicates += 1
            return
        self.by_id[event.id] = event
        self.events[event.subject].append(event)

    def of_type(self, kind: str) -> Iterable[Event]:
        return (e for events in self.events.values() for e in events if e.type == kind)

    def of_dossier(self, dossier_id: str) -> list[Event]:
        return self.events.get(dossier_id, [])

    def write(self, path: Path) -> None:
        """Every event, one JSON line each, for reading after a failure: the envelope and the
        data fields that name tasks, steps and messages (never the applicant's)."""
        with path.open("w", encoding="utf-8") as file:
            for events in self.events.values():
                for e in events:
                    data = {k: v for k, v in e.data.items() if k in TRACED_FIELDS}
                    row: dict[str, Any] = {"id": e.id, "type": e.type, "subject": e.subject}
                    row |= {"time": e.time.isoformat(), "causationid": e.causationid, **data}
                    file.write(json.dumps(row, default=str) + "\n")
