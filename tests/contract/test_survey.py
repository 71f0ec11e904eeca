"""The survey API and pages against their OpenAPI document."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from schemathesis.schemas import BaseSchema

from lienthong.events import Event
from lienthong.schemas.dossier import (
    DossierCompleted,
    DossierReceived,
    DossierSubmitted,
    StepCompleted,
    StepOpened,
)
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from tests.contract.harness import (
    Case,
    Credentials,
    bearer,
    exercise,
    fuzz,
    load_schema,
    operations,
    staff_token,
)
from tests.contract.served import served
from tests.services.survey.conftest import token_for
from tests.services.survey.dossiers import fact

EXAMPLES = 40  # per operation; 9 operations
DOSSIER = "d-contract-survey"
CITIZEN_PATHS = ("/s/{token}", "/v1/surveys/{token}")
# Generated tokens are all unknown: with the real allowances (per address and window) all but
# the first few look-ups and answers would be 429s, and nothing behind the limits checked.
ENV = {
    "LIENTHONG_SURVEY_LOOKUPS_FAILED_PER_CLIENT": "1000000",
    "LIENTHONG_SURVEY_ANSWERS_PER_CLIENT": "1000000",
}


def staff_for_statistics(settings: Settings) -> Credentials:
    """Citizens answer without credentials (any would be refused); staff read statistics."""
    staff = bearer(staff_token(settings, "supervisor"))

    def credentials(case: Case) -> dict[str, str]:
        return {} if case.operation.path.startswith(CITIZEN_PATHS) else staff

    return credentials


def completed_dossier(now: datetime) -> list[Event]:
    """Submitted, received, one step on time, completed: an invitation follows."""
    hour = timedelta(hours=1)
    received = DossierReceived(
        code=f"X-{DOSSIER}",
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="R",
        received_at=now - 3 * hour,
        appointment_at=now + 48 * hour,
    )
    history = [
        DossierSubmitted(procedure="1.001193", channel="online", ward_code="26506"),
        received,
        StepOpened(step="civil", unit="U1", role="r1", due_at=now + 24 * hour),
        StepCompleted(step="civil", unit="U1", timeliness="early"),
        DossierCompleted(returned_by="electronic"),
    ]
    return [fact(DOSSIER, payload, now - (4 - n) * hour, n) for n, payload in enumerate(history)]


async def test_every_survey_operation_honours_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["survey"], monkeypatch, ENV) as it:
        await it.host.bus.publish(DOSSIER_EVENTS, *completed_dossier(datetime.now(UTC)))
        token = await token_for(it.host.bus, DOSSIER)
        schema = load_schema(it.app, it.base_url)
        credentials = staff_for_statistics(it.settings)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES, credentials)
        await asyncio.to_thread(answer_a_survey, schema, token, credentials)
    assert len(operations(answered)) == 9
    assert answered["GET /v1/surveys/stats", 200]


def answer_a_survey(schema: BaseSchema, token: str, credentials: Credentials) -> None:
    """The link's questions, QR code and page, an answer with hostile text refused, one
    answer, a second refused, then what staff see of it: each validated against the document."""
    link = {"token": token}
    for path in ("/v1/surveys/{token}", "/v1/surveys/{token}/qr.svg", "/s/{token}"):
        exercise(schema, "GET", path, path_parameters=link, expect=200)
    # A comment with a bidi override is refused, and the link is not used up by it.
    hostile = {"overall": "very_satisfied", "comment": "Cán bộ \u202enhiệt tình"}
    refused = exercise(
        schema,
        "POST",
        "/v1/surveys/{token}/answers",
        path_parameters=link,
        body=hostile,
        expect=422,
    )
    assert "U+202E" in refused.text
    answer = {"overall": "very_satisfied", "comment": "Cán bộ nhiệt tình"}
    for expected in (201, 409):
        exercise(
            schema,
            "POST",
            "/v1/surveys/{token}/answers",
            path_parameters=link,
            body=answer,
            expect=expected,
        )
    staff = dict(credentials(schema["/v1/surveys/stats"]["GET"].Case()))
    for path in ("/v1/surveys/stats", "/v1/surveys/export.csv", "/v1/surveys/dashboard"):
        exercise(schema, "GET", path, headers=staff, expect=200)
    exercise(
        schema,
        "GET",
        "/v1/surveys/dossiers/{dossier_id}/indicators",
        path_parameters={"dossier_id": DOSSIER},
        headers=staff,
        expect=200,
    )
