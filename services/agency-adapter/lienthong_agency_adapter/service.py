"""Composition root of the agency-adapter service.

Delivers tasks from agency.tasks.<agency> to each agency's own or legacy system (REST, SOAP,
webhook, inbox pull, manual) and brings results back as events.
"""

from __future__ import annotations

import structlog

from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.runtime.health import HealthReporter
from lienthong.runtime.service import Hook
from lienthong_agency_adapter.adapter import AgencyAdapter
from lienthong_agency_adapter.api import build_router
from lienthong_agency_adapter.config import AdapterSettings, load_agencies
from lienthong_agency_adapter.recorder import SOURCE
from lienthong_agency_adapter.simulators.embedded import SYSTEMS, EmbeddedSimulators

log = structlog.get_logger("lienthong.agency_adapter")

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the agency-adapter service from the runtime's context (its one composition root)."""
    settings = AdapterSettings()
    book = load_agencies(settings.agencies_file)
    # Unset: the simulators run when the agencies file names them (the shipped demo file
    # does; a city's own file does not), so the README's commands work on real parts too.
    names_simulators = any(agency.simulator for agency in book.agencies)
    simulated = names_simulators if settings.simulators is None else settings.simulators
    simulators = EmbeddedSimulators(settings.simulator_answer_delay_s) if simulated else None
    adapter = AgencyAdapter(context, settings, book)
    topics = [agency.topic for agency in book.agencies]
    reporter = HealthReporter(
        context.bus,
        service=context.name,
        source=SOURCE,
        instance=context.settings.instance_id,
        interval_s=settings.health_interval_s,
        tally=adapter.tally,
        build=adapter.health_snapshot,
    )

    async def point_at_simulators() -> None:
        """Before the couriers: `{simulator:NAME}` endpoints → this process's simulators,
        started on free ports. Without simulators such an endpoint stops the start, rather
        than a delivery to whatever listens elsewhere. (Not at build: tools such as
        `lienthong topics create` build every service and start none.)"""
        try:
            book.check_simulators(SYSTEMS if simulators is not None else None)
        except ValueError as exc:  # the traceback follows; this line says what to change
            log.error("agencies_file_refused", reason=str(exc))
            raise
        if simulators is None:
            return
        await simulators.start()
        adapter.book = book.with_simulators(simulators.urls)

    # The health reporter after the couriers (it reads their circuits), stopped before them.
    on_start: list[Hook] = [point_at_simulators, adapter.start, reporter.start]
    on_stop: list[Hook] = [reporter.stop, adapter.stop]
    if simulators is not None:
        on_stop.append(simulators.stop)
    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=build_router(adapter),
        consumes=topics,
        handlers={"agency.task-assigned": [adapter.accept_task]},
        topics={topic: context.settings.agency_task_partitions for topic in topics},
        setup=[adapter.outbox.prepare],
        on_start=on_start,
        on_stop=on_stop,
    )
