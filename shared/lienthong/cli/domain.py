"""`lienthong catalog …`, `lienthong topology …`, `lienthong calendar …`: the domain core."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from lienthong.domain.calendar import WorkingCalendar, default_calendar, load_calendar_overrides
from lienthong.domain.catalogue_loader import (
    FileStyle,
    check_catalogue,
    default_catalogue,
    write_catalogue,
)
from lienthong.domain.deadlines import Deadline, Limit
from lienthong.domain.errors import DomainError
from lienthong.domain.localtime import VIETNAM_TZ
from lienthong.domain.synthetic import generate_procedures
from lienthong.domain.topology import Topology, UnitType, reorganisation
from lienthong.domain.topology_data import default_timeline
from lienthong.domain.vocabulary import TimeUnit

catalog_app = typer.Typer(
    help="Procedure catalogue (danh mục thủ tục hành chính).", no_args_is_help=True
)
topology_app = typer.Typer(
    help="Organisation topology: units, roles and the wards they serve.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="Statutory working calendar (Asia/Ho_Chi_Minh) and due dates.", no_args_is_help=True
)


@catalog_app.callback()
def _catalog() -> None:
    """Procedure catalogue (danh mục thủ tục hành chính)."""


@topology_app.callback()
def _topology() -> None:
    """Organisation topology: units, roles and the wards they serve."""


@calendar_app.callback()
def _calendar() -> None:
    """Statutory working calendar (Asia/Ho_Chi_Minh) and due dates."""


def _day(value: str | None) -> date:
    if value is None:
        return datetime.now(tz=VIETNAM_TZ).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date such as 2025-07-01") from None


# --- catalogue -------------------------------------------------------------------------------


@catalog_app.command("validate")
def validate_catalogue(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="Directory of *.yaml files")
    ],
) -> None:
    """Validate every catalogue file; print each error as FILE:LINE: message."""
    report = check_catalogue(directory)
    if report.files == 0:
        typer.echo(f"error: no catalogue files (*.yaml, *.yml) in {directory}", err=True)
        raise typer.Exit(code=1)
    for issue in report.issues:
        typer.echo(str(issue.located(str(directory / (issue.file or "")), issue.line)))
    if report.issues:
        typer.echo(f"{len(report.issues)} error(s) in {report.files} file(s)", err=True)
        raise typer.Exit(code=1)
    catalogue = report.catalogue
    count = len(catalogue.codes()) if catalogue else 0
    typer.echo(f"ok: {count} procedures, {report.versions} versions, {report.files} files")


@catalog_app.command("generate")
def generate_catalogue(
    directory: Annotated[Path, typer.Argument(file_okay=False, help="Where to write the files")],
    count: Annotated[int, typer.Option(min=0, help="Number of procedures")] = 1800,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same catalogue")] = 2019,
    per_file: Annotated[int, typer.Option(min=1, help="Procedure versions per file")] = 100,
    style: Annotated[str, typer.Option(help="json (fast to load) or block YAML")] = "json",
) -> None:
    """Write a deterministic synthetic catalogue, then check that it validates."""
    if style not in ("json", "block"):
        raise typer.BadParameter("style must be json or block")
    file_style: FileStyle = "json" if style == "json" else "block"
    if directory.exists() and any(directory.iterdir()):
        typer.echo(f"error: {directory} is not empty; generate into a new directory", err=True)
        raise typer.Exit(code=2)
    procedures = generate_procedures(count, seed)
    files = write_catalogue(directory, procedures, per_file=per_file, style=file_style)
    report = check_catalogue(directory)
    typer.echo(
        f"wrote {count} procedures ({len(procedures)} versions) in {len(files)} files "
        f"to {directory}; validation: {'ok' if report.ok else f'{len(report.issues)} error(s)'}"
    )
    if not report.ok:
        raise typer.Exit(code=1)


@catalog_app.command("show")
def show_procedure(
    code: Annotated[str, typer.Argument(help="Procedure code, e.g. 2.000986")],
    at: Annotated[str | None, typer.Option(help="Date (default: today)")] = None,
) -> None:
    """Show the version of a shipped procedure in force on a date, with its workflow."""
    try:
        procedure = default_catalogue().procedure(code, _day(at))
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    limit = procedure.time_limit
    typer.echo(f"{procedure.code} v{procedure.version} {procedure.name.vi}")
    until = procedure.effective_to or "…"
    typer.echo(f"in force {procedure.effective_from} → {until}; level {procedure.competent_level}")
    cutoff = ", 15:00 cut-off" if limit.cutoff_applies else ""
    typer.echo(f"time limit {limit.value} {limit.unit}{cutoff}")
    for step in procedure.workflow.steps:
        after = f" after {', '.join(step.after)}" if step.after else ""
        typer.echo(f"  {step.id} [{step.role}] share {step.share}{after}")


# --- topology --------------------------------------------------------------------------------


def _pick_topology(dataset: str | None, day: date) -> Topology:
    timeline = default_timeline()
    try:
        return timeline.version(dataset) if dataset else timeline.at(day)
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None


@topology_app.command("units")
def list_units(
    at: Annotated[str | None, typer.Option(help="Date, e.g. 2025-07-01 (default: today)")] = None,
    unit_type: Annotated[
        UnitType | None, typer.Option("--type", help="Only units of this type")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="hcmc-2019 or hcmc-2025")] = None,
) -> None:
    """List the units in force on a date, one per line: CODE NAME."""
    day = _day(at)
    units = _pick_topology(dataset, day).units_in_force(day, unit_type)
    for unit in sorted(units, key=lambda u: u.code):
        typer.echo(f"{unit.code} {unit.name}")


@topology_app.command("resolve")
def resolve_unit(
    role: Annotated[str, typer.Argument(help="Role, e.g. police.residence")],
    ward: Annotated[str, typer.Argument(help="Applicant's ward code, e.g. 26743")],
    at: Annotated[str | None, typer.Option(help="Date (default: today)")] = None,
) -> None:
    """Print the unit competent for a role and a ward on a date."""
    day = _day(at)
    try:
        unit = default_timeline().resolve(role, ward, day)
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{unit.code} {unit.name}")


@topology_app.command("reorganisation")
def list_reorganisation(
    old: Annotated[str, typer.Argument(help="Old version, e.g. hcmc-2019")],
    new: Annotated[str, typer.Argument(help="New version, e.g. hcmc-2025")],
) -> None:
    """List units abolished by a new topology version, with their successors."""
    timeline = default_timeline()
    try:
        successions = reorganisation(timeline.version(old), timeline.version(new))
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    for item in successions:
        successor = f"{item.successor.code} {item.successor.name}" if item.successor else "-"
        note = f"  ({item.note})" if item.note else ""
        typer.echo(f"{item.abolished.code} {item.abolished.name} -> {successor}{note}")


# --- calendar --------------------------------------------------------------------------------


def _pick_calendar(overrides: Path | None) -> WorkingCalendar:
    if overrides is None:
        return default_calendar()
    return WorkingCalendar(load_calendar_overrides(overrides))


OverridesOption = Annotated[
    Path | None,
    typer.Option(exists=True, file_okay=False, help="Directory of yearly override files"),
]


@calendar_app.command("due")
def due(
    received: Annotated[str, typer.Option(help="Receipt moment, ISO 8601 with offset")],
    limit: Annotated[int, typer.Option(min=0, help="Time limit value")],
    unit: Annotated[TimeUnit, typer.Option(help="Unit of the limit")] = TimeUnit.WORKING_DAYS,
    cutoff: Annotated[bool, typer.Option(help="Apply the 15:00 cut-off")] = True,
    overrides: OverridesOption = None,
) -> None:
    """Print the due moment (ISO 8601, +07:00) of a dossier received at RECEIVED."""
    try:
        received_at = datetime.fromisoformat(received)
        deadline = Deadline(_pick_calendar(overrides), Limit(limit, unit, cutoff), received_at)
    except (ValueError, DomainError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--received") from None
    typer.echo(deadline.due_at().isoformat())


@calendar_app.command("days")
def list_days(
    year: Annotated[int, typer.Option(help="Year, e.g. 2026")],
    overrides: OverridesOption = None,
) -> None:
    """List the year's days off that fall on weekdays, and its working weekend days."""
    calendar = _pick_calendar(overrides)
    rows = [(d, "off", why) for d, why in calendar.non_working_days(year) if d.weekday() < 5]
    rows += [(d, "work", why) for d, why in calendar.working_weekend_days(year)]
    for day, kind, why in sorted(rows):
        typer.echo(f"{day.isoformat()} {day:%a} {kind:<4} {why}")
