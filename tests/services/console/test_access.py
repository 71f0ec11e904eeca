"""Who may see and do what, over every console route, on real Kafka and FerretDB.

The table below has one rule per route; the first test checks it against the routes the app
serves, so a route added without a rule fails here before it ships unguarded."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.services.console.conftest import SEED_CODE, SEED_UNIT
from tests.services.console.dossiers import (
    near,
    new_dossier_id,
    overdue,
    received,
    step_opened,
)
from tests.services.console.served import (
    RunningConsole,
    bearer,
    console_routes,
    token,
    token_of_another_staff_role,
)
from tests.support import eventually_async as until

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

PROBLEM = "urn:lienthong:problem:console:"
UNKNOWN_LETTER = "console-0-999999"  # well formed, but no such dead letter
UNKNOWN = PROBLEM + "unknown-dead-letter"


class Access(Enum):
    PUBLIC = "anyone"
    UNIT = "unit staff (own unit), auditors, operators"
    CITY = "auditors and operators"
    ACT = "operators only"


@dataclass(frozen=True)
class Call:
    """A concrete request of a route, and its status for someone allowed to make it."""

    method: str
    path: str
    allowed: int = 200
    json: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    stream: bool = False
    problem: str | None = None  # the problem type of an allowed call answered 4xx

    @property
    def page(self) -> bool:
        return self.path.startswith("/console")


RULES: dict[tuple[str, str], tuple[Access, Call]] = {
    # sign-in, sign-out, the static files: public
    ("GET", "/console"): (Access.PUBLIC, Call("GET", "/console", 307)),
    ("GET", "/console/login"): (Access.PUBLIC, Call("GET", "/console/login")),
    ("POST", "/console/login"): (
        Access.PUBLIC,
        Call("POST", "/console/login", 401, form={"token": "not-a-token"}),
    ),
    ("POST", "/console/logout"): (Access.PUBLIC, Call("POST", "/console/logout", 303)),
    ("GET", "/console/static/{name}"): (
        Access.PUBLIC,
        Call("GET", "/console/static/console.css"),
    ),
    # what a unit's officer or supervisor sees
    ("GET", "/console/"): (Access.UNIT, Call("GET", "/console/")),
    ("GET", "/console/sla"): (Access.UNIT, Call("GET", "/console/sla")),
    ("GET", "/v1/console/sla"): (Access.UNIT, Call("GET", "/v1/console/sla")),
    ("GET", "/v1/console/stream"): (Access.UNIT, Call("GET", "/v1/console/stream", stream=True)),
    # city-wide reading
    ("GET", "/console/dossiers/{code}"): (
        Access.CITY,
        Call("GET", f"/console/dossiers/{SEED_CODE}"),
    ),
    ("GET", "/console/lag"): (Access.CITY, Call("GET", "/console/lag")),
    ("GET", "/console/dead-letters"): (Access.CITY, Call("GET", "/console/dead-letters")),
    ("GET", "/console/health"): (Access.CITY, Call("GET", "/console/health")),
    ("GET", "/console/charts"): (Access.CITY, Call("GET", "/console/charts")),
    ("GET", "/console/audit"): (Access.CITY, Call("GET", "/console/audit")),
    ("GET", "/v1/console/lag"): (Access.CITY, Call("GET", "/v1/console/lag")),
    ("GET", "/v1/console/dossiers/{code}"): (
        Access.CITY,
        Call("GET", f"/v1/console/dossiers/{SEED_CODE}"),
    ),
    ("GET", "/v1/console/dead-letters"): (Access.CITY, Call("GET", "/v1/console/dead-letters")),
    ("GET", "/v1/console/health"): (Access.CITY, Call("GET", "/v1/console/health")),
    ("GET", "/v1/console/charts"): (Access.CITY, Call("GET", "/v1/console/charts")),
    ("GET", "/v1/console/samples"): (Access.CITY, Call("GET", "/v1/console/samples")),
    ("GET", "/v1/console/audit"): (Access.CITY, Call("GET", "/v1/console/audit")),
    ("GET", "/console/replays/{job}"): (Access.CITY, Call("GET", "/console/replays/nojob", 404)),
    ("GET", "/v1/console/replays/{job}"): (
        Access.CITY,
        Call("GET", "/v1/console/replays/nojob", 404),
    ),
    # acting on dead letters (allowed: the letter is unknown, so 404)
    ("POST", "/v1/console/dead-letters/{id}/replay"): (
        Access.ACT,
        Call(
            "POST",
            f"/v1/console/dead-letters/{UNKNOWN_LETTER}/replay",
            404,
            {"dry_run": True},
            problem=UNKNOWN,
        ),
    ),
    ("POST", "/v1/console/dead-letters/replay"): (
        Access.ACT,
        Call(
            "POST",
            "/v1/console/dead-letters/replay",
            404,
            {"group": "console", "ids": [UNKNOWN_LETTER], "dry_run": True},
            problem=UNKNOWN,
        ),
    ),
    ("POST", "/v1/console/dead-letters/{id}/discard"): (
        Access.ACT,
        Call(
            "POST",
            f"/v1/console/dead-letters/{UNKNOWN_LETTER}/discard",
            404,
            {"reason": "x"},
            problem=UNKNOWN,
        ),
    ),
    ("POST", "/console/dead-letters/act"): (
        Access.ACT,
        Call(
            "POST",
            "/console/dead-letters/act",
            404,
            form={"action": "dry-run", "ids": UNKNOWN_LETTER, "group": "console"},
        ),
    ),
}

SEES: dict[str, frozenset[Access]] = {
    "anonymous": frozenset(),
    "agency": frozenset(),
    "clerk": frozenset(),  # a staff role the console does not know
    "officer": frozenset({Access.UNIT}),
    "supervisor": frozenset({Access.UNIT}),
    "officer-without-unit": frozenset(),
    "auditor": frozenset({Access.UNIT, Access.CITY}),
    "operator": frozenset({Access.UNIT, Access.CITY, Access.ACT}),
    "admin": frozenset({Access.UNIT, Access.CITY, Access.ACT}),
}


def credentials(it: RunningConsole, who: str) -> dict[str, str]:
    settings = it.settings
    if who == "anonymous":
        return {}
    if who == "clerk":
        return bearer(token_of_another_staff_role(settings))
    if who == "officer-without-unit":
        return bearer(token(settings, "officer"))
    unit = SEED_UNIT if who in ("officer", "supervisor") else None
    return bearer(token(settings, who, unit))


async def send(it: RunningConsole, call: Call, headers: dict[str, str]) -> httpx.Response:
    """The response to `call`; of a stream, only up to its first event."""
    it.client.cookies.clear()
    if call.stream:
        async with it.client.stream("GET", call.path, headers=headers) as response:
            if response.status_code == 200:
                async for line in response.aiter_lines():
                    if line:
                        assert line == "event: ready", line
                        break
            else:
                await response.aread()
            return response
    return await it.client.request(
        call.method, call.path, headers=headers, json=call.json, data=call.form
    )


def refused(response: httpx.Response, call: Call, who: str) -> str | None:
    """What is wrong with how `who` was refused `call` (None: rightly refused)."""
    if who != "anonymous":
        return None if response.status_code == 403 else f"{response.status_code}, not 403"
    if not call.page:
        return None if response.status_code == 401 else f"{response.status_code}, not 401"
    location = response.headers.get("location", "")
    wanted = f"/console/login?next={quote(call.path)}"
    if response.status_code != 303 or location != wanted:
        return f"{response.status_code} to {location!r}, not 303 to {wanted!r}"
    return None


def granted(response: httpx.Response, call: Call) -> str | None:
    if response.status_code != call.allowed:
        return f"{response.status_code}, not {call.allowed}: {response.text[:200]}"
    if call.problem is not None and response.json().get("type") != call.problem:
        return f"problem type {response.json().get('type')!r}, not {call.problem!r}"
    return None


def test_every_console_route_has_an_access_rule(on_infra: RunningConsole) -> None:
    served = console_routes(on_infra.app)
    assert served - set(RULES) == set(), "routes without a rule in RULES"
    assert set(RULES) - served == set(), "rules of routes the app no longer serves"


@pytest.mark.parametrize("who", list(SEES))
async def test_who_may_see_and_do_what(on_infra: RunningConsole, who: str) -> None:
    headers = credentials(on_infra, who)
    wrong = []
    for (method, path), (access, call) in RULES.items():
        response = await send(on_infra, call, headers)
        if access is Access.PUBLIC or access in SEES[who]:
            problem = granted(response, call)
        else:
            problem = refused(response, call, who)
        if problem is not None:
            wrong.append(f"{method} {path} ({access.name}): {problem}")
    assert wrong == [], f"{who}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ["operator", "admin"])
async def test_an_operator_is_told_what_is_wrong_with_an_action(
    on_infra: RunningConsole, role: str
) -> None:
    it, headers = on_infra, on_infra.auth(role)
    it.client.cookies.clear()
    checks = {
        "replay one, invalid id": await it.client.post(
            "/v1/console/dead-letters/not an id/replay", headers=headers, json={"dry_run": True}
        ),
        "replay many, invalid id": await it.client.post(
            "/v1/console/dead-letters/replay",
            headers=headers,
            json={"group": "console", "ids": ["nope"], "dry_run": True},
        ),
        "discard, invalid id": await it.client.post(
            "/v1/console/dead-letters/nope/discard", headers=headers, json={"reason": "x"}
        ),
        "discard, no reason": await it.client.post(
            f"/v1/console/dead-letters/{UNKNOWN_LETTER}/discard", headers=headers, json={}
        ),
        "discard, blank reason": await it.client.post(
            f"/v1/console/dead-letters/{UNKNOWN_LETTER}/discard",
            headers=headers,
            json={"reason": "   "},
        ),
        "page: discard, no reason": await it.client.post(
            "/console/dead-letters/act",
            headers=headers,
            data={"action": "discard", "ids": UNKNOWN_LETTER, "group": "console"},
        ),
        "page: replay, invalid id": await it.client.post(
            "/console/dead-letters/act", headers=headers, data={"action": "replay", "ids": "nope"}
        ),
    }
    statuses = {what: response.status_code for what, response in checks.items()}
    assert statuses == dict.fromkeys(checks, 422)
    for what, response in checks.items():
        if not what.startswith("page"):
            assert response.headers["content-type"] == "application/problem+json", what
    invalid = checks["replay one, invalid id"].json()
    assert invalid["type"] == PROBLEM + "invalid-dead-letter-id"


# --- a unit's staff see their own unit only -------------------------------------------------

OTHER_UNIT = "UBND-P2"


async def test_a_unit_officer_sees_only_their_own_units_rows(on_infra: RunningConsole) -> None:
    it = on_infra
    mine, theirs = new_dossier_id(), new_dossier_id()
    async with it.tail("officer", SEED_UNIT) as officer, it.tail("operator") as everyone:
        # Theirs first, and all of it delivered before any of mine is published: had the
        # officer's stream let one through, it would be there before mine.
        elsewhere = [
            received(theirs, OTHER_UNIT),
            step_opened(theirs, "s1", OTHER_UNIT),
            near(theirs, "s1", OTHER_UNIT),
            step_opened(theirs, "s2", OTHER_UNIT),
            overdue(theirs, "s2", OTHER_UNIT, escalated_to="UBND-Q"),
            # a step of my unit's dossier handed to the other unit
            step_opened(mine, "s9", OTHER_UNIT),
            near(mine, "s9", OTHER_UNIT),
        ]
        await it.publish(*elsewhere)
        await everyone.until_ids(*(e.id for e in elsewhere), timeout=60)
        here = [received(mine, SEED_UNIT), step_opened(mine, "s1", SEED_UNIT)]
        here.append(near(mine, "s1", SEED_UNIT))
        await it.publish(*here)
        shown = await officer.until_ids(*(e.id for e in here), timeout=60)
    assert [line["id"] for line in shown] == [e.id for e in here]
    assert {line["unit"] for line in shown} == {SEED_UNIT}

    async def both_units_on_the_board() -> bool:
        board = await it.get_json("/v1/console/sla", "operator")
        return {(row["dossier"], row["step"]) for row in board["near"]} >= {
            (mine, "s1"),
            (theirs, "s1"),
            (mine, "s9"),
        } and (theirs, "s2") in {(row["dossier"], row["step"]) for row in board["overdue"]}

    await until(both_units_on_the_board, timeout=60, what="both units on the SLA board")
    for role in ("officer", "supervisor"):
        board = await it.get_json("/v1/console/sla", role, SEED_UNIT)
        assert [(row["dossier"], row["step"]) for row in board["near"]] == [(mine, "s1")], role
        assert board["overdue"] == [], role
        assert [row["unit"] for row in board["by_unit"]] == [SEED_UNIT], role
        page = await it.client.get("/console/sla", headers=it.auth(role, SEED_UNIT))
        assert page.status_code == 200
        assert mine in page.text
        assert theirs not in page.text
        assert OTHER_UNIT not in page.text
    other = await it.get_json("/v1/console/sla", "officer", OTHER_UNIT)
    assert {(row["dossier"], row["step"]) for row in other["near"]} == {
        (theirs, "s1"),
        (mine, "s9"),
    }
    assert [row["escalated_to"] for row in other["overdue"]] == ["UBND-Q"]
