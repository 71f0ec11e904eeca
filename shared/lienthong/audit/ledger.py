"""Where the notary keeps the chains (its database, `<prefix>_notary`), and how they read back.

* `heads`: one document per dossier, `_id` the dossier id: `hash` (hex), `count`, `code`, the
  place of the last link (`partition`, `offset`) and `identities`, what was chained in order
  (what tells a redelivered event without a query); `_version` is the count.
* `links`: one document per link, `_id` `<dossier id>/<seq>`: seq, identity, kind, event id,
  type, place, hash; for a replay the dead letter and the seq of the event it replays.

A chain step is two writes: the link, then the head. The link is inserted under its
deterministic `_id`, so the insert decides between two writers of link n (a notary killed after
its link and handed the record again; two notaries at once): one stores it, the other meets
`DuplicateKey` and compares. An insert decides that race on FerretDB too, where a conditional
update would not. The head is written `put_if_newer` by count, so a late writer cannot move it
back. A link past its head is a step whose head write was lost to a kill: verification reads
the chain up to the head, and the notary adopts that link when the record comes again.
"""

from __future__ import annotations

from typing import Any

from lienthong.audit.chain import Chain, Step
from lienthong.store import Collection, Document, Store

NOTARY = "notary"
"""The notary's service name: its consumer group and its database's suffix."""

HEADS = "heads"
LINKS = "links"

_STEP_FIELDS = ("seq", "identity", "kind", "event_id", "type", "hash", "partition", "offset")
_OPTIONAL_FIELDS = ("dead_letter", "replay_of", "code")


class AmbiguousCode(ValueError):
    """Two dossiers' chains carry the same code (an error of `lienthong audit verify CODE`)."""

    def __init__(self, code: str, dossiers: list[str]) -> None:
        super().__init__(
            f"the code {code!r} names more than one dossier: {', '.join(dossiers)}; "
            "give a dossier id"
        )
        self.code = code
        self.dossiers = dossiers


def link_id(dossier: str, seq: int) -> str:
    return f"{dossier}/{seq}"


def link_document(dossier: str, step: Step) -> Document:
    document: Document = {"_id": link_id(dossier, step.seq), "dossier": dossier}
    document.update({name: getattr(step, name) for name in _STEP_FIELDS})
    document.update(
        {name: value for name in _OPTIONAL_FIELDS if (value := getattr(step, name)) is not None}
    )
    return document


def step_of(document: Document) -> Step:
    fields: dict[str, Any] = {name: document[name] for name in _STEP_FIELDS}
    fields.update({name: document.get(name) for name in _OPTIONAL_FIELDS})
    return Step(**fields)


def head_document(chain: Chain) -> Document:
    return {
        "_id": chain.dossier,
        "hash": chain.hash.hex(),
        "count": chain.count,
        "code": chain.code,
        "partition": chain.partition,
        "offset": chain.offset,
        "identities": chain.identities,
    }


def chain_of(document: Document) -> Chain:
    return Chain(
        document["_id"],
        hash=bytes.fromhex(document["hash"]),
        identities=document["identities"],
        code=document.get("code"),
        partition=document["partition"],
        offset=document["offset"],
    )


class Ledger:
    """The chains as stored: heads and links. The notary writes through it (heads behind the
    cache of what it wrote); `lienthong audit verify` reads."""

    def __init__(self, heads: Collection, links: Collection) -> None:
        self._heads = heads
        self._links = links

    @classmethod
    def of(cls, store: Store) -> Ledger:
        return cls(store.collection(HEADS), store.collection(LINKS))

    async def prepare(self) -> None:
        """Indexes: a dossier's links in order; heads by code (`verify CODE`) and by
        partition (`verify --all`)."""
        await self._links.ensure_index([("dossier", 1), ("seq", 1)], unique=True)
        await self._heads.ensure_index([("code", 1)])
        await self._heads.ensure_index([("partition", 1)])

    async def head(self, dossier: str) -> Chain | None:
        document = await self._heads.get(dossier)
        return None if document is None else chain_of(document)

    async def head_by_code(self, code: str) -> Chain | None:
        """Raises `AmbiguousCode` when two dossiers' heads carry `code` (codes are unique by
        how they are issued, not by an index: verifying either one would hide the other)."""
        found = await self._heads.find({"code": code}, limit=2)
        if len(found) > 1:
            raise AmbiguousCode(code, sorted(document["_id"] for document in found))
        return chain_of(found[0]) if found else None

    async def heads_of_partition(self, partition: int) -> list[Chain]:
        return [chain_of(d) for d in await self._heads.find({"partition": partition})]

    async def links(self, dossier: str) -> list[Step]:
        found = await self._links.find({"dossier": dossier}, sort=[("seq", 1)])
        return [step_of(document) for document in found]

    async def link(self, dossier: str, seq: int) -> Step | None:
        document = await self._links.get(link_id(dossier, seq))
        return None if document is None else step_of(document)

    async def insert_link(self, dossier: str, step: Step) -> None:
        """Raises `DuplicateKey` when link `step.seq` of `dossier` is stored already."""
        await self._links.insert(link_document(dossier, step))

    async def put_head(self, chain: Chain) -> bool:
        """Whether it was written (False: a head as far or further is stored)."""
        return await self._heads.put_if_newer(head_document(chain), chain.count)
