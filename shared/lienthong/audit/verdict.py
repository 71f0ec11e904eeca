"""What verification finds: a dossier's chain recomputed from the topic, against the chain the
notary stored. Pure: no I/O.

Both are walked in chain order. Equal hashes up to the stored head: verified (the head's hash
commits to every link before it). Otherwise the first link at which they part is named, and
what happened there told apart:

| kind | at that place |
|---|---|
| changed | the topic's record has the chained event's identity, not its bytes |
| removed | the chained event is nowhere in the topic any more |
| inserted | the topic has a record the chain does not (before the head, or one the notary passed) |
| reordered | both records are there, each at another place in the other sequence |
| broken | the stored chain is not whole: a link missing, or out of step with its head |

Records of the dossier after the last link that the notary has not reached (at or past its
committed offset on the partition, and past the head's last place) are lag, not tampering:
they are counted as `pending`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from lienthong.audit.chain import Chain, Step

DivergenceKind = Literal["changed", "removed", "inserted", "reordered", "broken"]


@dataclass(frozen=True)
class Divergence:
    """The first place where the topic and the stored chain part: link `seq`, and why."""

    kind: DivergenceKind
    seq: int
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Verdict:
    """One dossier's verification. `verified` links matched the topic, of `chained` stored;
    `pending` records are still to be chained (the notary is behind)."""

    dossier: str
    code: str | None
    verified: int
    chained: int
    pending: int = 0
    divergence: Divergence | None = None

    @property
    def ok(self) -> bool:
        return self.divergence is None

    @property
    def name(self) -> str:
        return f"{self.code} ({self.dossier})" if self.code else self.dossier

    def summary(self) -> str:
        if self.divergence is not None:
            return (
                f"{self.divergence} [dossier {self.name}; {self.verified} link(s) before it match]"
            )
        text = f"verified: {self.verified} events"
        if self.pending:
            text += f" (the notary is behind: {self.pending} later event(s) not chained yet)"
        return text


def compare(
    dossier: str,
    topic: Sequence[Step],
    links: Sequence[Step],
    head: Chain | None,
    passed: int | None,
) -> Verdict:
    """Verify `dossier`: `topic` is its chain recomputed from the topic, `links` the stored links
    (those past the head are ignored), `passed` the notary's committed offset on its partition."""
    count = head.count if head is not None else 0
    code = head.code if head is not None else None
    chain = [link for link in links if link.seq <= count]
    broken = _broken(dossier, chain, head)
    if broken is not None:
        return Verdict(dossier, code, 0, count, divergence=broken)
    for index, (found, kept) in enumerate(zip(topic, chain, strict=False)):
        if found.hash != kept.hash:
            divergence = _parting(index, topic, chain)
            return Verdict(dossier, code, index, count, divergence=divergence)
    if len(topic) < len(chain):
        gone = chain[len(topic)]
        removed = Divergence("removed", gone.seq, f"{_named(gone, count)}, is not in the topic")
        return Verdict(dossier, code, len(topic), count, divergence=removed)
    return _after_head(dossier, code, topic, count, head, passed)


def compare_to_head(
    dossier: str, topic: Sequence[Step], head: Chain, passed: int | None
) -> Verdict | None:
    """The verdict when the recomputed chain reaches the stored head's hash (no link needs
    reading); None when it does not, and the links must be compared (`compare`)."""
    if head.count == 0 or len(topic) < head.count:
        return None
    if topic[head.count - 1].hash != head.hash.hex():
        return None
    return _after_head(dossier, head.code, topic, head.count, head, passed)


def _after_head(
    dossier: str,
    code: str | None,
    topic: Sequence[Step],
    count: int,
    head: Chain | None,
    passed: int | None,
) -> Verdict:
    """Everything up to the head matches: what follows is lag, unless the notary has passed it."""
    later = topic[count:]
    reached = max(passed or 0, head.offset + 1 if head is not None else 0)
    skipped = next((step for step in later if step.offset < reached), None)
    if skipped is not None:
        detail = (
            f"{skipped.describe()} at {skipped.place} is not in the chain, though the notary has "
            f"passed that place (after link {count})"
        )
        divergence = Divergence("inserted", count + 1, detail)
        return Verdict(dossier, code, count, count, divergence=divergence)
    return Verdict(dossier, code, count, count, pending=len(later))


def _broken(dossier: str, chain: Sequence[Step], head: Chain | None) -> Divergence | None:
    count = head.count if head is not None else 0
    for expected, link in enumerate(chain, start=1):
        if link.seq != expected:
            return Divergence(
                "broken", expected, f"the stored chain of {dossier} lacks link {expected}"
            )
    if len(chain) != count:
        return Divergence(
            "broken",
            len(chain) + 1,
            f"the stored chain of {dossier} lacks link {len(chain) + 1} of {count}",
        )
    if head is not None and chain and chain[-1].hash != head.hash.hex():
        return Divergence("broken", count, f"the stored head of {dossier} is not its link {count}")
    return None


def _parting(index: int, topic: Sequence[Step], chain: Sequence[Step]) -> Divergence:
    found, kept = topic[index], chain[index]
    seq, count = kept.seq, len(chain)
    if found.identity == kept.identity:
        detail = (
            f"{_named(kept, count)}, differs from its record at {found.place} now "
            f"(hash {found.hash[:12]}…, chained {kept.hash[:12]}…)"
        )
        return Divergence("changed", seq, detail)
    in_topic = {step.identity: step for step in topic}
    in_chain = {step.identity for step in chain}
    if kept.identity not in in_topic:
        instead = (
            ""
            if found.identity in in_chain
            else f" (in its place: {found.describe()} at {found.place})"
        )
        return Divergence("removed", seq, f"{_named(kept, count)}, is not in the topic{instead}")
    if found.identity not in in_chain:
        detail = f"{found.describe()} at {found.place} is not in the chain (at link {seq})"
        return Divergence("inserted", seq, detail)
    moved = in_topic[kept.identity]
    other = next(step.seq for step in chain if step.identity == found.identity)
    detail = (
        f"{_named(kept, count)}, is at {moved.place} now; in its place is link {other}, "
        f"{found.describe()}"
    )
    return Divergence("reordered", seq, detail)


def _named(link: Step, count: int) -> str:
    return f"link {link.seq} of {count}, {link.describe()} chained from {link.place}"
