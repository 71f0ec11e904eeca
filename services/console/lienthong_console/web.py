"""What the console's pages share: texts rendered by Jinja, moments in Vietnamese time, the
security headers, sign-in targets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lienthong.domain.localtime import to_local

HERE = Path(__file__).parent
STATIC = {"console.css": "text/css", "console.js": "text/javascript"}
LOGIN = "/console/login"
PAGE_LETTERS = 200  # dead letters listed on the page (all count; "replay all" takes all)
# Every page: its own scripts and styles only, never framed, no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def when(value: datetime | str | None, seconds: bool = True) -> str:
    """A moment as the city reads it: Vietnamese time, day/month hour:minute[:second]."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_local(moment).strftime("%d/%m %H:%M:%S" if seconds else "%d/%m %H:%M")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    return env


class Signed(Exception):
    """Not signed in (redirect) or not allowed (403)."""

    def __init__(self, status: int) -> None:
        self.status = status


def utc_hour(label: str) -> datetime:
    return datetime.strptime(label, "%Y-%m-%dT%H").replace(tzinfo=UTC)


def local_target(target: str) -> str | None:
    """Only a path of this console is a place to go back to after sign-in."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/console/"):
        return None
    return target


def safe_next(request: Request) -> str:
    return local_target(request.query_params.get("next", "")) or "/console/"
