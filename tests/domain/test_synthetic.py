"""The synthetic catalogue generator: deterministic, valid, realistic in shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lienthong.domain import Catalogue, check_catalogue, generate_procedures, write_catalogue
from lienthong.domain.catalogue_loader import procedure_to_data


def test_the_same_seed_gives_the_same_catalogue() -> None:
    first = [procedure_to_data(p) for p in generate_procedures(150, seed=7)]
    again = [procedure_to_data(p) for p in generate_procedures(150, seed=7)]
    other = [procedure_to_data(p) for p in generate_procedures(150, seed=8)]
    assert first == again
    assert first != other


def test_generated_procedures_form_a_valid_catalogue() -> None:
    procedures = generate_procedures(400, seed=1)
    catalogue = Catalogue(procedures)
    assert len(catalogue.codes()) == 400
    assert len(catalogue) > 400  # some procedures have a second version
    assert catalogue.codes()[0] == "9.000001"
    assert any(p.sub_procedures is not None for p in procedures)
    assert {p.time_limit.unit for p in procedures} == {
        "working_days",
        "calendar_days",
        "working_hours",
    }
    for procedure in procedures:
        assert max(procedure.workflow.cumulative_shares().values()) == 1
    assert catalogue.procedure("9.000001", date(2026, 6, 1)).in_force(date(2026, 6, 1))


def test_written_files_validate_in_both_styles(tmp_path: Path) -> None:
    procedures = generate_procedures(120, seed=3)
    json_files = write_catalogue(tmp_path / "json", procedures, per_file=50)
    block_files = write_catalogue(tmp_path / "block", procedures, per_file=50, style="block")
    assert len(json_files) == len(block_files) == -(-len(procedures) // 50)
    for directory in (tmp_path / "json", tmp_path / "block"):
        report = check_catalogue(directory)
        assert report.ok, report.issues[:3]
        assert report.versions == len(procedures)
        assert list(report.catalogue or []) == sorted(
            procedures, key=lambda p: (p.code, p.effective_from)
        )
