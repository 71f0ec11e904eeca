"""Invitations, answers and their guards, on the in-memory adapters with a settable clock."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from lienthong.security import mint_token
from lienthong_survey.invitations import Invitations
from lienthong_survey.projection import DOSSIERS, DossierProjection
from lienthong_survey.questions import load_question_set
from lienthong_survey.settings import SurveySettings
from tests.services.survey.conftest import MOBILE, Embedded, events_of, staff_headers, token_for
from tests.services.survey.dossiers import on_time_online
from tests.support import eventually_async as until


async def stats(it: Embedded, **params: str) -> dict[str, Any]:
    response = await it.client.get(
        "/v1/surveys/stats", params=params, headers=staff_headers(it.settings)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_completed_dossier_gets_one_invitation_whose_token_is_not_stored(
    embedded: Embedded,
) -> None:
    history = on_time_online("D1")
    await embedded.publish(history)
    token = await token_for(embedded.bus, "D1")
    await embedded.publish(history[-1:])  # the completion delivered again

    async def both_handled() -> bool:
        return len(await events_of(embedded.bus, "survey.invited")) == 2

    await until(both_handled, what="the redelivered completion handled")
    invitations = await events_of(embedded.bus, "survey.invited")
    assert len({event.id for event in invitations}) == 1, "same invitation id: notify dedupes"
    assert invitations[0].data["link_path"] == f"/s/{token}"
    assert invitations[0].data["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert invitations[0].data["units"] == ["U1", "U2"]
    assert invitations[0].causationid == history[-1].id


async def test_one_answer_per_token_and_the_statistics_follow(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("D2"))
    token = await token_for(embedded.bus, "D2")
    body = {
        "overall": "satisfied",
        "units": {"U1": "very_satisfied"},
        "factors": {"officer": "satisfied"},
    }

    first = await embedded.client.post(f"/v1/surveys/{token}/answers", json=body)
    second = await embedded.client.post(f"/v1/surveys/{token}/answers", json=body)

    assert first.status_code == 201, first.text
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"

    async def counted() -> bool:
        return bool((await stats(embedded))["answered"] == 1)

    await until(counted, what="the answer in the statistics")
    figures = await stats(embedded, **{"from": "2026-03", "to": "2026-03"})
    assert (figures["participation_rate"], figures["satisfaction_rate"]) == (1.0, 1.0)
    assert [g["key"] for g in figures["groups"]] == ["U1", "U2"]


async def test_invalid_answers_are_refused_with_problems(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("D3"))
    token = await token_for(embedded.bus, "D3")
    url = f"/v1/surveys/{token}/answers"

    neutral = await embedded.client.post(url, json={"overall": "neutral"})
    stranger = await embedded.client.post(
        url, json={"overall": "satisfied", "units": {"Z": "satisfied"}}
    )
    nonsense = await embedded.client.post(url, json={"overall": "great"})

    assert neutral.status_code == 422, "Bình thường is disabled in the shipped question set"
    assert stranger.status_code == 422, "only units that handled the dossier"
    assert nonsense.status_code == 422
    assert (await embedded.client.post(url, json={"overall": "satisfied"})).status_code == 201


async def test_expired_links_give_410(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("D4"))
    token = await token_for(embedded.bus, "D4")
    embedded.clock.now += timedelta(days=40)

    api = await embedded.client.post(f"/v1/surveys/{token}/answers", json={"overall": "satisfied"})
    page = await embedded.client.get(f"/s/{token}")

    assert api.status_code == 410
    assert page.status_code == 410
    assert "hết hạn" in page.text


async def test_staff_cannot_answer_for_a_citizen(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("D5"))
    token = await token_for(embedded.bus, "D5")
    officer = mint_token(embedded.settings, role="officer", unit="R")

    answer = await embedded.client.post(
        f"/v1/surveys/{token}/answers",
        json={"overall": "very_satisfied"},
        headers={"Authorization": f"Bearer {officer}"},
    )
    page = await embedded.client.post(
        f"/s/{token}",
        data={"overall": "very_satisfied"},
        headers={"Authorization": f"Bearer {officer}"},
    )

    assert answer.status_code == 403
    assert "staff" in answer.json()["detail"]
    assert page.status_code == 403
    assert (await embedded.client.get("/v1/surveys/stats")).status_code == 401
    citizen = await embedded.client.post(
        f"/v1/surveys/{token}/answers", json={"overall": "satisfied"}
    )
    assert citizen.status_code == 201, "the refused attempts did not use the token"


async def test_many_answers_from_one_device_are_flagged(embedded: Embedded) -> None:
    for n in range(4):
        await embedded.publish(on_time_online(f"F{n}"))
    tokens = [await token_for(embedded.bus, f"F{n}") for n in range(4)]
    for token in tokens:
        response = await embedded.client.post(
            f"/v1/surveys/{token}/answers",
            json={"overall": "very_satisfied", "desk": "quay-3"},
            headers={"User-Agent": MOBILE},
        )
        assert response.status_code == 201

    answers = sorted(await events_of(embedded.bus, "survey.answered"), key=lambda e: e.subject)
    assert [event.data["flags"] for event in answers] == [[], [], [], ["device_burst"]]
    assert {event.data["device_kind"] for event in answers} == {"mobile"}
    assert {event.data["channel"] for event in answers} == {"api"}

    async def flagged() -> bool:
        return bool((await stats(embedded))["flagged_answers"] == 1)

    await until(flagged, what="the flagged answer counted")
    figures = await stats(embedded)
    assert (figures["trusted_answers"], figures["satisfaction_rate"]) == (3, 1.0)


async def test_unknown_tokens_are_rate_limited(embedded: Embedded) -> None:
    statuses = [
        (await embedded.client.get(f"/v1/surveys/{'x' * 22}/qr.svg")).status_code for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]


async def test_at_most_one_reminder(embedded: Embedded) -> None:
    history = on_time_online("D6")
    await embedded.publish(history)
    token = await token_for(embedded.bus, "D6")
    store = embedded.store
    invitations = Invitations(
        store,
        embedded.bus,
        DossierProjection(store.collection(DOSSIERS)),
        load_question_set(),
        SurveySettings(),
        embedded.settings.token_key.get_secret_value().encode(),
        embedded.clock,
    )
    embedded.clock.now = history[-1].time + timedelta(days=1)
    assert await invitations.send_due_reminders() == 0, "too early"
    embedded.clock.now = history[-1].time + timedelta(days=4)
    assert await invitations.send_due_reminders() == 1
    assert await invitations.send_due_reminders() == 0, "only one reminder"
    assert await token_for(embedded.bus, "D6", attempt=2) == token, "the same link again"
    answer = await embedded.client.post(
        f"/v1/surveys/{token}/answers", json={"overall": "satisfied"}
    )
    assert answer.status_code == 201
