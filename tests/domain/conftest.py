"""Fixtures for the domain core: shipped data loaded once, and a procedure factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lienthong.domain import (
    Catalogue,
    Procedure,
    TopologyTimeline,
    WorkingCalendar,
    default_calendar,
    default_catalogue,
    default_timeline,
)
from tests.domain.helpers import procedure_data

ProcedureFactory = Callable[..., Procedure]


@pytest.fixture
def make_procedure() -> ProcedureFactory:
    def build(**changes: Any) -> Procedure:
        return Procedure.model_validate(procedure_data(**changes))

    return build


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    return default_calendar()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return default_catalogue()


@pytest.fixture(scope="session")
def timeline() -> TopologyTimeline:
    return default_timeline()
