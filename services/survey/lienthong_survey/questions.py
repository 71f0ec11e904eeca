"""The survey's configuration as typed models: the city-wide question set and the evaluation
rules (Circular 01/2018 points, grades, Decision 766 weights). Loading reads YAML files; the
models themselves are plain data used by the pure scoring code."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lienthong.schemas.survey import Level, SipasFactor

CONFIG_DIR = Path(__file__).parent / "config"
Timeliness = Literal["early", "on_time", "late"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    vi: str
    en: str

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.vi


class LevelOption(Text):
    key: Level
    satisfied: bool
    points: int = Field(ge=0, le=2)
    enabled: bool = True


class Toggle(Text):
    enabled: bool = True


class FactorOption(Text):
    key: SipasFactor


class Sipas(_Frozen):
    enabled: bool = True
    factors: list[FactorOption]


class CommentRule(_Frozen):
    enabled: bool = True
    max_length: int = Field(default=1000, ge=0, le=2000)


class QuestionSet(_Frozen):
    """One version of the city-wide question set (bộ câu hỏi)."""

    version: str
    effective_from: date
    levels: list[LevelOption]
    main_question: Text
    unit_question: Toggle
    sipas: Sipas
    attitude_factor: SipasFactor
    comment: CommentRule

    @model_validator(mode="after")
    def _three_levels_at_least(self) -> QuestionSet:
        keys = {level.key for level in self.enabled_levels}
        if not {"very_satisfied", "satisfied", "dissatisfied"} <= keys:
            raise ValueError("the three levels Rất hài lòng/Hài lòng/Không hài lòng are required")
        return self

    @property
    def enabled_levels(self) -> list[LevelOption]:
        return [level for level in self.levels if level.enabled]

    def level(self, key: str) -> LevelOption:
        return next(level for level in self.levels if level.key == key)

    def accepts(self, key: str) -> bool:
        return any(level.key == key for level in self.enabled_levels)


class CountPoints(_Frozen):
    at_most: int
    points: int


class GradeBand(_Frozen):
    above: float
    grade: str


class OneStopPoints(_Frozen):
    inside: int
    outside: int


class OnlinePoints(_Frozen):
    timely: int
    late: int


class Circular01(_Frozen):
    total_time: dict[Timeliness, int]
    unit_time: dict[Timeliness, int]
    contacts: list[CountPoints]
    units_contacted: list[CountPoints]
    one_stop: OneStopPoints
    online: OnlinePoints
    grades: list[GradeBand]


class Decision766(_Frozen):
    progress: float
    online_service: float
    satisfaction: float
    digitisation: float


class Evaluation(_Frozen):
    """How dossiers are scored (Circular 01/2018) and units ranked (Decision 766)."""

    version: str
    circular_01: Circular01
    decision_766: Decision766


def load_question_set(path: Path = CONFIG_DIR / "question-set.yaml") -> QuestionSet:
    return QuestionSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_evaluation(path: Path = CONFIG_DIR / "evaluation.yaml") -> Evaluation:
    return Evaluation.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
