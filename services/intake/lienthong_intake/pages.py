"""Server-rendered pages (mobile-first, Vietnamese by default, `?lang=en`): choose a
procedure, submit online, track by code + secret (the QR link); the one-stop counter
registers dossiers brought in person. Not part of the OpenAPI document: they are HTML.

Staff sign in at `/counter/login` by pasting their staff token; it is kept in an HttpOnly,
SameSite=Strict cookie (see `staff.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lienthong.domain import Procedure, ProcedureNotFound
from lienthong.http import Problem
from lienthong_intake.context import Intake
from lienthong_intake.i18n import LANG_COOKIE, language_of, translator
from lienthong_intake.page_flows import (
    PageInputError,
    PageUnavailable,
    apply_context,
    redirect_target,
    refill,
    submit_from_page,
)
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.rendering import render
from lienthong_intake.staff import STAFF_COOKIE, staff_principal, verified_staff
from lienthong_intake.tracking import track_dossier

TO_LOGIN = "/counter/login"


class Pages:
    def __init__(self, intake: Intake, projection: TrackingProjection) -> None:
        self.intake = intake
        self.projection = projection

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        lang = language_of(request)
        staff = staff_principal(self.intake.runtime, request)
        other = "en" if lang == "vi" else "vi"
        switch = str(request.url.include_query_params(lang=other))
        html = render(
            template, t=translator(lang), lang=lang, staff=staff, switch_lang=switch, **context
        )
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def procedure(self, code: str) -> Procedure:
        try:
            return self.intake.catalogue.procedure(code, self.intake.clock())
        except ProcedureNotFound as exc:
            raise Problem(404, "Procedure not found", str(exc)) from exc

    def is_staff(self, request: Request) -> bool:
        return staff_principal(self.intake.runtime, request) is not None

    async def home(self, request: Request) -> Response:
        procedures = self.intake.catalogue.in_force(self.intake.clock())
        return self.page(request, "procedures.html", procedures=procedures, base="/apply")

    async def apply_form(self, code: str, request: Request) -> Response:
        context = apply_context(self.intake, self.procedure(code))
        return self.page(request, "apply.html", channel="online", **context)

    async def apply(self, code: str, request: Request) -> Response:
        return await self.submit(request, code, "online")

    async def track_form(self, request: Request, code: str = "", secret: str = "") -> Response:
        if code and secret:
            return RedirectResponse(f"/track/{code.strip()}?secret={secret.strip()}", 303)
        return self.page(request, "track.html")

    async def track(self, code: str, request: Request, secret: str = "") -> Response:
        client = request.client.host if request.client else "unknown"
        try:
            tracked = await track_dossier(self.intake, self.projection, code, secret, client)
        except Problem:
            return self.page(request, "track.html", 404, error="not_found", code=code)
        except HTTPException:  # 429: too many failed look-ups
            return self.page(request, "track.html", 429, error="too_many", code=code)
        return self.page(request, "tracking.html", tracked=tracked)

    async def counter(self, request: Request) -> Response:
        if not self.is_staff(request):
            return RedirectResponse(TO_LOGIN, 303)
        procedures = self.intake.catalogue.in_force(self.intake.clock())
        return self.page(request, "procedures.html", procedures=procedures, base="/counter/apply")

    async def counter_form(self, code: str, request: Request) -> Response:
        if not self.is_staff(request):
            return RedirectResponse(TO_LOGIN, 303)
        context = apply_context(self.intake, self.procedure(code))
        return self.page(request, "apply.html", channel="counter", **context)

    async def counter_apply(self, code: str, request: Request) -> Response:
        if not self.is_staff(request):
            return RedirectResponse(TO_LOGIN, 303)
        return await self.submit(request, code, "counter")

    async def login_form(self, request: Request) -> Response:
        return self.page(request, "counter_login.html")

    async def login(self, request: Request, token: Annotated[str, Form()]) -> Response:
        if verified_staff(self.intake.runtime, token) is None:
            return self.page(request, "counter_login.html", 401, error=True)
        response = RedirectResponse("/counter", 303)
        secure = request.url.scheme == "https"
        response.set_cookie(
            STAFF_COOKIE, token.strip(), httponly=True, samesite="strict", secure=secure
        )
        return response

    async def logout(self) -> Response:
        response = RedirectResponse(TO_LOGIN, 303)
        response.delete_cookie(STAFF_COOKIE)
        return response

    async def submit(self, request: Request, code: str, channel: str) -> Response:
        procedure = self.procedure(code)
        form = await request.form()
        context = refill(apply_context(self.intake, procedure), form)
        try:
            answer = await submit_from_page(self.intake, procedure, form, channel)
        except PageInputError as exc:
            return self.page(
                request, "apply.html", 422, channel=channel, errors=exc.messages, **context
            )
        except PageUnavailable as exc:
            # The form keeps its key and its files: sent again, it completes this submission.
            response = self.page(
                request,
                "apply.html",
                503,
                channel=channel,
                unavailable=True,
                kept=exc.kept,
                **context,
            )
            response.headers.update(exc.problem.headers)
            return response
        return RedirectResponse(redirect_target(answer), 303)


def build_pages(intake: Intake, projection: TrackingProjection) -> APIRouter:
    pages = Pages(intake, projection)
    router = APIRouter(include_in_schema=False)
    routes: list[tuple[str, Callable[..., Awaitable[Response]], str]] = [
        ("/", pages.home, "GET"),
        ("/apply/{code}", pages.apply_form, "GET"),
        ("/apply/{code}", pages.apply, "POST"),
        ("/track", pages.track_form, "GET"),
        ("/track/{code}", pages.track, "GET"),
        ("/counter", pages.counter, "GET"),
        ("/counter/apply/{code}", pages.counter_form, "GET"),
        ("/counter/apply/{code}", pages.counter_apply, "POST"),
        (TO_LOGIN, pages.login_form, "GET"),
        (TO_LOGIN, pages.login, "POST"),
        ("/counter/logout", pages.logout, "POST"),
    ]
    for path, endpoint, method in routes:
        router.add_api_route(path, endpoint, methods=[method], response_class=HTMLResponse)
    return router
