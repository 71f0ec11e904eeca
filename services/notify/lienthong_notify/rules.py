"""Notification rules: which events message the citizen, how, with which template.

Data, not code: the rules come from a YAML file named in the settings (pure; no I/O beyond
reading that file once at start).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

ChannelName = Literal["sms", "email"]
ChannelChoice = Literal["preferred", "sms", "email", "all"]
CHANNELS: tuple[ChannelName, ...] = ("sms", "email")


class TemplateRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    version: int

    def __str__(self) -> str:
        return f"{self.id}@{self.version}"

    @classmethod
    def parse(cls, text: str) -> TemplateRef:
        name, _, version = text.partition("@")
        if not name or not version.isdigit():
            raise ValueError(f"template {text!r} must read <id>@<version>, e.g. receipt@1")
        return cls(id=name, version=int(version))


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event: str = Field(min_length=1)
    template: str
    channels: ChannelChoice = "preferred"

    @property
    def template_ref(self) -> TemplateRef:
        return TemplateRef.parse(self.template)

    def channels_for(
        self, preferred: ChannelName, available: set[ChannelName]
    ) -> list[ChannelName]:
        """The channels to use for a citizen who prefers `preferred` and gave `available`."""
        if self.channels == "all":
            wanted: list[ChannelName] = list(CHANNELS)
        elif self.channels == "preferred":
            wanted = [preferred]
        else:
            wanted = [self.channels]
        return [c for c in wanted if c in available]


class RuleBook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    rules: list[Rule]

    def for_event(self, event_type: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.event == event_type]

    @property
    def event_types(self) -> list[str]:
        return sorted({rule.event for rule in self.rules})


def load_rules(path: Path) -> RuleBook:
    book = RuleBook.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for rule in book.rules:
        rule.template_ref  # noqa: B018 - validates the reference at start, not at first use
    return book
