"""Ward codes as an applicant gives them: a ward or commune of Viet Nam that exists today.

Refused (a `ValueError`, so a 422 naming the field):

* a code that is no ward or commune at all: not in the national list of today (the
  `vietnam-provinces` package) nor in any version of the city's topology;
* a ward of the city abolished by a reorganisation (e.g. on 1 July 2025): the applicant gives
  the ward of the address as it is today, and a dossier is not started under a unit that no
  longer exists.

A real ward of another province passes: whether the city can receive a dossier from there is
the receipt decision's business (a refusal with its reasons), not malformed input. "Today" is
the calendar day in Viet Nam by the real clock; the receipt decision checks again, at the
moment of receipt by the service's clock.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime

from vietnam_provinces import Ward

from lienthong.domain import default_timeline, local_day
from lienthong.domain.topology import Unit


@functools.cache
def _national() -> frozenset[str]:
    return frozenset(f"{int(ward.code):05d}" for ward in Ward.iter_all())


@functools.cache
def _city_ever() -> dict[str, Unit]:
    """Every ward-level unit of every topology version, the latest version's last."""
    units: dict[str, Unit] = {}
    for version in default_timeline().versions:
        units.update({unit.code: unit for unit in version.units if unit.is_ward_level})
    return units


@functools.lru_cache(maxsize=4)
def _city_on(day: date) -> frozenset[str]:
    return frozenset(u.code for u in default_timeline().units_in_force(day) if u.is_ward_level)


def ward_of_today(code: str) -> str:
    """`code` if it is a ward or commune today; else ValueError saying why."""
    day = local_day(datetime.now(UTC))
    if code in _city_on(day):
        return code
    abolished = _city_ever().get(code)
    if abolished is not None and abolished.effective_to is not None:
        raise ValueError(
            f"ward {code} ({abolished.name}) was abolished on "
            f"{abolished.effective_to.isoformat()}: give the ward or commune of the address "
            "as it is today"
        )
    if code not in _national():
        raise ValueError(f"{code} is not the code of a ward or commune of Viet Nam")
    return code
