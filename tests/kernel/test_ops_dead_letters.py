"""The dead-letter book on both buses: ids, listing, masking, replay, discard, the record."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from lienthong.bus import Bus, InMemoryBus, PermanentError, Subscription, UnknownTopic, dlq_topic
from lienthong.events import Event, RawMessage, decode, new_event
from lienthong.ops import (
    OPERATOR_ACTIONS,
    Actor,
    AlreadySettled,
    DeadLetter,
    DeadLetterBook,
    DeadLetterDiscarded,
    DeadLetterError,
    DeadLetterId,
    DeadLetterReplayed,
    InvalidDeadLetterId,
    ReasonRequired,
    UnknownDeadLetter,
)
from lienthong.ops.actions import action_event
from lienthong.ops.book import REPLAY_OF
from lienthong.settings import Settings
from lienthong.topics import core_topics
from tests.kernel.conftest import BusWorld
from tests.support import eventually

TOPIC = "dossier.events"
GROUP = "intake-tracking"  # a group name with '-' in it, as real ones have
OPERATOR = Actor("officer-42", "operator")
ID_NUMBER, PHONE, NAME = "079203001234", "0912345678", "Nguyễn Văn A"


@dataclass
class Failing:
    """A consumer group whose handler refuses everything until healed."""

    healed: bool = False
    handled: list[str] = field(default_factory=list)

    async def __call__(self, event: Event) -> None:
        if not self.healed:
            raise PermanentError(f"downstream refused dossier of {ID_NUMBER}")
        self.handled.append(event.subject)


def submitted(subject: str) -> Event:
    applicant = {"full_name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "ward_code": "26743"}
    applicant |= {"email": "an@example.vn", "contact_channel": "sms"}
    form = {"note": f"call {PHONE} or CCCD {ID_NUMBER}", "purpose": "birth"}
    fact = {"procedure": "1.001193", "channel": "online", "ward_code": "26743"}
    data = {**fact, "applicant": applicant, "form": form}
    return new_event("dossier.submitted", subject, data, source="/tests")


async def dead_letters(bus: Bus, count: int) -> list[RawMessage]:
    for _ in range(600):
        try:
            records = await bus.read_topic(dlq_topic(GROUP))
        except UnknownTopic:
            records = []
        if len(records) >= count:
            return records
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} dead letters expected")


async def failing_group(bus: Bus, subjects: list[str], malformed: bool = False) -> Failing:
    """`subjects` dead-lettered by a live consumer group (and one garbage record)."""
    await bus.ensure_topics({TOPIC: 2})
    handler = Failing()
    bus.subscribe(Subscription(GROUP, [TOPIC], handler))
    await bus.publish(TOPIC, *[submitted(s) for s in subjects])
    if malformed:
        await bus.publish_raw([RawMessage(TOPIC, b"D-bad", f"garbage {ID_NUMBER}".encode())])
    await dead_letters(bus, len(subjects) + malformed)
    return handler


def _headers(record: RawMessage) -> list[tuple[str, bytes]]:
    return [(name, value) for name, value in record.headers]


async def records_of(bus: Bus, topic: str) -> list[RawMessage]:
    try:
        return await bus.read_topic(topic)
    except UnknownTopic:
        return []


# --- ids ---------------------------------------------------------------------------------


def test_the_host_creates_the_operator_actions_topic_with_one_partition() -> None:
    assert core_topics(Settings())[OPERATOR_ACTIONS] == 1


def test_an_id_is_the_place_in_the_dead_letter_topic_and_parses_back() -> None:
    place = DeadLetterId.parse("agency-adapter-3-1207")
    assert place == DeadLetterId("agency-adapter", 3, 1207)
    assert str(place) == "agency-adapter-3-1207"
    assert place.topic == "dlq.agency-adapter"


@pytest.mark.parametrize(
    "text", ["", "intake", "intake-1", "-1-2", "intake-x-2", "intake-1-", "intake-01-2", "a/b-1-2"]
)
def test_a_malformed_id_is_refused_clearly(text: str) -> None:
    with pytest.raises(InvalidDeadLetterId, match="dead-letter id"):
        DeadLetterId.parse(text)
    assert issubclass(InvalidDeadLetterId, ValueError)


# --- reading -----------------------------------------------------------------------------


async def test_ids_are_stable_across_reads_and_processes(world: BusWorld) -> None:
    bus = await world.member()
    await failing_group(bus, ["D1", "D2"], malformed=True)
    first = await DeadLetterBook(bus).letters(GROUP)
    again = await DeadLetterBook(await world.member()).letters(GROUP)
    assert [letter.id for letter in first] == [letter.id for letter in again]
    assert len({letter.id for letter in first}) == 3
    for letter in first:
        assert DeadLetterId.parse(letter.id) == DeadLetterId(GROUP, letter.partition, letter.offset)
    assert GROUP in await DeadLetterBook(bus).groups()


async def test_a_letter_shows_its_error_origin_and_a_masked_payload(world: BusWorld) -> None:
    bus = await world.member()
    await failing_group(bus, ["D1"], malformed=True)
    letters = {letter.subject: letter for letter in await DeadLetterBook(bus).letters()}
    failed, garbage = letters["D1"], letters["D-bad"]

    original = next(r for r in await bus.read_topic(TOPIC) if r.key == b"D1")
    assert failed.origin == f"{TOPIC}:{original.partition}@{original.offset}"
    assert (failed.error_type, failed.attempts, failed.state) == ("PermanentError", 1, "pending")
    assert failed.error_message == "downstream refused dossier of ************"
    assert failed.event_type == "dossier.submitted"
    assert failed.event_id == decode(original).id
    assert isinstance(failed.failed_at, datetime)
    applicant = failed.masked_payload["applicant"]
    assert applicant["full_name"] == applicant["id_number"] == applicant["phone"] == "***"
    assert applicant["ward_code"] == "26743"
    # A form's answers are masked whatever their keys (names, addresses, dates of birth are
    # form fields), its structure is shown.
    assert set(failed.masked_payload["form"].values()) == {"***"}
    shown = repr(failed) + repr(garbage)
    for personal in (ID_NUMBER, PHONE, NAME):
        assert personal not in shown

    assert (garbage.error_type, garbage.event_id, garbage.event_type) == (
        "MalformedEvent",
        None,
        None,
    )
    assert garbage.masked_payload == "b'garbage ************'"


# --- replay --------------------------------------------------------------------------------


async def test_a_dry_run_shows_what_would_be_replayed_and_publishes_nothing(
    world: BusWorld,
) -> None:
    bus = await world.member()
    handler = await failing_group(bus, ["D1", "D2"])
    before = len(await bus.read_topic(TOPIC))
    report = await DeadLetterBook(bus).replay_group(GROUP, OPERATOR, dry_run=True)
    assert (report.dry_run, report.count, report.actions) == (True, 2, ())
    assert {letter.subject for letter in report.letters} == {"D1", "D2"}
    assert len(await bus.read_topic(TOPIC)) == before
    assert await records_of(bus, OPERATOR_ACTIONS) == []
    assert len(await DeadLetterBook(bus).letters(GROUP)) == 2
    assert handler.handled == []


async def test_a_replay_puts_the_record_back_and_records_who_did_it(world: BusWorld) -> None:
    bus = await world.member()
    handler = await failing_group(bus, ["D1", "D2"])
    book = DeadLetterBook(bus, source="/tests")
    (letter, other) = await book.letters(GROUP)
    handler.healed = True
    report = await book.replay([letter.id], OPERATOR, "agency fixed", pace_per_s=1000)
    assert [(done.id, done.state) for done in report.letters] == [(letter.id, "replayed")]
    assert [a.dead_letter for a in report.actions] == [letter.id]
    await eventually(lambda: handler.handled == [letter.subject], what="the replayed record")

    dead = next(r for r in await bus.read_topic(dlq_topic(GROUP)) if r.offset == letter.offset)
    copies = [r for r in await bus.read_topic(TOPIC) if (r.key, r.value) == (dead.key, dead.value)]
    original, replayed = sorted(copies, key=lambda r: r.offset)
    assert original.offset == letter.original_offset
    marked = (REPLAY_OF, letter.id.encode())  # the one header added: the notary reads it
    assert _headers(replayed) == [*_headers(original), marked]
    assert not any(name.startswith("dlq.") for name, _ in _headers(replayed))
    assert decode(replayed).id == letter.event_id, "the same event, so consumers can dedupe"

    (action_record,) = await bus.read_topic(OPERATOR_ACTIONS)
    assert action_record.key == letter.id.encode()
    assert decode(action_record).type == "operator.dead-letter-replayed"
    action = DeadLetterReplayed.model_validate(decode(action_record).data)
    assert (action.actor, action.actor_role, action.reason) == (
        "officer-42",
        "operator",
        "agency fixed",
    )
    assert (action.group, action.original_topic, action.original_offset) == (
        GROUP,
        TOPIC,
        letter.original_offset,
    )
    assert (action.original_event_type, action.event_id) == ("dossier.submitted", letter.event_id)
    assert decode(action_record).source == "/tests"

    later = DeadLetterBook(await world.member())  # another process, another operator
    assert [pending.id for pending in await later.letters(GROUP)] == [other.id]
    settled = {s.id: s for s in await later.letters(GROUP, include_settled=True)}
    assert settled[letter.id].state == "replayed"
    assert settled[letter.id].settled_by == action


async def test_a_settled_or_unknown_letter_is_refused_and_nothing_is_published(
    world: BusWorld,
) -> None:
    bus = await world.member()
    handler = await failing_group(bus, ["D1", "D2"])
    handler.healed = True  # the replayed record is not dead-lettered again
    book = DeadLetterBook(bus)
    first, second = await book.letters(GROUP)
    await book.replay([first.id], OPERATOR, pace_per_s=1000)
    published = len(await bus.read_topic(TOPIC)), len(await bus.read_topic(OPERATOR_ACTIONS))

    with pytest.raises(
        AlreadySettled, match=f"{first.id} was already replayed by officer-42"
    ) as refused:
        await book.replay([second.id, first.id], OPERATOR, pace_per_s=1000)
    assert (refused.value.kind, refused.value.status) == ("dead-letter-already-settled", 409)
    with pytest.raises(AlreadySettled):
        await book.discard([first.id], OPERATOR, "not needed")
    with pytest.raises(UnknownDeadLetter, match=f"no dead letter {GROUP}-0-999 in dlq.{GROUP}"):
        await book.replay([second.id, f"{GROUP}-0-999"], OPERATOR, pace_per_s=1000)
    with pytest.raises(UnknownDeadLetter):
        await book.replay(["nobody-0-0"], OPERATOR, pace_per_s=1000)
    with pytest.raises(DeadLetterError, match="pace"):
        await book.replay([second.id], OPERATOR, pace_per_s=0)
    assert (len(await bus.read_topic(TOPIC)), len(await bus.read_topic(OPERATOR_ACTIONS))) == (
        published
    )
    assert [letter.id for letter in await book.letters(GROUP)] == [second.id]


async def test_discarding_needs_a_reason_and_the_letter_is_offered_no_more(
    world: BusWorld,
) -> None:
    bus = await world.member()
    handler = await failing_group(bus, ["D1", "D2"])
    handler.healed = True
    book = DeadLetterBook(bus)
    first, second = await book.letters(GROUP)
    for blank in ("", "   "):
        with pytest.raises(ReasonRequired):
            await book.discard([first.id], OPERATOR, blank)
    assert await records_of(bus, OPERATOR_ACTIONS) == []

    (gone,) = await book.discard([first.id], OPERATOR, "  duplicate of D2  ")
    assert (gone.id, gone.state) == (first.id, "discarded")
    assert isinstance(gone.settled_by, DeadLetterDiscarded)
    assert (gone.settled_by.reason, gone.settled_by.actor) == ("duplicate of D2", "officer-42")
    again = DeadLetterBook(await world.member())
    assert [letter.id for letter in await again.letters(GROUP)] == [second.id]
    report = await again.replay_group(GROUP, OPERATOR, pace_per_s=1000)
    assert [letter.id for letter in report.letters] == [second.id]
    assert await again.letters(GROUP) == []
    states = {letter.id: letter.state for letter in await again.letters(include_settled=True)}
    assert states == {first.id: "discarded", second.id: "replayed"}


# --- on the in-process bus alone -------------------------------------------------------------


async def test_a_replay_is_paced_and_tells_its_progress() -> None:
    bus = InMemoryBus()
    await bus.start()
    (await failing_group(bus, [f"D{n}" for n in range(5)])).healed = True
    seen: list[tuple[str, int, int]] = []

    def progress(letter: DeadLetter, done: int, total: int) -> None:
        seen.append((letter.id, done, total))

    started = time.monotonic()
    report = await DeadLetterBook(bus).replay_group(
        GROUP, OPERATOR, pace_per_s=20, progress=progress
    )
    assert time.monotonic() - started >= 4 / 20 * 0.9  # five records: four intervals
    assert [(done, total) for _, done, total in seen] == [(n, 5) for n in range(1, 6)]
    assert [id for id, _, _ in seen] == [letter.id for letter in report.letters]
    await bus.stop()


async def test_a_long_replay_passes_over_a_letter_another_tool_discarded_meanwhile() -> None:
    """A console job replays a group while an operator at the command line discards one of
    its later letters: that one is not put back."""
    bus = InMemoryBus()
    await bus.start()
    (await failing_group(bus, [f"D{n}" for n in range(8)])).healed = True
    letters = await DeadLetterBook(bus).letters(GROUP)
    last = letters[-1]
    job = asyncio.create_task(DeadLetterBook(bus).replay_group(GROUP, OPERATOR, pace_per_s=4))
    await asyncio.sleep(0.5)
    await DeadLetterBook(bus).discard([last.id], Actor("cli:root", "operator"), "duplicate")
    report = await job
    assert last.id not in {letter.id for letter in report.letters}
    assert len(report.letters) == len(letters) - 1
    states = {letter.id: letter.state for letter in await DeadLetterBook(bus).letters(GROUP, True)}
    assert states[last.id] == "discarded"
    await bus.stop()


async def test_an_action_on_a_letter_of_a_recreated_topic_does_not_settle_the_new_one() -> None:
    """A dead-letter topic deleted and created again starts its offsets at 0: an old action
    with the same id, about another record, must not hide the new letter."""
    bus = InMemoryBus()
    await bus.start()
    await failing_group(bus, ["D1"])
    book = DeadLetterBook(bus)
    (letter,) = await book.letters(GROUP)
    old = DeadLetterDiscarded(
        dead_letter=letter.id,
        group=GROUP,
        original_topic=TOPIC,
        original_partition=letter.original_partition,
        original_offset=(letter.original_offset or 0) + 100,
        original_event_type=None,
        event_id=None,
        actor="someone",
        actor_role="operator",
        at=datetime(2025, 7, 1, tzinfo=UTC),
        reason="another record, long ago",
    )
    await bus.ensure_topics({OPERATOR_ACTIONS: 1})
    await bus.publish(OPERATOR_ACTIONS, action_event(old, "/tests"))
    assert [pending.id for pending in await book.letters(GROUP)] == [letter.id]
    await bus.stop()


async def test_an_actor_needs_a_subject_and_a_role() -> None:
    bus = InMemoryBus()
    await bus.start()
    await failing_group(bus, ["D1"])
    book = DeadLetterBook(bus)
    (letter,) = await book.letters(GROUP)
    with pytest.raises(DeadLetterError, match="actor"):
        await book.replay([letter.id], Actor("", "operator"), dry_run=True)
    await bus.stop()
