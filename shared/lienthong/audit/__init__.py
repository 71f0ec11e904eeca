"""The tamper-evident audit trail: each dossier's records of `dossier.events` chained by hash.

`chain` defines what is hashed and which records are links (the notary and verification run
the same fold); `ledger` is how the notary stores chains; `verdict` compares a recomputed chain
with a stored one; `auditor` reads the topic and the store to verify (`lienthong audit`).
"""

from lienthong.audit.auditor import (
    AuditReport,
    UnknownDossier,
    verify_all,
    verify_dossier,
    wait_for_notary,
)
from lienthong.audit.chain import GENESIS, Chain, Step, canonical_bytes, dossier_of
from lienthong.audit.ledger import HEADS, LINKS, NOTARY, Ledger
from lienthong.audit.verdict import Divergence, Verdict, compare, compare_to_head

__all__ = [
    "GENESIS",
    "HEADS",
    "LINKS",
    "NOTARY",
    "AuditReport",
    "Chain",
    "Divergence",
    "Ledger",
    "Step",
    "UnknownDossier",
    "Verdict",
    "canonical_bytes",
    "compare",
    "compare_to_head",
    "dossier_of",
    "verify_all",
    "verify_dossier",
    "wait_for_notary",
]
