"""What a service is, to the kernel: a spec built from a context.

Each service package exposes `build(context) -> ServiceSpec` under the entry-point group
`lienthong.services`; that function is the service's composition root. The kernel imports no
service: it discovers them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import structlog
from fastapi import APIRouter

from lienthong.bus import Bus, Handler, RecordHandler
from lienthong.events import Event
from lienthong.settings import Settings
from lienthong.store import Collection, InMemoryStore, Store
from lienthong.store.cache import CachedCollection

Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ServiceContext:
    """What the runtime hands a service's composition root."""

    name: str
    settings: Settings
    bus: Bus
    store: Store
    caches: list[CachedCollection] = field(default_factory=list)

    def cached(self, collection: str) -> Collection:
        """The service's collection behind a read-through cache of what its consumer wrote
        (`lienthong.store.cache`); the runtime forgets it whenever the group rebalances. The
        in-memory store has no round trips to save: its collection is given as it is."""
        if isinstance(self.store, InMemoryStore):
            return self.store.collection(collection)
        cache = CachedCollection(self.store.collection(collection))
        self.caches.append(cache)
        return cache

    def forget_cached(self) -> None:
        for cache in self.caches:
            cache.forget_all()


@dataclass
class ServiceSpec:
    """A service as the runtime runs it.

    `handlers` is the service's one visible table "event type → handlers" for the topics in
    `consumes`; the runtime subscribes a consumer group named after the service. Event types
    without handlers are skipped (they are other services' business).

    `records`, given instead of `handlers`, takes every record of `consumes` as it is (not
    decoded, not filtered by type, never dead-lettered: the notary, which must chain them all).

    `projections` names the collections that are pure projections of the consumed topics:
    `lienthong replay SERVICE` drops them and rebuilds them by feeding every event again
    through `handlers`.

    `setup` hooks are idempotent preparations of the service's store (indexes): run before
    `on_start` at every start, and before a replay. `on_start` hooks start background work.
    """

    name: str
    summary: str
    router: APIRouter | None = None
    consumes: Sequence[str] = ()
    handlers: Mapping[str, Sequence[Handler]] = field(default_factory=dict)
    records: RecordHandler | None = None
    topics: Mapping[str, int] = field(default_factory=dict)
    projections: Sequence[str] = ()
    setup: list[Hook] = field(default_factory=list)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)

    @property
    def group(self) -> str:
        return self.name

    async def dispatch(self, event: Event) -> None:
        for handler in self.handlers.get(event.type, ()):
            await handler(event)


ServiceFactory = Callable[[ServiceContext], ServiceSpec]

ENTRY_POINT_GROUP = "lienthong.services"


def discover() -> dict[str, ServiceFactory]:
    """Installed services by name, from package entry points."""
    found: dict[str, ServiceFactory] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[entry.name] = entry.load()
        except Exception as exc:  # a broken plugin must not take the others down
            structlog.get_logger("lienthong.runtime").error(
                "service_load_failed", service=entry.name, error=repr(exc)
            )
    return dict(sorted(found.items()))
