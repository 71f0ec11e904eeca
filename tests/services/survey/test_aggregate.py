"""Rates per month, procedure and unit over three hand-computed dossiers (pure).

A (March): early, online, digitised; invited, answered very satisfied overall and
  dissatisfied with U1. Units U1 early, U2 on time.
B (March): late, counter; invited, not answered. Unit U1 late.
C (April): on time, counter; invited, answered dissatisfied but flagged (device burst).
  Unit U2 on time.
"""

from __future__ import annotations

from typing import Any

import pytest

from lienthong_survey.aggregate import summarise
from lienthong_survey.questions import load_evaluation, load_question_set
from lienthong_survey.scoring import Indicators, dossier_indicators
from tests.services.survey.dossiers import counter_on_time, on_time_online, overdue_counter
from tests.services.survey.scenarios import answered, folded, invited

QUESTIONS, EVALUATION = load_question_set(), load_evaluation()


def three_dossiers() -> list[Indicators]:
    a, b, c = on_time_online("A"), overdue_counter("B"), counter_on_time("C")
    histories = [
        [*a, invited(a), answered(a, "very_satisfied", units={"U1": "dissatisfied"})],
        [*b, invited(b)],
        [*c, invited(c), answered(c, "dissatisfied", flags=["device_burst"])],
    ]
    return [dossier_indicators(folded(h), QUESTIONS, EVALUATION) for h in histories]


def groups(by: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
    summary = summarise(three_dossiers(), by, QUESTIONS, EVALUATION, **kwargs)
    return {group["key"]: group for group in summary["groups"]}


def test_totals_leave_flagged_answers_out_of_the_satisfaction_rate() -> None:
    total = summarise(three_dossiers(), "month", QUESTIONS, EVALUATION)
    assert total["dossiers"] == 3
    assert total["on_time_rate"] == pytest.approx(0.6667)  # A and C, not B
    assert total["participation_rate"] == pytest.approx(0.6667)  # A and C answered of 3
    assert (total["trusted_answers"], total["satisfied"], total["flagged_answers"]) == (1, 1, 1)
    assert total["satisfaction_rate"] == 1.0
    assert total["decision_766"]["progress"] == {"rate": 0.6667, "points": 13.33, "max": 20}
    assert total["decision_766"]["online_service"]["points"] == pytest.approx(4.0)  # 1/3 × 12
    assert total["decision_766"]["satisfaction"]["points"] == 18.0
    assert total["decision_766"]["digitisation"]["points"] == pytest.approx(7.33)  # 1/3 × 22


def test_by_month() -> None:
    march, april = groups("month")["2026-03"], groups("month")["2026-04"]
    assert (march["dossiers"], march["on_time_rate"], march["participation_rate"]) == (2, 0.5, 0.5)
    assert march["satisfaction_rate"] == 1.0
    # A: 13 of 14 points (attitude very satisfied) = 16.71; B: 1.8
    assert march["average_score_18"] == pytest.approx((16.71 + 1.8) / 2, abs=0.01)
    assert (april["dossiers"], april["on_time_rate"], april["participation_rate"]) == (1, 1, 1)
    assert april["satisfaction_rate"] is None, "its only answer is flagged"


def test_by_unit_uses_each_units_timeliness_and_rating() -> None:
    units = groups("unit")
    u1, u2 = units["U1"], units["U2"]
    assert (u1["dossiers"], u1["on_time_rate"], u1["participation_rate"]) == (2, 0.5, 0.5)
    assert u1["satisfaction_rate"] == 0.0, "A rated U1 dissatisfied"
    assert (u2["dossiers"], u2["on_time_rate"], u2["participation_rate"]) == (2, 1.0, 1.0)
    assert u2["satisfaction_rate"] == 1.0, "A's overall answer; C's answer is flagged"
    assert u2["flagged_answers"] == 1


def test_a_unit_filter_keeps_only_the_dossiers_it_handled() -> None:
    only = summarise(three_dossiers(), "procedure", QUESTIONS, EVALUATION, unit="U2")
    assert only["dossiers"] == 2  # A and C
    assert [g["key"] for g in only["groups"]] == ["1.001193"]
    assert list(groups("unit", unit="U1")) == ["U1"]


def test_by_officer_who_handed_the_result_over() -> None:
    officers = groups("officer")
    assert list(officers) == ["officer:R", "officer:R2"], "A was returned electronically"
    assert (officers["officer:R2"]["on_time_rate"], officers["officer:R2"]["invited"]) == (0.0, 1)
    assert officers["officer:R"]["flagged_answers"] == 1
