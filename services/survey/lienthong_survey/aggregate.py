"""Statistics over many dossiers' indicators (pure): per unit, procedure or month.

Groups: per unit, procedure, completion month, or officer (who handed the result over).

* on-time rate: completed dossiers returned early or on time (for a unit: its steps not late);
* participation rate: answered / invited;
* satisfaction rate: answers at a "satisfied" level / trusted answers. Flagged answers are
  counted but left out, since the results feed staff bonuses;
* Decision 766 groups the data supports, as rate × the group's points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, Literal

from lienthong_survey.questions import Evaluation, QuestionSet
from lienthong_survey.scoring import Indicators, Rating

Dimension = Literal["unit", "procedure", "month", "officer"]


@dataclass
class Tally:
    dossiers: int = 0
    timed: int = 0
    timely: int = 0
    online: int = 0
    digitised: int = 0
    invited: int = 0
    answered: int = 0
    trusted: int = 0
    satisfied: int = 0
    flagged: int = 0
    scored: int = 0
    score_sum: float = 0.0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def contribution(
    ind: Indicators, timely: bool | None, rating: Rating, questions: QuestionSet
) -> Tally:
    """What one dossier adds to one group."""
    trusted = rating.answered and not rating.flagged and rating.level is not None
    satisfied = trusted and rating.level is not None and questions.level(rating.level).satisfied
    return Tally(
        dossiers=1,
        timed=int(timely is not None),
        timely=int(bool(timely)),
        online=int(ind.online),
        digitised=int(ind.digitised),
        invited=int(rating.invited),
        answered=int(rating.answered),
        trusted=int(trusted),
        satisfied=int(satisfied),
        flagged=int(rating.answered and rating.flagged),
        scored=int(ind.score_18 is not None),
        score_sum=ind.score_18 or 0.0,
    )


def keyed_contributions(
    ind: Indicators, by: Dimension, questions: QuestionSet
) -> list[tuple[str, Tally]]:
    """(group key, contribution) pairs: a dossier counts once per unit that handled a step;
    by officer, dossiers count for the officer who handed the result over (if any)."""
    if by == "unit":
        return [
            (
                use.unit,
                contribution(
                    ind,
                    None if use.timeliness is None else use.timeliness != "late",
                    ind.unit_rating(use.unit),
                    questions,
                ),
            )
            for use in ind.unit_use
        ]
    if by == "officer":
        if ind.officer is None:
            return []
        return [(ind.officer, contribution(ind, _whole_timely(ind), ind.whole_rating(), questions))]
    key = ind.procedure if by == "procedure" else ind.month
    return [(key or "?", contribution(ind, _whole_timely(ind), ind.whole_rating(), questions))]


def metrics(tally: Tally, evaluation: Evaluation) -> dict[str, Any]:
    weights = evaluation.decision_766
    rates = {
        "on_time_rate": _rate(tally.timely, tally.timed),
        "participation_rate": _rate(tally.answered, tally.invited),
        "satisfaction_rate": _rate(tally.satisfied, tally.trusted),
        "online_rate": _rate(tally.online, tally.dossiers),
        "digitisation_rate": _rate(tally.digitised, tally.dossiers),
    }
    groups = {
        "progress": (rates["on_time_rate"], weights.progress),
        "online_service": (rates["online_rate"], weights.online_service),
        "satisfaction": (rates["satisfaction_rate"], weights.satisfaction),
        "digitisation": (rates["digitisation_rate"], weights.digitisation),
    }
    return {
        "dossiers": tally.dossiers,
        "on_time": tally.timely,
        "invited": tally.invited,
        "answered": tally.answered,
        "trusted_answers": tally.trusted,
        "satisfied": tally.satisfied,
        "flagged_answers": tally.flagged,
        **rates,
        "average_score_18": round(tally.score_sum / tally.scored, 2) if tally.scored else None,
        "decision_766": {
            name: {
                "rate": rate,
                "points": None if rate is None else round(rate * top, 2),
                "max": top,
            }
            for name, (rate, top) in groups.items()
        },
    }


def summarise(
    indicators: Iterable[Indicators],
    by: Dimension,
    questions: QuestionSet,
    evaluation: Evaluation,
    unit: str | None = None,
) -> dict[str, Any]:
    """Totals over the dossiers plus one row per group, sorted by key. With `unit`, only
    dossiers that unit handled count (and, by unit, only that unit's row)."""
    total, groups = Tally(), dict[str, Tally]()
    for ind in indicators:
        if unit is not None and unit not in {u.unit for u in ind.unit_use}:
            continue
        total.add(contribution(ind, _whole_timely(ind), ind.whole_rating(), questions))
        for key, part in keyed_contributions(ind, by, questions):
            if by == "unit" and unit is not None and key != unit:
                continue
            groups.setdefault(key, Tally()).add(part)
    return {
        **metrics(total, evaluation),
        "by": by,
        "groups": [{"key": key, **metrics(groups[key], evaluation)} for key in sorted(groups)],
    }


def _whole_timely(ind: Indicators) -> bool | None:
    return None if ind.total_timeliness is None else ind.total_timeliness != "late"
