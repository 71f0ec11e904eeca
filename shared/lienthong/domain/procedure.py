"""One version of an administrative procedure (thủ tục hành chính), as data.

The models check structure; `procedure_checks.procedure_issues` checks meaning (the DAG,
references between fields) and runs on validation unless the loader defers it to report
every problem with its file line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from lienthong.domain.errors import InvalidSelection, format_path
from lienthong.domain.localtime import local_day
from lienthong.domain.vocabulary import (
    CompetentLevel,
    FormField,
    LocalizedText,
    OnlineLevel,
    Slug,
    StrictModel,
    TimeUnit,
)
from lienthong.domain.workflow import Workflow

NATIONAL_CODE = r"\d\.\d{6}"
LOCAL_CODE = r"[A-Z]{2,5}(?:-[A-Z0-9]+)+"


def _code_must_be_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads 1.001193 as a float and drops trailing zeros: only quoted text is safe.
        raise ValueError(f"procedure code {value!r} must be quoted text, e.g. '1.001193'")
    return value


ProcedureCode = Annotated[
    str,
    BeforeValidator(_code_must_be_text),
    StringConstraints(pattern=rf"^(?:{NATIONAL_CODE}|{LOCAL_CODE})$"),
]
"""National database code (`1.001193`) or a local code (`HCM-GPXD-NORL`)."""

Scalar = bool | int | str


class Condition(StrictModel):
    """When a document or fee applies: a form field value, or a chosen sub-procedure."""

    form_field: FormField | None = None
    equals: Scalar | None = None
    one_of: tuple[Scalar, ...] | None = None
    sub_procedure: Slug | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        if (self.form_field is None) == (self.sub_procedure is None):
            raise ValueError("a condition needs exactly one of form_field or sub_procedure")
        if self.sub_procedure is not None and (self.equals is not None or self.one_of):
            raise ValueError("equals/one_of only apply to a form_field condition")
        if self.equals is not None and self.one_of is not None:
            raise ValueError("use either equals or one_of, not both")
        return self

    def holds(self, form: Mapping[str, object], chosen: frozenset[str]) -> bool:
        if self.sub_procedure is not None:
            return self.sub_procedure in chosen
        value = form.get(self.form_field or "")
        if self.one_of is not None:
            return value in self.one_of
        if self.equals is not None:
            return value == self.equals
        return bool(value)


class RequiredDocument(StrictModel):
    """A document of the dossier (thành phần hồ sơ)."""

    type: Slug
    name: LocalizedText
    mandatory: bool
    condition: Condition | None = None
    note: str | None = None

    def applies(self, form: Mapping[str, object], chosen: frozenset[str]) -> bool:
        return self.condition is None or self.condition.holds(form, chosen)


class Fee(StrictModel):
    """A fee or charge (phí, lệ phí), in đồng."""

    id: Slug
    name: LocalizedText
    amount_vnd: NonNegativeInt
    condition: Condition | None = None
    note: str | None = None

    def applies(self, form: Mapping[str, object], chosen: frozenset[str]) -> bool:
        return self.condition is None or self.condition.holds(form, chosen)


class TimeLimit(StrictModel):
    """Statutory time limit (thời hạn giải quyết) and whether the 15:00 cut-off applies."""

    value: NonNegativeInt
    unit: TimeUnit
    cutoff_applies: bool
    extended_value: NonNegativeInt | None = None
    note: str | None = None


class ResultDocument(StrictModel):
    """What the applicant receives (kết quả thực hiện thủ tục)."""

    type: Slug
    name: LocalizedText
    sub_procedure: Slug | None = None
    note: str | None = None


class ProcedureField(StrictModel):
    """Field of activity (lĩnh vực), e.g. `ho-tich` Hộ tịch."""

    id: Slug
    vi: str
    en: str


class SubProcedureOption(StrictModel):
    """A procedure the applicant may include in an inter-linked group."""

    id: Slug
    name: LocalizedText
    procedure: ProcedureCode | None = None
    required: bool = False
    note: str | None = None


class SubProcedureChoice(StrictModel):
    """The applicant picks between `min` and `max` of the options (e.g. 2, 3 or 4)."""

    min: PositiveInt
    max: PositiveInt
    options: tuple[SubProcedureOption, ...] = Field(min_length=1)

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)


class Procedure(StrictModel):
    """One version of a procedure, in force from `effective_from` until `effective_to`."""

    code: ProcedureCode
    aliases: tuple[ProcedureCode, ...] = ()
    version: PositiveInt
    effective_from: date
    effective_to: date | None = None
    name: LocalizedText
    field: ProcedureField
    competent_level: CompetentLevel
    legal_basis: tuple[str, ...] = ()
    components: tuple[ProcedureCode, ...] = ()
    documents: tuple[RequiredDocument, ...] = ()
    fees: tuple[Fee, ...] = ()
    time_limit: TimeLimit
    online_level: OnlineLevel
    result_documents: tuple[ResultDocument, ...] = ()
    sub_procedures: SubProcedureChoice | None = None
    workflow: Workflow
    note: str | None = None

    @model_validator(mode="after")
    def _meaningful(self, info: ValidationInfo) -> Procedure:
        context = info.context if isinstance(info.context, dict) else {}
        if context.get("defer_checks"):
            return self
        from lienthong.domain.procedure_checks import procedure_issues

        issues = procedure_issues(self)
        if issues:
            raise ValueError("; ".join(f"{format_path(i.path)}: {i.message}" for i in issues))
        return self

    @property
    def key(self) -> tuple[str, int]:
        return (self.code, self.version)

    def in_force(self, at: date | datetime) -> bool:
        day = local_day(at)
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    @property
    def is_group(self) -> bool:
        """An inter-linked group (nhóm thủ tục liên thông)."""
        return bool(self.components) or self.sub_procedures is not None

    def select(self, chosen: Iterable[str] = ()) -> frozenset[str]:
        """Check the applicant's choice of sub-procedures; required options are added."""
        picked = frozenset(chosen)
        choice = self.sub_procedures
        if choice is None:
            if picked:
                raise InvalidSelection(f"procedure {self.code} has no sub-procedures to choose")
            return picked
        unknown = sorted(picked - set(choice.option_ids))
        if unknown:
            raise InvalidSelection(f"unknown sub-procedure(s) {unknown} for {self.code}")
        picked |= {option.id for option in choice.options if option.required}
        if not choice.min <= len(picked) <= choice.max:
            raise InvalidSelection(
                f"procedure {self.code} needs {choice.min} to {choice.max} sub-procedures, "
                f"got {len(picked)}: {sorted(picked)}"
            )
        return picked

    def workflow_for(self, chosen: Iterable[str] = ()) -> Workflow:
        return self.workflow.for_selection(self.select(chosen))

    def documents_for(
        self, form: Mapping[str, object] | None = None, chosen: Iterable[str] = ()
    ) -> tuple[RequiredDocument, ...]:
        """Documents that apply to this application (mandatory or not)."""
        picked = self.select(chosen)
        return tuple(d for d in self.documents if d.applies(form or {}, picked))

    def required_documents(
        self, form: Mapping[str, object] | None = None, chosen: Iterable[str] = ()
    ) -> tuple[RequiredDocument, ...]:
        """Documents the applicant must provide, given the form and the chosen procedures."""
        return tuple(d for d in self.documents_for(form, chosen) if d.mandatory)

    def fees_for(
        self, form: Mapping[str, object] | None = None, chosen: Iterable[str] = ()
    ) -> tuple[Fee, ...]:
        picked = self.select(chosen)
        return tuple(fee for fee in self.fees if fee.applies(form or {}, picked))

    def roles(self, chosen: Iterable[str] | None = None) -> frozenset[str]:
        """Roles of the units taking part (all of them when `chosen` is None)."""
        if chosen is None:
            return self.workflow.roles()
        return self.workflow_for(chosen).roles()
