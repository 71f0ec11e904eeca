"""Composition root of the survey service.

Citizens rate every step and every unit; the city sees its service quality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter

from lienthong.bus import Handler
from lienthong.clock import Clock, utc_now
from lienthong.runtime import Periodic, ServiceContext, ServiceSpec
from lienthong.topics import DOSSIER_EVENTS
from lienthong_survey import record
from lienthong_survey.answers import Answers
from lienthong_survey.api import build_api, build_stats_api
from lienthong_survey.invitations import Invitations
from lienthong_survey.limits import WindowLimiter
from lienthong_survey.pages import build_pages
from lienthong_survey.projection import DOSSIERS, PROJECTIONS, DossierProjection
from lienthong_survey.questions import load_evaluation, load_question_set
from lienthong_survey.settings import SurveySettings
from lienthong_survey.statistics import Statistics
from lienthong_survey.web import SurveyWeb, templates

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def handler_table(
    projection: DossierProjection, invitations: Invitations, answers: Answers
) -> Mapping[str, Sequence[Handler]]:
    """Event type → handlers: the survey's one table. Folds run first, so the invitation and
    the answer handlers see the dossier's record up to date."""
    fold = projection.fold
    return {
        "dossier.submitted": [fold(record.submitted)],
        "dossier.received": [fold(record.received), invitations.register_on_receipt],
        "dossier.supplement-requested": [fold(record.supplement_requested)],
        "dossier.step-opened": [fold(record.step_opened)],
        "dossier.step-completed": [fold(record.step_completed), invitations.invite_after_step],
        "dossier.step-transferred": [fold(record.step_transferred)],
        "dossier.clock-resumed": [fold(record.clock_resumed)],
        "dossier.apology-issued": [fold(record.apology_issued)],
        "dossier.result-ready": [fold(record.result_ready)],
        "dossier.result-handed-over": [fold(record.result_handed_over)],
        "dossier.completed": [fold(record.completed), invitations.invite_on_completion],
        "survey.invited": [fold(record.invited), invitations.record_reminder],
        "survey.answered": [fold(record.answered), answers.record_answer],
    }


def build(
    context: ServiceContext, settings: SurveySettings | None = None, clock: Clock = utc_now
) -> ServiceSpec:
    """Wire the survey service from the runtime's context (its one composition root)."""
    config = settings or SurveySettings()
    key = context.settings.token_key.get_secret_value().encode()
    questions, evaluation = load_question_set(), load_evaluation()
    projection = DossierProjection(context.cached(DOSSIERS))
    invitations = Invitations(context.store, context.bus, projection, questions, config, key, clock)
    answers = Answers(
        context.store, context.bus, projection, invitations, questions, config, key, clock
    )
    web = SurveyWeb(
        answers=answers,
        invitations=invitations,
        statistics=Statistics(projection, questions, evaluation),
        questions=questions,
        settings=config,
        runtime=context.settings,
        answer_limiter=WindowLimiter(config.answers_per_client, config.client_window_s),
        lookup_limiter=WindowLimiter(config.lookups_failed_per_client, config.client_window_s),
        pages=templates(),
    )
    router = APIRouter()
    # The fixed paths (stats, export, dashboard) before `/v1/surveys/{token}`.
    for part in (build_stats_api(web), build_pages(web), build_api(web)):
        router.include_router(part)
    # Replicas started together do not sweep in lockstep.
    sweep = Periodic(
        "survey-reminders", config.reminder_sweep_s, invitations.send_due_reminders, jitter=0.1
    )
    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=router,
        consumes=[DOSSIER_EVENTS],
        handlers=handler_table(projection, invitations, answers),
        projections=PROJECTIONS,
        setup=[projection.prepare, invitations.prepare, answers.prepare],
        on_start=[sweep.start],
        on_stop=[sweep.stop],
    )
