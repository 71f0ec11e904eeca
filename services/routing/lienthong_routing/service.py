"""Composition root of the routing service.

Decides where every dossier goes next across wards, districts and city departments, and keeps
the statutory clock.
"""

from __future__ import annotations

from lienthong.clock import Clock, utc_now
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing import decisions as d
from lienthong_routing.app import Routing
from lienthong_routing.config import RoutingConfig
from lienthong_routing.http import routes
from lienthong_routing.reaction import Decider
from lienthong_routing.replay import catch_up
from lienthong_routing.repository import WORKFLOWS, WorkflowRepository
from lienthong_routing.rules import RoutingRules

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())

# The one table of "event type → what routing does about it". Routing's own facts and the
# deadline facts only change state (`record_fact`); folding them is what makes a replay of
# the stream rebuild the same state.
DECIDERS: dict[str, Decider] = {
    "dossier.received": d.route_dossier,
    "agency.result-returned": d.record_result,
    "agency.supplement-requested": d.ask_applicant,
    "dossier.supplement-provided": d.resume_clock,
    "dossier.withdrawn": d.withdraw_dossier,
    "dossier.processing-stopped": d.stop_processing,
    "dossier.step-overdue": d.apologise_for_delay,
    "dossier.step-transferred": d.reassign_step,
    "dossier.result-handed-over": d.hand_over_result,
    "dossier.routed": d.record_fact,
    "dossier.routing-failed": d.record_fact,
    "dossier.step-opened": d.record_fact,
    "dossier.step-completed": d.record_fact,
    "dossier.step-cancelled": d.record_fact,
    "dossier.clock-paused": d.record_fact,
    "dossier.clock-resumed": d.record_fact,
    "dossier.supplement-requested": d.record_fact,
    "dossier.deadline-approaching": d.record_fact,
    "dossier.apology-issued": d.record_fact,
    "dossier.result-ready": d.record_fact,
    "dossier.completed": d.record_fact,
    "dossier.refused": d.record_fact,
}


def compose(
    context: ServiceContext,
    clock: Clock = utc_now,
    config: RoutingConfig | None = None,
    rules: RoutingRules | None = None,
) -> tuple[ServiceSpec, Routing]:
    """Wire routing; tests pass a controllable clock and config."""
    config = config or RoutingConfig()
    rules = rules or RoutingRules.shipped(
        config.warning_working_days,
        config.apology_extension_working_days,
        context.settings.catalogue_dir,
    )
    repository = WorkflowRepository(
        context.store, context.settings.dossier_partitions, context.cached(WORKFLOWS)
    )
    routing = Routing(
        rules,
        repository,
        context.bus,
        clock,
        config.sweep_interval_s,
        config.owned_partitions,
        group=context.name,
    )

    async def fold_stream() -> int:
        dossiers = await catch_up(routing, DECIDERS)
        # It saved every dossier of the stream, not only those of partitions this replica's
        # consumer owns: what the cache would hold of the others is another member's to write.
        context.forget_cached()
        return dossiers

    async def start() -> None:
        await routing.start()
        await routing.ensure_caught_up()

    routing.catch_up = fold_stream

    partitions = context.settings.agency_task_partitions
    spec = ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=routes(routing),
        consumes=(DOSSIER_EVENTS,),
        handlers={event_type: (routing.on(decide),) for event_type, decide in DECIDERS.items()},
        topics={agency_tasks(agency): partitions for agency in sorted(rules.agencies())},
        projections=(repository.workflows.name, repository.open_steps.name, repository.alarms.name),
        setup=[repository.ensure_indexes],
        on_start=[start],
        on_stop=[routing.stop],
    )
    return spec, routing


def build(context: ServiceContext) -> ServiceSpec:
    """Wire the routing service from the runtime's context (its one composition root)."""
    return compose(context)[0]
