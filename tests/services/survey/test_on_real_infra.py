"""End to end on real Kafka and FerretDB: invitations, answers through the API and through
the page in real Chromium, the statistics, and a replay that rebuilds the same numbers."""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from lienthong.runtime.replay import replay_service
from lienthong.schemas.dossier import DossierReceived
from tests.conftest import ROOT, Infra
from tests.services.survey.conftest import MOBILE, events_of, staff_headers, token_for
from tests.services.survey.dossiers import (
    at,
    fact,
    on_time_online,
    overdue_counter,
)
from tests.services.survey.served import Served, served
from tests.support import CHROMIUM_ARGS
from tests.support import eventually_async as until

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


@pytest.fixture(autouse=True)
def long_lived_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-built histories complete in March 2026; their links must not have expired
    whenever the suite runs (the host reads the survey settings from the environment)."""
    monkeypatch.setenv("LIENTHONG_SURVEY_TOKEN_TTL_DAYS", "36500")


ARTIFACTS = ROOT / "test-artifacts"


async def stats(it: Served, by: str = "unit") -> dict[str, Any]:
    response = await it.client.get(
        "/v1/surveys/stats", params={"by": by}, headers=staff_headers(it.settings)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def in_progress(dossier_id: str) -> list[Any]:
    received = DossierReceived(
        code=f"X-{dossier_id}",
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="R",
        received_at=at(2, 9),
        appointment_at=at(5, 17),
    )
    return [fact(dossier_id, received, at(2, 9), 1)]


async def answer_on_the_page(base_url: str, token: str, screenshot: Path) -> str:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(
                viewport={"width": 390, "height": 844}, is_mobile=True, user_agent=MOBILE
            )
            await page.goto(f"{base_url}/s/{token}?desk=quay-2")
            await page.screenshot(path=str(screenshot.with_suffix(".question.png")), full_page=True)
            await page.get_by_role("button", name="Không hài lòng").click()
            await page.wait_for_selector("#message")
            await page.screenshot(path=str(screenshot), full_page=True)
            return await page.inner_text("#message")
        finally:
            await browser.close()


async def test_invitations_answers_and_statistics_end_to_end(infra: Infra, unique: str) -> None:
    async with served(infra, unique) as it:
        await it.publish(on_time_online("A") + overdue_counter("B") + in_progress("C"))
        token_a, token_b = await token_for(it.host.bus, "A"), await token_for(it.host.bus, "B")
        assert {e.subject for e in await events_of(it.host.bus, "survey.invited")} == {"A", "B"}

        url = f"/v1/surveys/{token_a}/answers"
        first = await it.client.post(url, json={"overall": "very_satisfied"})
        second = await it.client.post(url, json={"overall": "dissatisfied"})
        assert (first.status_code, second.status_code) == (201, 409)

        async def a_counted() -> bool:
            return bool((await stats(it, "month"))["answered"] == 1)

        await until(a_counted, what="the API answer in the statistics")
        before = await stats(it, "month")
        assert (before["participation_rate"], before["satisfaction_rate"]) == (0.5, 1.0)

        ARTIFACTS.mkdir(exist_ok=True)
        thanks = await answer_on_the_page(it.base_url, token_b, ARTIFACTS / "survey-page.png")
        assert "Cảm ơn" in thanks

        async def b_counted() -> bool:
            return bool((await stats(it, "month"))["answered"] == 2)

        await until(b_counted, what="the page answer in the statistics")
        after = await stats(it, "month")
        assert (after["participation_rate"], after["satisfaction_rate"]) == (1.0, 0.5)
        (from_page,) = [
            e for e in await events_of(it.host.bus, "survey.answered") if e.subject == "B"
        ]
        assert (from_page.data["channel"], from_page.data["desk"]) == ("page", "quay-2")
        assert from_page.data["device_kind"] == "mobile"
        again = await it.client.post(
            f"/v1/surveys/{token_b}/answers", json={"overall": "very_satisfied"}
        )
        assert again.status_code == 409


async def test_replay_rebuilds_the_same_statistics(infra: Infra, unique: str) -> None:
    async with served(infra, unique) as it:
        await it.publish(on_time_online("A") + overdue_counter("B"))
        token = await token_for(it.host.bus, "A")
        await token_for(it.host.bus, "B")
        body = {"overall": "satisfied", "units": {"U1": "dissatisfied"}}
        racing = await asyncio.gather(
            *(it.client.post(f"/v1/surveys/{token}/answers", json=body) for _ in range(3))
        )
        assert sorted(r.status_code for r in racing) == [201, 409, 409], "one claim wins"

        async def settled() -> bool:
            return bool((await stats(it))["answered"] == 1)

        await until(settled, what="the answer in the statistics")
        headers = staff_headers(it.settings)
        live = [await stats(it, by) for by in ("unit", "procedure", "month", "officer")]
        live_csv = (await it.client.get("/v1/surveys/export.csv", headers=headers)).text

        spec, store = it.host.specs[0], it.host.stores["survey"]
        replayed = await replay_service(spec, it.host.bus, store)

        assert replayed >= 18 + 3, "both histories, two invitations and the answer"
        assert [await stats(it, by) for by in ("unit", "procedure", "month", "officer")] == live
        assert (await it.client.get("/v1/surveys/export.csv", headers=headers)).text == live_csv
        second = await it.client.post(f"/v1/surveys/{token}/answers", json={"overall": "satisfied"})
        assert second.status_code == 409, "the one-answer claim is rebuilt too"


async def test_an_answer_whose_process_was_killed_before_publishing_does_not_burn_the_link(
    infra: Infra, unique: str
) -> None:
    """What a kill between the claim and the publish leaves: a pending claim. While its
    attempt may still publish, the link is taken; after the attempt's time it is free."""
    async with served(infra, unique) as it:
        await it.publish(on_time_online("K"))
        token = await token_for(it.host.bus, "K")
        claims = it.host.stores["survey"].collection("answers")
        claim_id = hashlib.sha256(token.encode()).hexdigest()
        residue: dict[str, Any] = {
            "_id": claim_id,
            "dossier_id": "K",
            "device": "d",
            "desk": None,
            "answered_at": "2026-03-10T03:00:00+00:00",
            "flags": [],
            "state": "pending",
            "attempt_until": time.time() + 30,
        }
        await claims.insert(residue)
        url = f"/v1/surveys/{token}/answers"
        in_flight = await it.client.post(url, json={"overall": "satisfied"})
        assert in_flight.status_code == 409, "the attempt may still publish"

        await claims.replace({**residue, "attempt_until": time.time() - 1})  # it went silent
        page = await it.client.get(f"/s/{token}")
        assert page.status_code == 200, "the link opens again"
        racing = await asyncio.gather(
            *(it.client.post(url, json={"overall": "satisfied"}) for _ in range(5))
        )
        assert sorted(r.status_code for r in racing) == [201, 409, 409, 409, 409], "one takes"

        async def published() -> bool:
            claim = await claims.get(claim_id)
            return claim is not None and claim["state"] == "published"

        await until(published, what="the claim settled by the published answer")
        answered = [e for e in await events_of(it.host.bus, "survey.answered") if e.subject == "K"]
        assert len(answered) == 1
        assert (await it.client.post(url, json={"overall": "satisfied"})).status_code == 409
