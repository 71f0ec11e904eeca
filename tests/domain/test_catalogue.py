"""The catalogue: versions in force, cross-version checks, the shipped procedures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.domain import (
    Catalogue,
    CatalogueError,
    NoVersionInForce,
    ProcedureNotFound,
    TimeUnit,
    is_unconfirmed,
)
from tests.domain.conftest import ProcedureFactory
from tests.domain.helpers import text, vn


def test_the_version_in_force_at_receipt_is_returned(make_procedure: ProcedureFactory) -> None:
    old = make_procedure(version=1, effective_from="2019-06-20", effective_to="2024-07-01")
    new = make_procedure(version=2, effective_from="2024-07-01")
    catalogue = Catalogue([new, old])
    assert catalogue.versions("1.001193") == (old, new)
    assert catalogue.procedure("1.001193", date(2024, 6, 30)) is old
    assert catalogue.procedure("1.001193", vn(2024, 7, 1, 0, 0)) is new
    # 30 June 2024 23:30 UTC is already 1 July in Vietnam
    assert catalogue.procedure("1.001193", datetime(2024, 6, 30, 17, 30, tzinfo=UTC)) is new
    with pytest.raises(NoVersionInForce):
        catalogue.procedure("1.001193", date(2019, 6, 19))
    with pytest.raises(ProcedureNotFound):
        catalogue.procedure("9.999999", date(2024, 1, 1))
    assert len(catalogue) == 2
    assert "1.001193" in catalogue


def test_overlapping_versions_are_rejected(make_procedure: ProcedureFactory) -> None:
    first = make_procedure(version=1, effective_from="2019-01-01", effective_to="2024-08-01")
    second = make_procedure(version=2, effective_from="2024-07-01")
    with pytest.raises(CatalogueError) as caught:
        Catalogue([first, second])
    [issue] = caught.value.issues
    assert "versions 1 and 2 of 1.001193 overlap" in issue.message
    assert issue.path == ("effective_from",)


def test_an_open_ended_version_followed_by_another_overlaps(
    make_procedure: ProcedureFactory,
) -> None:
    with pytest.raises(CatalogueError, match="runs until open-ended"):
        Catalogue(
            [
                make_procedure(version=1, effective_from="2019-01-01"),
                make_procedure(version=2, effective_from="2024-07-01"),
            ]
        )


def test_duplicate_versions_and_version_order_are_rejected(
    make_procedure: ProcedureFactory,
) -> None:
    with pytest.raises(CatalogueError, match="version 1 is defined twice"):
        Catalogue([make_procedure(), make_procedure()])
    with pytest.raises(CatalogueError, match="version numbers must grow"):
        Catalogue(
            [
                make_procedure(version=2, effective_from="2019-01-01", effective_to="2020-01-01"),
                make_procedure(version=1, effective_from="2020-01-01"),
            ]
        )


def test_aliases_resolve_and_must_not_collide(make_procedure: ProcedureFactory) -> None:
    group = make_procedure(code="1.006714", aliases=["2.002913"])
    catalogue = Catalogue([group, make_procedure()])
    assert catalogue.procedure("2.002913", date(2025, 1, 1)) is group
    assert catalogue.canonical_code("2.002913") == "1.006714"
    with pytest.raises(CatalogueError, match="is the code of a procedure"):
        Catalogue([make_procedure(code="1.006714", aliases=["1.001193"]), make_procedure()])
    with pytest.raises(CatalogueError, match="already used by procedure"):
        Catalogue(
            [
                make_procedure(code="1.006714", aliases=["2.002913"]),
                make_procedure(code="1.000656", aliases=["2.002913"]),
            ]
        )


def test_unknown_components_and_option_procedures_are_rejected(
    make_procedure: ProcedureFactory,
) -> None:
    group = make_procedure(code="2.000986", components=["1.001193", "1.004222"])
    with pytest.raises(CatalogueError) as caught:
        Catalogue([group, make_procedure()])
    [issue] = caught.value.issues
    assert issue.message == "unknown component procedure 1.004222"
    assert issue.path == ("components", 1)


def test_every_issue_is_reported_at_once(make_procedure: ProcedureFactory) -> None:
    with pytest.raises(CatalogueError) as caught:
        Catalogue(
            [
                make_procedure(),
                make_procedure(),
                make_procedure(code="2.000986", components=["9.000001"]),
            ]
        )
    assert len(caught.value.issues) == 2
    assert "2 error(s)" in str(caught.value)


# --- the shipped catalogue -------------------------------------------------------------------


def test_the_shipped_catalogue_holds_the_pilot_procedures(catalogue: Catalogue) -> None:
    assert {"1.001193", "1.004222", "1.001612", "2.000986", "1.006714"} <= set(catalogue.codes())
    assert "2.002913" in catalogue  # alias of the death group


def test_birth_group_before_and_after_decree_63(catalogue: Catalogue) -> None:
    before = catalogue.procedure("2.000986", date(2024, 6, 30))
    after = catalogue.procedure("2.000986", date(2024, 7, 1))
    assert (before.version, before.time_limit.value) == (1, 20)
    assert (after.version, after.time_limit.value, after.time_limit.extended_value) == (2, 3, 5)
    assert after.time_limit.unit is TimeUnit.WORKING_DAYS
    assert after.time_limit.cutoff_applies
    offsets = after.workflow.cumulative_shares()
    limit = after.time_limit.value
    assert offsets["register-birth"] * limit == 0  # within the working day
    assert offsets["register-residence"] * limit == 2
    assert offsets["issue-health-card"] * limit == 2
    assert offsets["return-result"] * limit == 3
    assert set(after.workflow.step("register-residence").after) == {"register-birth"}
    assert set(after.workflow.step("issue-health-card").after) == {"register-birth"}
    assert set(after.components) == {"1.001193", "1.004222", "HCM-BHYT-TE6"}


def test_birth_registration_is_within_the_working_day(catalogue: Catalogue) -> None:
    birth = catalogue.procedure("1.001193", date(2026, 1, 1))
    assert (birth.time_limit.value, birth.time_limit.unit) == (0, TimeUnit.WORKING_DAYS)
    assert birth.time_limit.cutoff_applies
    assert birth.time_limit.note is None  # confirmed in DOMAIN.md


def test_construction_permit_counts_calendar_days_and_moves_to_communes(
    catalogue: Catalogue,
) -> None:
    pilot = catalogue.procedure("HCM-GPXD-NORL", date(2019, 6, 20))
    today = catalogue.procedure("HCM-GPXD-NORL", date(2025, 7, 1))
    assert pilot.time_limit.value == 15
    assert pilot.time_limit.unit is TimeUnit.CALENDAR_DAYS
    assert is_unconfirmed(pilot.time_limit.note)
    assert pilot.competent_level == "district"
    assert today.competent_level == "commune"
    assert "district.construction" in pilot.roles()
    assert "ward.construction" in today.roles()


def test_household_business_registration_and_its_tax_group(catalogue: Catalogue) -> None:
    alone = catalogue.procedure("1.001612", date(2019, 7, 1))
    group = catalogue.procedure("HCM-HKD-THUE", date(2019, 7, 1))
    assert alone.time_limit.value == 3
    assert is_unconfirmed(alone.time_limit.note)
    assert group.components == ("1.001612", "HCM-DKT-HKD")
    assert catalogue.procedure("HCM-DKT-HKD", date(2026, 3, 2)).workflow.steps[0].role == "tax"
    assert group.workflow.step("register-tax").role == "tax"


def test_the_death_group_lets_the_applicant_pick_two_to_four(catalogue: Catalogue) -> None:
    pilot = catalogue.procedure("1.006714", date(2020, 1, 1))
    assert pilot.sub_procedures is None
    assert set(pilot.components) == {"1.000656", "HCM-XOA-THUONG-TRU"}
    group = catalogue.procedure("2.002913", date(2026, 1, 1))
    assert group.version == 3
    assert group.sub_procedures is not None
    assert (group.sub_procedures.min, group.sub_procedures.max) == (2, 4)
    assert is_unconfirmed(group.time_limit.note)
    chosen = ["residence-deregistration", "survivor-benefit"]
    documents = [d.type for d in group.required_documents({}, chosen)]
    assert documents == ["to-khai-lien-thong", "to-khai-cua-than-nhan"]
    assert group.roles(chosen) == {"ward.one-stop", "police.residence", "social-insurance"}
    v2 = catalogue.procedure("1.006714", date(2025, 1, 1))
    assert v2.workflow.step("funeral-allowance").role == "district.labour-social-affairs"
    assert group.workflow.step("funeral-allowance").role == "ward.social-affairs"


def test_every_shipped_version_validates_its_own_example_selection(catalogue: Catalogue) -> None:
    for procedure in catalogue:
        choice = procedure.sub_procedures
        chosen = choice.option_ids[: choice.max] if choice else ()
        schedule_flow = procedure.workflow_for(chosen)
        assert max(schedule_flow.cumulative_shares().values()) <= 1
        assert all(document.name.vi for document in procedure.documents)


def test_unconfirmed_facts_carry_a_note(catalogue: Catalogue) -> None:
    residence = catalogue.procedure("1.004222", date(2020, 1, 1))
    assert is_unconfirmed(residence.time_limit.note)
    local_codes = [p for p in catalogue if p.code.startswith("HCM-")]
    assert local_codes
    assert all(is_unconfirmed(p.note) for p in local_codes)


def test_a_catalogue_can_be_built_from_plain_procedures(make_procedure: ProcedureFactory) -> None:
    catalogue = Catalogue(
        [make_procedure(name=text("A")), make_procedure(code="1.000656", name=text("B"))]
    )
    assert catalogue.codes() == ["1.000656", "1.001193"]
    assert [p.name.vi for p in catalogue.in_force(date(2025, 1, 1))] == ["B", "A"]
    assert catalogue.roles() == {"ward.one-stop", "ward.civil-status"}
