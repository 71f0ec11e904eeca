"""Acceptance of the operator console on the real Kafka broker and FerretDB, as operators use it.

* The lag it shows is the broker's own, row for row.
* Routing dead-letters a dossier whose procedure version its catalogue lacks; once the version
  is published there, an operator replays the letter (dry run first) and the dossier runs to
  completion; the audit view says who did it.
* A malformed record is discarded, with a reason, and is no longer offered.
* In real Chromium: sign-in with a pasted token, the live tail, a dossier's timeline, and a
  screenshot of every page (test-artifacts/console/).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from playwright.async_api import Page, async_playwright

from lienthong.bus import KafkaBus
from lienthong.events import RawMessage, new_event
from lienthong.runtime.host import Host
from lienthong.schemas.dossier import DossierSubmitted
from lienthong.security import mint_token
from lienthong.topics import DOSSIER_EVENTS, OPERATOR_ACTIONS
from tests.conftest import ROOT, Infra
from tests.support import CHROMIUM_ARGS
from tests.support import eventually_async as until
from tests.system.console_support import (
    BIRTH,
    OPERATOR,
    audited,
    birth_registration,
    broker_lag,
    client,
    commit_by_hand,
    death_registration,
    drop_databases,
    extended_catalogue,
    letter_ids,
    log_ends,
    own_bus,
    pending_letter,
    serve,
    settings_of,
    status_of,
    stream_of,
    submit,
    until_status,
)

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

ARTIFACTS = ROOT / "test-artifacts/console"
EVERY_SERVICE = ["intake", "routing", "agency-adapter", "notify", "survey", "console", "notary"]
LOGIN_FROM_HOME = "/console/login?next=/console/"
REASON = "version 2 published to routing"


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Service settings are read from the environment when a host is built."""
    monkeypatch.setenv("LIENTHONG_CONSOLE_SAMPLE_INTERVAL_S", "1")
    monkeypatch.setenv("LIENTHONG_CONSOLE_REPLAY_PACE_PER_S", "100")
    monkeypatch.setenv("LIENTHONG_ADAPTER_SIMULATORS", "true")
    monkeypatch.setenv("LIENTHONG_ADAPTER_SIMULATOR_ANSWER_DELAY_S", "0.2")
    monkeypatch.setenv("LIENTHONG_ADAPTER_HEALTH_INTERVAL_S", "1")
    monkeypatch.setenv("LIENTHONG_NOTIFY_HEALTH_INTERVAL_S", "1")
    monkeypatch.setenv("LIENTHONG_INTAKE_BLOB_DIR", str(tmp_path / "blobs"))


# --- 1. lag ---------------------------------------------------------------------------------


async def test_the_lag_shown_is_the_brokers_own(infra: Infra, unique: str) -> None:
    settings = settings_of(infra, unique)
    prefix, bootstrap = settings.topic_prefix, infra.kafka_bootstrap
    with serve(settings, ["routing", "console"]) as served:
        async with own_bus(settings) as bus, client(served, "auditor") as api:
            submitted = DossierSubmitted(procedure=BIRTH, channel="online", ward_code="26506")
            await bus.publish(
                DOSSIER_EVENTS,
                *(
                    new_event(
                        submitted.event_type,
                        f"lag-{n}",
                        submitted.model_dump(mode="json"),
                        source="/tests/console",
                    )
                    for n in range(12)
                ),
            )
            ends = await log_ends(bootstrap, prefix + DOSSIER_EVENTS)
            fullest = max(ends, key=lambda p: ends[p])
            others = [p for p in ends if p != fullest]
            by_hand = {
                TopicPartition(prefix + DOSSIER_EVENTS, fullest): ends[fullest] // 2,
                TopicPartition(prefix + DOSSIER_EVENTS, others[0]): 0,
            }  # and nothing on the third partition: it counts from the log start
            await commit_by_hand(bootstrap, prefix + "by-hand", by_hand)

            async def quiescent() -> bool:
                rows = await broker_lag(bootstrap, prefix)
                caught_up = [r for r in rows if r["group"] in ("routing", "console")]
                return bool(caught_up) and not any(r["lag"] for r in caught_up)

            await until(quiescent, 60, "routing and the console caught up")
            before = await broker_lag(bootstrap, prefix)
            shown = await api.get("/v1/console/lag")
            after = await broker_lag(bootstrap, prefix)

    assert shown.status_code == 200, shown.text
    assert before == after, "nothing moved while the console was asked"
    assert shown.json() == before
    assert {r["group"] for r in before} == {"by-hand", "console", "routing"}
    hand = {r["partition"]: r for r in before if r["group"] == "by-hand"}
    assert hand[fullest]["lag"] == ends[fullest] - ends[fullest] // 2 > 0
    assert hand[others[1]]["committed"] == 0
    assert sum(r["lag"] for r in hand.values()) == sum(ends.values()) - ends[fullest] // 2


# --- 2. a dead letter fixed by an operator ---------------------------------------------------


async def test_an_operator_replays_a_dead_letter_once_the_version_is_published(
    infra: Infra, unique: str, tmp_path: Path
) -> None:
    shipped = settings_of(infra, unique)
    since = date.today() - timedelta(days=30)
    extended = shipped.model_copy(
        update={"catalogue_dir": extended_catalogue(tmp_path / "catalogue", since)}
    )
    around = ["intake", "agency-adapter", "notify", "survey", "console"]
    with serve(extended, around) as served:
        async with own_bus(shipped) as bus, client(served) as api:
            old_routing = Host(shipped, ["routing"])
            await old_routing.start()
            try:
                # Routing has history (a database of its own): it will not re-fold the stream.
                known = await submit(api, death_registration())
                code = (await submit(api, birth_registration()))["code"]
                letter = await pending_letter(
                    api, "routing", lambda d: d["error_type"] == "UnknownProcedureVersion"
                )
                await until_status(api, known["code"], "completed", timeout=90)
            finally:
                await old_routing.stop()
            assert (letter["original_topic"], letter["event_type"]) == (
                DOSSIER_EVENTS,
                "dossier.received",
            )
            assert "version 2" in letter["error_message"]
            assert await status_of(api, code) == "received"

            new_routing = Host(extended, ["routing"])  # the version is published to routing
            await new_routing.start()
            try:
                await replay_dry_run_first(api, bus, letter)
                await until_status(api, code, "completed", timeout=90)
            finally:
                await new_routing.stop()
                drop_databases(shipped, ["routing"])

            entry = await audited(api, letter["id"], "operator.dead-letter-replayed")
            assert (entry["actor"], entry["actor_role"]) == (OPERATOR, "operator")
            assert entry["reason"] == REASON
            again = await api.post(f"/v1/console/dead-letters/{letter['id']}/replay", json={})
            assert again.status_code == 409, again.text
            assert again.json()["type"].endswith("dead-letter-already-settled")
            sheet = (await api.get(f"/v1/console/dossiers/{code}")).json()
    assert sheet["procedure_version"] == "2"
    assert [s["state"] for s in sheet["steps"]] == ["done"] * 3
    assert [e["type"] for e in sheet["timeline"]].count("dossier.received") == 1


async def replay_dry_run_first(
    api: httpx.AsyncClient, bus: KafkaBus, letter: dict[str, Any]
) -> None:
    """A dry run publishes nothing and settles nothing; the replay puts the record back once.
    Until then nothing routes the dossier: the new routing did not re-fold the stream."""
    url = f"/v1/console/dead-letters/{letter['id']}/replay"
    received = ("dossier.received", letter["event_id"])
    before = await stream_of(bus, letter["subject"])
    assert before.count(received) == 1
    assert "dossier.routed" not in [t for t, _ in before]
    actions = len(await bus.read_topic(OPERATOR_ACTIONS))

    dry = await api.post(url, json={"dry_run": True, "reason": REASON})
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True
    assert [(d["id"], d["state"]) for d in dry.json()["replayed"]] == [(letter["id"], "pending")]
    assert await stream_of(bus, letter["subject"]) == before
    assert len(await bus.read_topic(OPERATOR_ACTIONS)) == actions
    assert letter["id"] in await letter_ids(api, "routing")

    done = await api.post(url, json={"reason": REASON})
    assert done.status_code == 200, done.text
    (replayed,) = done.json()["replayed"]
    assert (replayed["state"], replayed["settled_by"]) == ("replayed", OPERATOR)
    assert (await stream_of(bus, letter["subject"])).count(received) == 2
    assert len(await bus.read_topic(OPERATOR_ACTIONS)) == actions + 1
    assert letter["id"] not in await letter_ids(api, "routing")
    assert letter["id"] in await letter_ids(api, "routing", settled=True)


# --- 3. a malformed record discarded ---------------------------------------------------------


async def test_a_malformed_record_is_discarded_with_a_reason(infra: Infra, unique: str) -> None:
    settings = settings_of(infra, unique)
    with serve(settings, ["console"]) as served:
        async with (
            own_bus(settings) as bus,
            client(served) as api,
            client(served, "auditor") as auditor,
        ):
            await bus.publish_raw(
                [RawMessage(topic=DOSSIER_EVENTS, key=b"poison", value=b"\x00{not json")]
            )
            letter = await pending_letter(api, "console", lambda d: d["subject"] == "poison")
            assert (letter["original_topic"], letter["error_type"]) == (
                DOSSIER_EVENTS,
                "MalformedEvent",
            )
            assert (letter["event_type"], letter["event_id"]) == (None, None)
            assert "not json" in letter["payload"]
            url = f"/v1/console/dead-letters/{letter['id']}/discard"

            assert (await api.post(url, json={})).status_code == 422
            assert (await api.post(url, json={"reason": "   "})).status_code == 422
            refused = await auditor.post(url, json={"reason": "an auditor may not"})
            assert refused.status_code == 403
            assert letter["id"] in await letter_ids(api, "console"), "still offered"

            reason = "garbage from a misconfigured test producer; nothing to recover"
            done = await api.post(url, json={"reason": reason})
            assert done.status_code == 200, done.text
            (discarded,) = done.json()["discarded"]
            assert (discarded["state"], discarded["settled_reason"]) == ("discarded", reason)
            assert letter["id"] not in await letter_ids(api, "console")
            assert letter["id"] in await letter_ids(api, "console", settled=True)
            assert (await api.post(url, json={"reason": reason})).status_code == 409

            entry = await audited(auditor, letter["id"], "operator.dead-letter-discarded")
    assert (entry["actor"], entry["actor_role"], entry["reason"]) == (OPERATOR, "operator", reason)
    assert entry["original_topic"] == DOSSIER_EVENTS


# --- 4. in a browser ----------------------------------------------------------------------------


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def sign_in(page: Page, url: str, token: str) -> None:
    await page.goto(f"{url}/console/")
    assert page.url == url + LOGIN_FROM_HOME, "anonymous: to the sign-in"
    await shot(page, "login")
    await page.fill("#token", token)
    await page.click('main form button[type="submit"]')
    await page.wait_for_url(f"{url}/console/")


async def everything_to_show(api: httpx.AsyncClient, bus: KafkaBus, code: str) -> str:
    """A completed dossier, a dead letter of the console and health snapshots; returns the
    dead letter's id."""
    await until_status(api, code, "completed", timeout=90)
    await bus.publish_raw([RawMessage(topic=DOSSIER_EVENTS, key=b"poison", value=b"\xff\xfe")])
    letter = await pending_letter(api, "console", lambda d: d["subject"] == "poison")

    async def reported() -> bool:
        report = (await api.get("/v1/console/health")).json()
        return bool(report["agencies"]) and len(report["replicas"]) >= 2

    await until(reported, 30, "adapter and notify health in the console")
    return str(letter["id"])


async def act_on_dead_letter(page: Page, url: str, api: httpx.AsyncClient, id: str) -> None:
    """Dry run from the page (the plan), then discard it with a reason."""
    await page.goto(f"{url}/console/dead-letters?group=console")
    await page.wait_for_selector(f'#dl-{id}[data-state="pending"]')
    await shot(page, "dead-letters")
    await page.check(f'#dl-{id} input[name="ids"]')
    await page.click("#dry-run")
    await page.wait_for_selector("#plan-count")
    assert await page.inner_text("#plan-count") == "1"
    await shot(page, "replay-plan")
    assert id in await letter_ids(api, "console"), "a dry run settles nothing"

    await page.goto(f"{url}/console/dead-letters?group=console")
    await page.check(f'#dl-{id} input[name="ids"]')
    await page.fill("#reason", "undecodable bytes; nothing to recover")
    await page.click("#discard")
    await page.wait_for_selector("#notice")
    assert id not in await letter_ids(api, "console")
    await audited(api, id, "operator.dead-letter-discarded")


async def test_an_operator_watches_the_live_tail_and_every_page(infra: Infra, unique: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = settings_of(infra, unique)
    with serve(settings, EVERY_SERVICE) as served:
        url = served.url
        async with own_bus(settings) as bus, client(served) as api, client(served, None) as anon:
            refused = await anon.get("/console/")
            assert (refused.status_code, refused.headers["location"]) == (
                303,
                LOGIN_FROM_HOME,
            )
            assert (await anon.get("/v1/console/lag")).status_code == 401
            token = mint_token(served.host.settings, role="operator", subject=OPERATOR)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                await sign_in(page, url, token)
                await page.wait_for_selector('#stream-status[data-state="connected"]')

                code = (await submit(api, birth_registration()))["code"]
                received = '#stream tbody tr[data-type="dossier.received"]'
                await page.wait_for_selector(received, timeout=30_000)  # no reload
                assert await page.inner_text(f"{received} a") == code
                dead_letter = await everything_to_show(api, bus, code)
                await page.wait_for_selector('#stream tbody tr[data-type="dossier.completed"]')
                await shot(page, "stream")

                await page.click(f"{received} a")
                await page.wait_for_selector('#timeline tr[data-type="dossier.completed"]')
                assert await page.inner_text("#dossier-code") == code
                await shot(page, "dossier")
                await visit_every_page(page, url)
                await act_on_dead_letter(page, url, api, dead_letter)
                await page.goto(f"{url}/console/audit")
                assert OPERATOR in await page.inner_text("#audit td.actor")
                await shot(page, "audit")
                await in_english_and_in_the_dark(page, url, code)
                await browser.close()


async def visit_every_page(page: Page, url: str) -> None:
    for name, selector in (
        ("lag", '#lag tr[data-group="console"]'),
        ("sla", "#near-count"),
        ("health", '#agencies tr[data-agency="civil-status"]'),
        ("charts", "main svg"),
    ):
        await page.goto(f"{url}/console/{name}")
        await page.wait_for_selector(selector)
        await shot(page, name)


async def in_english_and_in_the_dark(page: Page, url: str, code: str) -> None:
    await page.goto(f"{url}/console/lag?lang=en")
    assert await page.get_attribute("html", "lang") == "en"
    await shot(page, "lag-en")
    await page.goto(f"{url}/console/dossiers/{code}?lang=vi")
    assert await page.get_attribute("html", "lang") == "vi"
    await page.click("#theme-toggle")
    assert await page.get_attribute("html", "data-theme") == "dark"
    await shot(page, "dossier-dark")
