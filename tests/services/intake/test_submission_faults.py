"""Submissions when the broker fails them, on real Kafka and FerretDB: a retry with the same
Idempotency-Key always ends with one dossier under the code its citizen holds.

The broker's failures are injected around the real bus (the records of an "acknowledgement
timeout" really reach Kafka; a "broker down" publish sends nothing), so that every other part
runs as in production."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

from lienthong.events import Event
from lienthong.settings import Settings
from lienthong.store import MongoStore
from lienthong_intake.idempotency import Claim, IdempotencyLedger, StoredAnswer
from tests.conftest import Infra
from tests.services.intake.conftest import Running, running
from tests.services.intake.flows import tracking_view
from tests.services.intake.samples import BIRTH_GROUP, birth_group, key
from tests.services.intake.test_pages import ALL_SCANS, birth_form
from tests.support import eventually_async

Publish = Callable[..., Coroutine[Any, Any, None]]


@pytest.fixture
async def real(
    infra: Infra, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Running]:
    monkeypatch.setenv("LIENTHONG_INTAKE_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("LIENTHONG_INTAKE_ATTEMPT_S", "1")
    monkeypatch.setenv("LIENTHONG_INTAKE_PUBLISH_TIMEOUT_S", "2")
    monkeypatch.setenv("LIENTHONG_INTAKE_IDEMPOTENCY_WAIT_S", "0.3")
    settings = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
    )
    async with running(settings) as it:
        yield it


def failing(
    real: Running, monkeypatch: pytest.MonkeyPatch, fail: Callable[[Publish, str, Event], Any]
) -> list[str]:
    """Route the intake's publishes through `fail` while it is set; returns the event types
    that `fail` saw."""
    publish: Publish = real.host.bus.publish
    seen: list[str] = []

    async def faulty(topic: str, *events: Event) -> None:
        for event in events:
            seen.append(event.type)
            await fail(publish, topic, event)

    monkeypatch.setattr(real.host.bus, "publish", faulty)
    return seen


def sequence_of(code: str) -> int:
    match = re.fullmatch(r".+-\d{6}-(\d{4})", code)
    assert match, code
    return int(match[1])


async def test_a_retry_after_a_lost_acknowledgement_keeps_the_code_the_citizen_holds(
    real: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker stores `dossier.received`, its acknowledgement never arrives: the citizen's
    retry must be answered with the code already in the stream, not a new one."""
    lost = {"dossier.received"}

    async def ack_lost(publish: Publish, topic: str, event: Event) -> None:
        await publish(topic, event)
        if event.type in lost:
            lost.discard(event.type)
            raise KafkaTimeoutError()

    failing(real, monkeypatch, ack_lost)
    headers = key()
    first = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert first.status_code == 503, first.text
    assert first.headers["retry-after"] == "5"
    assert first.json()["type"] == "urn:lienthong:problem:unavailable"

    again = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert again.status_code == 201, again.text
    code = again.json()["code"]
    events = await real.dossier_events(again.json()["dossier_id"])
    received = [e for e in events if e.type == "dossier.received"]
    assert {e.data["code"] for e in received} == {code}, "every copy carries the citizen's code"
    assert len({e.id for e in events}) == 2, "the retry published the very same two events"

    async def projected() -> bool:
        return await tracking_view(real, code) is not None

    await eventually_async(projected, what="the code the citizen holds, in the tracking view")
    tracking = await real.client.get(
        f"/v1/tracking/{code}", params={"secret": again.json()["tracking_secret"]}
    )
    assert tracking.status_code == 200, tracking.text


async def test_with_the_broker_down_no_code_is_drawn_and_the_retry_completes(
    real: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = True

    async def broker_down(publish: Publish, topic: str, event: Event) -> None:
        if down:
            raise KafkaConnectionError("broker down")
        await publish(topic, event)

    seen = failing(real, monkeypatch, broker_down)
    headers = key()
    refused = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "5"
    assert seen == ["dossier.submitted"], "the outcome (and its code) was not even attempted"

    down = False
    done = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert done.status_code == 201, done.text
    assert sequence_of(done.json()["code"]) == 1, "no number was burnt by the refused attempt"


async def test_a_hanging_broker_is_answered_503_within_the_publish_timeout(
    real: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()

    async def hangs(publish: Publish, topic: str, event: Event) -> None:
        await release.wait()
        await publish(topic, event)

    failing(real, monkeypatch, hangs)
    headers = key()
    refused = await asyncio.wait_for(
        real.client.post("/v1/dossiers", json=birth_group(), headers=headers), timeout=10
    )
    assert refused.status_code == 503, refused.text
    release.set()
    done = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert done.status_code == 201, done.text


async def test_an_attempt_killed_midway_is_finished_by_the_retry_after_its_time(
    real: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt published `dossier.submitted`, drew its code and then went silent
    (its process killed): a retry waits for it, then takes over with the same code."""
    stalled = asyncio.Event()

    async def killed_after_submitted(publish: Publish, topic: str, event: Event) -> None:
        if event.type == "dossier.received" and not stalled.is_set():
            stalled.set()
            await asyncio.Event().wait()  # never returns: cancelled below, as by a kill
        await publish(topic, event)

    failing(real, monkeypatch, killed_after_submitted)
    headers = key()
    body = birth_group()
    first = asyncio.create_task(real.client.post("/v1/dossiers", json=body, headers=headers))
    await asyncio.wait_for(stalled.wait(), timeout=10)
    # A retry while the attempt may still be alive is told to come back.
    early = await real.client.post("/v1/dossiers", json=body, headers=headers)
    assert early.status_code == 409, early.text
    assert early.json()["type"] == "urn:lienthong:problem:idempotency-in-progress"
    # The kill: the attempt never writes again (not even that it failed).
    monkeypatch.setattr(IdempotencyLedger, "interrupt", _never)
    first.cancel()
    await asyncio.sleep(1.2)  # the attempt's time (LIENTHONG_INTAKE_ATTEMPT_S=1) runs out
    done = await real.client.post("/v1/dossiers", json=body, headers=headers)
    assert done.status_code == 201, done.text
    events = await real.dossier_events(done.json()["dossier_id"])
    once = first_of_each(events)  # as every consumer sees them: a republished id dropped
    assert [e.type for e in once] == ["dossier.submitted", "dossier.received"]
    assert once[1].data["code"] == done.json()["code"]
    assert sequence_of(done.json()["code"]) == 1, "the code drawn by the killed attempt is used"


def first_of_each(events: list[Event]) -> list[Event]:
    ids: set[str] = set()
    firsts = []
    for event in events:
        if event.id not in ids:
            ids.add(event.id)
            firsts.append(event)
    return firsts


async def _never(*_args: object) -> None:
    return None


async def test_the_form_answers_a_broker_outage_with_a_page_that_resends_the_same_dossier(
    real: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = True

    async def broker_down(publish: Publish, topic: str, event: Event) -> None:
        if down:
            raise KafkaConnectionError("broker down")
        await publish(topic, event)

    failing(real, monkeypatch, broker_down)
    form = birth_form("page-outage-key-0001")
    refused = await real.client.post(f"/apply/{BIRTH_GROUP}", data=form, files=ALL_SCANS)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.headers["content-type"].startswith("text/html")
    page = refused.text
    assert "Hệ thống đang tạm gián đoạn" in page
    assert 'value="page-outage-key-0001"' in page, "the form keeps its key"
    assert 'value="Trần Thị Cúc"' in page, "and what the citizen typed"
    assert 'value="true" checked' in page

    kept = dict(re.findall(r'name="(kept\.[^"]+)" value="([^"]+)"', page))
    assert len(kept) == len(ALL_SCANS), "the files already received are kept by the form"

    down = False  # sent again as a browser does: the fields and the kept files, no new file
    sent_again = await real.client.post(f"/apply/{BIRTH_GROUP}", data={**form, **kept})
    assert sent_again.status_code == 303, sent_again.text
    assert "/receipt?secret=" in sent_again.headers["location"]
    received = [e for e in await real.all_events() if e.type == "dossier.received"]
    assert len(received) == 1


# Long enough for a takeover to finish on a loaded machine before it could be taken over again.
LEDGER_ATTEMPT_S = 1.5


@pytest.fixture
async def ledger(infra: Infra, unique: str) -> AsyncIterator[IdempotencyLedger]:
    store = MongoStore.connect(infra.mongo_url, unique)
    yield IdempotencyLedger(
        claims=store.collection("submissions"),
        codes=store.collection("submission_codes"),
        answers=store.collection("submission_answers"),
        wait_s=2 * LEDGER_ATTEMPT_S,
        attempt_s=LEDGER_ATTEMPT_S,
    )
    await store.drop_database()
    await store.close()


async def test_an_attempt_failing_after_another_finished_does_not_undo_its_answer(
    ledger: IdempotencyLedger,
) -> None:
    now = datetime.now(UTC)
    first = await ledger.claim("a-slow-attempt-key", "body", now)
    await asyncio.sleep(
        LEDGER_ATTEMPT_S + 0.05
    )  # the first attempt overruns its time: a retry takes over
    second = await ledger.claim("a-slow-attempt-key", "body", now)
    assert second.answer is None
    await ledger.record(second, "body", StoredAnswer(201, {"code": "X-1"}))
    await ledger.interrupt(first)  # the slow first attempt fails at last
    again = await ledger.claim("a-slow-attempt-key", "body", now)
    assert again.answer == StoredAnswer(201, {"code": "X-1"})


async def test_of_thirty_retries_after_a_silent_attempt_one_takes_over(
    ledger: IdempotencyLedger,
) -> None:
    now = datetime.now(UTC)
    await ledger.claim("a-killed-attempt-key", "body", now)
    await asyncio.sleep(LEDGER_ATTEMPT_S + 0.05)
    draws = 0

    async def retry() -> Claim:
        nonlocal draws
        claim = await ledger.claim("a-killed-attempt-key", "body", now)
        if claim.answer is None:

            async def draw() -> str:
                nonlocal draws
                draws += 1
                return f"X-{draws}"

            code = await ledger.fix_code(claim, draw)
            await ledger.record(claim, "body", StoredAnswer(201, {"code": code}))
        return claim

    claims = await asyncio.gather(*(retry() for _ in range(30)))
    assert draws == 1, "one takeover, one code drawn"
    assert sum(1 for c in claims if c.answer is None) == 1
    assert {c.answer.body["code"] for c in claims if c.answer} == {"X-1"}
