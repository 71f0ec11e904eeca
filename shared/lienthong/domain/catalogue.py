"""The procedure catalogue (danh mục thủ tục hành chính): every version of every procedure.

A dossier is handled under the version in force when it was received, so lookups always
take a moment: `catalogue.procedure("2.000986", at=received_at)`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from lienthong.domain.errors import CatalogueError, Issue, NoVersionInForce, ProcedureNotFound
from lienthong.domain.localtime import local_day
from lienthong.domain.procedure import Procedure

PositionedIssue = tuple[int, Issue]
"""An issue about the procedure at this position of the list given to the catalogue."""


class Catalogue:
    """Validated, indexed procedure versions. Raises `CatalogueError` listing every issue."""

    def __init__(self, procedures: Iterable[Procedure]) -> None:
        listed = list(procedures)
        issues = catalogue_issues(listed)
        if issues:
            raise CatalogueError([issue for _, issue in issues])
        versions: dict[str, list[Procedure]] = defaultdict(list)
        for procedure in listed:
            versions[procedure.code].append(procedure)
        self._versions = {
            code: tuple(sorted(found, key=lambda p: p.effective_from))
            for code, found in versions.items()
        }
        self._aliases = {alias: p.code for p in listed for alias in p.aliases}

    def __len__(self) -> int:
        """Number of procedure versions."""
        return sum(len(found) for found in self._versions.values())

    def __iter__(self) -> Iterator[Procedure]:
        for code in sorted(self._versions):
            yield from self._versions[code]

    def __contains__(self, code: object) -> bool:
        return code in self._versions or code in self._aliases

    def codes(self) -> list[str]:
        return sorted(self._versions)

    def canonical_code(self, code: str) -> str:
        """The catalogue code for a code or one of its aliases."""
        if code in self._versions:
            return code
        if code in self._aliases:
            return self._aliases[code]
        raise ProcedureNotFound(f"no procedure {code!r} in the catalogue")

    def versions(self, code: str) -> tuple[Procedure, ...]:
        """All versions of a procedure, oldest first."""
        return self._versions[self.canonical_code(code)]

    def procedure(self, code: str, at: date | datetime) -> Procedure:
        """The version in force at that moment (a datetime is read in Vietnamese time)."""
        day = local_day(at)
        for version in self.versions(code):
            if version.in_force(day):
                return version
        raise NoVersionInForce(f"no version of procedure {code!r} was in force on {day}")

    def in_force(self, at: date | datetime) -> list[Procedure]:
        day = local_day(at)
        return [
            p for code in sorted(self._versions) for p in self._versions[code] if p.in_force(day)
        ]

    def roles(self, at: date | datetime | None = None) -> frozenset[str]:
        procedures = list(self) if at is None else self.in_force(at)
        return frozenset(role for p in procedures for role in p.roles())


def catalogue_issues(
    procedures: Sequence[Procedure], also_known: Iterable[str] = ()
) -> list[PositionedIssue]:
    """Problems across versions and procedures: duplicates, overlaps, unknown references.

    `also_known` lists codes defined by entries that failed validation, so that their
    references are not reported a second time as unknown.
    """
    issues: list[PositionedIssue] = []
    by_code: dict[str, list[int]] = defaultdict(list)
    for position, procedure in enumerate(procedures):
        by_code[procedure.code].append(position)
    for positions in by_code.values():
        issues += _version_issues(procedures, positions)
    issues += _alias_issues(procedures, by_code)
    known = set(by_code) | {alias for p in procedures for alias in p.aliases} | set(also_known)
    issues += _reference_issues(procedures, known)
    return sorted(issues, key=lambda item: item[0])


def _version_issues(procedures: Sequence[Procedure], positions: list[int]) -> list[PositionedIssue]:
    issues: list[PositionedIssue] = []
    seen: dict[int, int] = {}
    for position in positions:
        procedure = procedures[position]
        if procedure.version in seen:
            message = f"procedure {procedure.code} version {procedure.version} is defined twice"
            issues.append((position, Issue(message, ("version",))))
        seen.setdefault(procedure.version, position)
    ordered = sorted(set(seen.values()), key=lambda pos: procedures[pos].effective_from)
    for before, after in itertools.pairwise(ordered):
        earlier, later = procedures[before], procedures[after]
        if earlier.effective_to is None or earlier.effective_to > later.effective_from:
            until = earlier.effective_to or "open-ended"
            message = (
                f"versions {earlier.version} and {later.version} of {later.code} overlap: "
                f"version {earlier.version} runs until {until}, "
                f"version {later.version} starts {later.effective_from}"
            )
            issues.append((after, Issue(message, ("effective_from",))))
        if later.version <= earlier.version:
            message = (
                f"version {later.version} of {later.code} takes effect after version "
                f"{earlier.version}: version numbers must grow with effective_from"
            )
            issues.append((after, Issue(message, ("version",))))
    return issues


def _alias_issues(
    procedures: Sequence[Procedure], by_code: dict[str, list[int]]
) -> list[PositionedIssue]:
    issues: list[PositionedIssue] = []
    owner: dict[str, str] = {}
    for position, procedure in enumerate(procedures):
        for index, alias in enumerate(procedure.aliases):
            where = ("aliases", index)
            if alias in by_code:
                issues.append((position, Issue(f"alias {alias} is the code of a procedure", where)))
            elif owner.setdefault(alias, procedure.code) != procedure.code:
                message = f"alias {alias} is already used by procedure {owner[alias]}"
                issues.append((position, Issue(message, where)))
    return issues


def _reference_issues(procedures: Sequence[Procedure], known: set[str]) -> list[PositionedIssue]:
    issues: list[PositionedIssue] = []
    for position, procedure in enumerate(procedures):
        for index, component in enumerate(procedure.components):
            if component not in known:
                message = f"unknown component procedure {component}"
                issues.append((position, Issue(message, ("components", index))))
        options = procedure.sub_procedures.options if procedure.sub_procedures else ()
        for index, option in enumerate(options):
            if option.procedure is not None and option.procedure not in known:
                message = f"unknown procedure {option.procedure} for sub-procedure {option.id!r}"
                where = ("sub_procedures", "options", index, "procedure")
                issues.append((position, Issue(message, where)))
    return issues
