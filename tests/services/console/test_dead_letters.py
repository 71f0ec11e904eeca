"""Dead letters from the console, on the in-memory bus: a real consumer group fails, an
operator looks, tries a dry run, replays one and discards another; the audit says who."""

from __future__ import annotations

from typing import Any

from lienthong.bus import PermanentError, Subscription
from lienthong.events import Event
from lienthong.topics import DOSSIER_EVENTS
from tests.services.console.dossiers import new_dossier_id, received
from tests.services.console.served import RunningConsole
from tests.support import eventually
from tests.support import eventually_async as until

FAILING = "failing-group"


async def dead_letters(it: RunningConsole, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await it.get_json("/v1/console/dead-letters", **params)
    return found


async def test_an_operator_replays_and_discards_and_the_audit_says_who(
    embedded: RunningConsole,
) -> None:
    it = embedded
    handled: list[Event] = []

    async def refuse(event: Event) -> None:
        handled.append(event)
        raise PermanentError("the agency's system said no")

    it.host.bus.subscribe(Subscription(FAILING, [DOSSIER_EVENTS], refuse))
    first, second = received(new_dossier_id(), "UBND-P1"), received(new_dossier_id(), "UBND-P1")
    await it.publish(first, second)

    async def two_letters() -> bool:
        return len(await dead_letters(it, group=FAILING)) == 2

    await until(two_letters, what="two dead letters")
    letters = {letter["event_id"]: letter for letter in await dead_letters(it)}
    replay_id, discard_id = letters[first.id]["id"], letters[second.id]["id"]
    assert letters[first.id]["error_message"] == "the agency's system said no"
    headers = it.auth("operator")

    plan = await it.client.post(
        f"/v1/console/dead-letters/{replay_id}/replay", headers=headers, json={"dry_run": True}
    )
    assert plan.status_code == 200, plan.text
    assert [letter["id"] for letter in plan.json()["replayed"]] == [replay_id]
    assert len(handled) == 2  # a dry run puts nothing back

    done = await it.client.post(
        f"/v1/console/dead-letters/{replay_id}/replay",
        headers=headers,
        json={"reason": "the agency is back"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["replayed"][0]["state"] == "replayed"
    await eventually(lambda: len(handled) == 3, what="the replayed record handled again")
    again = await it.client.post(f"/v1/console/dead-letters/{replay_id}/replay", headers=headers)
    assert again.status_code == 409  # settled: not offered twice

    thrown = await it.client.post(
        f"/v1/console/dead-letters/{discard_id}/discard",
        headers=it.auth("admin"),
        json={"reason": "  a test dossier  "},
    )
    assert thrown.status_code == 200, thrown.text
    assert thrown.json()["discarded"][0]["settled_reason"] == "a test dossier"

    async def both_audited() -> bool:
        return len(await it.get_json("/v1/console/audit", "auditor")) == 2

    await until(both_audited, what="both actions in the audit")
    audit = await it.get_json("/v1/console/audit", "auditor")
    assert [(a["type"], a["dead_letter"], a["actor_role"], a["reason"]) for a in audit] == [
        ("operator.dead-letter-discarded", discard_id, "admin", "a test dossier"),
        ("operator.dead-letter-replayed", replay_id, "operator", "the agency is back"),
    ]
    assert all("_id" not in a for a in audit), "the store's own key leaks into the audit"
    assert await it.get_json("/v1/console/audit", "auditor") == audit  # reading changes nothing

    pending = {letter["id"] for letter in await dead_letters(it, group=FAILING)}
    assert replay_id not in pending
    assert discard_id not in pending
    settled = {letter["id"]: letter["state"] for letter in await dead_letters(it, settled="true")}
    assert (settled[replay_id], settled[discard_id]) == ("replayed", "discarded")
    page = await it.client.get("/console/audit", headers=it.auth("auditor"))
    assert "a test dossier" in page.text


async def test_the_page_shows_a_dry_run_and_acts_on_the_form(embedded: RunningConsole) -> None:
    it = embedded

    async def refuse(event: Event) -> None:
        raise PermanentError("no")

    it.host.bus.subscribe(Subscription(FAILING, [DOSSIER_EVENTS], refuse))
    await it.publish(received(new_dossier_id(), "UBND-P1"))

    async def one_letter() -> bool:
        return len(await dead_letters(it, group=FAILING)) == 1

    await until(one_letter, what="a dead letter")
    (letter,) = await dead_letters(it, group=FAILING)
    headers = it.auth("operator") | {"Origin": it.base_url}
    form = {"group": FAILING, "ids": letter["id"]}
    plan = await it.client.post(
        "/console/dead-letters/act?lang=en", headers=headers, data=form | {"action": "dry-run"}
    )
    assert plan.status_code == 200
    assert letter["id"] in plan.text
    assert len(await dead_letters(it, group=FAILING)) == 1
    done = await it.client.post(
        "/console/dead-letters/act?lang=en",
        headers=headers,
        data=form | {"action": "discard", "reason": "duplicate"},
    )
    assert done.status_code == 303, "post, then redirect: a reload does not act again"
    done = await it.client.get(done.headers["location"], headers=headers)
    assert done.status_code == 200
    assert "Discarded: 1" in done.text
    assert await dead_letters(it, group=FAILING) == []
