"""Organisation topology: units, resolution by (role, ward, date), reorganisations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from vietnam_provinces import ProvinceCode, Ward

from lienthong.domain import (
    AmbiguousUnit,
    NoCompetentUnit,
    Topology,
    TopologyError,
    TopologyTimeline,
    Unit,
    UnitType,
    UnknownTopology,
    load_timeline,
    reorganisation,
)
from lienthong.domain.topology import wards_of
from lienthong.domain.topology_data import clean_name, parse_topology
from tests.domain.helpers import vn

JULY_2025 = date(2025, 7, 1)


def unit(code: str, type: UnitType = UnitType.WARD, **fields: object) -> Unit:
    data: dict[str, object] = {"code": code, "name": f"Unit {code}", "type": type}
    data.setdefault("effective_from", date(2020, 1, 1))
    return Unit.model_validate({**data, **fields})


def test_hcmc_2025_has_the_168_wards_of_vietnam_provinces(timeline: TopologyTimeline) -> None:
    topology = timeline.at(JULY_2025)
    assert topology.name == "hcmc-2025"
    wards = wards_of(topology, JULY_2025)
    assert len(wards) == 168
    by_type = {kind: sum(1 for w in wards if w.type is kind) for kind in UnitType}
    assert (by_type[UnitType.WARD], by_type[UnitType.COMMUNE], by_type[UnitType.SPECIAL_ZONE]) == (
        113,
        54,
        1,
    )
    upstream = {
        f"{int(w.code):05d}": clean_name(w.name) for w in Ward.iter_by_province(ProvinceCode.P_79)
    }
    assert {w.code: w.name for w in wards} == upstream
    assert topology.unit("26743").name == "Phường Bến Thành"
    assert topology.unit("26506").name == "Phường Vũng Tàu"
    assert topology.unit("26732").type is UnitType.SPECIAL_ZONE
    assert topology.unit("26536").name == "Phường Rạch Dừa"  # upstream has a double space


def test_every_2025_ward_has_its_police_centre_and_social_insurance(
    timeline: TopologyTimeline,
) -> None:
    topology = timeline.version("hcmc-2025")
    for ward in wards_of(topology, JULY_2025):
        police = topology.resolve("police.residence", ward.code, JULY_2025)
        assert police.code == f"CA-{ward.code}"
        assert police.type is UnitType.POLICE
        centre = topology.resolve("ward.one-stop", ward.code, JULY_2025)
        assert centre.type is UnitType.ONE_STOP_CENTRE
        assert topology.resolve("ward.civil-status", ward.code, JULY_2025) == ward
        assert topology.resolve("social-insurance", ward.code, JULY_2025).code.startswith("BHXH-KV")
        assert topology.resolve("tax", ward.code, JULY_2025).code == "THUE-79"
    assert topology.unit("CA-26743").name == "Công an phường Bến Thành"
    assert topology.unit("TTHCC-26732").name == "Trung tâm Phục vụ hành chính công đặc khu Côn Đảo"
    regional = topology.units_in_force(JULY_2025, UnitType.SOCIAL_INSURANCE)
    assert sum(len(u.serves) for u in regional) == 168


def test_hcmc_2019_is_the_three_tier_pilot_city(timeline: TopologyTimeline) -> None:
    topology = timeline.at(date(2019, 6, 20))
    assert topology.name == "hcmc-2019"
    districts = {u.name for u in topology.units_in_force(date(2019, 6, 20), UnitType.DISTRICT)}
    assert districts == {"Quận 9", "Quận Tân Phú", "Huyện Củ Chi"}
    assert len(wards_of(topology, date(2019, 6, 20))) == 13 + 11 + 21
    assert (
        topology.resolve("police.residence", "27031", date(2019, 7, 1)).name
        == "Công an quận Tân Phú"
    )
    assert (
        topology.resolve("ward.civil-status", "27496", date(2019, 7, 1)).name == "Thị trấn Củ Chi"
    )
    assert topology.resolve("district.one-stop", "26845", date(2019, 7, 1)).code == "MC-763"


def test_quan_9_units_hand_over_to_thu_duc_city_in_2021(timeline: TopologyTimeline) -> None:
    topology = timeline.version("hcmc-2019")
    assert topology.resolve("social-insurance", "26842", date(2020, 12, 31)).code == "BHXH-763"
    assert topology.resolve("social-insurance", "26842", date(2021, 1, 1)).code == "BHXH-769"
    successions = {
        s.abolished.code: s.successor.code for s in topology.successions() if s.successor
    }
    assert successions["CA-763"] == "CA-769"
    assert successions["763"] == "769"


def test_resolution_follows_the_date(timeline: TopologyTimeline) -> None:
    assert timeline.resolve("police.residence", "26842", date(2025, 6, 30)).code == "CA-769"
    assert timeline.resolve("police.residence", "26842", date(2025, 7, 1)).code == "CA-26842"
    assert timeline.resolve("police.residence", "26842", vn(2025, 7, 1, 8)).code == "CA-26842"


def test_resolution_errors_are_clear(timeline: TopologyTimeline) -> None:
    with pytest.raises(
        NoCompetentUnit, match=r"no unit with role 'district\.one-stop' serves ward 26743"
    ):
        timeline.resolve("district.one-stop", "26743", JULY_2025)
    with pytest.raises(NoCompetentUnit, match="unknown ward 99999"):
        timeline.resolve("police.residence", "99999", JULY_2025)
    with pytest.raises(UnknownTopology, match="no topology in force on 2018-01-01"):
        timeline.resolve("police.residence", "26842", date(2018, 1, 1))
    with pytest.raises(UnknownTopology):
        timeline.version("hcmc-1975")


def test_ambiguous_units_are_reported_with_candidates() -> None:
    topology = Topology(
        "t",
        date(2020, 1, 1),
        [
            unit("1"),
            unit("P1", UnitType.POLICE, roles=["police.residence"], serves=["1"]),
            unit("P2", UnitType.POLICE, roles=["police.residence"], serves=["1"]),
        ],
    )
    with pytest.raises(AmbiguousUnit) as caught:
        topology.resolve("police.residence", "1", date(2021, 1, 1))
    assert caught.value.candidates == ("P1", "P2")


def test_units_out_of_force_are_ignored() -> None:
    topology = Topology(
        "t",
        date(2020, 1, 1),
        [
            unit("1"),
            unit(
                "P1",
                UnitType.POLICE,
                roles=["r"],
                serves=["1"],
                effective_to=date(2022, 1, 1),
                successor="P2",
            ),
            unit("P2", UnitType.POLICE, roles=["r"], serves=["1"], effective_from=date(2022, 1, 1)),
        ],
    )
    assert topology.resolve("r", "1", date(2021, 12, 31)).code == "P1"
    assert topology.resolve("r", "1", date(2022, 1, 1)).code == "P2"


def test_invalid_topologies_are_rejected_with_every_issue() -> None:
    with pytest.raises(TopologyError) as caught:
        Topology(
            "t",
            date(2020, 1, 1),
            [
                unit("1"),
                unit("1"),
                unit(
                    "P",
                    UnitType.POLICE,
                    parent="ghost",
                    serves=["P"],
                    effective_to=date(2019, 1, 1),
                ),
            ],
        )
    messages = [issue.message for issue in caught.value.issues]
    assert messages == [
        "duplicate unit code '1'",
        "effective_to must be after effective_from",
        "unknown parent 'ghost'",
        "serves 'P', which is not a ward-level unit",
    ]


def test_the_2025_reorganisation_lists_abolished_units_and_successors(
    timeline: TopologyTimeline,
) -> None:
    successions = reorganisation(timeline.version("hcmc-2019"), timeline.version("hcmc-2025"))
    by_code = {s.abolished.code: s for s in successions}
    assert "79" not in by_code  # the city continues
    assert "763" not in by_code  # already ended in 2021
    assert by_code["26845"].successor is not None
    assert by_code["26845"].successor.name == "Phường Tăng Nhơn Phú"
    assert by_code["26857"].successor is not None
    assert by_code["26857"].successor.code == "26857"
    assert by_code["27532"].successor is not None
    assert by_code["27532"].successor.name == "Xã Tân An Hội"
    assert by_code["CA-767"].successor is None  # district competences were devolved
    assert by_code["26833"].note is not None
    assert by_code["26833"].note.startswith("approximate")
    abolished_wards = [s for s in successions if s.abolished.is_ward_level]
    assert len(abolished_wards) == 45
    assert all(s.successor is not None and s.successor.is_ward_level for s in abolished_wards)


def test_successor_maps_must_name_units_of_the_replaced_version(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: a\neffective_from: 2020-01-01\neffective_to: 2025-01-01\n"
        "units:\n  - {code: '1', name: Phường Một, type: ward}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "name: b\neffective_from: 2025-01-01\nreplaces: a\n"
        "units:\n  - {code: '2', name: Phường Hai, type: ward}\n"
        "successors:\n  - {abolished: '9', successor: '2'}\n"
    )
    with pytest.raises(TopologyError, match="abolished unit '9' is not in a"):
        load_timeline(tmp_path)


def test_overlapping_topology_versions_are_rejected() -> None:
    first = Topology("a", date(2020, 1, 1), [unit("1")])
    second = Topology("b", date(2021, 1, 1), [unit("1")])
    with pytest.raises(TopologyError, match="overlap"):
        TopologyTimeline([first, second])


def test_serves_area_and_ward_roles_expand_at_load() -> None:
    topology = parse_topology(
        {
            "name": "t",
            "effective_from": "2020-01-01",
            "ward_roles": ["ward.civil-status"],
            "units": [
                {"code": "D", "name": "Quận", "type": "district"},
                {"code": "1", "name": "Phường 1", "type": "ward", "parent": "D"},
                {"code": "2", "name": "Phường 2", "type": "ward", "parent": "D"},
                {
                    "code": "P",
                    "name": "Công an",
                    "type": "police",
                    "roles": ["police.residence"],
                    "serves_area": "D",
                },
            ],
        }
    )
    assert topology.unit("P").serves == ("1", "2")
    assert topology.unit("1").roles == ("ward.civil-status",)
    assert topology.unit("1").serves == ("1",)
    assert topology.resolve("police.residence", "2", date(2020, 1, 1)).code == "P"
