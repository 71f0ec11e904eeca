"""Dossier records folded from the hand-built histories (pure, no store)."""

from __future__ import annotations

from datetime import timedelta

from lienthong.events import Event, new_event
from lienthong.schemas.survey import Level, SurveyAnswered, SurveyInvited, SuspicionFlag
from lienthong_survey import record
from lienthong_survey.record import DossierRecord
from tests.services.survey.dossiers import SOURCE

FOLDS: dict[str, record.Fold] = {
    "dossier.submitted": record.submitted,
    "dossier.received": record.received,
    "dossier.supplement-requested": record.supplement_requested,
    "dossier.step-opened": record.step_opened,
    "dossier.step-completed": record.step_completed,
    "dossier.clock-resumed": record.clock_resumed,
    "dossier.apology-issued": record.apology_issued,
    "dossier.result-ready": record.result_ready,
    "dossier.result-handed-over": record.result_handed_over,
    "dossier.completed": record.completed,
    "survey.invited": record.invited,
    "survey.answered": record.answered,
}


def folded(events: list[Event]) -> DossierRecord:
    current = DossierRecord(dossier_id=events[0].subject)
    for event in events:
        current = FOLDS[event.type](current, event)
    return current


def invited(history: list[Event]) -> Event:
    done = history[-1]
    payload = SurveyInvited(
        code="X",
        link_path="/s/t",
        token_sha256=f"h-{done.subject}",
        question_set="2026.1",
        expires_at=done.time + timedelta(days=30),
        units=[],
    )
    return new_event(
        payload.event_type,
        done.subject,
        payload.model_dump(mode="json"),
        source=SOURCE,
        time=done.time,
    )


def answered(
    history: list[Event],
    overall: Level,
    units: dict[str, Level] | None = None,
    factors: dict[str, Level] | None = None,
    flags: list[SuspicionFlag] | None = None,
) -> Event:
    done = history[-1]
    payload = SurveyAnswered.model_validate(
        {
            "token_sha256": f"h-{done.subject}",
            "question_set": "2026.1",
            "overall": overall,
            "units": units or {},
            "factors": factors or {},
            "channel": "api",
            "device": "d1",
            "answered_at": done.time + timedelta(hours=1),
            "flags": flags or [],
        }
    )
    return new_event(
        payload.event_type, done.subject, payload.model_dump(mode="json"), source=SOURCE
    )
