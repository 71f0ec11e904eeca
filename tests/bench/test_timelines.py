"""Every tracking timeline is complete and in order (`bench/_timelines.py`): the view against
the topic, against a dossier's story, and the steps on the topic by their ids."""

from __future__ import annotations

from typing import Any

from _evidence import Verdict
from _timelines import steps_on_the_stream, timelines, untold

from tests.bench.world import World

SUBMITTED, RECEIVED = "dossier.submitted", "dossier.received"
OPENED, DONE, COMPLETED = "dossier.step-opened", "dossier.step-completed", "dossier.completed"
READY = "dossier.result-ready"


def judged(world: World) -> Verdict:
    return timelines(world.views, world.stream, world.tracks)


def view_of(world: World, dossier: str) -> dict[str, Any]:
    view = world.views[dossier]
    assert isinstance(view, dict)
    return view


def test_a_whole_story_told_as_the_topic_tells_it_holds() -> None:
    world = World()
    world.dossier(1)
    world.dossier(2)
    assert judged(world).violations == []


def test_a_second_receipt_fails_though_the_view_matches_the_topic() -> None:  # probe case 3
    world = World()
    world.dossier(1)
    received = world.of(RECEIVED, "d1")
    world.event(RECEIVED, "d1", received.data, received.causationid)
    world.view("d1", "c", "result_returned")
    assert any("2 dossier.received rows" in v for v in judged(world).violations)


def test_a_step_completed_before_it_was_opened_fails() -> None:  # probe case 3b
    kinds = [SUBMITTED, RECEIVED, DONE, OPENED, COMPLETED]
    assert "row 2: a step completed with only 0 opened" in untold(kinds, "completed")
    world = World()
    world.event(SUBMITTED, "d1")
    world.event(RECEIVED, "d1", {"code": "c"})
    world.event(DONE, "d1", {"step": "s1"})
    world.event(OPENED, "d1", {"step": "s1"})
    assert steps_on_the_stream(world.stream.of_dossier("d1"), None) == (
        "step s1 completed before it was opened"
    )


def test_the_story_must_begin_with_one_submission_then_its_receipt() -> None:
    assert "not submitted then received" in untold([RECEIVED, SUBMITTED], None)
    assert "2 dossier.submitted rows" in untold([SUBMITTED, RECEIVED, SUBMITTED], None)


def test_a_finished_dossier_with_a_step_never_completed_fails() -> None:
    assert "2 steps opened and 1 completed" in untold(
        [SUBMITTED, RECEIVED, OPENED, OPENED, READY, DONE, COMPLETED], "completed"
    )
    world = World()
    world.dossier(1)
    world.event(OPENED, "d1", {"step": "late"})
    assert "steps ['late'] never completed" in steps_on_the_stream(
        world.stream.of_dossier("d1"), "completed"
    )


def test_a_step_opened_twice_fails() -> None:
    world = World()
    world.dossier(1)
    opened = world.of(OPENED, "d1")
    world.event(OPENED, "d1", opened.data, opened.causationid)
    assert "opened 2 times" in steps_on_the_stream(world.stream.of_dossier("d1"), None)


def test_a_completed_dossier_must_end_with_its_completion_and_say_so() -> None:
    assert "ended with dossier.step-completed" in untold(
        [SUBMITTED, RECEIVED, OPENED, READY, DONE], "completed"
    )
    world = World()
    world.dossier(1)
    view_of(world, "d1")["status"] = "processing"
    assert any("its view's status is 'processing'" in v for v in judged(world).violations)


def test_a_result_waiting_at_the_counter_is_not_told_as_returned() -> None:
    kinds = [SUBMITTED, RECEIVED, OPENED, DONE, OPENED, READY]  # the return step stays open
    assert untold(kinds, "at_desk") == ""
    assert "yet the view says it was returned" in untold([*kinds, COMPLETED], "at_desk")
    assert "1 steps opened and 1 completed" in untold([*kinds[:4], READY], "at_desk")
    assert "0 result-ready rows" in untold(kinds[:-1], "at_desk")


def test_a_row_the_view_lacks_or_adds_fails() -> None:
    world = World()
    world.dossier(1)
    view = view_of(world, "d1")
    rows = view["timeline"]
    view["timeline"] = rows[:2] + rows[3:]
    assert any("row 2: the view has" in v for v in judged(world).violations)
    view["timeline"] = [*rows, rows[-1]]
    assert any("1 rows too many" in v for v in judged(world).violations)


def test_a_dossier_without_a_view_fails() -> None:
    world = World()
    world.dossier(1)
    world.views["d1"] = "GET answered 404"
    assert any("no tracking view (GET answered 404)" in v for v in judged(world).violations)
