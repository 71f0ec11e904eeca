"""What the console's pages and API show, read from its own projections (no writes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.clock import Clock
from lienthong.store import Collection, Store
from lienthong_console.facts import day_of, hour_of, moment_key
from lienthong_console.projection import (
    ACTIONS,
    HEALTH,
    TIMELINE,
    UNIT_DAYS,
    answers_counter,
    completed_counter,
    received_counter,
    steps_counter,
)

BOARD_LIMIT = 500
TIMELINESS = ("early", "on_time", "late")
_CIRCUIT_WORST = {"open": 2, "half_open": 1, "closed": 0}


@dataclass(frozen=True)
class Board:
    near: list[dict[str, Any]]
    overdue: list[dict[str, Any]]
    by_unit: list[dict[str, Any]]
    by_procedure: list[dict[str, Any]]
    near_total: int = 0
    overdue_total: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "near_total": self.near_total,
            "overdue_total": self.overdue_total,
            "near": self.near,
            "overdue": self.overdue,
            "by_unit": self.by_unit,
            "by_procedure": self.by_procedure,
        }


def _row(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "dossier": step["dossier"],
        "code": step.get("code"),
        "procedure": step.get("procedure"),
        "step": step["step"],
        "unit": step["unit"],
        "agency": step.get("agency"),
        "due_at": _iso(step.get("due_at")),
        "state": step["state"],
        "escalated_to": step.get("escalated_to"),
        "apologies": int(step.get("apologies", 0)),
        "new_appointment": _iso(step.get("new_appointment")),
    }


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value if isinstance(value, str) else None


def _grouped(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    near: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    escalated: Counter[str] = Counter()
    apologies: Counter[str] = Counter()
    for row in rows:
        name = row.get(key) or "?"
        (overdue if row["state"] == "overdue" else near)[name] += 1
        escalated[name] += 1 if row.get("escalated_to") else 0
        apologies[name] += row["apologies"]
    names = sorted(set(near) | set(overdue), key=lambda n: (-overdue[n], -near[n], n))
    return [
        {
            key: name,
            "near": near[name],
            "overdue": overdue[name],
            "escalated": escalated[name],
            "apologies": apologies[name],
        }
        for name in names
    ]


class ConsoleViews:
    def __init__(self, store: Store, dossiers: Collection, steps: Collection, clock: Clock):
        self.store = store
        self.dossiers = dossiers
        self.steps = steps
        self.timeline = store.collection(TIMELINE)
        self.unit_days = store.collection(UNIT_DAYS)
        self.health = store.collection(HEALTH)
        self.actions = store.collection(ACTIONS)
        self.clock = clock

    # --- SLA board ------------------------------------------------------------------

    async def board(self, units: frozenset[str] | None) -> Board:
        """Every near-due and overdue step counts in the totals and the groups; the lists
        show the `BOARD_LIMIT` most urgent of each (a bad day can have thousands)."""
        rows: dict[str, list[dict[str, Any]]] = {"near": [], "overdue": []}
        for state in rows:
            if units is None:
                found = await self.steps.find({"state": state})
            else:
                found = []
                for unit in sorted(units):
                    found += await self.steps.find({"state": state, "unit": unit})
            rows[state] = sorted((_row(s) for s in found), key=lambda r: r["due_at"] or "")
        everything = rows["near"] + rows["overdue"]
        return Board(
            rows["near"][:BOARD_LIMIT],
            rows["overdue"][:BOARD_LIMIT],
            _grouped(everything, "unit"),
            _grouped(everything, "procedure"),
            near_total=len(rows["near"]),
            overdue_total=len(rows["overdue"]),
        )

    # --- one dossier ----------------------------------------------------------------

    async def dossier(self, code_or_id: str) -> dict[str, Any] | None:
        found = await self.dossiers.get(code_or_id)
        if found is None:
            matches = await self.dossiers.find({"code": code_or_id}, limit=1)
            found = matches[0] if matches else None
        if found is None:
            return None
        entries = await self.timeline.find({"dossier": found["_id"]})
        entries.sort(
            key=lambda e: (
                e.get("seq", 0),
                e.get("moment") or moment_key(_aware(e["time"])),
                e["_id"],
            )
        )
        steps = await self.steps.find({"dossier": found["_id"]})
        return {
            "id": found["_id"],
            "code": found.get("code"),
            "procedure": found.get("procedure"),
            "procedure_version": found.get("procedure_version"),
            "receiving_unit": found.get("receiving_unit"),
            "status": found.get("status"),
            "received_at": _iso(found.get("received_at")),
            "appointment_at": _iso(found.get("appointment_at")),
            "completed_at": _iso(found.get("completed_at")),
            "steps": sorted((_row(s) for s in steps), key=lambda r: r.get("due_at") or ""),
            "timeline": [
                {
                    "id": e["_id"],
                    "time": _iso(_aware(e["time"])),
                    "type": e["type"],
                    "source": e.get("source"),
                    "unit": e.get("unit"),
                    "step": e.get("step"),
                    "detail": e.get("detail", ""),
                }
                for e in entries
            ],
        }

    # --- charts ---------------------------------------------------------------------

    async def throughput(self, hours: int = 24) -> dict[str, Any]:
        now = self.clock()
        labels = [hour_of(now - timedelta(hours=h)) for h in range(hours - 1, -1, -1)]
        names = [received_counter(h) for h in labels] + [completed_counter(h) for h in labels]
        values = await self.store.read_counters(names)
        return {
            "hours": labels,
            "received": [values[received_counter(h)] for h in labels],
            "completed": [values[completed_counter(h)] for h in labels],
        }

    async def on_time_by_unit(self, days: int = 7) -> list[dict[str, Any]]:
        now = self.clock()
        wanted = [day_of(now - timedelta(days=d)) for d in range(days)]
        unit_days = await self.unit_days.find({"day": {"$in": wanted}})
        pairs = [(doc["day"], doc["_id"].split("/", 1)[1]) for doc in unit_days]
        names = [steps_counter(day, unit, t) for day, unit in pairs for t in TIMELINESS]
        values = await self.store.read_counters(names) if names else {}
        totals: dict[str, Counter[str]] = {}
        for day, unit in pairs:
            for t in TIMELINESS:
                totals.setdefault(unit, Counter())[t] += values.get(steps_counter(day, unit, t), 0)
        rows = []
        for unit, counts in totals.items():
            done = sum(counts.values())
            rows.append(
                {
                    "unit": unit,
                    "completed": done,
                    "early": counts["early"],
                    "on_time": counts["on_time"],
                    "late": counts["late"],
                    "on_time_rate": (counts["early"] + counts["on_time"]) / done if done else None,
                }
            )
        return sorted(rows, key=lambda r: (r["on_time_rate"] is None, r["on_time_rate"] or 0))

    async def satisfaction(self, days: int = 14) -> dict[str, Any]:
        now = self.clock()
        labels = [day_of(now - timedelta(days=d)) for d in range(days - 1, -1, -1)]
        names = [answers_counter(d, s) for d in labels for s in (False, True)]
        values = await self.store.read_counters(names)
        answered = [values[answers_counter(d, False)] for d in labels]
        satisfied = [values[answers_counter(d, True)] for d in labels]
        return {
            "days": labels,
            "answered": answered,
            "satisfied": satisfied,
            "rate": [s / a if a else None for s, a in zip(satisfied, answered, strict=True)],
        }

    # --- health ---------------------------------------------------------------------

    async def health_report(self) -> dict[str, Any]:
        snapshots = await self.health.find({})
        now = self.clock()
        agencies: dict[str, dict[str, Any]] = {}
        channels: dict[tuple[str, str], dict[str, Any]] = {}
        replicas = []
        for snap in snapshots:
            at = datetime.fromisoformat(snap["at"])
            interval = float(snap.get("interval_s") or 15)
            stale = (now - at).total_seconds() > 3 * interval + 5
            replicas.append(
                {"replica": snap["_id"], "type": snap["type"], "at": snap["at"], "stale": stale}
            )
            if stale:
                continue
            for item in snap.get("agencies", []):
                _merge_agency(agencies, item)
            for item in snap.get("channels", []):
                _merge_channel(channels, item)
        for row in agencies.values():
            attempts = row["attempts"]
            row["error_rate"] = row["failures"] / attempts if attempts else None
        return {
            "agencies": sorted(agencies.values(), key=lambda r: r["agency"]),
            "channels": sorted(channels.values(), key=lambda r: (r["channel"], r["provider"])),
            "replicas": sorted(replicas, key=lambda r: r["replica"]),
        }

    # --- audit ----------------------------------------------------------------------

    async def audit(self, limit: int = 500) -> list[dict[str, Any]]:
        found = await self.actions.find({}, sort=[("time", -1)], limit=limit)
        # `_id` popped first: `{**a, "id": a.pop("_id")}` would copy the store's key as well
        return [{"id": a.pop("_id"), **a, "time": _iso(_aware(a["time"]))} for a in found]


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _merge_agency(agencies: dict[str, dict[str, Any]], item: dict[str, Any]) -> None:
    row = agencies.setdefault(
        item["agency"],
        {
            "agency": item["agency"],
            "circuit": "closed",
            "attempts": 0,
            "failures": 0,
            "waiting": 0,
            "oldest_waiting_at": None,
        },
    )
    circuit = item.get("circuit", "closed")
    if _CIRCUIT_WORST.get(circuit, 0) > _CIRCUIT_WORST.get(row["circuit"], 0):
        row["circuit"] = circuit
    row["attempts"] += int(item.get("attempts") or 0)
    row["failures"] += int(item.get("failures") or 0)
    row["waiting"] += int(item.get("waiting") or 0)
    oldest = item.get("oldest_waiting_at")
    if oldest and (row["oldest_waiting_at"] is None or oldest < row["oldest_waiting_at"]):
        row["oldest_waiting_at"] = oldest


def _merge_channel(channels: dict[tuple[str, str], dict[str, Any]], item: dict[str, Any]) -> None:
    key = (item["channel"], item.get("provider", "?"))
    row = channels.setdefault(
        key, {"channel": key[0], "provider": key[1], "sent": 0, "failed": 0, "failovers": 0}
    )
    for name in ("sent", "failed", "failovers"):
        row[name] += int(item.get(name) or 0)
