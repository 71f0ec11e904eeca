"""Where configured, the applicant is also invited after a step to rate that step's unit."""

from __future__ import annotations

from typing import Any

from lienthong.events import Event
from lienthong.schemas.survey import SurveyInvited
from lienthong_survey.settings import SurveySettings
from tests.services.survey.conftest import (
    Embedded,
    embedded_service,
    events_of,
    staff_headers,
    token_for,
)
from tests.services.survey.dossiers import on_time_online
from tests.support import eventually_async as until


async def test_a_configured_step_invites_and_its_answer_rates_the_steps_unit() -> None:
    async with embedded_service(SurveySettings(invite_after_steps=["civil"])) as it:
        history = on_time_online("S1")
        await it.publish(history[:4])  # up to the civil-status step completed by U1
        step_token = await token_for(it.bus, "S1")
        (invitation,) = await events_of(it.bus, "survey.invited")
        fact = SurveyInvited.model_validate(invitation.data)
        assert (fact.step, fact.units) == ("civil", ["U1"])

        wrong_unit = await it.client.post(
            f"/v1/surveys/{step_token}/answers",
            json={"overall": "satisfied", "units": {"U2": "satisfied"}},
        )
        rated_unit = await it.client.post(
            f"/v1/surveys/{step_token}/answers", json={"overall": "dissatisfied"}
        )
        assert wrong_unit.status_code == 422, "a step invitation rates only the step's unit"
        assert rated_unit.status_code == 201
        (answer,) = await events_of(it.bus, "survey.answered")
        assert answer.data["step"] == "civil"
        assert answer.data["flags"] == [], "a step is rated before the result, by design"

        await it.publish(history[4:])
        final: list[Event] = []

        async def completion_invited() -> bool:
            invited = await events_of(it.bus, "survey.invited")
            final[:] = [e for e in invited if e.data["step"] is None]
            return bool(final)

        await until(completion_invited, what="the completion's invitation")
        assert len(final) == 1
        final_token = final[0].data["link_path"].removeprefix("/s/")
        assert final_token != step_token
        done = await it.client.post(
            f"/v1/surveys/{final_token}/answers", json={"overall": "very_satisfied"}
        )
        assert done.status_code == 201

        stats = await settled_stats(it)
        units = {g["key"]: g for g in stats["groups"]}
        assert units["U1"]["satisfaction_rate"] == 0.0, "U1 is rated by the answer after its step"
        assert units["U2"]["satisfaction_rate"] == 1.0, "U2 by the final answer"
        assert (stats["invited"], stats["answered"], stats["satisfaction_rate"]) == (1, 1, 1.0)


async def settled_stats(it: Embedded) -> dict[str, Any]:
    """The statistics once both the step answer and the final answer are counted."""
    headers = staff_headers(it.settings)
    latest: dict[str, Any] = {}

    async def both_counted() -> bool:
        latest.update((await it.client.get("/v1/surveys/stats", headers=headers)).json())
        groups = {g["key"]: g for g in latest["groups"]}
        return bool(groups.get("U1", {}).get("answered") == 1 and latest["answered"] == 1)

    await until(both_counted, what="both answers in the statistics")
    return latest


async def test_without_configuration_steps_invite_nobody() -> None:
    async with embedded_service(SurveySettings()) as it:
        await it.publish(on_time_online("S2")[:4])
        await it.publish(on_time_online("S3"))
        await token_for(it.bus, "S3")
        assert [e.subject for e in await events_of(it.bus, "survey.invited")] == ["S3"], (
            "without configuration, steps invite nobody"
        )
