"""The console's pages: languages, signing in and out, and form posts from elsewhere."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from lienthong.security import STAFF_COOKIE
from lienthong_console.i18n import TEXTS
from tests.services.console.dossiers import new_dossier_id, received
from tests.services.console.served import RunningConsole, token

EVIL = "https://evil.example"

# page path -> the i18n key of its heading
PAGES = {
    "/console/": "home",
    "/console/sla": "sla",
    "/console/lag": "lag",
    "/console/dead-letters": "dead_letters",
    "/console/health": "health",
    "/console/charts": "charts",
    "/console/audit": "audit",
    "/console/dossiers/{dossier}": "timeline",
}


def in_(lang: str, key: str) -> str:
    return TEXTS[key][0 if lang == "vi" else 1]


def client_of(it: RunningConsole) -> httpx.AsyncClient:
    """A browser of its own (its own cookies)."""
    return httpx.AsyncClient(base_url=it.base_url, timeout=30)


async def test_every_page_is_in_vietnamese_unless_english_is_asked_for(
    embedded: RunningConsole,
) -> None:
    it, dossier = embedded, new_dossier_id()
    await it.publish(received(dossier, "UBND-P1"))
    await it.settled()
    for path, key in {**PAGES, "/console/login": "sign_in"}.items():
        url = path.format(dossier=dossier)
        async with client_of(it) as browser:
            vi = await browser.get(url, headers=it.auth("operator"))
            en = await browser.get(url, params={"lang": "en"}, headers=it.auth("operator"))
            remembered = await browser.get(url, headers=it.auth("operator"))
        for response, lang in ((vi, "vi"), (en, "en"), (remembered, "en")):
            assert response.status_code == 200, url
            assert f'<html lang="{lang}">' in response.text, url
            assert f"<h1>{in_(lang, key)}" in response.text, (url, lang)
            assert in_(lang, "console") in response.text, (url, lang)
        assert in_("en", key) not in vi.text or in_("en", key) == in_("vi", key), url
        assert en.cookies.get("lang") == "en", url


async def test_a_bad_token_is_refused_with_the_error(embedded: RunningConsole) -> None:
    it = embedded
    agency = token(it.settings, "agency")
    no_unit = token(it.settings, "officer")
    async with client_of(it) as browser:
        for bad in ("not-a-token", agency, no_unit):
            response = await browser.post("/console/login", data={"token": bad})
            assert response.status_code == 401
            assert 'id="login-error"' in response.text
            assert in_("vi", "bad_token") in response.text
            assert STAFF_COOKIE not in response.cookies
        assert STAFF_COOKIE not in browser.cookies


@pytest.mark.parametrize(
    ("next", "lands_on"),
    [
        ("/console/sla?lang=en", "/console/sla?lang=en"),
        ("/console/dead-letters", "/console/dead-letters"),
        ("", "/console/"),
        (f"{EVIL}/", "/console/"),
        ("//evil.example", "/console/"),
        ("//evil.example/console/", "/console/"),
        (f"{EVIL}/console/", "/console/"),
        ("/v1/console/sla", "/console/"),
        ("javascript:alert(1)", "/console/"),
    ],
)
async def test_a_good_token_sets_the_cookie_and_goes_back_only_inside_the_console(
    embedded: RunningConsole, next: str, lands_on: str
) -> None:
    it = embedded
    staff = token(it.settings, "operator")
    async with client_of(it) as browser:
        response = await browser.post("/console/login", data={"token": staff, "next": next})
        assert response.status_code == 303
        assert response.headers["location"] == lands_on
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{STAFF_COOKIE}={staff};")
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", "path=/"} <= attributes
        # the cookie is what signs the browser in from now on
        assert (await browser.get("/console/sla")).status_code == 200
        out = await browser.post("/console/logout")
        assert out.status_code == 303
        assert out.headers["location"] == "/console/login"
        assert STAFF_COOKIE not in browser.cookies
        assert (await browser.get("/console/sla")).status_code == 303


async def test_an_anonymous_visitor_comes_back_where_they_were_after_signing_in(
    embedded: RunningConsole,
) -> None:
    it = embedded
    async with client_of(it) as browser:
        away = await browser.get("/console/sla", params={"lang": "en"})
        assert away.status_code == 303
        assert away.headers["location"] == f"/console/login?next={quote('/console/sla?lang=en')}"
        form = await browser.get(away.headers["location"])
        assert 'name="next" value="/console/sla?lang=en"' in form.text
        evil = await browser.get("/console/login", params={"next": f"{EVIL}/"})
        assert 'name="next" value="/console/"' in evil.text


@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1:1"])
@pytest.mark.parametrize("path", ["/console/dead-letters/act", "/console/login", "/console/logout"])
async def test_a_form_post_from_another_origin_is_refused(
    embedded: RunningConsole, origin: str, path: str
) -> None:
    it = embedded
    staff = token(it.settings, "operator")
    form = {"token": staff, "action": "discard", "ids": "failing-0-0", "reason": "x"}
    async with client_of(it) as browser:
        browser.cookies.set(STAFF_COOKIE, staff)
        response = await browser.post(path, data=form, headers={"Origin": origin})
        assert response.status_code == 403, response.text
        assert "set-cookie" not in response.headers
        same = await browser.post(path, data=form, headers={"Origin": it.base_url})
        assert same.status_code != 403, path


@pytest.mark.parametrize("origin", [EVIL, "http://127.0.0.1:1", None])
async def test_an_api_action_signed_in_by_cookie_needs_the_consoles_own_origin(
    embedded: RunningConsole, origin: str | None
) -> None:
    """A page on another port or subdomain of this host gets the SameSite cookie sent along:
    the API's actions answer only this console's pages (or a bearer token)."""
    it = embedded
    path = "/v1/console/dead-letters/console-0-0/replay"
    async with client_of(it) as browser:
        browser.cookies.set(STAFF_COOKIE, token(it.settings, "operator"))
        headers = {"Origin": origin} if origin else {}
        refused = await browser.post(path, headers=headers)
        assert refused.status_code == 403, refused.text
        own = await browser.post(path, headers={"Origin": str(it.client.base_url).rstrip("/")})
        assert own.status_code == 404, own.text  # allowed through: the letter does not exist
    bearer = await it.client.post(path, headers=it.auth("operator"))
    assert bearer.status_code == 404, bearer.text


async def test_pages_are_never_framed_and_load_only_their_own_scripts(
    embedded: RunningConsole,
) -> None:
    page = await embedded.client.get("/console/sla", headers=embedded.auth("operator"))
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert page.headers["x-frame-options"] == "DENY"
