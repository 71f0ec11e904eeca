"""Verification against the topic (`lienthong audit verify`): dossiers' chains recomputed from
`dossier.events` and compared with the notary's (`lienthong.audit.verdict`).

Read in this order, so that the notary moving on meanwhile shows as lag, never as tampering:
the notary's committed offsets, the stored heads (and links), then the topic, from the log
start to its end as it is then.

`verify_all` does every dossier in one pass over the topic, a partition at a time (a dossier's
records are all on its key's partition). It holds the recomputed links of one partition's
dossiers (some 200 bytes an event; `--partition` bounds a run to one), and reads stored links
only for a dossier whose head does not match.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lienthong.audit.chain import Chain, Step, dossier_of
from lienthong.audit.ledger import NOTARY, Ledger
from lienthong.audit.verdict import Verdict, compare, compare_to_head
from lienthong.bus import Bus, UnknownTopic
from lienthong.topics import DOSSIER_EVENTS


class UnknownDossier(LookupError):
    """Neither a chain nor an event of that dossier."""


@dataclass
class AuditReport:
    """What `verify_all` found: counts, and the dossiers whose chain diverges."""

    dossiers: int = 0
    events: int = 0
    pending: int = 0
    behind: int = 0
    unkeyed: int = 0
    diverged: list[Verdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diverged

    def add(self, verdict: Verdict) -> None:
        self.dossiers += 1
        self.events += verdict.verified
        if verdict.pending:
            self.behind += 1
            self.pending += verdict.pending
        if not verdict.ok:
            self.diverged.append(verdict)


async def notary_offsets(bus: Bus) -> dict[int, int]:
    """The notary's committed offsets on `dossier.events`, by partition."""
    snapshot = await bus.offsets()
    return dict(snapshot.committed.get(NOTARY, {}).get(DOSSIER_EVENTS, {}))


async def wait_for_notary(bus: Bus, timeout_s: float, poll_s: float = 0.5) -> bool:
    """Until the notary has committed, on every partition, the end the log had when the wait
    began; whether it did within `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    snapshot = await bus.offsets()
    ends = snapshot.ends.get(DOSSIER_EVENTS, {})
    starts = snapshot.starts.get(DOSSIER_EVENTS, {})
    while True:
        committed = snapshot.committed.get(NOTARY, {}).get(DOSSIER_EVENTS, {})
        if all(committed.get(p, starts.get(p, 0)) >= end for p, end in ends.items()):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(poll_s)
        snapshot = await bus.offsets()


async def verify_dossier(bus: Bus, ledger: Ledger, ref: str) -> Verdict:
    """Verify one dossier, named by its code or its id."""
    passed = await notary_offsets(bus)
    head = await ledger.head_by_code(ref) or await ledger.head(ref)
    dossier = head.dossier if head is not None else ref
    if head is not None and head.partition >= 0:
        partition = head.partition
    else:
        partition = await bus.partition_for(DOSSIER_EVENTS, dossier.encode())
    links = await ledger.links(dossier) if head is not None else []
    topic = await _recomputed(bus, partition, dossier)
    if head is None and not topic:
        raise UnknownDossier(
            f"no chain and no event of {ref!r}: not a dossier code or id, or a code whose "
            "dossier.received the notary has not chained yet (then give the dossier id)"
        )
    return compare(dossier, topic, links, head, passed.get(partition))


async def _recomputed(bus: Bus, partition: int, dossier: str) -> list[Step]:
    chain, steps = Chain(dossier), []
    async with bus.scan(DOSSIER_EVENTS, partition) as records:
        async for record in records:
            if dossier_of(record) == dossier and (step := chain.add(record)) is not None:
                steps.append(step)
    return steps


async def verify_all(
    bus: Bus,
    ledger: Ledger,
    partitions: Sequence[int] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_record: Callable[[], None] | None = None,
    on_partition: Callable[[int, AuditReport], None] | None = None,
) -> AuditReport:
    """Verify every dossier (of `partitions`, default all) in one pass over the topic.
    `on_total` is told how many records there are to read, `on_record` after each one,
    `on_partition` after each partition with the report so far."""
    snapshot = await bus.offsets()
    if DOSSIER_EVENTS not in snapshot.ends:
        raise UnknownTopic(DOSSIER_EVENTS)
    ends, starts = snapshot.ends[DOSSIER_EVENTS], snapshot.starts.get(DOSSIER_EVENTS, {})
    passed = snapshot.committed.get(NOTARY, {}).get(DOSSIER_EVENTS, {})
    chosen = sorted(ends) if partitions is None else list(partitions)
    unknown = [p for p in chosen if p not in ends]
    if unknown:
        raise ValueError(f"{DOSSIER_EVENTS} has no partition {unknown[0]} (0..{len(ends) - 1})")
    if on_total is not None:
        on_total(sum(max(0, ends[p] - starts.get(p, 0)) for p in chosen))
    report = AuditReport()
    for partition in chosen:
        await _verify_partition(bus, ledger, partition, passed.get(partition), report, on_record)
        if on_partition is not None:
            on_partition(partition, report)
    return report


async def _verify_partition(
    bus: Bus,
    ledger: Ledger,
    partition: int,
    passed: int | None,
    report: AuditReport,
    on_record: Callable[[], None] | None,
) -> None:
    heads = {head.dossier: head for head in await ledger.heads_of_partition(partition)}
    recomputed: dict[str, tuple[Chain, list[Step]]] = {}
    async with bus.scan(DOSSIER_EVENTS, partition) as records:
        async for record in records:
            if on_record is not None:
                on_record()
            dossier = dossier_of(record)
            if dossier is None:
                report.unkeyed += 1
                continue
            if dossier not in recomputed:
                recomputed[dossier] = (Chain(dossier), [])
            chain, steps = recomputed[dossier]
            step = chain.add(record)
            if step is not None:
                steps.append(step)
    for dossier in sorted(heads.keys() | recomputed.keys()):
        head = heads.get(dossier)
        topic = recomputed[dossier][1] if dossier in recomputed else []
        verdict = compare_to_head(dossier, topic, head, passed) if head is not None else None
        if verdict is None:
            links = await ledger.links(dossier) if head is not None else []
            verdict = compare(dossier, topic, links, head, passed)
        report.add(verdict)
