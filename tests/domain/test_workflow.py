"""The workflow DAG: references, cycles, shares along paths, optional steps."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from lienthong.domain import Workflow
from tests.domain.helpers import step


def workflow(*steps: dict[str, object]) -> Workflow:
    return Workflow.model_validate({"steps": list(steps)})


BIRTH_GROUP = (
    step("receive", "ward.one-stop"),
    step("birth", "ward.civil-status", 0, ("receive",)),
    step("residence", "police.residence", "2/3", ("birth",)),
    step("card", "social-insurance", "2/3", ("birth",)),
    step("return", "ward.one-stop", "1/3", ("residence", "card")),
)


def test_parallel_branches_share_the_path_budget() -> None:
    flow = workflow(*BIRTH_GROUP)
    assert flow.issues() == []
    offsets = flow.cumulative_shares()
    assert offsets == {
        "receive": 0,
        "birth": 0,
        "residence": Fraction(2, 3),
        "card": Fraction(2, 3),
        "return": 1,
    }
    assert flow.initial_steps() == ("receive",)
    assert flow.final_steps() == ("return",)
    assert set(flow.successors("birth")) == {"residence", "card"}


def test_topological_order_puts_dependencies_first_whatever_the_file_order() -> None:
    flow = workflow(*reversed(BIRTH_GROUP))
    order = flow.topological_order()
    for item in flow.steps:
        for dependency in item.after:
            assert order.index(dependency) < order.index(item.id)


def test_unknown_step_in_after_is_reported_with_its_position() -> None:
    flow = workflow(step("a", "x"), step("b", "x", 0, ("a", "ghost")))
    [issue] = flow.issues()
    assert issue.message == "unknown step 'ghost' in after"
    assert issue.path == ("steps", 1, "after", 1)


def test_duplicate_ids_and_self_dependency_are_reported() -> None:
    flow = workflow(step("a", "x"), step("a", "y"), step("b", "x", 0, ("b",)))
    messages = sorted(issue.message for issue in flow.issues())
    assert messages == ["duplicate step id 'a'", "step 'b' cannot come after itself"]


def test_a_cycle_is_reported_as_a_chain() -> None:
    flow = workflow(step("a", "x", 0, ("c",)), step("b", "x", 0, ("a",)), step("c", "x", 0, ("b",)))
    [issue] = flow.issues()
    assert "cycle" in issue.message
    assert "a → c → b → a" in issue.message
    with pytest.raises(ValueError, match="cycle"):
        flow.topological_order()


def test_shares_above_one_along_a_path_are_reported_on_the_last_step() -> None:
    flow = workflow(
        step("a", "x", "1/2"),
        step("b", "x", "1/2", ("a",)),
        step("c", "x", "1/4", ("b",)),
        step("d", "x", "1/4", ("a",)),  # a parallel branch within budget
    )
    [issue] = flow.issues()
    assert issue.message == "shares along a → b → c sum to 5/4 (more than 1)"
    assert issue.path == ("steps", 2, "share")


def test_parallel_shares_may_add_up_to_more_than_one_in_total() -> None:
    flow = workflow(step("a", "x", "0.6"), step("b", "y", "0.6"))
    assert flow.issues() == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0.25, Fraction(1, 4)), ("0.1", Fraction(1, 10)), ("1/3", Fraction(1, 3)), (1, Fraction(1))],
)
def test_shares_accept_decimals_and_fractions_exactly(given: object, expected: Fraction) -> None:
    assert workflow(step("a", "x", given)).steps[0].share == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, 1.5, "2/1", "abc", True, "1/0"])
def test_shares_outside_zero_to_one_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError):
        workflow(step("a", "x", bad))  # type: ignore[arg-type]


def test_dropping_optional_steps_relinks_their_dependants() -> None:
    flow = workflow(
        step("receive", "ward.one-stop"),
        step("death", "ward.civil-status", 0, ("receive",), sub_procedure="death"),
        step("police", "police.residence", "1/5", ("death",), sub_procedure="police"),
        step("insurance", "social-insurance", "4/5", ("death",), sub_procedure="insurance"),
        step("return", "ward.one-stop", "1/5", ("police", "insurance")),
    )
    chosen = flow.for_selection({"police", "insurance"})
    assert chosen.step_ids == ("receive", "police", "insurance", "return")
    assert chosen.step("police").after == ("receive",)
    assert chosen.step("return").after == ("police", "insurance")
    only_insurance = flow.for_selection({"death", "insurance"})
    assert only_insurance.step("return").after == ("death", "insurance")
    assert only_insurance.cumulative_shares()["return"] == 1
    assert flow.for_selection({"death", "police", "insurance"}) is flow


def test_roles_lists_every_performing_role() -> None:
    assert workflow(*BIRTH_GROUP).roles() == {
        "ward.one-stop",
        "ward.civil-status",
        "police.residence",
        "social-insurance",
    }
