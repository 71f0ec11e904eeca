"""The receipt decision, pure: no bus, no store."""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.domain import default_catalogue, default_timeline
from lienthong_intake.eligibility import (
    Application,
    Complete,
    Incomplete,
    Rejected,
    assess_application,
)
from tests.services.intake.samples import BIRTH_GROUP, DEATH_GROUP, WARD

AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, a Tuesday
CATALOGUE = default_catalogue()
TIMELINE = default_timeline()


def assess(**fields: object) -> object:
    defaults: dict[str, object] = {
        "procedure": BIRTH_GROUP,
        "ward_code": WARD,
        "form": {},
        "document_types": frozenset({"to-khai-lien-thong", "giay-chung-sinh"}),
        "sub_procedures": frozenset(),
    }
    return assess_application(CATALOGUE, TIMELINE, Application(**{**defaults, **fields}), AT)  # type: ignore[arg-type]


def test_a_complete_application_is_received_by_the_wards_one_stop_centre() -> None:
    outcome = assess()
    assert isinstance(outcome, Complete)
    assert outcome.receiving_unit.code == f"TTHCC-{WARD}"
    assert outcome.procedure.version == 2


def test_conditional_documents_are_required_when_their_condition_holds() -> None:
    outcome = assess(form={"parents_married": True, "submitted_by_proxy": True})
    assert isinstance(outcome, Incomplete)
    assert [d.type for d in outcome.missing] == ["giay-chung-nhan-ket-hon", "van-ban-uy-quyen"]


def test_documents_of_the_chosen_sub_procedures_are_required() -> None:
    outcome = assess(
        procedure=DEATH_GROUP,
        document_types=frozenset({"to-khai-lien-thong"}),
        sub_procedures=frozenset({"death-registration", "funeral-allowance"}),
    )
    assert isinstance(outcome, Incomplete)
    assert {d.type for d in outcome.missing} == {"giay-bao-tu", "to-khai-de-nghi-ho-tro-mai-tang"}


def test_every_reason_of_a_rejection_is_listed() -> None:
    outcome = assess(procedure="9.999999", ward_code="99999")
    assert isinstance(outcome, Rejected)
    assert len(outcome.reasons) == 2
    assert "9.999999" in outcome.reasons[0]
    assert "ward 99999" in outcome.reasons[1]


def test_a_ward_abolished_in_2025_is_not_eligible() -> None:
    abolished = next(u.code for u in TIMELINE.versions[0].units if u.is_ward_level)
    current = {u.code for u in TIMELINE.units_in_force(AT) if u.is_ward_level}
    assert abolished not in current
    outcome = assess(ward_code=abolished)
    assert isinstance(outcome, Rejected)


def test_a_sub_procedure_choice_outside_the_rules_is_rejected() -> None:
    outcome = assess(procedure=DEATH_GROUP, sub_procedures=frozenset({"death-registration"}))
    assert isinstance(outcome, Rejected)
    assert "needs 2 to 4" in outcome.reasons[0]


def test_unknown_document_types_are_a_reason_for_rejection() -> None:
    outcome = assess(document_types=frozenset({"to-khai-lien-thong", "giay-chung-sinh", "x"}))
    assert isinstance(outcome, Rejected)
    assert "['x']" in outcome.reasons[0]
