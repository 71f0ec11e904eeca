"""The dossier's survey link works from the receipt (QR code printed by intake) and is the
same link the completion invitation sends."""

from __future__ import annotations

from lienthong.survey_links import dossier_survey_path
from tests.services.survey.conftest import MOBILE, Embedded, events_of, token_for
from tests.services.survey.dossiers import on_time_online
from tests.support import eventually_async as until


async def test_the_receipt_link_is_the_invitation_link(embedded: Embedded) -> None:
    key = embedded.settings.token_key.get_secret_value().encode()
    await embedded.publish(on_time_online("R1"))
    token = await token_for(embedded.bus, "R1")
    assert f"/s/{token}" == dossier_survey_path(key, "R1")


async def test_an_answer_from_the_receipt_before_the_result_is_flagged_and_not_reinvited(
    embedded: Embedded,
) -> None:
    key = embedded.settings.token_key.get_secret_value().encode()
    history = on_time_online("R2")
    received = next(i for i, e in enumerate(history) if e.type == "dossier.received")
    await embedded.publish(history[: received + 1])  # the citizen holds the receipt
    path = dossier_survey_path(key, "R2")
    token = path.removeprefix("/s/")

    async def registered() -> bool:
        answer = await embedded.client.get(f"/v1/surveys/{token}")
        return answer.status_code == 200

    await until(registered, what="the receipt's link to open")
    answer = await embedded.client.post(
        f"/v1/surveys/{token}/answers",
        json={"overall": "very_satisfied"},
        headers={"User-Agent": MOBILE},
    )
    assert answer.status_code == 201, answer.text

    async def recorded() -> bool:
        return len(await events_of(embedded.bus, "survey.answered")) == 1

    await until(recorded, what="the early answer")
    early = (await events_of(embedded.bus, "survey.answered"))[0]
    assert "before_result_returned" in early.data["flags"]

    await embedded.publish(history[received + 1 :])  # the dossier runs to completion

    await embedded.bus.wait_idle()  # every handler of the completion has run
    record = await embedded.store.collection("dossiers").get("R2")
    assert record is not None
    assert record.get("completed_at") is not None
    assert await events_of(embedded.bus, "survey.invited") == [], "no invitation after an answer"
    again = await embedded.client.post(
        f"/v1/surveys/{token}/answers",
        json={"overall": "satisfied"},
        headers={"User-Agent": MOBILE},
    )
    assert again.status_code == 409
