"""The notary (công chứng viên): chains each dossier's records of `dossier.events`, in log order.

Several services publish to a dossier's stream and none knows its latest hash, so this one
consumer group does the chaining, with the fold every verification repeats
(`lienthong.audit.chain`). One step per record, safe under at-least-once delivery and a kill
at any moment:

1. the dossier's head (from the cache of what this member wrote, else the store);
2. the record's link (`Chain.next`): none when its identity is chained already, a record the
   bus redelivered or a publisher sent twice, chained once at its first place;
3. insert the link under `<dossier id>/<seq>`. On `DuplicateKey` the stored link is read: the
   same hash is this very step, stored by a run killed before its head write, and adopted;
   another hash means the chain went further than the head we hold (another notary, a lost
   head write): the links after it are read and folded in, and the record judged again;
4. write the head (`put_if_newer` by count).

Two writes per chained record; no read while the head is cached.
"""

from __future__ import annotations

import structlog
from prometheus_client import Counter

from lienthong.audit import Chain, Ledger, Step, dossier_of
from lienthong.events import RawMessage
from lienthong.store import DuplicateKey

log = structlog.get_logger("lienthong.notary")

LINKS_CHAINED = Counter("lienthong_notary_links_total", "Links chained, by kind", ["kind"])
REPEATS = Counter(
    "lienthong_notary_repeats_total",
    "Records not chained because their identity already is (redelivered or republished)",
)
STEPS_RECOVERED = Counter(
    "lienthong_notary_steps_recovered_total",
    "Links found stored without their head (a kill between the two writes) and adopted",
)
UNKEYED = Counter("lienthong_notary_unkeyed_total", "Records without a key: no dossier's")

# Judging a record again after the chain moved under us: once is what a stale head needs; a
# chain that keeps moving means two live notaries on one partition, said by the error.
_TRIES = 3


class ChainConflict(RuntimeError):
    """The stored chain keeps moving under this notary: another one writes the same dossiers."""


class Notary:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def chain(self, record: RawMessage) -> None:
        """Chain `record` into its dossier's chain (nothing when it is chained already)."""
        dossier = dossier_of(record)
        if dossier is None:
            UNKEYED.inc()
            log.warning("record_without_key", partition=record.partition, offset=record.offset)
            return
        chain = await self._ledger.head(dossier) or Chain(dossier)
        for _ in range(_TRIES):
            step = chain.next(record)
            if step is None:
                REPEATS.inc()
                return
            if await self._stored(chain, step):
                chain.advance(step)
                await self._ledger.put_head(chain)
                LINKS_CHAINED.labels(kind=step.kind).inc()
                return
            chain = await self._caught_up(chain)
        raise ChainConflict(f"dossier {dossier}: its chain keeps moving under this notary")

    async def _stored(self, chain: Chain, step: Step) -> bool:
        """Whether link `step` is stored as computed: inserted now, or found from a run that
        was killed before its head write."""
        try:
            await self._ledger.insert_link(chain.dossier, step)
            return True
        except DuplicateKey:
            stored = await self._ledger.link(chain.dossier, step.seq)
        if stored is not None and stored.hash == step.hash:
            STEPS_RECOVERED.inc()
            log.info("chain_step_recovered", dossier_id=chain.dossier, seq=step.seq)
            return True
        log.warning("chain_moved", dossier_id=chain.dossier, seq=step.seq)
        return False

    async def _caught_up(self, chain: Chain) -> Chain:
        """The chain as stored: the stored head if it is further than ours, and every link
        stored after it."""
        stored = await self._ledger.head(chain.dossier)
        latest = stored if stored is not None and stored.count > chain.count else chain
        while (link := await self._ledger.link(chain.dossier, latest.count + 1)) is not None:
            latest.advance(link)
        return latest
