"""Rendering messages from versioned Jinja2 templates (pure: files read once, no I/O after).

One file per template version, `templates/<id>/v<version>.j2`, with four blocks: `subject`,
`text` (the email's plain part), `html` (the email's HTML content) and `sms`. The same file is
rendered by two environments: the HTML one escapes every variable (autoescape), the text one
does not. The HTML content is then wrapped in the shared `_layout.html.j2`.

Emails are bilingual (Vietnamese, then English). SMS are Vietnamese only: every character
counts (see `lienthong_notify.sms`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from lienthong_notify.rules import TemplateRef

TEMPLATES = Path(__file__).with_name("templates")
BLOCKS = ("subject", "text", "html", "sms")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class TemplateBook:
    def __init__(self, zone: ZoneInfo, directory: Path = TEMPLATES) -> None:
        self.zone = zone
        options: dict[str, Any] = {
            "loader": FileSystemLoader(directory),
            "undefined": StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": False,
        }
        self._text = Environment(autoescape=False, **options)  # noqa: S701 - plain text and SMS
        self._html = Environment(autoescape=True, **options)
        for env in (self._text, self._html):
            env.filters["vn_datetime"] = self.local_datetime
            env.filters["vn_date"] = self.local_date

    def local_datetime(self, value: Any) -> str:
        return _as_datetime(value).astimezone(self.zone).strftime("%H:%M %d/%m/%Y")

    def local_date(self, value: Any) -> str:
        return _as_datetime(value).astimezone(self.zone).strftime("%d/%m/%Y")

    def check(self, ref: TemplateRef) -> None:
        """Fail at start, not at the first message, if a template is missing a block."""
        missing = set(BLOCKS) - set(self._text.get_template(_path(ref)).blocks)
        if missing:
            raise ValueError(f"template {ref} lacks block(s) {sorted(missing)}")

    def render(self, ref: TemplateRef, variables: dict[str, Any]) -> Rendered:
        text_template = self._text.get_template(_path(ref))
        html_template = self._html.get_template(_path(ref))
        subject = " ".join(_block(text_template, "subject", variables).split())
        content = Markup(_block(html_template, "html", variables))  # noqa: S704 - autoescaped
        layout = self._html.get_template("_layout.html.j2")
        html = layout.render(subject=subject, content=content, **variables)
        return Rendered(
            subject=subject,
            text=_block(text_template, "text", variables).strip() + "\n",
            html=html,
            sms=_block(text_template, "sms", variables).strip(),
        )


def _path(ref: TemplateRef) -> str:
    return f"{ref.id}/v{ref.version}.j2"


def _block(template: Template, name: str, variables: dict[str, Any]) -> str:
    context = template.new_context(variables)
    return "".join(template.blocks[name](context))
