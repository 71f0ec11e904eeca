"""Catalogue files: every error is reported with its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lienthong.domain import CatalogueError, check_catalogue, load_catalogue
from lienthong.domain.catalogue_loader import dump_catalogue_file, line_of, shipped_catalogue_dir
from tests.domain.conftest import ProcedureFactory

GOOD = """\
format: 1
procedures:
  - code: "1.001193"
    version: 1
    effective_from: 2024-01-01
    name: {vi: Đăng ký khai sinh, en: Birth registration}
    field: {id: ho-tich, vi: Hộ tịch, en: Civil status}
    competent_level: commune
    time_limit: {value: 0, unit: working_days, cutoff_applies: true}
    online_level: toan_trinh
    workflow:
      steps:
        - id: receive
          name: {vi: Tiếp nhận, en: Receive}
          role: ward.one-stop
        - id: register
          name: {vi: Đăng ký, en: Register}
          role: ward.civil-status
          after: [receive]
"""


def write(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path


def test_a_good_directory_loads(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    catalogue = load_catalogue(tmp_path)
    assert catalogue.codes() == ["1.001193"]


def test_unknown_step_in_after_points_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, "civil.yaml", GOOD.replace("after: [receive]", "after: [recieve]"))
    report = check_catalogue(tmp_path)
    assert not report.ok
    assert report.catalogue is None
    [issue] = report.issues
    assert (issue.file, issue.line) == ("civil.yaml", 19)
    assert issue.message == "unknown step 'recieve' in after"
    assert str(issue).startswith("civil.yaml:19: unknown step 'recieve' in after (at procedures[0]")


def test_structural_errors_point_at_the_offending_key(tmp_path: Path) -> None:
    bad = GOOD.replace("online_level: toan_trinh", "online_level: level-4").replace(
        "    competent_level: commune\n", "    competent_level: commune\n    colour: blue\n"
    )
    write(tmp_path, "bad.yaml", bad)
    issues = check_catalogue(tmp_path).issues
    lines = {issue.line: issue.message for issue in issues}
    assert set(lines) == {9, 11}
    assert "Extra inputs" in lines[9]
    assert "toan_trinh" in lines[11]


def test_a_missing_field_points_at_its_mapping(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace("          role: ward.civil-status\n", ""))
    [issue] = check_catalogue(tmp_path).issues
    assert issue.line == 16  # the step that lacks a role
    assert issue.path[-1] == "role"


def test_a_cycle_and_overlapping_versions_across_files(tmp_path: Path) -> None:
    cyclic = GOOD.replace("role: ward.one-stop", "role: ward.one-stop\n          after: [register]")
    write(tmp_path, "a/cycle.yaml", cyclic)
    write(tmp_path, "b/open.yaml", GOOD.replace('code: "1.001193"', 'code: "1.001612"'))
    write(
        tmp_path,
        "c/open-again.yaml",
        GOOD.replace('code: "1.001193"', 'code: "1.001612"')
        .replace("version: 1", "version: 2")
        .replace("2024-01-01", "2025-01-01"),
    )
    issues = check_catalogue(tmp_path).issues
    assert [(i.file, i.line) for i in issues] == [("a/cycle.yaml", 16), ("c/open-again.yaml", 5)]
    assert "cycle" in issues[0].message
    assert "overlap" in issues[1].message


def test_yaml_syntax_errors_have_a_line(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", GOOD.replace("    version: 1\n", "    version: [1\n"))
    [issue] = check_catalogue(tmp_path).issues
    assert issue.file == "broken.yaml"
    assert issue.line is not None
    assert 4 <= issue.line <= 6
    assert issue.message.startswith("YAML syntax error")


def test_a_file_without_procedures_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "just: text\n")
    [issue] = check_catalogue(tmp_path).issues
    assert "mapping with `procedures:`" in issue.message
    assert issue.line == 1


def test_an_unquoted_code_is_explained(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace('code: "1.001193"', "code: 1.001193"))
    [issue] = check_catalogue(tmp_path).issues
    assert issue.line == 3
    assert "must be quoted text" in issue.message


def test_references_to_broken_entries_are_not_reported_twice(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace("online_level: toan_trinh", "online_level: x"))
    group = GOOD.replace('code: "1.001193"', 'code: "2.000986"\n    components: ["1.001193"]')
    write(tmp_path, "b.yaml", group)
    issues = check_catalogue(tmp_path).issues
    assert [i.file for i in issues] == ["a.yaml"]


def test_load_raises_with_every_issue(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace("after: [receive]", "after: [x, y]"))
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tmp_path)
    assert len(caught.value.issues) == 2


def test_json_and_block_files_load_the_same(
    tmp_path: Path, make_procedure: ProcedureFactory
) -> None:
    procedure = make_procedure()
    write(tmp_path, "block/a.yaml", dump_catalogue_file([procedure], "block"))
    write(tmp_path, "json/a.yaml", dump_catalogue_file([procedure], "json"))
    assert list(load_catalogue(tmp_path / "block")) == [procedure]
    assert list(load_catalogue(tmp_path / "json")) == [procedure]


def test_line_of_stops_at_the_deepest_existing_node() -> None:
    assert line_of(GOOD, ("procedures", 0, "workflow", "steps", 1, "after", 0)) == 19
    assert line_of(GOOD, ("procedures", 0, "workflow", "steps", 7)) == 12
    assert line_of(GOOD, ()) == 1


def test_the_shipped_catalogue_is_valid() -> None:
    report = check_catalogue(shipped_catalogue_dir())
    assert report.ok, [str(issue) for issue in report.issues]
    assert report.files >= 6
    assert report.versions == len(report.catalogue or [])
