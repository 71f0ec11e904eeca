"""The survey page, the QR code, the CSV export and the staff page (in-memory adapters)."""

from __future__ import annotations

import csv
import io

from tests.services.survey.conftest import Embedded, events_of, staff_headers, token_for
from tests.services.survey.dossiers import on_time_online, overdue_counter
from tests.support import eventually_async as until


async def test_the_page_is_vietnamese_by_default_and_one_tap_answers(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("P1"))
    token = await token_for(embedded.bus, "P1")

    vietnamese = await embedded.client.get(f"/s/{token}?desk=quay-1")
    english = await embedded.client.get(f"/s/{token}?lang=en")
    assert vietnamese.status_code == 200
    assert 'lang="vi"' in vietnamese.text
    assert "Rất hài lòng" in vietnamese.text
    assert "X-P1" in vietnamese.text, "the question names the dossier code"
    assert 'name="desk" value="quay-1"' in vietnamese.text
    assert "Bình thường" not in vietnamese.text, "disabled in the shipped question set"
    assert "Very satisfied" in english.text
    assert 'name="unit:U2"' in english.text

    tapped = await embedded.client.post(f"/s/{token}", data={"overall": "satisfied", "lang": "vi"})
    again = await embedded.client.post(f"/s/{token}", data={"overall": "dissatisfied"})
    assert tapped.status_code == 200
    assert "Cảm ơn" in tapped.text
    assert again.status_code == 409
    assert "đã được trả lời" in again.text
    (answer,) = await events_of(embedded.bus, "survey.answered")
    assert (answer.data["overall"], answer.data["channel"]) == ("satisfied", "page")


async def test_the_qr_code_is_an_svg_of_the_link(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("P2"))
    token = await token_for(embedded.bus, "P2")
    questions = (await embedded.client.get(f"/v1/surveys/{token}")).json()
    assert (questions["code"], questions["units"]) == ("X-P2", ["U1", "U2"])
    assert questions["question_set"]["version"] == "2026.1"
    response = await embedded.client.get(f"/v1/surveys/{token}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.lstrip().startswith("<?xml")
    assert "<svg" in response.text
    assert token not in response.text, "the link is drawn, not written"


async def test_csv_export_and_staff_page(embedded: Embedded) -> None:
    await embedded.publish(on_time_online("P3") + overdue_counter("P4"))
    token = await token_for(embedded.bus, "P3")
    await token_for(embedded.bus, "P4")
    answered = await embedded.client.post(
        f"/v1/surveys/{token}/answers", json={"overall": "very_satisfied"}
    )
    assert answered.status_code == 201
    headers = staff_headers(embedded.settings)

    async def counted() -> bool:
        response = await embedded.client.get("/v1/surveys/stats", headers=headers)
        return bool(response.json()["answered"] == 1)

    await until(counted, what="the answer counted")
    export = await embedded.client.get("/v1/surveys/export.csv", headers=headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    by_unit = {row["unit"]: row for row in rows}
    assert sorted(by_unit) == ["U1", "U2"]
    assert {row["month"] for row in rows} == {"2026-03"}
    assert (by_unit["U1"]["dossiers"], by_unit["U1"]["on_time_rate"]) == ("2", "0.5")
    assert by_unit["U2"]["satisfaction_rate"] == "1.0"

    page = await embedded.client.get("/v1/surveys/dashboard", headers=headers)
    assert page.status_code == 200
    assert page.text.count("<svg") == 5
    assert (await embedded.client.get("/v1/surveys/dashboard")).status_code == 401
    indicators = await embedded.client.get("/v1/surveys/dossiers/P4/indicators", headers=headers)
    assert indicators.json()["total_timeliness"] == "late"
