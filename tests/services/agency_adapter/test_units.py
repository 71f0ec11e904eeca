"""The adapter's pure parts, without Kafka or a database."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from lienthong.bus import InMemoryBus
from lienthong.store import InMemoryStore
from lienthong_agency_adapter.breaker import CircuitBreaker
from lienthong_agency_adapter.config import (
    DEFAULT_AGENCIES_FILE,
    AdapterSettings,
    AgencyBook,
    AgencyConfig,
    load_agencies,
)
from lienthong_agency_adapter.connectors import ConnectorContext, MalformedAnswer, connector_types
from lienthong_agency_adapter.connectors.inbox import InboxConnector
from lienthong_agency_adapter.connectors.soap import envelope, parse_body, xml_lookup
from lienthong_agency_adapter.courier import Courier
from lienthong_agency_adapter.mapping import AnswerMapping, json_lookup, render
from lienthong_agency_adapter.outbox import TaskOutbox
from lienthong_agency_adapter.recorder import TaskRecorder
from lienthong_agency_adapter.signing import (
    api_key_matches,
    hash_api_key,
    new_api_key,
    sign,
    verify,
)


def test_every_built_in_connector_is_registered_through_entry_points() -> None:
    assert {"rest", "soap", "webhook", "inbox", "manual"} <= set(connector_types())


def test_the_shipped_agencies_file_is_valid_and_names_installed_connectors() -> None:
    book = load_agencies(DEFAULT_AGENCIES_FILE)
    assert {a.connector for a in book.agencies} <= set(connector_types())


def test_agency_codes_must_be_unique_and_topic_safe() -> None:
    with pytest.raises(ValueError, match="twice"):
        AgencyBook.model_validate({"agencies": [{"code": "a", "connector": "inbox"}] * 2})
    with pytest.raises(ValueError, match="lowercase"):
        AgencyBook.model_validate({"agencies": [{"code": "Bad Code", "connector": "inbox"}]})


def test_request_templates_fill_task_fields_and_refuse_unknown_placeholders() -> None:
    fields = {"task_id": "t-1", "dossier_code": "HS-1"}
    assert render({"a": ["{task_id}/{dossier_code}", 3]}, fields) == {"a": ["t-1/HS-1", 3]}
    with pytest.raises(KeyError, match="citizen_id"):
        render("{citizen_id}", fields)


def test_response_mapping_reads_outcomes_and_rejects_what_does_not_fit() -> None:
    mapping = AnswerMapping(
        reference="ref",
        outcome="kq.status",
        outcome_values={"approved": "OK", "refused": "NO", "supplement": "MORE"},
        documents="kq.docs",
        missing="kq.missing",
    )
    approved = mapping.read(json_lookup({"ref": "R1", "kq": {"status": "OK", "docs": ["d"]}}))
    assert approved.reference == "R1"
    assert approved.answer is not None
    assert approved.answer.result_documents == ("d",)
    accepted_only = mapping.read(json_lookup({"ref": "R2"}))
    assert accepted_only.answer is None
    for broken in (
        {"kq": {"status": "OK"}},
        {"ref": "R", "kq": {"status": "??"}},
        {"ref": "R", "kq": {"status": "MORE"}},
    ):
        with pytest.raises(MalformedAnswer):
            mapping.read(json_lookup(broken))


def test_soap_envelopes_round_trip_and_faults_or_dtds_are_refused() -> None:
    request = envelope("urn:x", "Op", {"A": "1"}, "key-1")
    body = parse_body(request)
    assert xml_lookup(body)("Op/A") == ["1"]
    with pytest.raises(MalformedAnswer):
        parse_body(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    with pytest.raises(MalformedAnswer):
        parse_body(b"<not-soap/>")


def test_signatures_verify_only_with_the_secret_the_body_and_a_fresh_time() -> None:
    body = b'{"outcome": "approved"}'
    header = sign("s1", body)
    assert verify(header, body, ["old", "s1"])  # rotation: any valid secret
    assert not verify(header, body + b" ", ["s1"])
    assert not verify(header, body, ["s2"])
    assert not verify(sign("s1", body, timestamp=1), body, ["s1"])
    assert not verify("garbage", body, ["s1"])
    assert not verify(None, body, ["s1"])


def test_api_keys_are_checked_against_their_hashes() -> None:
    key, digest = new_api_key()
    assert digest == hash_api_key(key)
    assert key not in digest
    assert api_key_matches(key, ["00" * 32, digest.upper()])
    assert not api_key_matches(key + "x", [digest])


def test_the_breaker_opens_after_consecutive_failures_and_probes_once_later() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, open_s=10, clock=lambda: now[0])
    breaker.failed()
    assert breaker.allows()
    breaker.failed()
    assert (breaker.state, breaker.allows()) == ("open", False)
    states = []
    now[0] = 10.0
    states.append(breaker.state)
    breaker.failed()  # the probe failed: open again for another period
    states.append(breaker.state)
    assert breaker.seconds_until_probe() == 10
    now[0] = 20.0
    breaker.succeeded()
    states.append(breaker.state)
    assert states == ["half-open", "open", "closed"]


async def test_a_rate_limited_agency_gets_calls_spaced_by_its_rate() -> None:
    agency = AgencyConfig(code="slow", connector="inbox", rate_per_s=20)
    outbox = TaskOutbox(InMemoryStore())
    recorder = TaskRecorder(InMemoryBus(), outbox, "agency-adapter")
    async with httpx.AsyncClient() as http:
        connector = InboxConnector(agency, ConnectorContext(http, "http://t"))
        courier = Courier(agency, connector, outbox, recorder, AdapterSettings(), "http://t")
        started = time.perf_counter()
        await asyncio.gather(*(courier._pace() for _ in range(6)))
    assert time.perf_counter() - started >= 5 / 20 - 0.01
