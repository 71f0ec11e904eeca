"""Declarative request and response mapping: a new agency is configuration, not code.

Request templates are any JSON-like structure whose strings may hold `{field}` placeholders
for the task's fields (task_id, dossier_id, dossier_code, procedure, step, unit, due_at,
idempotency_key, callback_url). Response mappings name where, in the agency's answer, to find
its reference and (when it answers at once) the outcome:

    response:
      reference: ma_tiep_nhan              # dotted path (JSON) or element path (XML)
      outcome: ket_qua.trang_thai
      outcome_values: {approved: DONG_Y, refused: TU_CHOI, supplement: BO_SUNG}
      documents: ket_qua.giay_to
      reasons: ket_qua.ly_do
      missing: ket_qua.can_bo_sung
      answer_required: false               # true: an answer without an outcome is malformed
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lienthong_agency_adapter.connectors.base import AgencyAnswer, MalformedAnswer, Receipt

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

Lookup = Callable[[str], list[str]]


def render(template: Any, fields: Mapping[str, str]) -> Any:
    """The template with every `{field}` replaced; unknown placeholders are an error."""
    if isinstance(template, str):

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in fields:
                raise KeyError(f"unknown placeholder {{{name}}} in the request mapping")
            return fields[name]

        return _PLACEHOLDER.sub(value, template)
    if isinstance(template, Mapping):
        return {key: render(item, fields) for key, item in template.items()}
    if isinstance(template, list):
        return [render(item, fields) for item in template]
    return template


class AnswerMapping(BaseModel):
    """Where the reference and the outcome are in an agency's response."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str | None = None
    outcome: str | None = None
    outcome_values: dict[str, str] = Field(
        default_factory=lambda: {
            "approved": "approved",
            "refused": "refused",
            "supplement": "supplement",
        }
    )
    documents: str | None = None
    reasons: str | None = None
    missing: str | None = None
    answer_required: bool = False

    def read(self, lookup: Lookup) -> Receipt:
        """The receipt described by the response; MalformedAnswer when it does not fit."""
        reference = self._one(lookup, self.reference, "reference") if self.reference else None
        raw = lookup(self.outcome)[:1] if self.outcome else []
        if not raw:
            if self.answer_required:
                raise MalformedAnswer(f"the answer has no outcome at {self.outcome!r}")
            return Receipt(reference=reference)
        return Receipt(reference=reference, answer=self._answer(raw[0], lookup))

    def _answer(self, raw: str, lookup: Lookup) -> AgencyAnswer:
        meaning = {value: key for key, value in self.outcome_values.items()}.get(raw)
        if meaning == "supplement":
            missing = tuple(lookup(self.missing)) if self.missing else ()
            if not missing:
                raise MalformedAnswer("a supplement request that lists nothing missing")
            return AgencyAnswer(kind="supplement", missing=missing)
        if meaning == "approved":
            documents = tuple(lookup(self.documents)) if self.documents else ()
            return AgencyAnswer(kind="result", outcome="approved", result_documents=documents)
        if meaning == "refused":
            reasons = tuple(lookup(self.reasons)) if self.reasons else ()
            return AgencyAnswer(kind="result", outcome="refused", reasons=reasons)
        raise MalformedAnswer(f"unknown outcome value {raw[:40]!r}")

    @staticmethod
    def _one(lookup: Lookup, path: str, what: str) -> str:
        found = lookup(path)
        if not found or not found[0].strip():
            raise MalformedAnswer(f"the answer has no {what} at {path!r}")
        return found[0]


def json_lookup(document: Any) -> Lookup:
    """Dotted-path lookup in a JSON document; lists are flattened, scalars become strings."""

    def lookup(path: str) -> list[str]:
        nodes = [document]
        for part in path.split("."):
            step: list[Any] = []
            for node in nodes:
                if isinstance(node, Mapping) and part in node:
                    child = node[part]
                    step.extend(child if isinstance(child, list) else [child])
            nodes = step
        return [str(n) for n in nodes if n is not None and not isinstance(n, dict | list)]

    return lookup
