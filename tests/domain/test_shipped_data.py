"""The shipped catalogue and topologies fit together: every step finds its unit."""

from __future__ import annotations

from datetime import date

import pytest

from lienthong.domain import Catalogue, DossierSchedule, TopologyTimeline, WorkingCalendar
from lienthong.domain.topology import wards_of
from tests.domain.helpers import vn

# One day in each period: pilot (Quận 9), Thủ Đức city, Decree 63/2024, 2-tier city.
DAYS = [date(2019, 7, 1), date(2022, 3, 1), date(2024, 7, 1), date(2025, 7, 1), date(2026, 3, 2)]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_every_step_of_every_procedure_in_force_resolves_for_every_ward(
    day: date, catalogue: Catalogue, timeline: TopologyTimeline
) -> None:
    topology = timeline.at(day)
    wards = wards_of(topology, day)
    assert wards
    procedures = catalogue.in_force(day)
    assert len(procedures) == 13
    for procedure in procedures:
        for role in procedure.roles():
            for ward in wards:
                unit = topology.resolve(role, ward.code, day)
                assert unit.in_force(day)


def test_a_dossier_received_on_the_eve_of_the_reorganisation_keeps_its_version(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    received = vn(2025, 6, 30, 10)
    permit = catalogue.procedure("HCM-GPXD-NORL", received)
    assert permit.version == 1
    assert permit.competent_level == "district"
    schedule = DossierSchedule.plan(permit, calendar, received)
    assert schedule.dossier_due() == vn(2025, 7, 15, 17)
