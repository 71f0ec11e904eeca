"""The server-rendered pages on the embedded host (the browser test drives them in Chromium)."""

from __future__ import annotations

from lienthong.security import mint_token
from tests.services.intake.conftest import Running
from tests.services.intake.samples import BIRTH_GROUP, WARD

PDF = b"%PDF-1.4\nscan"


def birth_form(key: str = "page-test-key-0001") -> dict[str, str]:
    return {
        "idempotency_key": key,
        "full_name": "Trần Thị Cúc",
        "id_number": "079190004321",
        "phone": "0912345678",
        "email": "cuc.tran@example.vn",
        "ward_code": WARD,
        "contact_channel": "email",
        "form.parents_married": "true",
    }


def scans(*types: str) -> dict[str, tuple[str, bytes, str]]:
    return {f"doc.{t}": (f"{t}.pdf", PDF, "application/pdf") for t in types}


ALL_SCANS = scans("to-khai-lien-thong", "giay-chung-sinh", "giay-chung-nhan-ket-hon")


async def test_pages_are_vietnamese_by_default_and_english_on_request(embedded: Running) -> None:
    home = await embedded.client.get("/")
    assert home.status_code == 200
    assert "Chọn thủ tục hành chính" in home.text
    assert f'href="/apply/{BIRTH_GROUP}"' in home.text
    english = await embedded.client.get("/", params={"lang": "en"})
    assert "Choose a procedure" in english.text
    assert english.cookies["lang"] == "en"
    assert "Choose a procedure" in (await embedded.client.get("/")).text  # the cookie stays


async def test_an_online_submission_from_the_page_leads_to_its_receipt(embedded: Running) -> None:
    form = await embedded.client.get(f"/apply/{BIRTH_GROUP}")
    assert 'name="doc.giay-chung-sinh"' in form.text
    posted = await embedded.client.post(f"/apply/{BIRTH_GROUP}", data=birth_form(), files=ALL_SCANS)
    assert posted.status_code == 303
    receipt = await embedded.client.get(posted.headers["location"])
    assert receipt.status_code == 200
    assert "Trần Thị Cúc" in receipt.text
    again = await embedded.client.post(f"/apply/{BIRTH_GROUP}", data=birth_form(), files=ALL_SCANS)
    assert again.headers["location"] == posted.headers["location"]  # a double click: one dossier


async def test_a_page_submission_with_bad_input_shows_what_to_fix(embedded: Running) -> None:
    bad = {**birth_form("page-test-key-0002"), "id_number": "12"}
    posted = await embedded.client.post(
        f"/apply/{BIRTH_GROUP}",
        data=bad,
        files={"doc.giay-chung-sinh": ("x.exe", b"MZ\x90", "application/pdf")},
    )
    assert posted.status_code == 422
    assert "only PDF, JPEG and PNG" in posted.text
    assert await embedded.all_events() == []


async def test_the_counter_needs_a_staff_login_kept_in_an_httponly_cookie(
    embedded: Running,
) -> None:
    assert (await embedded.client.get("/counter")).headers["location"] == "/counter/login"
    refused = await embedded.client.post("/counter/login", data={"token": "not-a-token"})
    assert refused.status_code == 401
    token = mint_token(embedded.host.settings, role="officer", unit="TTHCC-26506")
    login = await embedded.client.post("/counter/login", data={"token": token})
    assert login.status_code == 303
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    counter = await embedded.client.get("/counter")
    assert f'href="/counter/apply/{BIRTH_GROUP}"' in counter.text
    posted = await embedded.client.post(
        f"/counter/apply/{BIRTH_GROUP}", data=birth_form("page-test-key-0003"), files=ALL_SCANS
    )
    assert posted.status_code == 303
    receipt = await embedded.client.get(posted.headers["location"].split("?")[0])
    assert "officer:TTHCC-26506" in receipt.text  # printed by the signed-in officer
    events = await embedded.all_events()
    assert events[0].data["channel"] == "counter"


async def test_tracking_by_code_and_secret_shows_the_timeline(embedded: Running) -> None:
    posted = await embedded.client.post(f"/apply/{BIRTH_GROUP}", data=birth_form(), files=ALL_SCANS)
    receipt = (await embedded.client.get(posted.headers["location"])).text
    link = receipt.split('id="tracking-link" href="')[1].split('"')[0]
    page = await embedded.client.get(link.removeprefix("http://intake"))
    assert page.status_code == 200
    assert 'data-status="received"' in page.text
    assert 'data-type="dossier.received"' in page.text
    english = page.text.split('hreflang="en"')[0].rsplit('href="', 1)[1]
    assert "secret=" in english  # switching the language keeps the look-up
    assert "lang=en" in english
    wrong = await embedded.client.get(link.split("?")[0], params={"secret": "X" * 26})
    assert wrong.status_code == 404
    assert "Không tìm thấy hồ sơ" in wrong.text
