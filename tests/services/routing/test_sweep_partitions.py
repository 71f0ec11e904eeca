"""Which partitions a replica sweeps: configured ones, else those its consumer owns."""

from __future__ import annotations

from lienthong.bus import InMemoryBus, Subscription
from lienthong.events import Event
from lienthong.store import InMemoryStore
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.app import Routing
from lienthong_routing.repository import WorkflowRepository
from tests.services.routing.helpers import RULES, at
from tests.support import eventually

MONDAY = at("2026-03-09T09:00:00+07:00")


async def routing_on(bus: InMemoryBus, owned: list[int] | None = None) -> Routing:
    repository = WorkflowRepository(InMemoryStore(), 4)
    return Routing(RULES, repository, bus, lambda: MONDAY, 60.0, owned, group="routing")


async def test_without_a_live_consumer_every_partition_is_swept() -> None:
    bus = InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 4})
    routing = await routing_on(bus)
    assert routing._partitions_to_sweep() is None  # the repository reads None as "all"


async def test_a_live_consumer_sweeps_what_it_owns_and_configuration_wins() -> None:
    bus = InMemoryBus()
    await bus.ensure_topics({DOSSIER_EVENTS: 4})
    await bus.start()

    async def ignore(_event: Event) -> None:
        return None

    bus.subscribe(Subscription("routing", [DOSSIER_EVENTS], ignore))
    routing = await routing_on(bus)
    await eventually(lambda: routing._partitions_to_sweep() == {0, 1, 2, 3}, what="ownership")
    assert (await routing_on(bus, [2]))._partitions_to_sweep() == [2]
    await bus.stop()
