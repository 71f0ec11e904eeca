"""The audit chain of one dossier (chuỗi kiểm toán hồ sơ): what is hashed, which records are
links, and the fold that the notary and `lienthong audit verify` both run.

**The record.** What is hashed of a record of `dossier.events` is everything its publisher
wrote, framed so that no two records frame alike (`canonical_bytes`):

    b"lienthong.audit.v1\\n"
    frame(key)  frame(value)
    u32 number of headers, then for each header, in log order: frame(name, UTF-8)  frame(value)

`frame(b)` is a big-endian u32 length and the bytes, or 0xFFFFFFFF alone for none (a record
or a header without a value). The headers carry every CloudEvents attribute (id, source, type,
subject, time, causation, trace context, schema version, content type) and the replay mark,
the value the payload as published: changing any field or any byte, adding, dropping or
reordering a header changes the hash. Not hashed: topic, partition, offset, broker timestamp.
The place of a record is what the chain's order records (a topic mirrored to another cluster
verifies unchanged); each link keeps its place only to name it.

**The chain.** link 0 is 32 zero bytes; link n = sha256(link n-1 || canonical bytes of record n).

**Which records are links.** Each record of the dossier's key, in log order, whose identity is
not chained yet:

* an event's identity is its `ce_id`: an event redelivered by the bus or republished by a
  retrying publisher is chained once, at its first place in the log; later copies are not
  links (consumers drop them as duplicates; verification passes over them the same way);
* a record put back by a dead-letter replay (header `lienthong.replay.of`, written by
  `lienthong.ops.book`) is a link of kind "replay" naming its event, identity
  `<ce_id> replay <dead letter id>`: a letter replayed twice is chained once;
* a record without `ce_id` (not an event; every other group dead-letters it) is chained all
  the same, identified by the sha256 of its canonical bytes.

The dossier is the record's key read as UTF-8 (bytes that are not are replaced); records
without a key belong to no dossier and are not chained.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import pydantic_core

from lienthong.events import RawMessage
from lienthong.ops.book import REPLAY_OF
from lienthong.schemas.dossier import DossierReceived

GENESIS = bytes(32)
_MAGIC = b"lienthong.audit.v1\n"
_NONE = (0xFFFFFFFF).to_bytes(4, "big")

StepKind = Literal["event", "replay"]


def _frame(data: bytes | None) -> bytes:
    return _NONE if data is None else len(data).to_bytes(4, "big") + data


def canonical_bytes(record: RawMessage) -> bytes:
    """The bytes of `record` that its link hashes (see the module)."""
    parts = [
        _MAGIC,
        _frame(record.key),
        _frame(record.value),
        len(record.headers).to_bytes(4, "big"),
    ]
    for name, value in record.headers:
        parts.append(_frame(name.encode("utf-8", "surrogatepass")))
        parts.append(_frame(value))
    return b"".join(parts)


def dossier_of(record: RawMessage) -> str | None:
    """The dossier a record belongs to: its key as text; None without a key."""
    return None if record.key is None else record.key.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Step:
    """One link of a dossier's chain: what it chains, where it was read, its hash (hex)."""

    seq: int
    identity: str
    kind: StepKind
    event_id: str | None
    type: str | None
    hash: str
    partition: int
    offset: int
    dead_letter: str | None = None  # kind "replay": the dead letter put back
    replay_of: int | None = None  # kind "replay": the seq of its event, if chained before
    code: str | None = None  # the dossier code a `dossier.received` event gives

    @property
    def place(self) -> str:
        """`partition@offset` in `dossier.events`."""
        return f"{self.partition}@{self.offset}"

    def describe(self) -> str:
        """What the link is, in a few words, for people."""
        what = f"event {self.event_id}" if self.event_id else f"record {self.identity[:19]}…"
        if self.type:
            what += f" ({self.type})"
        if self.kind == "replay":
            of = f", replaying link {self.replay_of}" if self.replay_of else ""
            what = f"replay of {what} from dead letter {self.dead_letter}{of}"
        return what


class Chain:
    """A dossier's chain as far as it goes: its head (hash, count, code, the place of the last
    link) and the identities chained, in chain order. `next` says what a record would be;
    `advance` makes it so: the notary stores the step in between."""

    def __init__(
        self,
        dossier: str,
        *,
        hash: bytes = GENESIS,
        identities: Iterable[str] = (),
        code: str | None = None,
        partition: int = -1,
        offset: int = -1,
    ) -> None:
        self.dossier = dossier
        self.hash = hash
        self.code = code
        self.partition = partition
        self.offset = offset
        self._seqs = {identity: seq for seq, identity in enumerate(identities, start=1)}

    @property
    def count(self) -> int:
        return len(self._seqs)

    @property
    def identities(self) -> list[str]:
        return list(self._seqs)

    def next(self, record: RawMessage) -> Step | None:
        """The link `record` would be; None when its identity is chained already."""
        body = canonical_bytes(record)
        event_id, type = record.header_str("ce_id"), record.header_str("ce_type")
        dead_letter = record.header_str(REPLAY_OF)
        identity = event_id or "sha256:" + hashlib.sha256(body).hexdigest()
        if dead_letter is not None:
            identity = f"{identity} replay {dead_letter}"
        if identity in self._seqs:
            return None
        replayed = dead_letter is not None
        return Step(
            seq=self.count + 1,
            identity=identity,
            kind="replay" if replayed else "event",
            event_id=event_id,
            type=type,
            hash=hashlib.sha256(self.hash + body).hexdigest(),
            partition=record.partition,
            offset=record.offset,
            dead_letter=dead_letter,
            replay_of=self._seqs.get(event_id) if replayed and event_id else None,
            code=None if replayed or type != DossierReceived.event_type else _code_of(record),
        )

    def advance(self, step: Step) -> None:
        """Take `step` (the next link, computed here or read back from the store) as the head."""
        if step.seq != self.count + 1:
            raise ValueError(f"dossier {self.dossier}: link {step.seq} after {self.count}")
        self._seqs[step.identity] = step.seq
        self.hash = bytes.fromhex(step.hash)
        self.partition, self.offset = step.partition, step.offset
        if self.code is None and step.code is not None:
            self.code = step.code

    def add(self, record: RawMessage) -> Step | None:
        """`next` and `advance` at once (verification: nothing to store in between)."""
        step = self.next(record)
        if step is not None:
            self.advance(step)
        return step


def _code_of(record: RawMessage) -> str | None:
    try:
        data = pydantic_core.from_json(record.value)
    except ValueError:
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None
