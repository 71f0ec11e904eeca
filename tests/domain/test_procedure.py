"""Procedure models: structure, meaning checks, documents, fees, sub-procedure choice."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from lienthong.domain import InvalidSelection, Procedure, is_unconfirmed
from lienthong.domain.procedure_checks import procedure_issues
from tests.domain.conftest import ProcedureFactory
from tests.domain.helpers import procedure_data, step, text

CHOICE_OPTIONS: list[dict[str, object]] = [
    {"id": "death", "name": text("Khai tử")},
    {"id": "police", "name": text("Xóa thường trú")},
    {"id": "insurance", "name": text("Tử tuất")},
    {"id": "allowance", "name": text("Mai táng")},
]
DEATH_CHOICE: dict[str, object] = {"min": 2, "max": 4, "options": CHOICE_OPTIONS}
DEATH_STEPS = {
    "steps": [
        step("receive", "ward.one-stop"),
        step("death", "ward.civil-status", 0, ("receive",), sub_procedure="death"),
        step("police", "police.residence", "1/5", ("death",), sub_procedure="police"),
        step("insurance", "social-insurance", "4/5", ("death",), sub_procedure="insurance"),
        step("allowance", "ward.social-affairs", "4/5", ("death",), sub_procedure="allowance"),
        step("return", "ward.one-stop", "1/5", ("police", "insurance", "allowance")),
    ]
}


def test_a_valid_procedure_round_trips_through_plain_data(make_procedure: ProcedureFactory) -> None:
    procedure = make_procedure()
    again = Procedure.model_validate(procedure.model_dump(mode="json"))
    assert again == procedure
    assert procedure.key == ("1.001193", 1)
    assert not procedure.is_group


@pytest.mark.parametrize("code", ["1.001193", "2.000986", "HCM-GPXD-NORL", "HN-ABC-1"])
def test_national_and_local_codes_are_accepted(make_procedure: ProcedureFactory, code: str) -> None:
    assert make_procedure(code=code).code == code


@pytest.mark.parametrize("code", ["1.00119", "12.001193", "hcm-x", "HCM", "1.001193 "])
def test_malformed_codes_are_rejected(make_procedure: ProcedureFactory, code: str) -> None:
    with pytest.raises(ValidationError):
        make_procedure(code=code)


def test_a_code_read_as_a_number_explains_the_quoting(make_procedure: ProcedureFactory) -> None:
    with pytest.raises(ValidationError, match="must be quoted text"):
        make_procedure(code=1.00122)


def test_unknown_keys_are_errors(make_procedure: ProcedureFactory) -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        make_procedure(
            time_limit={"value": 3, "unit": "working_days", "cutoff_applies": True, "x": 1}
        )


def test_semantic_errors_are_raised_unless_deferred() -> None:
    data = procedure_data(workflow={"steps": [step("a", "x", 0, ("ghost",))]})
    with pytest.raises(ValidationError, match=r"workflow\.steps\[0\]\.after\[0\]: unknown step"):
        Procedure.model_validate(data)
    deferred = Procedure.model_validate(data, context={"defer_checks": True})
    [issue] = procedure_issues(deferred)
    assert issue.path == ("workflow", "steps", 0, "after", 0)


def test_versions_know_when_they_are_in_force(make_procedure: ProcedureFactory) -> None:
    procedure = make_procedure(effective_from="2024-07-01", effective_to="2025-07-01")
    assert not procedure.in_force(date(2024, 6, 30))
    assert procedure.in_force(date(2024, 7, 1))
    assert procedure.in_force(date(2025, 6, 30))
    assert not procedure.in_force(date(2025, 7, 1))


def test_meaning_checks_cover_dates_duplicates_and_limits() -> None:
    data = procedure_data(
        effective_to="2023-01-01",
        time_limit={
            "value": 5,
            "unit": "working_days",
            "cutoff_applies": True,
            "extended_value": 3,
        },
        fees=[
            {"id": "fee", "name": text("a"), "amount_vnd": 1},
            {"id": "fee", "name": text("b"), "amount_vnd": 2},
        ],
        aliases=["1.001193"],
    )
    issues = procedure_issues(Procedure.model_validate(data, context={"defer_checks": True}))
    assert {issue.path for issue in issues} == {
        ("effective_to",),
        ("time_limit", "extended_value"),
        ("fees", 1, "id"),
        ("aliases",),
    }


def test_unknown_sub_procedure_ids_are_reported_everywhere_they_appear() -> None:
    steps = DEATH_STEPS["steps"] + [step("ghost-step", "x", 0, ("receive",), sub_procedure="ghost")]
    documents = [
        {"type": "x", "name": text("x"), "mandatory": True, "condition": {"sub_procedure": "nope"}}
    ]
    data = procedure_data(
        sub_procedures=DEATH_CHOICE, workflow={"steps": steps}, documents=documents
    )
    issues = procedure_issues(Procedure.model_validate(data, context={"defer_checks": True}))
    assert [(i.message, i.path) for i in issues] == [
        ("unknown sub-procedure 'ghost'", ("workflow", "steps", 6, "sub_procedure")),
        ("unknown sub-procedure 'nope'", ("documents", 0, "condition", "sub_procedure")),
    ]


def test_sub_procedure_used_without_a_choice_is_reported() -> None:
    data = procedure_data(workflow=DEATH_STEPS)
    with pytest.raises(ValidationError, match="procedure has no sub_procedures"):
        Procedure.model_validate(data)


def test_choice_bounds_are_checked() -> None:
    choice = {**DEATH_CHOICE, "min": 3, "max": 5}
    with pytest.raises(ValidationError, match="max 5 exceeds the 4 options"):
        Procedure.model_validate(procedure_data(sub_procedures=choice, workflow=DEATH_STEPS))
    choice = {**DEATH_CHOICE, "min": 4, "max": 3}
    with pytest.raises(ValidationError, match="min must not exceed max"):
        Procedure.model_validate(procedure_data(sub_procedures=choice, workflow=DEATH_STEPS))


def test_the_applicant_picks_two_to_four_of_the_death_group() -> None:
    procedure = Procedure.model_validate(
        procedure_data(sub_procedures=DEATH_CHOICE, workflow=DEATH_STEPS)
    )
    assert procedure.is_group
    assert procedure.select(["death", "police"]) == {"death", "police"}
    assert procedure.select(["death", "police", "insurance", "allowance"]) == {
        "death",
        "police",
        "insurance",
        "allowance",
    }
    with pytest.raises(InvalidSelection, match="needs 2 to 4"):
        procedure.select(["death"])
    with pytest.raises(InvalidSelection, match="unknown sub-procedure"):
        procedure.select(["death", "cremation"])
    flow = procedure.workflow_for(["police", "insurance"])
    assert "death" not in flow.step_ids
    assert "allowance" not in flow.step_ids
    assert procedure.roles(["police", "insurance"]) == {
        "ward.one-stop",
        "police.residence",
        "social-insurance",
    }


def test_required_options_are_always_included() -> None:
    options = [dict(o) for o in CHOICE_OPTIONS]
    options[0]["required"] = True
    choice = {**DEATH_CHOICE, "options": options}
    procedure = Procedure.model_validate(
        procedure_data(sub_procedures=choice, workflow=DEATH_STEPS)
    )
    assert procedure.select(["police"]) == {"death", "police"}


def test_choosing_from_a_procedure_without_choice_is_refused(
    make_procedure: ProcedureFactory,
) -> None:
    with pytest.raises(InvalidSelection, match="no sub-procedures"):
        make_procedure().select(["anything"])


def test_documents_follow_the_form_and_the_chosen_procedures() -> None:
    documents = [
        {"type": "to-khai", "name": text("Tờ khai"), "mandatory": True},
        {
            "type": "ket-hon",
            "name": text("Kết hôn"),
            "mandatory": True,
            "condition": {"form_field": "parents_married", "equals": True},
        },
        {
            "type": "kind",
            "name": text("Loại"),
            "mandatory": True,
            "condition": {"form_field": "kind", "one_of": ["a", "b"]},
        },
        {
            "type": "tu-tuat",
            "name": text("Tử tuất"),
            "mandatory": True,
            "condition": {"sub_procedure": "insurance"},
        },
        {"type": "them", "name": text("Thêm"), "mandatory": False},
    ]
    procedure = Procedure.model_validate(
        procedure_data(sub_procedures=DEATH_CHOICE, workflow=DEATH_STEPS, documents=documents)
    )
    plain = procedure.required_documents({}, ["death", "police"])
    assert [d.type for d in plain] == ["to-khai"]
    full = procedure.required_documents(
        {"parents_married": True, "kind": "b"}, ["death", "insurance"]
    )
    assert [d.type for d in full] == ["to-khai", "ket-hon", "kind", "tu-tuat"]
    assert [d.type for d in procedure.documents_for({}, ["death", "police"])] == [
        "to-khai",
        "them",
    ]


def test_a_field_condition_without_value_means_the_field_is_true(
    make_procedure: ProcedureFactory,
) -> None:
    procedure = make_procedure()
    assert [d.type for d in procedure.required_documents({"submitted_by_proxy": True})] == [
        "to-khai",
        "uy-quyen",
    ]
    assert [d.type for d in procedure.required_documents({"submitted_by_proxy": False})] == [
        "to-khai"
    ]


@pytest.mark.parametrize(
    "condition",
    [
        {},
        {"form_field": "a", "sub_procedure": "b"},
        {"sub_procedure": "b", "equals": 1},
        {"form_field": "a", "equals": 1, "one_of": [1]},
    ],
)
def test_malformed_conditions_are_rejected(
    make_procedure: ProcedureFactory, condition: dict[str, object]
) -> None:
    documents = [{"type": "x", "name": text("x"), "mandatory": True, "condition": condition}]
    with pytest.raises(ValidationError):
        make_procedure(documents=documents)


def test_fees_apply_by_condition(make_procedure: ProcedureFactory) -> None:
    fees = [
        {
            "id": "base",
            "name": text("a"),
            "amount_vnd": 100_000,
            "condition": {"form_field": "submitted_online", "equals": False},
        },
        {"id": "copy", "name": text("b"), "amount_vnd": 8_000},
    ]
    procedure = make_procedure(fees=fees)
    assert [f.amount_vnd for f in procedure.fees_for({"submitted_online": False})] == [
        100_000,
        8_000,
    ]
    assert [f.amount_vnd for f in procedure.fees_for({"submitted_online": True})] == [8_000]


def test_unconfirmed_notes_are_recognised() -> None:
    assert is_unconfirmed("unconfirmed")
    assert is_unconfirmed("Unconfirmed: 7 working days")
    assert not is_unconfirmed("DOMAIN.md: confirmed")
    assert not is_unconfirmed(None)
