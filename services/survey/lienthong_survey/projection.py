"""The survey's read models, projections of `dossier.events`.

* `dossiers` — one `DossierRecord` per dossier (folded by the pure functions of `record`);
* `invitations` — one per token, `_id` = the token's SHA-256 (the token itself is not kept);
* `answers` — one per token, `_id` = the token's SHA-256: inserting it is the atomic
  "one answer per token" claim; replay rebuilds it from `survey.answered`.

All three are dropped and rebuilt by `lienthong replay survey`.
"""

from __future__ import annotations

from typing import Any

from lienthong.bus import Handler
from lienthong.events import Event
from lienthong.store import Collection, Document
from lienthong_survey.record import DossierRecord, Fold

DOSSIERS = "dossiers"
INVITATIONS = "invitations"
ANSWERS = "answers"
PROJECTIONS = (DOSSIERS, INVITATIONS, ANSWERS)


def to_document(record: DossierRecord) -> Document:
    """Maps keyed by step, unit or event id become lists of small documents: MongoDB field
    names may not carry the dots and dollars such keys could hold, and FerretDB 1.24 stores
    no nested arrays."""
    data = record.model_dump(mode="json")
    data["steps"] = list(data["steps"].values())
    data["supplement_requests"] = _pairs(data["supplement_requests"], "event", "unit")
    data["apologies"] = _pairs(data["apologies"], "event", "unit")
    for answer in [data["answer"], *data["step_answers"].values()]:
        if answer is not None:
            answer["units"] = _pairs(answer["units"], "unit", "level")
    data["step_invitations"] = _pairs(data["step_invitations"], "step", "invitation")
    data["step_answers"] = _pairs(data["step_answers"], "step", "answer")
    data["units"] = record.units
    return {"_id": record.dossier_id, **data}


def from_document(document: Document) -> DossierRecord:
    data: dict[str, Any] = {k: v for k, v in document.items() if k not in ("_id", "units")}
    data["steps"] = {step["step"]: step for step in data["steps"]}
    data["supplement_requests"] = _mapping(data["supplement_requests"], "event", "unit")
    data["apologies"] = _mapping(data["apologies"], "event", "unit")
    data["step_invitations"] = _mapping(data.get("step_invitations", []), "step", "invitation")
    data["step_answers"] = _mapping(data.get("step_answers", []), "step", "answer")
    for answer in [data["answer"], *data["step_answers"].values()]:
        if answer is not None:
            answer["units"] = _mapping(answer["units"], "unit", "level")
    return DossierRecord.model_validate(data)


def _pairs(mapping: dict[str, Any], key: str, value: str) -> list[dict[str, Any]]:
    return [{key: k, value: v} for k, v in mapping.items()]


def _mapping(pairs: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    return {pair[key]: pair[value] for pair in pairs}


class DossierProjection:
    def __init__(self, dossiers: Collection) -> None:
        """`dossiers`: the DOSSIERS collection (the service passes its cached one)."""
        self._dossiers = dossiers

    async def prepare(self) -> None:
        await self._dossiers.ensure_index([("month", 1)])
        await self._dossiers.ensure_index([("procedure", 1), ("month", 1)])

    def fold(self, fn: Fold) -> Handler:
        """A handler that folds one event into its dossier's record with `fn`."""

        async def handle(event: Event) -> None:
            await self.apply(event, fn)

        handle.__name__ = handle.__qualname__ = f"fold_{fn.__name__}"
        return handle

    async def apply(self, event: Event, fn: Fold) -> None:
        record = await self.get(event.subject) or DossierRecord(dossier_id=event.subject)
        updated = fn(record, event)
        if updated != record:
            await self._dossiers.replace(to_document(updated))

    async def get(self, dossier_id: str) -> DossierRecord | None:
        document = await self._dossiers.get(dossier_id)
        return None if document is None else from_document(document)

    async def completed(
        self, month_from: str | None, month_to: str | None, procedure: str | None
    ) -> list[DossierRecord]:
        """Dossiers completed in the month range (YYYY-MM, inclusive)."""
        months: dict[str, str] = {"$gte": month_from or "0000-00", "$lte": month_to or "9999-99"}
        query: dict[str, Any] = {"month": months}
        if procedure:
            query["procedure"] = procedure
        found = await self._dossiers.find(query, sort=[("month", 1), ("_id", 1)])
        return [from_document(document) for document in found]
