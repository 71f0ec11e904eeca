"""The console's server-rendered pages (`/console/...`): Vietnamese by default, English on
request, light or dark, keyboard-navigable; one small script (`static/console.js`) for the
live tail, the theme and the shortcuts.

An anonymous visitor is sent to the sign-in page (a staff token pasted once, kept in the
HttpOnly, SameSite=Strict staff cookie every service accepts); a signed-in user whose role
may not see a page gets 403. Actions are form posts from this origin only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from lienthong.events.registry import registrations
from lienthong.ops import DeadLetterError
from lienthong.security import STAFF_COOKIE, InvalidToken, current_principal, verify_token
from lienthong.topics import DOSSIER_EVENTS
from lienthong_console.access import ConsoleUser, console_user, same_origin
from lienthong_console.console import Console, letter_json, payload_text
from lienthong_console.i18n import language_of, translator
from lienthong_console.page_charts import lag_charts, overview_charts
from lienthong_console.tail import Filters
from lienthong_console.web import (
    HERE,
    LOGIN,
    PAGE_LETTERS,
    SECURITY_HEADERS,
    STATIC,
    Signed,
    environment,
    local_target,
    safe_next,
)


class Pages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.env = environment()
        self.event_types = sorted(
            r.event_type for r in registrations() if r.topic == DOSSIER_EVENTS
        )

    # --- plumbing -------------------------------------------------------------------

    def user(self, request: Request, *, city: bool = False) -> ConsoleUser:
        try:
            principal = current_principal(request)
        except HTTPException:
            raise Signed(401) from None
        try:
            user = console_user(principal)
        except HTTPException:
            raise Signed(403) from None
        if city and not user.city_wide:
            raise Signed(403)
        return user

    def render(
        self,
        request: Request,
        template: str,
        page: str,
        user: ConsoleUser | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = language_of(request)
        other = "en" if lang == "vi" else "vi"
        query = dict(request.query_params) | {"lang": other}
        html = self.env.get_template(template).render(
            lang=lang,
            t=translator(lang),
            page=page,
            user=user,
            switch_lang=f"{request.url.path}?{urlencode(query)}",
            **context,
        )
        response = HTMLResponse(html, status)
        if "lang" in request.query_params and request.query_params["lang"] == lang:
            response.set_cookie("lang", lang, samesite="lax", max_age=365 * 86400)
        response.headers["Cache-Control"] = "no-store"
        response.headers.update(SECURITY_HEADERS)
        return response

    def refused(self, request: Request, status: int) -> Response:
        if status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{LOGIN}?next={quote(target)}", 303)
        t = translator(language_of(request))
        return self.render(
            request,
            "message.html",
            "console",
            None,
            403,
            heading="403",
            message=t("forbidden"),
            offer_sign_in=True,
        )

    # --- sign-in --------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        return self.render(request, "login.html", "sign_in", None, next=safe_next(request))

    async def login(
        self,
        request: Request,
        token: Annotated[str, Form(max_length=8192)],
        next: Annotated[str, Form()] = "",
    ) -> Response:
        same_origin(request)
        try:
            principal = verify_token(request.app.state.settings, token.strip())
            console_user(principal)
        except (InvalidToken, HTTPException):
            return self.render(request, "login.html", "sign_in", None, 401, error=True, next=next)
        response = RedirectResponse(local_target(next) or "/console/", 303)
        response.set_cookie(
            STAFF_COOKIE,
            token.strip(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def logout(self, request: Request) -> Response:
        same_origin(request)
        response = RedirectResponse(LOGIN, 303)
        response.delete_cookie(STAFF_COOKIE, path="/")
        return response

    # --- pages ----------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        user = self.user(request)
        params = request.query_params
        filters = Filters(
            dossier=params.get("dossier") or None,
            type=params.get("type") or None,
            unit=params.get("unit") or None,
            procedure=params.get("procedure") or None,
        )
        query = urlencode({k: v for k, v in filters.__dict__.items() if v and k != "units"})
        cards = []
        if user.city_wide:
            board = await self.console.views.board(None)
            letters = await self.console.pending_count()
            lag = sum(row.lag for row in await self.console.lag())
            t = translator(language_of(request))
            cards = [
                {"id": "overdue", "label": t("overdue"), "value": board.overdue_total},
                {"id": "near", "label": t("near_due"), "value": board.near_total},
                {"id": "dead-letters", "label": t("dead_letters"), "value": letters},
                {"id": "lag", "label": t("total_lag"), "value": lag},
            ]
        return self.render(
            request,
            "home.html",
            "home",
            user,
            filters=filters,
            event_types=self.event_types,
            cards=cards,
            source="/v1/console/stream" + (f"?{query}" if query else ""),
        )

    async def dossier(self, code: str, request: Request) -> Response:
        user = self.user(request, city=True)
        found = await self.console.views.dossier(code)
        if found is None:
            t = translator(language_of(request))
            return self.render(
                request, "message.html", "dossier", user, 404, heading=code, message=t("not_found")
            )
        return self.render(request, "dossier.html", "dossier", user, dossier=found)

    async def lag(self, request: Request) -> Response:
        user = self.user(request, city=True)
        t = translator(language_of(request))
        rows = await self.console.lag()
        groups: dict[str, int] = {}
        for row in rows:
            groups[row.group] = groups.get(row.group, 0) + row.lag
        lag_chart, rate_chart = lag_charts(await self.console.sampler.recent(6), t)
        return self.render(
            request,
            "lag.html",
            "lag",
            user,
            rows=rows,
            groups=[{"group": g, "lag": n} for g, n in sorted(groups.items())],
            lag_chart=lag_chart,
            rate_chart=rate_chart,
        )

    async def sla(self, request: Request) -> Response:
        user = self.user(request)
        board = await self.console.views.board(user.units)
        return self.render(request, "sla.html", "sla", user, board=board)

    async def dead_letters(self, request: Request, notice: str = "") -> Response:
        user = self.user(request, city=True)
        group = request.query_params.get("group") or None
        settled = request.query_params.get("settled") == "1"
        done, count = request.query_params.get("done"), request.query_params.get("count", "")
        if not notice and done in ("replayed", "discarded") and count.isdigit():
            notice = f"{translator(language_of(request))(done)}: {int(count)}"
        everything = await self.console.letters(None, settled=True)
        pending: dict[str, int] = {}
        for letter in everything:
            pending[letter.group] = pending.get(letter.group, 0) + (letter.state == "pending")
        matching = [
            letter
            for letter in everything
            if (group is None or letter.group == group) and (settled or letter.state == "pending")
        ]
        shown = [
            {**letter_json(letter), "payload": payload_text(letter.masked_payload)}
            for letter in matching[:PAGE_LETTERS]
        ]
        return self.render(
            request,
            "dead_letters.html",
            "dead_letters",
            user,
            letters=shown,
            groups=[{"group": g, "pending": n} for g, n in sorted(pending.items())],
            group=group,
            settled=settled,
            notice=notice,
            total=len(matching),
        )

    async def act(self, request: Request) -> Response:
        same_origin(request)
        user = self.user(request, city=True)
        if not user.may_act:
            raise Signed(403)
        form = await request.form()
        action = str(form.get("action") or "")
        group = str(form.get("group") or "") or None
        reason = str(form.get("reason") or "").strip()[:500] or None
        ids = [str(v) for v in form.getlist("ids")]
        t = translator(language_of(request))
        try:
            if action == "dry-run-all" and group:
                ids = [letter.id for letter in await self.console.letters(group)]
            if action in ("dry-run", "dry-run-all"):
                plan = await self.console.replay(user, ids, reason, dry_run=True)
                return self.render(
                    request,
                    "replay_plan.html",
                    "dead_letters",
                    user,
                    letters=[letter_json(letter) for letter in plan],
                    group=group,
                    reason=reason,
                    pace=self.console.config.replay_pace_per_s,
                )
            if action == "replay":
                if not self.console.runs_inline(len(ids)):
                    job = await self.console.start_replay(user, ids, reason)
                    return RedirectResponse(f"/console/replays/{job.id}", 303)
                done = await self.console.replay(user, ids, reason, dry_run=False)
                outcome = "replayed"
            elif action == "discard":
                if not reason:
                    return await self._dead_letters_after(request, group, t("reason_required"), 422)
                done = await self.console.discard(user, ids, reason)
                outcome = "discarded"
            else:
                return await self._dead_letters_after(request, group, t("unknown_action"), 422)
        except DeadLetterError as exc:
            return await self._dead_letters_after(request, group, str(exc), exc.status)
        # Post, then redirect: a reload of the page that follows does not act again.
        query = {"group": group or "", "done": outcome, "count": str(len(done))}
        if "lang" in request.query_params:
            query["lang"] = language_of(request)
        return RedirectResponse(f"/console/dead-letters?{urlencode(query)}", 303)

    async def _dead_letters_after(
        self, request: Request, group: str | None, notice: str, status: int
    ) -> Response:
        request.scope["query_string"] = urlencode({"group": group} if group else {}).encode()
        response = await self.dead_letters(Request(request.scope), notice)
        response.status_code = status
        return response

    async def replay_job(self, job: str, request: Request) -> Response:
        user = self.user(request, city=True)
        found = self.console.jobs.get(job)
        if found is None:
            return self.render(
                request, "message.html", "dead_letters", user, 404, heading="404", message=job
            )
        return self.render(request, "replay_job.html", "dead_letters", user, job=found)

    async def health(self, request: Request) -> Response:
        user = self.user(request, city=True)
        report = await self.console.views.health_report()
        return self.render(request, "health.html", "health", user, report=report)

    async def charts(self, request: Request) -> Response:
        user = self.user(request, city=True)
        t = translator(language_of(request))
        throughput, satisfaction, on_time = await overview_charts(self.console.views, t)
        return self.render(
            request,
            "charts.html",
            "charts",
            user,
            throughput=throughput,
            satisfaction=satisfaction,
            on_time=on_time,
        )

    async def audit(self, request: Request) -> Response:
        user = self.user(request, city=True)
        actions = await self.console.views.audit()
        return self.render(request, "audit.html", "audit", user, actions=actions)

    async def static(self, name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, "no such file")
        return FileResponse(
            HERE / "static" / name,
            media_type=STATIC[name],
            headers={"Cache-Control": "public, max-age=300"},
        )


def build_pages(console: Console) -> APIRouter:
    pages = Pages(console)
    router = APIRouter(include_in_schema=False)

    def guarded(page: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        async def run(request: Request, **kwargs: Any) -> Response:
            try:
                return await page(request=request, **kwargs)
            except Signed as refusal:
                return pages.refused(request, refusal.status)

        return run

    @router.get("/console")
    async def bare() -> Response:
        return RedirectResponse("/console/", 307)

    @router.get("/console/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return await guarded(pages.home)(request)

    @router.get("/console/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        return await pages.login_form(request)

    @router.post("/console/login")
    async def login(
        request: Request,
        token: Annotated[str, Form(max_length=8192)],
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        return await pages.login(request, token, next)

    @router.post("/console/logout")
    async def logout(request: Request) -> Response:
        return await pages.logout(request)

    @router.get("/console/dossiers/{code}", response_class=HTMLResponse)
    async def dossier(code: str, request: Request) -> Response:
        return await guarded(pages.dossier)(request, code=code)

    for path, handler in (
        ("/console/lag", pages.lag),
        ("/console/sla", pages.sla),
        ("/console/dead-letters", pages.dead_letters),
        ("/console/health", pages.health),
        ("/console/charts", pages.charts),
        ("/console/audit", pages.audit),
    ):
        router.add_api_route(
            path, _bound(guarded, handler), methods=["GET"], response_class=HTMLResponse
        )

    @router.get("/console/replays/{job}", response_class=HTMLResponse)
    async def replay_job(job: str, request: Request) -> Response:
        return await guarded(pages.replay_job)(request, job=job)

    @router.post("/console/dead-letters/act")
    async def act(request: Request) -> Response:
        return await guarded(pages.act)(request)

    @router.get("/console/static/{name}")
    async def static(name: str) -> Response:
        return await pages.static(name)

    return router


def _bound(
    guarded: Callable[[Callable[..., Awaitable[Response]]], Callable[..., Awaitable[Response]]],
    handler: Callable[..., Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        return await guarded(handler)(request)

    return route
