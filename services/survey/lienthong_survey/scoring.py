"""Indicators of one dossier, computed from its record (pure: no I/O).

The Circular 01/2018/TT-VPCP indicators our events support, each worth 0–2 points:
(1) total time vs the legal limit, (2) time used by each unit, (3) contacts needed to complete
the dossier, (4) units the applicant had to deal with, (5) handled at the one-stop unit,
(7) staff attitude (from the survey), (9) the online service (online dossiers only).
(6) procedure published and (8) feedback handling have no data here: they are left out, and
the score is scaled to 18 over the indicators that apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lienthong.domain import classify_completion
from lienthong.schemas.survey import Level
from lienthong_survey.questions import CountPoints, Evaluation, QuestionSet, Timeliness
from lienthong_survey.record import DossierRecord

_SEVERITY: dict[Timeliness, int] = {"early": 0, "on_time": 1, "late": 2}
_TIMELINESS: dict[str, Timeliness] = {"early": "early", "on_time": "on_time", "late": "late"}


@dataclass(frozen=True)
class UnitUse:
    """Time one unit used on its steps of the dossier."""

    unit: str
    steps: int
    hours: float | None
    timeliness: Timeliness | None


@dataclass(frozen=True)
class Rating:
    """A dossier's survey as one group counts it: was the applicant asked, did they answer,
    which level counts, and is that answer flagged."""

    invited: bool
    answered: bool
    level: Level | None
    flagged: bool


@dataclass(frozen=True)
class Indicators:
    dossier_id: str
    procedure: str | None
    receiving_unit: str | None
    officer: str | None
    month: str | None
    total_timeliness: Timeliness | None
    total_hours: float | None
    unit_use: tuple[UnitUse, ...]
    supplement_requests: int
    contacts: int
    units_contacted: int
    one_stop: bool
    online: bool
    digitised: bool
    apologies: int
    invited: bool
    overall: Level | None
    unit_ratings: dict[str, Level]
    flags: tuple[str, ...]
    step_ratings: dict[str, tuple[Level, bool]]  # unit → (level, flagged), step invitations
    step_invited: frozenset[str]  # units whose step invited the applicant
    attitude: Level | None
    points: dict[str, int | None] = field(default_factory=dict)
    score_18: float | None = None
    grade: str | None = None

    @property
    def answered(self) -> bool:
        return self.overall is not None

    @property
    def trusted(self) -> bool:
        """Answered without any suspicion flag: the answers bonuses may rely on."""
        return self.answered and not self.flags

    def whole_rating(self) -> Rating:
        return Rating(self.invited, self.answered, self.overall, bool(self.flags))

    def unit_rating(self, unit: str) -> Rating:
        """The unit's own rating in the final answer, else the answer after its step, else
        the final answer's main question."""
        invited = self.invited or unit in self.step_invited
        if unit in self.unit_ratings:
            return Rating(invited, True, self.unit_ratings[unit], bool(self.flags))
        if unit in self.step_ratings:
            level, flagged = self.step_ratings[unit]
            return Rating(invited, True, level, flagged)
        return Rating(invited, self.answered, self.overall, bool(self.flags))


def total_timeliness(record: DossierRecord) -> Timeliness | None:
    if record.completed_at is None or record.appointment_at is None:
        return None
    return _TIMELINESS[classify_completion(record.completed_at, record.appointment_at).value]


def unit_use(record: DossierRecord) -> tuple[UnitUse, ...]:
    uses: list[UnitUse] = []
    for unit in record.units:
        steps = [s for s in record.steps.values() if s.unit == unit]
        hours = [
            (s.completed_at - s.opened_at).total_seconds() / 3600
            for s in steps
            if s.completed_at is not None and s.opened_at is not None
        ]
        worst = _slowest([s.timeliness for s in steps])
        uses.append(UnitUse(unit, len(steps), round(sum(hours), 2) if hours else None, worst))
    return tuple(uses)


def units_contacted(record: DossierRecord) -> int:
    """The one-stop unit, plus a different unit returning the result or asking for more."""
    units = {record.receiving_unit, record.result_unit, *record.supplement_requests.values()}
    return len(units - {None}) or 1


def attitude(record: DossierRecord, questions: QuestionSet) -> Level | None:
    if record.answer is None:
        return None
    factor = record.answer.factors.get(questions.attitude_factor)
    return factor or record.answer.overall


def step_ratings(record: DossierRecord) -> dict[str, tuple[Level, bool]]:
    """Answers to step invitations, by the unit that handled the step."""
    return {
        record.steps[step].unit: (answer.overall, bool(answer.flags))
        for step, answer in record.step_answers.items()
        if step in record.steps
    }


def dossier_indicators(
    record: DossierRecord, questions: QuestionSet, evaluation: Evaluation
) -> Indicators:
    total = total_timeliness(record)
    hours = None
    if record.completed_at is not None and record.received_at is not None:
        hours = round((record.completed_at - record.received_at).total_seconds() / 3600, 2)
    answer = record.answer
    base = Indicators(
        dossier_id=record.dossier_id,
        procedure=record.procedure,
        receiving_unit=record.receiving_unit,
        officer=record.officer,
        month=record.month,
        total_timeliness=total,
        total_hours=hours,
        unit_use=unit_use(record),
        supplement_requests=len(record.supplement_requests),
        contacts=1 + len(record.supplement_requests),
        units_contacted=units_contacted(record),
        one_stop=record.result_unit in (None, record.receiving_unit),
        online=record.channel == "online",
        digitised=record.digitised,
        apologies=len(record.apologies),
        invited=record.invitation is not None,
        overall=answer.overall if answer else None,
        unit_ratings=dict(answer.units) if answer else {},
        flags=tuple(answer.flags) if answer else (),
        step_ratings=step_ratings(record),
        step_invited=frozenset(
            record.steps[s].unit for s in record.step_invitations if s in record.steps
        ),
        attitude=attitude(record, questions),
    )
    return score(base, questions, evaluation)


def score(ind: Indicators, questions: QuestionSet, evaluation: Evaluation) -> Indicators:
    """Circular 01/2018 points per indicator (None = not applicable yet), the 18-point score
    and its grade."""
    rules = evaluation.circular_01
    slowest = _slowest([u.timeliness for u in ind.unit_use])
    points: dict[str, int | None] = {
        "total_time": rules.total_time[ind.total_timeliness] if ind.total_timeliness else None,
        "unit_time": rules.unit_time[slowest] if slowest else None,
        "contacts": _by_count(rules.contacts, ind.contacts),
        "units_contacted": _by_count(rules.units_contacted, ind.units_contacted),
        "one_stop": rules.one_stop.inside if ind.one_stop else rules.one_stop.outside,
        "attitude": questions.level(ind.attitude).points if ind.attitude else None,
        "online": _online_points(ind, evaluation),
    }
    applicable = [p for p in points.values() if p is not None]
    score_18 = round(sum(applicable) / (2 * len(applicable)) * 18, 2)
    grade = next(band.grade for band in rules.grades if score_18 > band.above)
    return replace(ind, points=points, score_18=score_18, grade=grade)


def _slowest(marks: list[Timeliness | None]) -> Timeliness | None:
    known: list[Timeliness] = [mark for mark in marks if mark is not None]
    if not known:
        return None
    return sorted(known, key=_SEVERITY.__getitem__)[-1]


def _by_count(table: list[CountPoints], count: int) -> int:
    return next((row.points for row in table if count <= row.at_most), 0)


def _online_points(ind: Indicators, evaluation: Evaluation) -> int | None:
    if not ind.online or ind.total_timeliness is None:
        return None
    rules = evaluation.circular_01.online
    return rules.late if ind.total_timeliness == "late" else rules.timely
