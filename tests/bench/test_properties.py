"""The fault run's properties (`bench/_properties.py`) fail on what they are meant to catch:
each test breaks one thing in a run that went well (`world.World`), including the cases of the
review's probe (#16)."""

from __future__ import annotations

from dataclasses import replace

from _agencies import recorded_systems
from _injector import Injected
from _properties import (
    Verdict,
    agency_tasks,
    audit,
    consumers_caught_up,
    final_states,
    one_dossier_per_submission,
    services_ready,
    services_stayed_up,
)

from tests.bench.world import World

SERVICES = ["intake", "notify"]


def world_of(count: int = 2) -> World:
    world = World()
    for index in range(1, count + 1):
        world.dossier(index)
    return world


def violated(verdict: Verdict, *words: str) -> bool:
    return any(all(w in v for w in words) for v in verdict.violations)


def test_a_run_that_went_well_holds_every_property() -> None:
    world = world_of()
    verdicts = [
        final_states(world.submissions, world.tracks),
        one_dossier_per_submission(world.submissions, world.stream),
        agency_tasks(world.calls, world.stream, recorded_systems()),
    ]
    assert [v.violations for v in verdicts] == [[], [], []]
    assert [v.checked for v in verdicts] == [2, 2, 4]


def test_a_dossier_not_final_fails() -> None:
    world = world_of()
    world.tracks["d1"].final = None
    assert violated(final_states(world.submissions, world.tracks), "d1", "not final")


# --- one dossier per submission (P4) ---------------------------------------------------


def test_a_second_dossier_nobody_holds_fails() -> None:
    world = world_of()
    world.dossier(3)  # as if a retry made it: on the topic, and running
    world.submissions.pop()
    verdict = one_dossier_per_submission(world.submissions, world.stream)
    assert violated(verdict, "dossier d3", "no citizen was answered with it")


def test_two_submissions_answered_with_one_dossier_fail() -> None:
    world = world_of()
    world.submissions[1].dossier_id = "d1"
    verdict = one_dossier_per_submission(world.submissions, world.stream)
    assert violated(verdict, "dossier d1 was answered to submissions [1, 2]")


def test_a_code_the_dossier_was_not_received_under_fails() -> None:
    world = world_of()
    world.submissions[0].code = "000.00.00.H29-261201-9999"
    verdict = one_dossier_per_submission(world.submissions, world.stream)
    assert violated(verdict, "holds code 000.00.00.H29-261201-9999")


def test_a_dossier_answered_but_never_submitted_on_the_topic_fails() -> None:
    world = world_of()
    world.submissions[0].dossier_id = "d9"
    verdict = one_dossier_per_submission(world.submissions, world.stream)
    assert violated(verdict, "dossier d9, which has no dossier.submitted")


# --- agencies (P7) ----------------------------------------------------------------------


def test_a_task_no_agency_was_called_for_fails() -> None:  # the probe's case 4
    world = world_of()
    verdict = agency_tasks([], world.stream, recorded_systems())
    assert len(verdict.violations) == 4
    assert violated(verdict, "task task-d1-register-death", "civil-status never accepted it")


def test_a_task_its_agency_refused_every_time_fails() -> None:
    world = world_of(1)
    refused = [
        {**c, "status": 500} if c["phase"] == "answered" and "deregister" in c["task"] else c
        for c in world.calls
    ]
    verdict = agency_tasks(refused, world.stream, recorded_systems())
    assert violated(verdict, "task-d1-deregister", "residence never accepted it")


def test_a_task_received_but_never_answered_fails() -> None:
    world = world_of(1)
    calls = [c for c in world.calls if not (c["phase"] == "answered" and "death" in c["task"])]
    assert violated(agency_tasks(calls, world.stream, recorded_systems()), "never accepted")


def test_a_task_under_a_second_key_fails_even_when_refused() -> None:
    world = world_of(1)
    world.call("civil-status", "task-d1-register-death", "c", 409, key="another-key")
    verdict = agency_tasks(world.calls, world.stream, recorded_systems())
    assert violated(verdict, "civil-status got task task-d1-register-death", "under 2 keys")


def test_a_task_delivered_to_another_agency_fails() -> None:
    world = world_of(1)
    world.call("departments", "task-d1-register-death", "c", 201)
    verdict = agency_tasks(world.calls, world.stream, recorded_systems())
    assert violated(verdict, "departments got task", "meant for agency civil-status")


def test_a_task_for_a_connector_nobody_records_fails() -> None:
    world = World()
    world.dossier(1, steps=(("receive", None), ("inbox-step", "ward-inbox")))
    verdict = agency_tasks(world.calls, world.stream, recorded_systems())
    assert violated(verdict, "agency ward-inbox", "not recorded")
    assert verdict.notes["tasks_for_unrecorded_connectors"] == 1


def test_one_step_as_two_tasks_fails() -> None:
    world = world_of(1)
    data = {"step": "register-death", "task_id": "task-2", "agency": "civil-status"}
    world.event("dossier.step-opened", "d1", data)
    world.call("civil-status", "task-2", "c", 201)
    verdict = agency_tasks(world.calls, world.stream, recorded_systems())
    assert violated(verdict, "step register-death: 2 tasks")


# --- the audit (P8) ---------------------------------------------------------------------


def test_the_audit_verifying_no_dossier_fails() -> None:  # the probe's case 5
    verdict = audit(0, "verified: 0 dossier(s), 0 event(s)", received=300)
    assert violated(verdict, "0 dossier(s) verified, 300 received")


def test_the_audit_verifying_every_dossier_received_holds() -> None:
    verdict = audit(0, "partition 0 done\nverified: 300 dossier(s), 5100 event(s)", received=300)
    assert verdict.ok
    assert verdict.notes["verified"] == 300


def test_the_audit_behind_or_without_a_summary_or_with_unkeyed_records_fails() -> None:
    behind = "verified: 300 dossier(s), 1 event(s)\nthe notary is behind: 2 event(s) of 1"
    assert not audit(0, behind, received=300).ok
    assert violated(audit(0, "done", received=1), "None dossier(s) verified")
    unkeyed = "verified: 3 dossier(s), 9 event(s)\n2 record(s) without a key: no dossier's"
    assert violated(audit(0, unkeyed, received=3), "2 record(s) on the topic")
    assert not audit(1, "verified: 3 dossier(s)", received=3).ok


# --- the end: consumers, readiness, processes (P9, P10) ---------------------------------


def test_a_consumer_group_behind_or_missing_fails() -> None:
    assert consumers_caught_up({"intake": 0, "notify": 0}, SERVICES).ok
    assert violated(consumers_caught_up({"intake": 0, "notify": 3}, SERVICES), "notify: 3")
    assert violated(consumers_caught_up({"intake": 0}, SERVICES), "notify: no consumer group")
    unread = consumers_caught_up({"unknown (KafkaError)": -1}, SERVICES)
    assert violated(unread, "unknown (KafkaError)")


def test_a_service_not_ready_at_the_end_fails() -> None:
    ready = '{"status":"ready","checks":{"bus":"ok"}}'
    assert services_ready({"intake": (200, ready), "notify": (200, ready)}).ok
    red = '{"title":"Not ready","checks":{"consumer:notify":"paused"}}'
    assert violated(services_ready({"intake": (200, ready), "notify": (503, red)}), "notify")
    assert not services_ready({"intake": (None, "no answer: ConnectError")}).ok
    assert not services_ready({"intake": (200, "{}")}).ok


def test_a_service_that_exited_by_itself_fails() -> None:
    planned = Injected("notify", 12.0, killed_at=1.0e9, up_at=1.0e9 + 5)
    assert services_stayed_up([planned], 7).ok
    exited = Injected("survey", -1.0, killed_at=1.0e9, planned=False, exit="exit code 3")
    assert violated(services_stayed_up([planned, exited], 7), "survey", "exit code 3")
    hung = replace(exited, hung="no /healthz answer for 60 s")
    assert violated(services_stayed_up([hung], 7), "no /healthz answer")


def test_a_service_that_exited_while_started_again_fails() -> None:
    restarted = Injected("routing", 30.0, killed_at=1.0e9, starts=2)
    restarted.start_failures.append("RuntimeError: routing exited while starting:")
    verdict = services_stayed_up([restarted], 7)
    assert violated(verdict, "routing, started again", "exited while starting")
    gone = Injected("notary", 30.0, killed_at=1.0e9, error="TimeoutError: not healthy")
    assert violated(services_stayed_up([gone], 7), "notary did not come back")


def test_a_call_cut_short_by_a_kill_is_no_task_but_accepting_one_fails() -> None:
    """A request whose body names no task (its sender killed mid-send) refused by the agency
    is not a delivery; one the agency accepted would be."""
    world = world_of(1)
    world.call("civil-status", "", "c", 401, key="k-cut-short")
    verdict = agency_tasks(world.calls, world.stream, recorded_systems())
    assert verdict.violations == []
    assert verdict.notes["calls_naming_no_task"] == 1
    world.call("civil-status", "", "c", 202, key="k-cut-short")
    verdict = agency_tasks(world.calls, world.stream, recorded_systems())
    assert violated(verdict, "civil-status accepted a call naming no task")
