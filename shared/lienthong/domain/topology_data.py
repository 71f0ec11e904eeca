"""Topology files: YAML units, plus wards generated from the `vietnam-provinces` package.

`hcmc-2019.yaml` lists its units; `hcmc-2025.yaml` describes templates, and the 168 wards,
communes and special zone of Ho Chi Minh City (names and codes) come from vietnam-provinces.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from importlib.abc import Traversable
from importlib.resources import files
from pathlib import Path
from typing import Literal

import yaml
from pydantic import PositiveInt
from vietnam_provinces import ProvinceCode, VietNamDivisionType, Ward

from lienthong.domain.errors import Issue, TopologyError
from lienthong.domain.topology import WARD_LEVEL, Topology, TopologyTimeline, Unit, UnitType
from lienthong.domain.vocabulary import Role, StrictModel

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DIVISION_TYPES = {
    VietNamDivisionType.PHUONG: UnitType.WARD,
    VietNamDivisionType.XA: UnitType.COMMUNE,
    VietNamDivisionType.DAC_KHU: UnitType.SPECIAL_ZONE,
}


class UnitEntry(StrictModel):
    """A unit as written in a topology file; dates default to the topology's."""

    code: str
    name: str
    type: UnitType
    parent: str | None = None
    roles: tuple[Role, ...] | None = None
    serves: tuple[str, ...] = ()
    serves_area: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    successor: str | None = None
    note: str | None = None


class SuccessorEntry(StrictModel):
    abolished: str
    successor: str
    note: str | None = None


class PerWardTemplate(StrictModel):
    """One unit per generated ward; `{code}`, `{name}` (e.g. "phường Bến Thành") are filled."""

    code: str
    name: str
    type: UnitType
    roles: tuple[Role, ...]
    parent: str = "{code}"
    note: str | None = None


class RegionalTemplate(StrictModel):
    """Units each serving `block_size` consecutive wards in code order; `{index}` is filled."""

    code: str
    name: str
    type: UnitType
    roles: tuple[Role, ...]
    block_size: PositiveInt
    parent: str | None = None
    note: str | None = None


class GeneratedWards(StrictModel):
    source: Literal["vietnam-provinces"]
    province_code: int
    parent: str
    note: str | None = None
    per_ward: tuple[PerWardTemplate, ...] = ()
    regional: tuple[RegionalTemplate, ...] = ()


class TopologyFile(StrictModel):
    name: str
    description: str | None = None
    effective_from: date
    effective_to: date | None = None
    replaces: str | None = None
    ward_roles: tuple[Role, ...] = ()
    generated: GeneratedWards | None = None
    units: tuple[UnitEntry, ...] = ()
    successors: tuple[SuccessorEntry, ...] = ()


def shipped_topology_dir() -> Traversable:
    return files("lienthong").joinpath("data", "topology")


def parse_topology(data: object) -> Topology:
    spec = TopologyFile.model_validate(data)
    entries = list(spec.units)
    if spec.generated is not None:
        entries += generated_entries(spec.generated)
    units = _build_units(spec, entries)
    successors = {s.abolished: (s.successor, s.note) for s in spec.successors}
    return Topology(
        spec.name, spec.effective_from, units, spec.effective_to, spec.replaces, successors
    )


def load_topology(source: Path | Traversable) -> Topology:
    data = yaml.load(source.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506
    return parse_topology(data)


def load_timeline(directory: Path | Traversable) -> TopologyTimeline:
    """Every topology file of a directory; successor maps are checked against their source."""
    versions = [
        load_topology(item)
        for item in sorted(directory.iterdir(), key=lambda entry: entry.name)
        if item.name.endswith((".yaml", ".yml"))
    ]
    timeline = TopologyTimeline(versions)
    issues: list[Issue] = []
    for topology in timeline.versions:
        if topology.replaces is None:
            continue
        old = timeline.version(topology.replaces)
        known = {unit.code for unit in old.units}
        for abolished in topology.successors:
            if abolished not in known:
                message = f"{topology.name}: abolished unit {abolished!r} is not in {old.name}"
                issues.append(Issue(message, ("successors", abolished)))
    if issues:
        raise TopologyError(issues)
    return timeline


@functools.cache
def default_timeline() -> TopologyTimeline:
    """The shipped topologies: hcmc-2019 (3-tier) then hcmc-2025 (2-tier)."""
    return load_timeline(shipped_topology_dir())


def clean_name(name: str) -> str:
    """Collapse the stray double spaces of some upstream names ("Phường  An Nhơn")."""
    return " ".join(name.split())


def in_sentence(ward: Ward) -> str:
    """Ward name as it reads inside a unit's name: "phường Bến Thành"."""
    name, kind = clean_name(ward.name), ward.division_type.value
    if name.lower().startswith(kind):
        return kind + name[len(kind) :]
    return name


def generated_entries(spec: GeneratedWards) -> list[UnitEntry]:
    """Ward units from vietnam-provinces, one unit per ward per template, regional units."""
    wards = sorted(Ward.iter_by_province(ProvinceCode(spec.province_code)), key=lambda w: w.code)
    entries: list[UnitEntry] = []
    for ward in wards:
        code = f"{int(ward.code):05d}"
        entries.append(
            UnitEntry(
                code=code,
                name=clean_name(ward.name),
                type=DIVISION_TYPES[ward.division_type],
                parent=spec.parent,
                note=spec.note,
            )
        )
        for template in spec.per_ward:
            entries.append(_per_ward_entry(template, code, in_sentence(ward)))
    codes = [f"{int(ward.code):05d}" for ward in wards]
    for regional in spec.regional:
        entries += _regional_entries(regional, codes, spec.parent)
    return entries


def _per_ward_entry(template: PerWardTemplate, code: str, name: str) -> UnitEntry:
    return UnitEntry(
        code=template.code.format(code=code),
        name=template.name.format(name=name),
        type=template.type,
        parent=template.parent.format(code=code),
        roles=template.roles,
        serves=(code,),
        note=template.note,
    )


def _regional_entries(
    template: RegionalTemplate, codes: Sequence[str], parent: str
) -> list[UnitEntry]:
    size = template.block_size
    return [
        UnitEntry(
            code=template.code.format(index=index),
            name=template.name.format(index=index),
            type=template.type,
            parent=template.parent or parent,
            roles=template.roles,
            serves=tuple(codes[start : start + size]),
            note=template.note,
        )
        for index, start in enumerate(range(0, len(codes), size), start=1)
    ]


def _build_units(spec: TopologyFile, entries: Iterable[UnitEntry]) -> list[Unit]:
    listed = list(entries)
    children: dict[str, list[UnitEntry]] = defaultdict(list)
    for entry in listed:
        if entry.parent is not None:
            children[entry.parent].append(entry)
    return [_build_unit(spec, entry, children) for entry in listed]


def _build_unit(spec: TopologyFile, entry: UnitEntry, children: dict[str, list[UnitEntry]]) -> Unit:
    serves = list(entry.serves)
    if entry.serves_area is not None:
        serves += _wards_under(entry.serves_area, children)
    is_ward = entry.type in WARD_LEVEL
    if is_ward and not serves:
        serves = [entry.code]
    roles = entry.roles if entry.roles is not None else (spec.ward_roles if is_ward else ())
    return Unit(
        code=entry.code,
        name=entry.name,
        type=entry.type,
        parent=entry.parent,
        roles=roles,
        serves=tuple(dict.fromkeys(serves)),
        effective_from=entry.effective_from or spec.effective_from,
        effective_to=entry.effective_to or spec.effective_to,
        successor=entry.successor,
        note=entry.note,
    )


def _wards_under(area: str, children: dict[str, list[UnitEntry]]) -> list[str]:
    found: list[str] = []
    stack, seen = [area], {area}
    while stack:
        for child in children.get(stack.pop(), []):
            if child.code in seen:
                continue
            seen.add(child.code)
            if child.type in WARD_LEVEL:
                found.append(child.code)
            stack.append(child.code)
    return sorted(found)
