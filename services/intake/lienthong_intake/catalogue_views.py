"""Queries: the public procedure catalogue (danh mục thủ tục hành chính), versions in force."""

from __future__ import annotations

import json
from datetime import datetime

from lienthong.domain import Catalogue, Procedure, ProcedureNotFound
from lienthong.domain.procedure import Condition
from lienthong.http import Problem
from lienthong_intake.models import DocumentOut, ProcedureDetail, ProcedureSummary


def list_procedures(catalogue: Catalogue, at: datetime) -> list[ProcedureSummary]:
    return [_summary(procedure) for procedure in catalogue.in_force(at)]


def describe_procedure(catalogue: Catalogue, code: str, at: datetime) -> ProcedureDetail:
    try:
        procedure = catalogue.procedure(code, at)
    except ProcedureNotFound as exc:
        raise Problem(
            404,
            "Procedure not found",
            str(exc),
            type="urn:lienthong:problem:procedure-not-found",
        ) from exc
    choice = procedure.sub_procedures
    return ProcedureDetail(
        **_summary(procedure).model_dump(),
        effective_from=procedure.effective_from.isoformat(),
        time_limit=procedure.time_limit.model_dump(mode="json", exclude_none=True),
        required_documents=[
            DocumentOut(
                type=document.type,
                name=document.name.vi,
                name_en=document.name.en,
                mandatory=document.mandatory,
                condition=_describe(document.condition),
            )
            for document in procedure.documents
        ],
        sub_procedures=choice.model_dump(mode="json", exclude_none=True) if choice else None,
    )


def _summary(procedure: Procedure) -> ProcedureSummary:
    return ProcedureSummary(
        code=procedure.code,
        version=procedure.version,
        name=procedure.name.vi,
        name_en=procedure.name.en,
        field=procedure.field.id,
        competent_level=procedure.competent_level.value,
        online_level=procedure.online_level.value,
    )


def _describe(condition: Condition | None) -> str | None:
    if condition is None:
        return None
    if condition.sub_procedure is not None:
        return f"sub_procedures includes {condition.sub_procedure}"
    if condition.one_of is not None:
        return f"form.{condition.form_field} in {json.dumps(list(condition.one_of))}"
    if condition.equals is not None:
        return f"form.{condition.form_field} == {json.dumps(condition.equals)}"
    return f"form.{condition.form_field} is set"
