"""The printable receipt, supplement request and refusal (embedded host, in-process bus)."""

from __future__ import annotations

from typing import Any

from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.survey_links import dossier_survey_path
from tests.services.intake.conftest import Running
from tests.services.intake.samples import DEATH_GROUP, birth_group, key


async def submit(embedded: Running, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = (
        await embedded.client.post("/v1/dossiers", json=body, headers=key())
    ).json()
    return answer


async def test_the_receipt_shows_code_appointment_and_a_qr_tracking_link(
    embedded: Running,
) -> None:
    answer = await submit(embedded, birth_group())
    response = await embedded.client.get(answer["receipt_url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html.upper()
    assert answer["code"] in html
    assert "Nguyễn Văn An" in html
    assert "Giấy chứng sinh" in html
    assert "<svg" in html
    link = f"http://intake/track/{answer['code']}?secret={answer['tracking_secret']}"
    assert f'href="{link}"' in html
    assert "079090001234" not in html  # the ID number is not printed
    key = Settings().token_key.get_secret_value().encode()
    survey = f"http://intake{dossier_survey_path(key, answer['dossier_id'])}"
    assert f'id="survey-link" href="{survey}"' in html  # what survey will invite with
    assert html.count("<svg") == 2, "a QR code for tracking and one for the survey"


async def test_without_the_secret_only_staff_may_print(embedded: Running) -> None:
    answer = await submit(embedded, birth_group())
    url = f"/v1/dossiers/{answer['code']}/receipt"
    assert (await embedded.client.get(url)).status_code == 401
    wrong = await embedded.client.get(url, params={"secret": "A" * 26})
    assert wrong.status_code == 404
    unknown = await embedded.client.get(
        "/v1/dossiers/nope/receipt", params={"secret": answer["tracking_secret"]}
    )
    assert (unknown.status_code, unknown.json()) == (404, wrong.json())
    token = mint_token(embedded.host.settings, role="officer", unit="TTHCC-26506")
    staff = await embedded.client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert staff.status_code == 200
    assert "officer:TTHCC-26506" in staff.text


async def test_an_incomplete_dossier_gets_a_supplement_request_form(embedded: Running) -> None:
    body = birth_group()
    body["documents"] = body["documents"][:1]
    answer = await submit(embedded, body)
    assert answer["status"] == "supplement_requested"
    response = await embedded.client.get(answer["form_url"])
    assert response.status_code == 200
    assert "PHIẾU YÊU CẦU BỔ SUNG" in response.text.upper()
    assert "Giấy chứng nhận kết hôn của cha mẹ" in response.text
    receipt = answer["form_url"].replace("supplement-form", "receipt")
    assert (await embedded.client.get(receipt)).status_code == 409


async def test_an_ineligible_dossier_gets_a_refusal_listing_the_reasons(embedded: Running) -> None:
    body = birth_group(procedure=DEATH_GROUP, sub_procedures=["death-registration"])
    answer = await submit(embedded, body)
    assert answer["status"] == "rejected"
    response = await embedded.client.get(answer["form_url"])
    assert response.status_code == 200
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN" in response.text.upper()
    assert "needs 2 to 4" in response.text
