"""Errors raised by the domain core, and the located issue used by the validators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

PathItem = str | int


def format_path(path: Sequence[PathItem]) -> str:
    """`("workflow", "steps", 2, "after")` → `workflow.steps[2].after`."""
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else item)
    return text


@dataclass(frozen=True)
class Issue:
    """One validation finding, located by a path in the data and, once known, a file line."""

    message: str
    path: tuple[PathItem, ...] = ()
    file: str | None = None
    line: int | None = None

    def under(self, *prefix: PathItem) -> Issue:
        return replace(self, path=(*prefix, *self.path))

    def located(self, file: str, line: int | None) -> Issue:
        return replace(self, file=file, line=line)

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        at = f" (at {format_path(self.path)})" if self.path else ""
        return f"{where}{self.message}{at}"


class DomainError(Exception):
    """Base class of every error the domain core raises on purpose."""


class ValidationFailed(DomainError, ValueError):
    """Data failed validation; `issues` lists every problem found, not just the first."""

    def __init__(self, what: str, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{what}: {len(self.issues)} error(s)\n{lines}")


class CatalogueError(ValidationFailed):
    """The procedure catalogue is invalid."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("invalid procedure catalogue", issues)


class TopologyError(ValidationFailed):
    """An organisation topology is invalid."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("invalid organisation topology", issues)


class ProcedureNotFound(DomainError, LookupError):
    """No procedure with this code (or alias) in the catalogue."""


class NoVersionInForce(ProcedureNotFound):
    """The procedure exists, but no version of it was in force at that moment."""


class InvalidSelection(DomainError, ValueError):
    """The applicant's choice of sub-procedures breaks the procedure's rules."""


class UnitResolutionError(DomainError, LookupError):
    """No single competent unit could be determined."""


class NoCompetentUnit(UnitResolutionError):
    """No unit with the role serves the ward on that date."""


class AmbiguousUnit(UnitResolutionError):
    """Several units with the role serve the ward on that date."""

    def __init__(self, message: str, candidates: Sequence[str]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(message)


class UnknownTopology(DomainError, LookupError):
    """No topology version with that name, or none in force on that date."""


class ClockStopped(DomainError):
    """The due moment is unknown while the clock is paused (supplement outstanding)."""


class InvalidDossierCode(DomainError, ValueError):
    """Text that is not a dossier code `<agency id>-<yymmdd>-<nnnn>`."""


class NaiveDatetimeError(DomainError, ValueError):
    """A datetime without a UTC offset; the domain refuses to guess the time zone."""
