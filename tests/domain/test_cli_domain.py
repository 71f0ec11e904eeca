"""The `catalog`, `topology` and `calendar` command groups."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lienthong.cli.domain import calendar_app, catalog_app, topology_app
from lienthong.domain.catalogue_loader import shipped_catalogue_dir

runner = CliRunner()
SHIPPED = Path(str(shipped_catalogue_dir()))


def test_calendar_due_prints_one_iso_line() -> None:
    result = runner.invoke(
        calendar_app,
        ["due", "--received", "2026-03-02T09:00+07:00", "--limit", "3", "--unit", "working_days"],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "2026-03-05T17:00:00+07:00\n"


def test_calendar_due_in_other_units_and_without_cut_off() -> None:
    args = [
        "due",
        "--received",
        "2026-04-15T16:00+07:00",
        "--limit",
        "15",
        "--unit",
        "calendar_days",
    ]
    assert (
        runner.invoke(calendar_app, [*args, "--no-cutoff"]).output == "2026-05-04T17:00:00+07:00\n"
    )
    hours = [
        "due",
        "--received",
        "2026-03-02T09:00+07:00",
        "--limit",
        "8",
        "--unit",
        "working_hours",
    ]
    assert runner.invoke(calendar_app, hours).output == "2026-03-03T09:00:00+07:00\n"


def test_calendar_due_refuses_a_moment_without_offset() -> None:
    result = runner.invoke(calendar_app, ["due", "--received", "2026-03-02T09:00", "--limit", "3"])
    assert result.exit_code == 2
    assert "no UTC offset" in result.output


def test_calendar_days_lists_holidays_and_make_up_days() -> None:
    result = runner.invoke(calendar_app, ["days", "--year", "2026"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "2026-02-17 Tue off  Tết Nguyên Đán" in lines
    assert "2026-08-22 Sat work Ngày làm việc bù" in lines


def test_calendar_overrides_directory(tmp_path: Path) -> None:
    (tmp_path / "2026.yaml").write_text(
        "year: 2026\ndays_off:\n  - {date: 2026-03-03, name: Nghỉ}\n"
    )
    args = [
        "due",
        "--received",
        "2026-03-02T09:00+07:00",
        "--limit",
        "1",
        "--overrides",
        str(tmp_path),
    ]
    assert runner.invoke(calendar_app, args).output == "2026-03-04T17:00:00+07:00\n"


def test_topology_units_lists_code_and_name() -> None:
    result = runner.invoke(topology_app, ["units", "--at", "2025-07-01", "--type", "ward"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 113
    assert "26743 Phường Bến Thành" in lines
    everything = runner.invoke(topology_app, ["units", "--at", "2025-07-01"]).output.splitlines()
    assert "CA-26743 Công an phường Bến Thành" in everything
    before = runner.invoke(topology_app, ["units", "--at", "2019-07-01", "--type", "district"])
    assert before.output.splitlines() == ["763 Quận 9", "767 Quận Tân Phú", "783 Huyện Củ Chi"]


def test_topology_units_refuses_a_bad_date_and_unknown_dataset() -> None:
    assert runner.invoke(topology_app, ["units", "--at", "1/7/2025"]).exit_code == 2
    result = runner.invoke(topology_app, ["units", "--at", "2025-07-01", "--dataset", "nope"])
    assert result.exit_code == 1


def test_topology_resolve_and_reorganisation() -> None:
    result = runner.invoke(
        topology_app, ["resolve", "police.residence", "26743", "--at", "2025-07-01"]
    )
    assert result.output == "CA-26743 Công an phường Bến Thành\n"
    missing = runner.invoke(
        topology_app, ["resolve", "district.one-stop", "26743", "--at", "2025-07-01"]
    )
    assert missing.exit_code == 1
    listing = runner.invoke(topology_app, ["reorganisation", "hcmc-2019", "hcmc-2025"])
    assert (
        "26845 Phường Tăng Nhơn Phú B -> 26842 Phường Tăng Nhơn Phú" in listing.output.splitlines()
    )


def test_catalog_validate_reports_file_and_line(tmp_path: Path) -> None:
    good = runner.invoke(catalog_app, ["validate", str(SHIPPED)])
    assert good.exit_code == 0
    assert good.output.startswith("ok: ")
    bad = (SHIPPED / "civil-status.yaml").read_text(encoding="utf-8")
    bad = bad.replace("after: [register-birth]", "after: [register-brith]", 1)
    (tmp_path / "civil-status.yaml").write_text(bad, encoding="utf-8")
    result = runner.invoke(catalog_app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if "register-brith" in text)
    assert (
        f"{tmp_path / 'civil-status.yaml'}:{line}: unknown step 'register-brith' in after"
        in result.output
    )


def test_catalog_generate_writes_a_valid_catalogue(tmp_path: Path) -> None:
    result = runner.invoke(catalog_app, ["generate", "--count", "60", "--seed", "5", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "validation: ok" in result.output
    assert runner.invoke(catalog_app, ["validate", str(tmp_path)]).exit_code == 0


def test_catalog_show_prints_the_version_in_force() -> None:
    result = runner.invoke(catalog_app, ["show", "2.000986", "--at", "2024-06-30"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("2.000986 v1 ")
    assert "time limit 20 working_days, 15:00 cut-off" in result.output
    assert runner.invoke(catalog_app, ["show", "9.999999"]).exit_code == 1


def test_a_catalogue_the_size_of_hcmc_generates_loads_and_validates(tmp_path: Path) -> None:
    from lienthong.domain import check_catalogue

    result = runner.invoke(catalog_app, ["generate", "--count", "1800", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = check_catalogue(tmp_path)
    assert report.ok, report.issues
    assert report.catalogue is not None
    assert len(report.catalogue.codes()) == 1800


def test_catalog_validate_refuses_a_directory_without_catalogue_files(tmp_path: Path) -> None:
    result = runner.invoke(catalog_app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no catalogue files" in result.output


def test_catalog_generate_refuses_to_mix_with_existing_files(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("procedures: []\n", encoding="utf-8")
    result = runner.invoke(catalog_app, ["generate", "--count", "5", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["old.yaml"]
