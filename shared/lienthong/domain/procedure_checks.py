"""Checks of meaning on one procedure version; every issue carries its path in the data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lienthong.domain.errors import Issue, PathItem

if TYPE_CHECKING:
    from lienthong.domain.procedure import Condition, Procedure, SubProcedureChoice


def procedure_issues(procedure: Procedure) -> list[Issue]:
    """Everything wrong with one version: dates, ids, references, the workflow DAG."""
    issues: list[Issue] = []
    if procedure.effective_to is not None and procedure.effective_to <= procedure.effective_from:
        issues.append(Issue("effective_to must be after effective_from", ("effective_to",)))
    limit = procedure.time_limit
    if limit.extended_value is not None and limit.extended_value < limit.value:
        message = "extended_value must not be shorter than value"
        issues.append(Issue(message, ("time_limit", "extended_value")))
    issues += _duplicates("documents", "type", [d.type for d in procedure.documents])
    issues += _duplicates("fees", "id", [f.id for f in procedure.fees])
    issues += _duplicates("result_documents", "type", [r.type for r in procedure.result_documents])
    if procedure.code in procedure.aliases:
        issues.append(Issue("a procedure cannot be its own alias", ("aliases",)))
    issues += [issue.under("workflow") for issue in procedure.workflow.issues()]
    issues += _sub_procedure_issues(procedure)
    return issues


def _duplicates(collection: str, key: str, values: list[str]) -> list[Issue]:
    seen: set[str] = set()
    issues: list[Issue] = []
    for index, value in enumerate(values):
        if value in seen:
            issues.append(Issue(f"duplicate {key} {value!r}", (collection, index, key)))
        seen.add(value)
    return issues


def _sub_procedure_issues(procedure: Procedure) -> list[Issue]:
    choice = procedure.sub_procedures
    known = frozenset(choice.option_ids) if choice else frozenset()
    issues = _choice_issues(choice) if choice else []
    for index, step in enumerate(procedure.workflow.steps):
        if step.sub_procedure is not None and step.sub_procedure not in known:
            where: tuple[PathItem, ...] = ("workflow", "steps", index, "sub_procedure")
            issues.append(_unknown_sub_procedure(step.sub_procedure, where, choice is None))
    conditions = _conditions(procedure)
    for where, condition in conditions:
        if condition.sub_procedure is not None and condition.sub_procedure not in known:
            path = (*where, "condition", "sub_procedure")
            issues.append(_unknown_sub_procedure(condition.sub_procedure, path, choice is None))
    for index, result in enumerate(procedure.result_documents):
        if result.sub_procedure is not None and result.sub_procedure not in known:
            path = ("result_documents", index, "sub_procedure")
            issues.append(_unknown_sub_procedure(result.sub_procedure, path, choice is None))
    if choice:
        with_steps = {s.sub_procedure for s in procedure.workflow.steps}
        for index, option in enumerate(choice.options):
            if option.id not in with_steps:
                message = f"sub-procedure {option.id!r} has no step in the workflow"
                issues.append(Issue(message, ("sub_procedures", "options", index, "id")))
    return issues


def _unknown_sub_procedure(name: str, where: tuple[PathItem, ...], no_choice: bool) -> Issue:
    if no_choice:
        return Issue(f"sub-procedure {name!r} used but the procedure has no sub_procedures", where)
    return Issue(f"unknown sub-procedure {name!r}", where)


def _choice_issues(choice: SubProcedureChoice) -> list[Issue]:
    issues = _duplicates("options", "id", list(choice.option_ids))
    issues = [issue.under("sub_procedures") for issue in issues]
    if choice.min > choice.max:
        issues.append(Issue("min must not exceed max", ("sub_procedures", "min")))
    if choice.max > len(choice.options):
        message = f"max {choice.max} exceeds the {len(choice.options)} options"
        issues.append(Issue(message, ("sub_procedures", "max")))
    required = sum(1 for option in choice.options if option.required)
    if required > choice.max:
        message = f"{required} required options exceed max {choice.max}"
        issues.append(Issue(message, ("sub_procedures", "max")))
    return issues


def _conditions(procedure: Procedure) -> Iterable[tuple[tuple[PathItem, ...], Condition]]:
    for index, document in enumerate(procedure.documents):
        if document.condition is not None:
            yield ("documents", index), document.condition
    for index, fee in enumerate(procedure.fees):
        if fee.condition is not None:
            yield ("fees", index), fee.condition
