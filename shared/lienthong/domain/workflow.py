"""The workflow of a procedure: a DAG of steps (quy trình nội bộ, liên thông giữa các cơ quan).

Each step is performed by the unit playing its `role`, owns a `share` of the statutory time
limit, and starts once every step in `after` is done; steps that share a predecessor run in
parallel. A step tied to a `sub_procedure` only exists when the applicant chose it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema

from lienthong.domain.errors import Issue
from lienthong.domain.vocabulary import LocalizedText, Role, Slug, StrictModel


def parse_share(value: Any) -> Fraction:
    """Accept 0.25, "0.25", "1/3", 1 or a Fraction; floats are read from their decimal text."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Fraction):
        raise ValueError("share must be a number or a fraction such as '1/3'")
    try:
        if isinstance(value, str) and "/" in value:  # the common "1/3": skip Fraction's regex
            numerator, _, denominator = value.partition("/")
            share = Fraction(int(numerator), int(denominator))
        else:
            share = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"share {value!r} is not a number or a fraction such as '1/3'") from exc
    if not 0 <= share <= 1:
        raise ValueError(f"share {value!r} must be between 0 and 1")
    return share


def format_share(share: Fraction) -> str:
    return str(share)


Share = Annotated[
    Fraction,
    PlainValidator(parse_share),
    PlainSerializer(format_share, return_type=str),
    WithJsonSchema({"type": ["number", "string"], "description": "0..1, e.g. 0.5 or '1/3'"}),
]


class Step(StrictModel):
    """One hand-off in the process control sheet (Phiếu kiểm soát quá trình giải quyết)."""

    id: Slug
    name: LocalizedText
    role: Role
    share: Share = Fraction(0)
    after: tuple[Slug, ...] = ()
    clock_pauses_on_supplement: bool = True
    sub_procedure: Slug | None = None
    note: str | None = None


class Workflow(StrictModel):
    """A DAG of steps; `issues()` reports what would make it unusable."""

    steps: tuple[Step, ...] = Field(min_length=1)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"no step {step_id!r} in this workflow")

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps)

    def roles(self) -> frozenset[str]:
        return frozenset(step.role for step in self.steps)

    def issues(self) -> list[Issue]:
        """Duplicate ids, unknown or self dependencies, cycles, and path shares above 1."""
        found = _reference_issues(self.steps)
        if found:
            return found
        cycle = _find_cycle(self.steps)
        if cycle:
            index = self.step_ids.index(cycle[0])
            chain = " → ".join(cycle)
            return [Issue(f"steps form a cycle: {chain}", ("steps", index, "after"))]
        return _share_issues(self)

    def topological_order(self) -> tuple[str, ...]:
        """Step ids so that every step comes after its dependencies (ties: file order)."""
        after = {step.id: step.after for step in self.steps}
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = being visited, 2 = placed

        def place(step_id: str) -> None:
            if state.get(step_id) == 2:
                return
            if state.get(step_id) == 1:
                raise ValueError("workflow has a cycle")
            state[step_id] = 1
            for dependency in after[step_id]:
                place(dependency)
            state[step_id] = 2
            order.append(step_id)

        for step in self.steps:
            place(step.id)
        return tuple(order)

    def cumulative_shares(self) -> dict[str, Fraction]:
        """Share of the limit by which each step must be done: the longest path up to it."""
        by_id = {step.id: step for step in self.steps}
        offsets: dict[str, Fraction] = {}
        for step_id in self.topological_order():
            step = by_id[step_id]
            start = max((offsets[a] for a in step.after), default=Fraction(0))
            offsets[step_id] = start + step.share
        return offsets

    def successors(self, step_id: str) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps if step_id in step.after)

    def initial_steps(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps if not step.after)

    def final_steps(self) -> tuple[str, ...]:
        needed = {a for step in self.steps for a in step.after}
        return tuple(step.id for step in self.steps if step.id not in needed)

    def for_selection(self, chosen: Iterable[str]) -> Workflow:
        """Drop steps of sub-procedures not chosen; their dependants inherit their `after`."""
        chosen_set = frozenset(chosen)
        dropped = {
            s.id: s for s in self.steps if s.sub_procedure and s.sub_procedure not in chosen_set
        }
        if not dropped:
            return self
        kept = [
            step.model_copy(update={"after": _relinked(step.after, dropped)})
            for step in self.steps
            if step.id not in dropped
        ]
        return Workflow(steps=tuple(kept))


def _relinked(after: tuple[str, ...], dropped: Mapping[str, Step]) -> tuple[str, ...]:
    result: list[str] = []
    stack = list(reversed(after))
    while stack:
        step_id = stack.pop()
        if step_id in dropped:
            stack.extend(reversed(dropped[step_id].after))
        elif step_id not in result:
            result.append(step_id)
    return tuple(result)


def _reference_issues(steps: tuple[Step, ...]) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[str] = set()
    for index, step in enumerate(steps):
        if step.id in seen:
            issues.append(Issue(f"duplicate step id {step.id!r}", ("steps", index, "id")))
        seen.add(step.id)
    ids = {step.id for step in steps}
    for index, step in enumerate(steps):
        for position, dependency in enumerate(step.after):
            where = ("steps", index, "after", position)
            if dependency == step.id:
                issues.append(Issue(f"step {step.id!r} cannot come after itself", where))
            elif dependency not in ids:
                issues.append(Issue(f"unknown step {dependency!r} in after", where))
    return issues


def _find_cycle(steps: tuple[Step, ...]) -> list[str]:
    """One cycle as a closed list of step ids, or [] when the graph is acyclic."""
    after = {step.id: step.after for step in steps}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dependency in after[node]:
            if state.get(dependency) == 1:
                return [*path[path.index(dependency) :], dependency]
            if dependency not in state and (cycle := visit(dependency)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for step in steps:
        if step.id not in state and (cycle := visit(step.id)):
            return cycle
    return []


def _share_issues(workflow: Workflow) -> list[Issue]:
    """Shares along every path from a first to a last step must sum to at most 1."""
    by_id = {step.id: step for step in workflow.steps}
    best: dict[str, tuple[Fraction, tuple[str, ...]]] = {}
    for step_id in workflow.topological_order():
        step = by_id[step_id]
        before = max((best[a] for a in step.after), default=(Fraction(0), ()), key=lambda b: b[0])
        best[step_id] = (before[0] + step.share, (*before[1], step_id))
    total, path = max(best.values(), key=lambda b: b[0])
    if total <= 1:
        return []
    chain = " → ".join(path)
    index = workflow.step_ids.index(path[-1])
    return [Issue(f"shares along {chain} sum to {total} (more than 1)", ("steps", index, "share"))]
