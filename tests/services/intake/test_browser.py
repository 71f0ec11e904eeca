"""A citizen in real Chromium (Playwright) on real Kafka and FerretDB: submits the birth
group online, opens the receipt, follows its QR link and sees the timeline. Screenshots go to
test-artifacts/intake/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from lienthong.settings import Settings
from tests.conftest import ROOT, Infra
from tests.services.intake.samples import BIRTH_GROUP, WARD
from tests.services.intake.served import serve
from tests.support import CHROMIUM_ARGS

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

ARTIFACTS = ROOT / "test-artifacts/intake"
DOCUMENTS = ("to-khai-lien-thong", "giay-chung-sinh", "giay-chung-nhan-ket-hon")


async def fill_birth_group(page: Page, scans: Path) -> None:
    await page.fill("#full_name", "Lê Minh Châu")
    await page.fill("#id_number", "079195006789")
    await page.fill("#phone", "0987654321")
    await page.fill("#email", "chau.le@example.vn")
    await page.select_option("#ward_code", WARD)
    await page.check('input[name="form.parents_married"]')
    for document in DOCUMENTS:
        scan = scans / f"{document}.pdf"
        scan.write_bytes(b"%PDF-1.4\n% scanned " + document.encode())
        await page.set_input_files(f'input[name="doc.{document}"]', str(scan))


async def test_a_citizen_submits_online_and_tracks_by_the_qr_link(
    infra: Infra, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_INTAKE_FORM_WAIT_S", "20")
    monkeypatch.setenv("LIENTHONG_INTAKE_BLOB_DIR", str(tmp_path / "blobs"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
    )
    with serve(settings) as served:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(served.url + "/")
            await page.click(f'a[data-code="{BIRTH_GROUP}"]')
            await fill_birth_group(page, tmp_path)
            await page.screenshot(path=ARTIFACTS / "1-apply.png", full_page=True)
            await page.click('button[type="submit"]')
            await page.wait_for_selector("#dossier-code", timeout=30_000)
            await page.screenshot(path=ARTIFACTS / "2-receipt.png", full_page=True)
            code = await page.inner_text("#dossier-code")
            assert await page.locator(".qr svg").count() == 2  # tracking, survey
            assert await page.locator("#survey-qr svg").count() == 1
            link = await page.get_attribute("#tracking-link", "href")
            assert link is not None
            assert link.startswith(f"{served.url}/track/{code}?secret=")
            await page.goto(link)
            await page.wait_for_selector('li[data-type="dossier.received"]')
            assert await page.get_attribute("#status", "data-status") == "received"
            await page.screenshot(path=ARTIFACTS / "3-tracking.png", full_page=True)
            await browser.close()
