"""Delivery leases: with several adapter replicas, one at a time delivers a task, and the
lease of a replica that died runs out.

Taken by inserts. On FerretDB 1.24 (the test server) an update is read-modify-write, so a
conditional update ("take it if it has expired") decides nothing between two processes; an
insert with a unique `_id` is atomic there and on MongoDB alike. A lease is therefore a chain
of documents `<task>#<turn>.<generation>` in `task_leases`, each generation taken by insert:

* take: insert generation 0 of the task's current turn (see `outbox.turn_of`). Refused: the
  task is in another replica's hands; remember the generation and when it was first seen.
* renew: every `lease_s / 3` the holder inserts the next generation. The insert is refused
  only if another replica took the task over: the holder has lost it and its delivery is
  cancelled. A holder that cannot renew (the store away) gives up at `2/3 lease_s`, a third
  of a lease before anyone may take over.
* take over: a replica that has seen the same latest generation for a whole `lease_s`
  inserts the next one; accepted, the task is its. Time is measured by each replica's own
  monotonic clock from its own first sighting: replicas' clocks are never compared, so skew
  between machines cannot shorten a lease.
* release: once the round has moved the task out of its turn (delivered, postponed to the
  next turn, failed), the holder deletes the turn's generations. A replica acting on an older
  scan may insert a generation of that ended turn again: it wins, re-reads the task, sees the
  turn over and lets go (`Courier.attempt`). The generations of a live turn are never deleted
  (a deleted generation could be taken again by two replicas at once); what a crash leaves
  behind of an ended turn is deleted by `sweep`.

Store operations per delivered task: one insert, one delete (and the courier's re-read of
the task); each replica that finds the task taken pays one refused insert, then one insert
per `lease_s` while it waits. Renewals cost one insert per `lease_s / 3` of a long round.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from prometheus_client import Counter

from lienthong.store import Collection, DuplicateKey

log = structlog.get_logger("lienthong.agency_adapter.leases")
T = TypeVar("T")

LEASES = Counter(
    "lienthong_agency_leases_total",
    "Delivery lease events: taken, held_elsewhere, taken_over, renewed, lost, released",
    ["agency", "event"],
)
# How often a holder whose renewal failed (the store away) tries again, as a share of lease_s.
_RETRY_SHARE = 1 / 12


class LeaseLost(Exception):
    """Another replica took the task over, or the holder could not renew in time."""


@dataclass
class Lease:
    """A task's turn in this replica's hands: `generation` was inserted at `since`."""

    task_id: str
    turn: int
    generation: int
    since: float  # monotonic, taken just before the generation's insert was sent

    @property
    def key(self) -> str:
        return lease_key(self.task_id, self.turn)


@dataclass(frozen=True)
class _Sighting:
    generation: int  # the latest generation known to exist
    deadline: float  # monotonic: if still the latest then, its holder is gone


def lease_key(task_id: str, turn: int) -> str:
    return f"{task_id}#{turn}"


class DeliveryLeases:
    """The leases of one agency's tasks, as one replica sees them."""

    def __init__(
        self,
        collection: Collection,
        agency: str,
        holder: str,
        lease_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.leases = collection
        self.agency = agency
        self.holder = holder  # for operators reading the collection; never compared
        self.lease_s = lease_s
        self.clock = clock
        self._seen: dict[str, _Sighting] = {}
        # Leases this replica still holds after a round that failed midway (the store or the
        # bus away): the next round renews them at once instead of waiting for them to expire.
        self._kept: dict[str, Lease] = {}

    @property
    def renew_every_s(self) -> float:
        return self.lease_s / 3

    @property
    def give_up_after_s(self) -> float:
        return 2 * self.lease_s / 3

    @property
    def watching(self) -> int:
        """How many tasks this replica sees in other replicas' hands."""
        return len(self._seen)

    def forget_all_but(self, keys: Iterable[str]) -> None:
        """Keep only what concerns `keys` (the tasks due now): the others moved on."""
        wanted = set(keys)
        self._seen = {k: s for k, s in self._seen.items() if k in wanted}
        self._kept = {k: lease for k, lease in self._kept.items() if k in wanted}

    async def take(self, task_id: str, turn: int) -> Lease | None:
        """The task's current turn for this replica, or None while another replica holds it."""
        key = lease_key(task_id, turn)
        kept = self._kept.pop(key, None)
        if kept is not None:
            try:
                await self.renew(kept)
                return kept
            except LeaseLost:
                self._seen[key] = _Sighting(kept.generation + 1, self.clock() + self.lease_s)
                return None
            except Exception:
                self._kept[key] = kept  # the store away: try again next round
                raise
        seen = self._seen.get(key)
        if seen is not None and self.clock() < seen.deadline:
            return None
        generation = 0 if seen is None else seen.generation + 1
        since = self.clock()
        if not await self._insert(task_id, turn, generation):
            if seen is not None:  # renewed (or taken over) meanwhile: watch the latest anew
                generation = await self._latest(key, generation)
            self._seen[key] = _Sighting(generation, self.clock() + self.lease_s)
            LEASES.labels(self.agency, "held_elsewhere").inc()
            return None
        self._seen.pop(key, None)
        if generation > 0:
            log.info("lease_taken_over", task_id=task_id, agency=self.agency, turn=turn)
        LEASES.labels(self.agency, "taken_over" if generation else "taken").inc()
        return Lease(task_id, turn, generation, since)

    async def renew(self, lease: Lease) -> None:
        since = self.clock()
        if not await self._insert(lease.task_id, lease.turn, lease.generation + 1):
            LEASES.labels(self.agency, "lost").inc()
            log.warning("lease_lost", task_id=lease.task_id, agency=self.agency)
            raise LeaseLost(f"task {lease.task_id}: taken over by another replica")
        lease.generation += 1
        lease.since = since
        LEASES.labels(self.agency, "renewed").inc()

    async def hold(self, lease: Lease, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` while renewing `lease`; a lost lease cancels it and raises LeaseLost.
        Leaving by an error or a cancellation keeps the lease: it is renewed by the next
        take in this process, or runs out for the others."""
        task = asyncio.ensure_future(work)
        renew_at = lease.since + self.renew_every_s
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=max(0.0, renew_at - self.clock()))
                if done:
                    return task.result()
                renew_at = await self._renew_in_time(lease)
        except BaseException:
            self._kept[lease.key] = lease
            raise
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: raised above or, after a loss, not wanted

    async def _renew_in_time(self, lease: Lease) -> float:
        """Renew; on a store error, say when to try again, or give up in time (LeaseLost)."""
        give_up_at = lease.since + self.give_up_after_s
        try:
            async with asyncio.timeout(max(0.0, give_up_at - self.clock())):
                await self.renew(lease)
            return lease.since + self.renew_every_s
        except LeaseLost:
            raise
        except Exception as exc:
            if self.clock() >= give_up_at:
                LEASES.labels(self.agency, "lost").inc()
                log.warning("lease_not_renewed", task_id=lease.task_id, agency=self.agency)
                raise LeaseLost(f"task {lease.task_id}: lease not renewed in time") from exc
            return min(give_up_at, self.clock() + self.lease_s * _RETRY_SHARE)

    async def release(self, lease: Lease) -> None:
        """Only once the task has left `lease.turn` (see the module's docstring)."""
        self._kept.pop(lease.key, None)
        for generation in range(lease.generation + 1):  # a dead holder's earlier ones too
            await self.leases.delete(f"{lease.key}.{generation}")
        LEASES.labels(self.agency, "released").inc()

    async def sweep(self, turn_is_over: Callable[[str, int], Awaitable[bool]]) -> int:
        """Delete the generations of ended turns that crashes left behind; how many."""
        verdicts: dict[tuple[str, int], bool] = {}
        deleted = 0
        for document in await self.leases.find({"agency": self.agency}):
            turn = (str(document["task"]), int(document["turn"]))
            if turn not in verdicts:
                verdicts[turn] = await turn_is_over(*turn)
            if verdicts[turn] and await self.leases.delete(document["_id"]):
                deleted += 1
        return deleted

    async def _insert(self, task_id: str, turn: int, generation: int) -> bool:
        document = {
            "_id": f"{lease_key(task_id, turn)}.{generation}",
            "agency": self.agency,
            "task": task_id,
            "turn": turn,
            "generation": generation,
            "holder": self.holder,
            "lease_s": self.lease_s,
            "taken_at": time.time(),  # for operators; expiry never reads it
        }
        try:
            await self.leases.insert(document)
            return True
        except DuplicateKey:
            return False

    async def _latest(self, key: str, known: int) -> int:
        """The latest generation from `known` on (one lookup by `_id` per generation)."""
        while await self.leases.get(f"{key}.{known + 1}") is not None:
            known += 1
        return known
