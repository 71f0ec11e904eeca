"""Dossier codes `<agency id>-<yymmdd>-<nnnn>`, numbered per agency per local day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from lienthong.domain import (
    DossierCode,
    InvalidDossierCode,
    NaiveDatetimeError,
    counter_name,
    format_dossier_code,
    is_valid_dossier_code,
    issue_dossier_code,
    parse_dossier_code,
)
from tests.domain.helpers import vn


class FakeCounters:
    """In-memory counters with the Store's `increment` contract."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    async def increment(self, name: str, by: int = 1) -> int:
        await asyncio.sleep(0)  # let other tasks interleave, as a real store would
        self.values[name] = self.values.get(name, 0) + by
        return self.values[name]


def test_format_and_parse_round_trip() -> None:
    code = format_dossier_code("000.00.01.H29", date(2026, 3, 10), 420)
    assert code == "000.00.01.H29-260310-0420"
    assert parse_dossier_code(code) == DossierCode("000.00.01.H29", date(2026, 3, 10), 420)
    assert str(parse_dossier_code("38.98.H29-210519-0003")) == "38.98.H29-210519-0003"


def test_sequences_beyond_9999_widen() -> None:
    code = format_dossier_code("38.98.H29", date(2026, 1, 2), 12345)
    assert code == "38.98.H29-260102-12345"
    assert parse_dossier_code(code).sequence == 12345


@pytest.mark.parametrize(
    "text",
    [
        "000.00.01.H29-260310-042",  # short sequence
        "000.00.01.H29-260230-0001",  # 30 February
        "000.00.01.H29-260310-0000",  # sequence 0
        "H29-260310-0001",  # no agency number
        "000.00.01.h29-260310-0001",  # lower-case province
        "000.00.01.H29_260310_0001",
        " 000.00.01.H29-260310-0001",
    ],
)
def test_malformed_codes_are_rejected(text: str) -> None:
    assert not is_valid_dossier_code(text)
    with pytest.raises(InvalidDossierCode):
        parse_dossier_code(text)


def test_formatting_checks_its_inputs() -> None:
    with pytest.raises(InvalidDossierCode, match="agency id"):
        format_dossier_code("H29", date(2026, 1, 1), 1)
    with pytest.raises(InvalidDossierCode, match="start at 1"):
        format_dossier_code("38.98.H29", date(2026, 1, 1), 0)
    with pytest.raises(InvalidDossierCode, match="two-digit year"):
        format_dossier_code("38.98.H29", date(1999, 12, 31), 1)


def test_counter_names_are_per_agency_per_day() -> None:
    assert counter_name("38.98.H29", date(2026, 3, 10)) == "dossier-code/38.98.H29/2026-03-10"
    assert counter_name("38.98.H29", date(2026, 3, 10)) != counter_name(
        "38.98.H29", date(2026, 3, 11)
    )
    assert counter_name("38.98.H29", date(2026, 3, 10)) != counter_name(
        "38.97.H29", date(2026, 3, 10)
    )


def test_issuing_codes_numbers_each_agency_and_day_from_one() -> None:
    counters = FakeCounters()

    async def scenario() -> list[str]:
        return [
            await issue_dossier_code(counters, "000.00.01.H29", vn(2026, 3, 10, 8)),
            await issue_dossier_code(counters, "000.00.01.H29", vn(2026, 3, 10, 16)),
            await issue_dossier_code(counters, "38.98.H29", vn(2026, 3, 10, 9)),
            await issue_dossier_code(counters, "000.00.01.H29", vn(2026, 3, 11, 7)),
        ]

    assert asyncio.run(scenario()) == [
        "000.00.01.H29-260310-0001",
        "000.00.01.H29-260310-0002",
        "38.98.H29-260310-0001",
        "000.00.01.H29-260311-0001",
    ]


def test_the_day_of_a_code_is_the_vietnamese_day() -> None:
    counters = FakeCounters()
    received = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)  # 01:30 on 11 March in Vietnam
    code = asyncio.run(issue_dossier_code(counters, "38.98.H29", received))
    assert code == "38.98.H29-260311-0001"
    with pytest.raises(NaiveDatetimeError):
        asyncio.run(issue_dossier_code(counters, "38.98.H29", datetime(2026, 3, 10, 9)))


def test_concurrent_issues_never_share_a_number() -> None:
    counters = FakeCounters()

    async def many() -> list[str]:
        tasks = [issue_dossier_code(counters, "38.98.H29", vn(2026, 3, 10, 9)) for _ in range(200)]
        return await asyncio.gather(*tasks)

    codes = asyncio.run(many())
    assert len(set(codes)) == 200
    assert sorted(parse_dossier_code(c).sequence for c in codes) == list(range(1, 201))


def test_an_invalid_agency_consumes_no_number() -> None:
    counters = FakeCounters()
    with pytest.raises(InvalidDossierCode):
        asyncio.run(issue_dossier_code(counters, "not-an-agency", vn(2026, 3, 10, 9)))
    assert counters.values == {}
