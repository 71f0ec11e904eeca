"""The dead-letter book: list, replay and discard dead letters, recording who did it.

What is pending is derived, never stored: the records of `dlq.<group>` joined with the
actions on `operator.actions`. A replayed or discarded letter is not offered again, by this
process or any other (the CLI and the operator console share the book).

A replay puts the original record back on its original topic (every consumer group of that
topic sees it again: handlers are idempotent), marked with a `lienthong.replay.of` header
naming the dead letter (`REPLAY_OF`), then records the action. A process that dies
between the two leaves the letter pending, and the next replay puts it back once more:
at-least-once, like every delivery here. Requests are checked in full before anything is
published: an unknown or settled id refuses the whole request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from lienthong.bus import Bus, UnknownTopic, dlq_topic
from lienthong.clock import Clock, utc_now
from lienthong.events import RawMessage
from lienthong.ops.actions import (
    ActorLike,
    action_event,
    check_actor,
    checked_reason,
    discarded,
    replayed,
    required_reason,
    settlement_of,
    settlements,
)
from lienthong.ops.dead_letters import (
    AlreadySettled,
    DeadLetter,
    DeadLetterError,
    DeadLetterId,
    Settlement,
    UnknownDeadLetter,
    read_dead_letter,
    strip_dead_letter_headers,
)
from lienthong.schemas.operator import DeadLetterReplayed
from lienthong.topics import OPERATOR_ACTIONS

DEFAULT_PACE_PER_S = 50.0
"""Replays are paced so that a backlog of thousands does not hit a recovering downstream
(an agency's system that just came back) all at once."""

_RECHECK_S = 1.0

REPLAY_OF = "lienthong.replay.of"
"""Header of a record put back by a replay: the id of the dead letter it came from. Consumers
that dedupe by event id need not look at it; the notary chains such a record as a replay of its
event, not as the event again."""

ReplayProgress = Callable[[DeadLetter, int, int], None]
"""Told after each record put back: the letter (now replayed), how many are done, of how many."""


@dataclass(frozen=True)
class ReplayReport:
    """The dead letters a replay put back, as they now stand (replayed, with the action that
    says by whom); in a dry run, the pending ones it would put back."""

    letters: tuple[DeadLetter, ...]
    dry_run: bool

    @property
    def count(self) -> int:
        return len(self.letters)

    @property
    def actions(self) -> tuple[DeadLetterReplayed, ...]:
        return tuple(
            letter.settled_by
            for letter in self.letters
            if isinstance(letter.settled_by, DeadLetterReplayed)
        )


@dataclass(frozen=True)
class _Entry:
    letter: DeadLetter
    record: RawMessage  # unmasked: stays inside the book


class DeadLetterBook:
    """Dead letters of every consumer group of one environment (one bus)."""

    def __init__(self, bus: Bus, *, source: str = "/ops", clock: Clock = utc_now) -> None:
        self._bus = bus
        self._source = source
        self._clock = clock
        self._actions_topic_ready = False

    async def groups(self) -> list[str]:
        """Consumer groups that have a dead-letter topic (created at their first letter)."""
        snapshot = await self._bus.offsets()
        prefix = dlq_topic("")
        return sorted(t[len(prefix) :] for t in snapshot.ends if t.startswith(prefix))

    async def letters(
        self, group: str | None = None, include_settled: bool = False
    ) -> list[DeadLetter]:
        """Pending dead letters of `group` (of every group if None), oldest first per
        partition; with `include_settled`, the replayed and discarded ones too."""
        groups = [group] if group is not None else await self.groups()
        entries = await self._read(groups)
        return [e.letter for e in entries if include_settled or e.letter.pending]

    async def letter(self, id: str) -> DeadLetter:
        """One dead letter, settled or not."""
        (entry,) = await self._resolve([id], pending_only=False)
        return entry.letter

    async def replay(
        self,
        ids: Sequence[str],
        actor: ActorLike,
        reason: str | None = None,
        *,
        dry_run: bool = False,
        pace_per_s: float = DEFAULT_PACE_PER_S,
        progress: ReplayProgress | None = None,
    ) -> ReplayReport:
        """Put the named pending dead letters back on their topics, at most `pace_per_s` a
        second, recording `operator.dead-letter-replayed` for each. A dry run checks the
        same and publishes nothing."""
        if not pace_per_s > 0:
            raise DeadLetterError(f"the pace must be above 0 records a second, not {pace_per_s}")
        check_actor(actor)
        checked_reason(reason)
        entries = await self._resolve(ids, pending_only=True)
        for entry in entries:
            strip_dead_letter_headers(entry.record)  # raises NotReplayable before any publish
        if dry_run:
            return ReplayReport(tuple(e.letter for e in entries), dry_run=True)
        replayed = await self._put_back(entries, actor, reason, pace_per_s, progress)
        return ReplayReport(replayed, dry_run=False)

    async def replay_group(
        self,
        group: str,
        actor: ActorLike,
        reason: str | None = None,
        *,
        dry_run: bool = False,
        pace_per_s: float = DEFAULT_PACE_PER_S,
        progress: ReplayProgress | None = None,
    ) -> ReplayReport:
        """`replay` of every pending dead letter of `group`."""
        ids = [letter.id for letter in await self.letters(group)]
        return await self.replay(
            ids, actor, reason, dry_run=dry_run, pace_per_s=pace_per_s, progress=progress
        )

    async def discard(self, ids: Sequence[str], actor: ActorLike, reason: str) -> list[DeadLetter]:
        """Record that the named pending dead letters are not to be replayed, and why;
        returns them as they now stand (discarded, with the action)."""
        check_actor(actor)
        required_reason(reason)
        entries = await self._resolve(ids, pending_only=True)
        at = self._clock()
        actions = [discarded(e.letter, actor, reason, at) for e in entries]
        await self._record(actions)
        return [e.letter.settled(action) for e, action in zip(entries, actions, strict=True)]

    # --- inside ----------------------------------------------------------------------

    async def _put_back(
        self,
        entries: list[_Entry],
        actor: ActorLike,
        reason: str | None,
        pace_per_s: float,
        progress: ReplayProgress | None,
    ) -> tuple[DeadLetter, ...]:
        loop = asyncio.get_running_loop()
        started, done = loop.time(), []
        checked, recorded = loop.time(), {}
        for index, entry in enumerate(entries):
            delay = started + index / pace_per_s - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if loop.time() - checked >= _RECHECK_S:
                # A long replay looks again, once a second, at what others settled meanwhile
                # (another console, `lienthong dlq`): a letter they replayed or discarded is
                # not put back again. Within that second two tools can still both act.
                recorded, checked = await settlements(self._bus), loop.time()
            if settlement_of(entry.letter, recorded.get(entry.letter.id, ())) is not None:
                continue
            action = replayed(entry.letter, actor, reason, self._clock())
            await self._bus.publish_raw([_replayed(entry)])
            await self._record([action])
            done.append(entry.letter.settled(action))
            if progress is not None:
                progress(done[-1], index + 1, len(entries))
        return tuple(done)

    async def _record(self, actions: Iterable[Settlement]) -> None:
        events = [action_event(action, self._source) for action in actions]
        if not events:
            return
        if not self._actions_topic_ready:  # the Host creates it; a CLI may come first
            await self._bus.ensure_topics({OPERATOR_ACTIONS: 1})
            self._actions_topic_ready = True
        await self._bus.publish(OPERATOR_ACTIONS, *events)

    async def _read(self, groups: Iterable[str]) -> list[_Entry]:
        recorded = await settlements(self._bus)
        entries = []
        for group in groups:
            try:
                records = await self._bus.read_topic(dlq_topic(group))
            except UnknownTopic:
                continue  # no dead letter yet
            for record in sorted(records, key=lambda r: (r.partition, r.offset)):
                letter = read_dead_letter(group, record)
                action = settlement_of(letter, recorded.get(letter.id, ()))
                entries.append(_Entry(letter.settled(action), record))
        return entries

    async def _resolve(self, ids: Sequence[str], *, pending_only: bool) -> list[_Entry]:
        wanted = list(dict.fromkeys(str(DeadLetterId.parse(i)) for i in ids))
        groups = dict.fromkeys(DeadLetterId.parse(i).group for i in wanted)
        found = {e.letter.id: e for e in await self._read(groups)}
        entries = []
        for id in wanted:
            entry = found.get(id)
            if entry is None:
                raise UnknownDeadLetter(f"no dead letter {id} in {DeadLetterId.parse(id).topic}")
            if pending_only and not entry.letter.pending:
                raise AlreadySettled(_settled_text(entry.letter))
            entries.append(entry)
        return entries


def _replayed(entry: _Entry) -> RawMessage:
    """The record a replay puts back: the original, marked as replayed from this letter (a
    letter that failed again after a replay is marked afresh, once)."""
    original = strip_dead_letter_headers(entry.record)
    kept = tuple(h for h in original.headers if h[0] != REPLAY_OF)
    return replace(original, headers=(*kept, (REPLAY_OF, entry.letter.id.encode())))


def _settled_text(letter: DeadLetter) -> str:
    action = letter.settled_by
    assert action is not None
    return (
        f"dead letter {letter.id} was already {letter.state} by {action.actor} "
        f"at {action.at.isoformat(timespec='seconds')}"
    )
