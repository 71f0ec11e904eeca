"""Organisation topology (cơ cấu tổ chức): units, the roles they play, the wards they serve.

Routing asks "which unit plays role R for this applicant's ward on this day?". A topology is
one version of the city's organisation; a reorganisation is a new version whose `successors`
map each abolished unit to the unit that takes over its dossiers. Nothing is edited in place.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from lienthong.domain.errors import (
    AmbiguousUnit,
    Issue,
    NoCompetentUnit,
    TopologyError,
    UnknownTopology,
)
from lienthong.domain.localtime import local_day
from lienthong.domain.vocabulary import Role, StrictModel


class UnitType(StrEnum):
    CITY = "city"  # thành phố trực thuộc trung ương
    DISTRICT = "district"  # quận, huyện, thành phố thuộc thành phố (until 30 June 2025)
    WARD = "ward"  # phường
    COMMUNE = "commune"  # xã
    TOWNSHIP = "township"  # thị trấn (until 30 June 2025)
    SPECIAL_ZONE = "special_zone"  # đặc khu
    POLICE = "police"  # công an
    SOCIAL_INSURANCE = "social_insurance"  # bảo hiểm xã hội
    TAX = "tax"  # cơ quan thuế
    DEPARTMENT = "department"  # sở, phòng chuyên môn
    ONE_STOP_CENTRE = "one_stop_centre"  # bộ phận một cửa, trung tâm phục vụ hành chính công


WARD_LEVEL = frozenset({UnitType.WARD, UnitType.COMMUNE, UnitType.TOWNSHIP, UnitType.SPECIAL_ZONE})


class Unit(StrictModel):
    """An organisation unit; in force from `effective_from` until `effective_to` (exclusive)."""

    code: str
    name: str
    type: UnitType
    parent: str | None = None
    roles: tuple[Role, ...] = ()
    serves: tuple[str, ...] = ()
    effective_from: date
    effective_to: date | None = None
    successor: str | None = None
    note: str | None = None

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    @property
    def is_ward_level(self) -> bool:
        return self.type in WARD_LEVEL


@dataclass(frozen=True)
class Succession:
    """An abolished unit and the unit that takes over its in-flight dossiers (if any)."""

    abolished: Unit
    successor: Unit | None
    note: str | None = None


class Topology:
    """One version of the organisation, indexed by (role, ward) for fast resolution."""

    def __init__(
        self,
        name: str,
        effective_from: date,
        units: Iterable[Unit],
        effective_to: date | None = None,
        replaces: str | None = None,
        successors: Mapping[str, tuple[str, str | None]] | None = None,
    ) -> None:
        self.name = name
        self.effective_from = effective_from
        self.effective_to = effective_to
        self.replaces = replaces
        self.units = tuple(units)
        # abolished unit code of the replaced version → (successor code here, note)
        self.successors: Mapping[str, tuple[str, str | None]] = dict(successors or {})
        issues = topology_issues(self)
        if issues:
            raise TopologyError(issues)
        self._by_code = {unit.code: unit for unit in self.units}
        grouped: dict[tuple[str, str], list[Unit]] = defaultdict(list)
        for unit in self.units:
            for role in unit.roles:
                for ward in unit.serves:
                    grouped[(role, ward)].append(unit)
        self._index: dict[tuple[str, str], tuple[Unit, ...]] = {
            key: tuple(found) for key, found in grouped.items()
        }

    def __repr__(self) -> str:
        return f"Topology({self.name!r}, {len(self.units)} units)"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def unit(self, code: str) -> Unit:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"no unit {code!r} in topology {self.name}") from None

    def units_in_force(self, at: date | datetime, type: UnitType | None = None) -> list[Unit]:
        day = local_day(at)
        return [
            unit
            for unit in self.units
            if unit.in_force(day) and (type is None or unit.type is type)
        ]

    def roles(self) -> frozenset[str]:
        return frozenset(role for unit in self.units for role in unit.roles)

    def resolve(self, role: str, ward: str, at: date | datetime) -> Unit:
        """The unit with `role` competent for the applicant's `ward` on that day."""
        day = local_day(at)
        candidates = [u for u in self._index.get((role, ward), ()) if u.in_force(day)]
        if len(candidates) == 1:
            return candidates[0]
        where = f"ward {ward} on {day} in topology {self.name}"
        if not candidates:
            if ward not in self._by_code:
                raise NoCompetentUnit(f"unknown {where}")
            raise NoCompetentUnit(f"no unit with role {role!r} serves {where}")
        codes = [u.code for u in candidates]
        raise AmbiguousUnit(f"{len(codes)} units with role {role!r} serve {where}: {codes}", codes)

    def successions(self) -> list[Succession]:
        """Units of this version that end within it and name a successor (e.g. in 2021)."""
        return [
            Succession(unit, self._by_code.get(unit.successor), unit.note)
            for unit in self.units
            if unit.successor is not None
        ]


def topology_issues(topology: Topology) -> list[Issue]:
    """Duplicate codes, dangling references, serving non-wards, inverted dates."""
    issues: list[Issue] = []
    codes: dict[str, Unit] = {}
    for index, unit in enumerate(topology.units):
        if unit.code in codes:
            issues.append(Issue(f"duplicate unit code {unit.code!r}", ("units", index, "code")))
        codes[unit.code] = unit
    for index, unit in enumerate(topology.units):
        issues += _unit_issues(unit, codes, ("units", index))
    for old, (new, _note) in topology.successors.items():
        if new not in codes:
            message = f"successor {new!r} of {old!r} is not a unit of {topology.name}"
            issues.append(Issue(message, ("successors", old)))
    return issues


def _unit_issues(
    unit: Unit, codes: Mapping[str, Unit], where: tuple[str | int, ...]
) -> list[Issue]:
    issues: list[Issue] = []
    if unit.effective_to is not None and unit.effective_to <= unit.effective_from:
        issues.append(Issue("effective_to must be after effective_from", (*where, "effective_to")))
    for key, reference in (("parent", unit.parent), ("successor", unit.successor)):
        if reference is not None and reference not in codes:
            issues.append(Issue(f"unknown {key} {reference!r}", (*where, key)))
    for position, ward in enumerate(unit.serves):
        served = codes.get(ward)
        if served is None or not served.is_ward_level:
            message = f"serves {ward!r}, which is not a ward-level unit"
            issues.append(Issue(message, (*where, "serves", position)))
    return issues


class TopologyTimeline:
    """Successive topology versions; picks the one in force on a given day."""

    def __init__(self, versions: Iterable[Topology]) -> None:
        self.versions = tuple(sorted(versions, key=lambda t: t.effective_from))
        for earlier, later in itertools.pairwise(self.versions):
            if earlier.effective_to is None or earlier.effective_to > later.effective_from:
                raise TopologyError(
                    [Issue(f"topologies {earlier.name} and {later.name} overlap in time")]
                )

    def version(self, name: str) -> Topology:
        for topology in self.versions:
            if topology.name == name:
                return topology
        raise UnknownTopology(f"no topology named {name!r}")

    def at(self, at: date | datetime) -> Topology:
        day = local_day(at)
        for topology in self.versions:
            if topology.in_force(day):
                return topology
        raise UnknownTopology(f"no topology in force on {day}")

    def resolve(self, role: str, ward: str, at: date | datetime) -> Unit:
        return self.at(at).resolve(role, ward, at)

    def units_in_force(self, at: date | datetime, type: UnitType | None = None) -> list[Unit]:
        return self.at(at).units_in_force(at, type)


def reorganisation(old: Topology, new: Topology) -> list[Succession]:
    """Units of `old` abolished when `new` takes effect, each with its successor in `new`.

    Every unit in force the day before is listed, except one that continues: `new` has a unit
    with the same code, type and name on its first day and no successor entry for it (a ward
    merged into a new ward of the same name is listed, with itself as successor code).
    """
    last_day = new.effective_from - timedelta(days=1)
    first_day = new.effective_from
    continuing = {(u.code, u.type, u.name) for u in new.units if u.in_force(first_day)}
    found: list[Succession] = []
    for unit in old.units_in_force(last_day):
        if (unit.code, unit.type, unit.name) in continuing and unit.code not in new.successors:
            continue
        successor_code, note = new.successors.get(unit.code, (None, None))
        successor = new.unit(successor_code) if successor_code else None
        found.append(Succession(unit, successor, note))
    return found


def wards_of(topology: Topology, at: date | datetime) -> Sequence[Unit]:
    """Ward-level units (phường, xã, thị trấn, đặc khu) in force on that day."""
    return [unit for unit in topology.units_in_force(at) if unit.is_ward_level]
