"""Server-side HTML: one Jinja2 environment, autoescaped, with Vietnamese date formats."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from lienthong.domain import to_local

TEMPLATES = Path(__file__).parent / "templates"


def local_time(value: str | datetime | None) -> str:
    """`14 giờ 05 phút, ngày 26/11/2026` in Vietnamese local time."""
    if not value:
        return ""
    moment = to_local(datetime.fromisoformat(value) if isinstance(value, str) else value)
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}"


def short_time(value: str | datetime | None) -> str:
    if not value:
        return ""
    moment = to_local(datetime.fromisoformat(value) if isinstance(value, str) else value)
    return f"{moment:%H:%M %d/%m/%Y}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = local_time
    env.filters["short_time"] = short_time
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
