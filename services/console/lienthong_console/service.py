"""Composition root of the console service.

Operators watching the stream: live event tail, consumer lag, SLA board, dead letters and
replay, adapter health, charts.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from lienthong.clock import Clock, utc_now
from lienthong.ops import DeadLetterBook
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.topics import DOSSIER_EVENTS, OPERATOR_ACTIONS, OPS_HEALTH
from lienthong_console.api import build_api
from lienthong_console.config import ConsoleConfig
from lienthong_console.console import Console
from lienthong_console.pages import build_pages
from lienthong_console.projection import DOSSIERS, STEPS, ConsoleProjection
from lienthong_console.sampler import Sampler
from lienthong_console.tail import TailHub
from lienthong_console.views import ConsoleViews

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def compose(
    context: ServiceContext, config: ConsoleConfig | None = None, clock: Clock = utc_now
) -> tuple[ServiceSpec, Console]:
    """Wire the console; tests pass their own config and clock."""
    config = config or ConsoleConfig()
    dossiers = context.cached(DOSSIERS)
    steps = context.cached(STEPS)
    projection = ConsoleProjection(context.store, dossiers, steps)
    sampler = Sampler(
        context.bus,
        context.store,
        config.sample_interval_s,
        timedelta(hours=config.sample_retention_hours),
        clock,
    )
    console = Console(
        bus=context.bus,
        views=ConsoleViews(context.store, dossiers, steps, clock),
        sampler=sampler,
        tail=TailHub(context.bus, context.store.collection(DOSSIERS), config.stream_queue),
        book=DeadLetterBook(context.bus),
        config=config,
    )
    router = APIRouter()
    router.include_router(build_api(console))
    router.include_router(build_pages(console))
    spec = ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=router,
        consumes=(DOSSIER_EVENTS, OPS_HEALTH, OPERATOR_ACTIONS),
        handlers=projection.handlers(),
        # No `projections`: the chart counters are not documents a replay could drop, so a
        # replay would count everything twice. The read models are operational: see README.
        setup=[projection.setup, sampler.setup],
        on_start=[sampler.start],
        on_stop=[console.stop],
    )
    return spec, console


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the console service from the runtime's context (its one composition root)."""
    return compose(context)[0]
