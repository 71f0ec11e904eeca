"""Circular 01/2018 indicators of hand-computed dossiers (pure)."""

from __future__ import annotations

import pytest

from lienthong_survey.questions import load_evaluation, load_question_set
from lienthong_survey.scoring import dossier_indicators
from tests.services.survey.dossiers import on_time_online, overdue_counter
from tests.services.survey.scenarios import answered, folded, invited

QUESTIONS, EVALUATION = load_question_set(), load_evaluation()


def test_an_early_online_dossier_rated_through_its_officer() -> None:
    history = on_time_online("A")
    events = [
        *history,
        invited(history),
        answered(history, "very_satisfied", factors={"officer": "satisfied"}),
    ]
    found = dossier_indicators(folded(events), QUESTIONS, EVALUATION)

    assert found.total_timeliness == "early"  # returned 4 March, due 5 March 17:00
    assert found.total_hours == 54.0  # 2 March 09:00 → 4 March 15:00
    assert [(u.unit, u.hours, u.timeliness) for u in found.unit_use] == [
        ("U1", 25.0, "early"),
        ("U2", 25.0, "on_time"),
    ]
    assert (found.supplement_requests, found.contacts, found.units_contacted) == (0, 1, 1)
    assert found.one_stop
    assert found.online
    assert found.digitised
    assert found.attitude == "satisfied", "the SIPAS officer factor decides attitude"
    assert found.points == {
        "total_time": 2,
        "unit_time": 1,  # the slowest unit was on time
        "contacts": 2,
        "units_contacted": 2,
        "one_stop": 2,
        "attitude": 1,
        "online": 2,
    }
    assert found.score_18 == pytest.approx(15.43)  # 12 of 14 points, scaled to 18
    assert found.grade == "excellent"


def test_an_overdue_dossier_stays_late_after_its_apology() -> None:
    found = dossier_indicators(folded(overdue_counter("B")), QUESTIONS, EVALUATION)

    # The pause moved the appointment to 6 March 17:00; the apology's 9 March does not count.
    assert found.total_timeliness == "late"
    assert found.apologies == 1
    assert [(u.unit, u.hours, u.timeliness) for u in found.unit_use] == [("U1", 97.0, "late")]
    assert (found.supplement_requests, found.contacts) == (1, 2)
    assert found.units_contacted == 3  # R, R2 holding the result, U1 asking for more
    assert not found.one_stop
    assert not found.online
    assert not found.digitised
    assert found.points == {
        "total_time": 0,
        "unit_time": 0,
        "contacts": 1,
        "units_contacted": 0,
        "one_stop": 0,
        "attitude": None,  # not answered
        "online": None,  # not an online dossier
    }
    assert found.score_18 == pytest.approx(1.8)  # 1 of 10 points
    assert found.grade == "weak"


def test_without_the_officer_factor_the_main_answer_is_the_attitude() -> None:
    history = on_time_online("A")
    record = folded([*history, invited(history), answered(history, "dissatisfied")])
    found = dossier_indicators(record, QUESTIONS, EVALUATION)
    assert found.attitude == "dissatisfied"
    assert found.points["attitude"] == 0


def test_folding_an_event_twice_changes_nothing() -> None:
    history = overdue_counter("B")
    assert folded(history + history[3:5]) == folded(history)
