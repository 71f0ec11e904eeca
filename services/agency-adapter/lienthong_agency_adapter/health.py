"""The adapter's health snapshot (`ops.agency-health` on `ops.health`), per agency it serves.

Where each number lives:

* circuit — the courier's breaker, read when the snapshot is taken (its "half-open" is
  `half_open` on the wire);
* attempts, failures — counted by the courier around every call to the agency's system,
  burst retries included (`Courier._call`); a failure is any call that did not hand the task
  over: unreachable, refused, an answer we cannot read;
* waiting, oldest_waiting_at — the outbox: tasks accepted but not yet delivered (pending, or
  in an inbox agency's inbox unacknowledged). Read from the store, so they are true across
  restarts: per agency two index counts and, when any task waits, two one-document lookups;
  equalities on agency and state only (audited in tests/system/test_query_shapes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from lienthong.runtime.health import Snapshot
from lienthong.schemas.health import AgencyHealth, AgencyHealthReported, CircuitState
from lienthong_agency_adapter.breaker import State
from lienthong_agency_adapter.courier import Courier
from lienthong_agency_adapter.outbox import TaskOutbox

_CIRCUIT: dict[State, CircuitState] = {
    "closed": "closed",
    "open": "open",
    "half-open": "half_open",
}


async def agency_health(
    couriers: Mapping[str, Courier], outbox: TaskOutbox, snapshot: Snapshot
) -> AgencyHealthReported:
    # The circuits as they are at `snapshot.at`, before the store is asked anything.
    circuits = {code: _CIRCUIT[courier.breaker.state] for code, courier in couriers.items()}
    rows = []
    for code, circuit in circuits.items():
        key = (code,)
        attempts, failures = snapshot.window(key, "attempts"), snapshot.window(key, "failures")
        waiting, oldest = await outbox.undelivered(code)
        oldest_at = datetime.fromtimestamp(oldest, UTC) if oldest is not None else None
        rows.append(
            AgencyHealth(
                agency=code,
                circuit=circuit,
                attempts=attempts,
                failures=failures,
                attempts_total=snapshot.total(key, "attempts"),
                failures_total=snapshot.total(key, "failures"),
                error_rate=failures / attempts if attempts else None,
                waiting=waiting,
                oldest_waiting_at=oldest_at,
            )
        )
    return AgencyHealthReported(**snapshot.header(), agencies=rows)
