"""Owning send attempts: two workers never both send a message; a dead worker's attempt is
taken over after the lease (in memory: the store port's in-memory adapter, no Kafka)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from lienthong.bus import InMemoryBus
from lienthong.events.codec import decode
from lienthong.store import Document, InMemoryStore
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notify.announce import Announcer
from lienthong_notify.api import ReceiptIn, record_receipt
from lienthong_notify.dispatcher import Dispatcher, DispatchPolicy
from lienthong_notify.outbox import NOTIFICATIONS, SEND_CLAIMS, Outbox
from lienthong_notify.providers import FailoverChannel, Outgoing, Provider, RateLimiter

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


class CountingProvider(Provider):
    channel = "sms"

    def __init__(self) -> None:
        super().__init__("counting", RateLimiter(1000, 1000))
        self.references: list[str] = []

    async def _send(self, message: Outgoing) -> str:
        await asyncio.sleep(0.01)  # long enough for the other worker to try
        self.references.append(message.reference)
        return f"id-{len(self.references)}"


def message(nid: str = "n-1") -> Document:
    return {
        "_id": nid,
        "dossier_id": "d-1",
        "code": "C-1",
        "channel": "sms",
        "trigger": "dossier.received",
        "trigger_id": "e-1",
        "template": "receipt@1",
        "reference": nid,
        "recipient": "0900000000",
        "text": "Hồ sơ C-1 đã được tiếp nhận.",
        "status": "queued",
        "attempts": 0,
        "created_at": NOW,
        "due_at": NOW,
    }


def outbox(store: InMemoryStore) -> Outbox:
    return Outbox(
        store.collection(NOTIFICATIONS), store.collection(SEND_CLAIMS), store.collection("marks")
    )


async def test_one_attempt_has_one_owner() -> None:
    box = outbox(InMemoryStore())
    await box.add(message())
    snapshot = await box.get("n-1")
    assert snapshot is not None
    owners = await asyncio.gather(*(box.begin_attempt(snapshot, NOW, LEASE) for _ in range(3)))
    assert sorted(owners, key=str) == [1, None, None]


async def test_a_dead_workers_attempt_is_taken_over_after_the_lease() -> None:
    box = outbox(InMemoryStore())
    await box.add(message())
    snapshot = await box.get("n-1")
    assert snapshot is not None
    assert await box.begin_attempt(snapshot, NOW, LEASE) == 1  # ... and the worker dies
    assert await box.begin_attempt(snapshot, NOW + LEASE / 2, LEASE) is None
    assert await box.begin_attempt(snapshot, NOW + LEASE * 2, LEASE) == 2


async def test_a_stale_snapshot_of_a_sent_message_sends_nothing() -> None:
    box = outbox(InMemoryStore())
    await box.add(message())
    stale = await box.get("n-1")
    assert stale is not None
    assert await box.begin_attempt(stale, NOW, LEASE) == 1
    await box.set_status("n-1", "sent", NOW, {"attempts": 1})
    # Long after: the claim of attempt 1 looks stale, but the message says it was sent.
    assert await box.begin_attempt(stale, NOW + LEASE * 2, LEASE) is None


async def test_two_dispatchers_on_one_store_send_a_message_once() -> None:
    store, bus = InMemoryStore(), InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    box = outbox(store)
    await box.add(message())
    provider = CountingProvider()
    policy = DispatchPolicy(3, 0.01, 0.01, 60, 0.05, 10, 4)
    replicas = [
        Dispatcher(
            box, {"sms": FailoverChannel([provider])}, Announcer(bus, box), policy, lambda: NOW
        )
        for _ in range(2)
    ]
    for replica in replicas:
        await replica.start()
        replica.submit(message())
    for _ in range(100):
        stored = await box.get("n-1")
        if stored is not None and stored["status"] == "sent":
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)  # several more polls of both replicas
    for replica in replicas:
        await replica.stop()
    assert provider.references == ["n-1"]
    stored = await box.get("n-1")
    assert stored is not None
    assert (stored["status"], stored["attempts"], stored["provider"]) == ("sent", 1, "counting")


async def test_a_message_is_not_due_before_its_queued_event_is_on_the_bus() -> None:
    """Notify killed between queueing a message and announcing it: the sweep of due messages
    after the restart must not send it first (the citizen would get a message the dossier's
    timeline never shows queued); the redelivered trigger or the announcer's sweep announces
    it, and then it is due."""
    store, bus = InMemoryStore(), InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    box = outbox(store)
    queued = {**message("n-1"), "changed_at": NOW, "unannounced": True}
    await box.add(queued)  # ... and the process dies before announcing it
    await box.add(message("n-2"))  # announced before
    assert [doc["_id"] for doc in await box.due(NOW, 10, set())] == ["n-2"]
    assert await Announcer(bus, box, grace_s=0).sweep(NOW + timedelta(seconds=1)) == 1
    assert sorted(doc["_id"] for doc in await box.due(NOW, 10, set())) == ["n-1", "n-2"]
    (announced,) = await bus.read_topic(DOSSIER_EVENTS)
    assert announced.key == b"d-1"


async def test_a_slow_announcement_does_not_clear_the_flag_of_a_later_status() -> None:
    """The sweep read a message while it was queued; before it got to mark it announced, the
    message was sent and its `sent` event was not published yet (the worker killed). The
    sweep's mark must leave `sent` unannounced, so a later sweep still publishes it."""
    store, bus = InMemoryStore(), InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    box = outbox(store)
    await box.add({**message("n-1"), "changed_at": NOW, "unannounced": True})
    (stale,) = await box.unannounced(NOW + timedelta(seconds=10))
    await box.set_status("n-1", "sent", NOW, {"attempts": 1, "provider": "p"})  # ... killed
    await Announcer(bus, box).publish(stale)  # the slow sweep's queued event and mark
    stored = await box.get("n-1")
    assert stored is not None
    assert (stored["status"], stored["unannounced"]) == ("sent", True)
    assert await Announcer(bus, box, grace_s=0).sweep(NOW + timedelta(seconds=1)) == 1
    types = [decode(record).type for record in await bus.read_topic(DOSSIER_EVENTS)]
    assert types == ["dossier.notification-queued", "dossier.notification-sent"]


async def test_a_message_whose_event_cannot_be_built_holds_up_no_other() -> None:
    store, bus = InMemoryStore(), InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    box = outbox(store)
    broken = {**message("n-0"), "changed_at": NOW, "unannounced": True, "status": "sent"}
    await box.add(broken)  # `sent` without its provider: no event can be built of it
    await box.add({**message("n-1"), "changed_at": NOW, "unannounced": True})
    assert await Announcer(bus, box, grace_s=0).sweep(NOW + timedelta(seconds=1)) == 1
    (announced,) = [decode(record) for record in await bus.read_topic(DOSSIER_EVENTS)]
    assert announced.data["notification_id"] == "n-1"
    assert [doc["_id"] for doc in await box.due(NOW, 10, set())] == ["n-1"]
    assert await Announcer(bus, box, grace_s=0).sweep(NOW + timedelta(seconds=2)) == 0
    assert (await box.get("n-0") or {})["unannounced"] == "unannounceable"  # out of the sweep


async def test_a_queued_message_whose_event_cannot_be_built_is_never_sent() -> None:
    store, bus = InMemoryStore(), InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    box = outbox(store)
    broken = {**message("n-0"), "changed_at": NOW, "unannounced": True}
    del broken["template"]
    await box.add(broken)
    assert await Announcer(bus, box, grace_s=0).sweep(NOW + timedelta(seconds=1)) == 0
    assert await box.due(NOW, 10, set()) == []
    assert await bus.read_topic(DOSSIER_EVENTS) == []


async def test_a_receipt_for_a_send_not_yet_announced_announces_the_send_first() -> None:
    """The worker recorded `sent` and died before publishing it; the gateway's receipt comes
    before the sweep: the dossier's stream still tells the send, then the delivery."""
    store, bus = InMemoryStore(), InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 1})
    box = outbox(store)
    await box.add({**message("n-1"), "changed_at": NOW, "unannounced": False})
    await box.set_status("n-1", "sent", NOW, {"attempts": 1, "provider": "alpha"})
    receipt = ReceiptIn(client_ref="n-1", status="delivered")
    assert await record_receipt(box, Announcer(bus, box), "alpha", receipt, NOW) == "delivered"
    types = [decode(record).type for record in await bus.read_topic(DOSSIER_EVENTS)]
    assert types == ["dossier.notification-sent", "dossier.notification-delivered"]


async def test_an_opt_out_does_not_turn_a_message_sent_meanwhile_into_suppressed() -> None:
    box = outbox(InMemoryStore())
    await box.add({**message("n-1"), "changed_at": NOW})
    await box.set_status("n-1", "sent", NOW, {"attempts": 1, "provider": "alpha"})
    stale_queued = [{**message("n-1")}]

    async def stale_find(*_args: object, **_kwargs: object) -> list[Document]:
        return stale_queued  # what the opt-out read before the send was recorded

    box.messages.find = stale_find  # type: ignore[method-assign]
    await box.suppress_queued("d-1", NOW)
    assert (await box.get("n-1") or {})["status"] == "sent"
