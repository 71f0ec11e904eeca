"""Composition root of the notary service.

A tamper-evident audit trail: every dossier's records of dossier.events chained by hash, in
log order; `lienthong audit verify` recomputes the chains from the topic.
"""

from __future__ import annotations

from lienthong.audit import HEADS, LINKS, Ledger
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notary.notary import Notary

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the notary from the runtime's context (its one composition root). Its one
    "handler table" is a single row: every record of `dossier.events`, whatever its type,
    goes to `Notary.chain` as it is (the group must not pass over any)."""
    # Heads are read through the cache of what this member wrote; the runtime forgets it
    # when partitions move. Links are only written, and read when an insert meets one.
    ledger = Ledger(context.cached(HEADS), context.store.collection(LINKS))
    notary = Notary(ledger)
    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        consumes=[DOSSIER_EVENTS],
        records=notary.chain,
        # No `projections`: the chains are evidence, not a read model to rebuild from the
        # topic (rebuilt from a tampered topic, they would vouch for it).
        setup=[ledger.prepare],
    )
