"""Composition root of the agency-adapter service.

Delivers tasks from agency.tasks.<agency> to each agency's own or legacy system (REST, SOAP,
webhook, inbox pull, manual) and brings results back as events.
"""

from __future__ import annotations

from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.runtime.service import Hook
from lienthong_agency_adapter.adapter import AgencyAdapter
from lienthong_agency_adapter.api import build_router
from lienthong_agency_adapter.config import AdapterSettings, load_agencies
from lienthong_agency_adapter.simulators.embedded import EmbeddedSimulators

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the agency-adapter service from the runtime's context (its one composition root)."""
    settings = AdapterSettings()
    book = load_agencies(settings.agencies_file)
    adapter = AgencyAdapter(context, settings, book)
    topics = [agency.topic for agency in book.agencies]
    on_start: list[Hook] = [adapter.start]
    on_stop: list[Hook] = [adapter.stop]
    if settings.simulators or (settings.simulators is None and context.settings.embedded):
        simulators = EmbeddedSimulators(settings.simulator_answer_delay_s)
        on_start.append(simulators.start)
        on_stop.insert(0, simulators.stop)
    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=build_router(adapter),
        consumes=topics,
        handlers={"agency.task-assigned": [adapter.accept_task]},
        topics={topic: context.settings.agency_task_partitions for topic in topics},
        on_start=on_start,
        on_stop=on_stop,
    )
