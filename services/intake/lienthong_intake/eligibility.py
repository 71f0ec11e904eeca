"""The receipt decision (Decree 61/2018, Decree 118/2025): received, incomplete or not eligible.

Pure and synchronous: the catalogue and the topology in force at the moment of receipt decide.
Every reason and every missing document is listed at once, never one per round trip.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from lienthong.domain import (
    Catalogue,
    InvalidSelection,
    Procedure,
    ProcedureNotFound,
    RequiredDocument,
    TopologyTimeline,
    Unit,
    UnitResolutionError,
    UnknownTopology,
)


@dataclass(frozen=True)
class Application:
    """What the receipt decision looks at (no personal data beyond the ward)."""

    procedure: str
    ward_code: str
    form: Mapping[str, object]
    document_types: Collection[str]
    sub_procedures: Collection[str]


@dataclass(frozen=True)
class Rejected:
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Incomplete:
    procedure: Procedure
    selection: frozenset[str]
    receiving_unit: Unit
    missing: tuple[RequiredDocument, ...]


@dataclass(frozen=True)
class Complete:
    procedure: Procedure
    selection: frozenset[str]
    receiving_unit: Unit


Assessment = Rejected | Incomplete | Complete


def assess_application(
    catalogue: Catalogue, timeline: TopologyTimeline, application: Application, at: datetime
) -> Assessment:
    """Decide the receipt outcome of `application` handed in at `at`."""
    reasons: list[str] = []
    procedure = _procedure_in_force(catalogue, application.procedure, at, reasons)
    ward_known = _ward_in_force(timeline, application.ward_code, at, reasons)
    if procedure is None:
        return Rejected(tuple(reasons))
    try:
        selection = procedure.select(application.sub_procedures)
    except InvalidSelection as exc:
        return Rejected((*reasons, str(exc)))
    known_types = {document.type for document in procedure.documents}
    unknown = sorted(set(application.document_types) - known_types)
    if unknown:
        reasons.append(f"document type(s) {unknown} are not part of procedure {procedure.code}")
    unit = None
    if ward_known:
        unit = _receiving_unit(timeline, procedure, selection, application.ward_code, at, reasons)
    if reasons or unit is None:
        return Rejected(tuple(reasons))
    required = procedure.required_documents(application.form, selection)
    missing = tuple(d for d in required if d.type not in application.document_types)
    if missing:
        return Incomplete(procedure, selection, unit, missing)
    return Complete(procedure, selection, unit)


def _procedure_in_force(
    catalogue: Catalogue, code: str, at: datetime, reasons: list[str]
) -> Procedure | None:
    try:
        return catalogue.procedure(code, at)
    except ProcedureNotFound as exc:  # includes NoVersionInForce
        reasons.append(str(exc))
        return None


def _ward_in_force(timeline: TopologyTimeline, ward: str, at: datetime, reasons: list[str]) -> bool:
    try:
        wards = {u.code for u in timeline.units_in_force(at) if u.is_ward_level}
    except UnknownTopology as exc:
        reasons.append(str(exc))
        return False
    if ward not in wards:
        reasons.append(f"ward {ward} is not a ward or commune in force on {at.date()}")
        return False
    return True


def _receiving_unit(
    timeline: TopologyTimeline,
    procedure: Procedure,
    selection: frozenset[str],
    ward: str,
    at: datetime,
    reasons: list[str],
) -> Unit | None:
    """The unit that performs the workflow's first step (the one-stop desk) for this ward."""
    first = procedure.workflow.for_selection(selection).steps[0]
    try:
        return timeline.resolve(first.role, ward, at)
    except (UnitResolutionError, UnknownTopology) as exc:
        reasons.append(f"no unit can receive procedure {procedure.code} here: {exc}")
        return None
