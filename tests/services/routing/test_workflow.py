"""The workflow core without Kafka or a database: the fold and the decisions."""

from __future__ import annotations

from datetime import timedelta

from lienthong.domain import reorganisation
from lienthong.schemas.routing import ProcessingStopped
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.reorganisation import plan_transfers
from lienthong_routing.replay import rebuild
from lienthong_routing.service import DECIDERS
from tests.services.routing.helpers import (
    RULES,
    Stream,
    at,
    received,
    result,
    supplement_asked,
    supplement_provided,
    withdrawn,
)

MONDAY = at("2026-03-09T09:00:00+07:00")


def test_birth_group_runs_birth_first_then_residence_and_insurance_in_parallel() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    first = stream.feed(dossier)
    state = stream.states[dossier.subject]
    assert [t.topic for t in first if t.topic != DOSSIER_EVENTS] == ["agency.tasks.civil-status"]
    assert state.steps["receive"].status == "done"
    assert state.steps["register-birth"].status == "open"
    assert state.steps["register-residence"].unit == "CA-26506"

    after_birth = stream.feed(result(state, "register-birth", at=MONDAY + timedelta(hours=2)))
    state = stream.states[dossier.subject]
    assert {o.topic for o in after_birth} == {
        DOSSIER_EVENTS,
        "agency.tasks.police-residence",
        "agency.tasks.social-insurance",
    }
    assert state.steps["register-birth"].timeliness == "on_time"  # due at closing, same day
    assert {s.step for s in state.open_steps()} == {"register-residence", "issue-health-card"}

    stream.feed(result(state, "register-residence", at=MONDAY + timedelta(days=1)))
    state = stream.states[dossier.subject]
    assert state.status == "processing"  # the join waits for the health card
    stream.feed(result(state, "issue-health-card", at=MONDAY + timedelta(days=1)))
    state = stream.states[dossier.subject]
    assert state.status == "completed"
    assert state.steps["issue-health-card"].timeliness == "early"
    assert stream.types(dossier.subject)[-3:] == [
        "dossier.result-ready",
        "dossier.step-completed",
        "dossier.completed",
    ]


def test_handling_an_event_twice_emits_nothing_and_changes_nothing() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    answer = result(stream.states[dossier.subject], "register-birth")
    first = stream.feed(answer)
    before = stream.states[dossier.subject]
    assert first
    assert stream.feed(answer) == []
    assert stream.feed(dossier) == []
    assert stream.states[dossier.subject] == before


def test_reactions_have_deterministic_ids() -> None:
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    one, two = Stream(), Stream()
    assert [o.event.id for o in one.feed(dossier)] == [o.event.id for o in two.feed(dossier)]


def test_death_group_runs_only_the_chosen_sub_procedures() -> None:
    stream = Stream()
    chosen = ["survivor-benefit", "funeral-allowance"]
    dossier = received("1.006714", MONDAY, "26506", "TTHCC-26506", sub_procedures=chosen)
    stream.feed(dossier)
    state = stream.states[dossier.subject]
    assert set(state.steps) == {"receive", "survivor-benefit", "funeral-allowance", "return-result"}
    assert {s.step for s in state.open_steps()} == {"survivor-benefit", "funeral-allowance"}
    assert state.steps["funeral-allowance"].agency == "social-affairs"
    assert state.steps["survivor-benefit"].agency == "social-insurance"
    for step in ("survivor-benefit", "funeral-allowance"):
        stream.feed(result(stream.states[dossier.subject], step))
    assert stream.states[dossier.subject].status == "completed"


def test_construction_permit_counts_calendar_days_and_classifies_a_late_step() -> None:
    stream = Stream()
    dossier = received("HCM-GPXD-NORL", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    state = stream.states[dossier.subject]
    appraise = state.steps["appraise"]
    assert appraise.status == "open"
    assert appraise.due_at is not None
    stream.feed(result(state, "appraise", at=appraise.due_at + timedelta(days=3)))
    state = stream.states[dossier.subject]
    assert state.steps["appraise"].timeliness == "late"
    assert state.steps["decide"].status == "open"
    stream.feed(result(state, "decide", delivery="counter"))
    state = stream.states[dossier.subject]
    assert state.status == "result_ready"  # collected at the counter: waits for an officer


def test_a_supplement_is_asked_once_and_moves_the_due_moments() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    stream.feed(result(stream.states[dossier.subject], "register-birth", at=MONDAY))
    state = stream.states[dossier.subject]
    due_before = state.steps["register-residence"].due_at
    ask = supplement_asked(state, "register-residence", ["giay-chung-sinh"], at=MONDAY)
    asked = stream.feed(ask)
    assert [o.event.type for o in asked] == ["dossier.supplement-requested", "dossier.clock-paused"]
    again = stream.feed(supplement_asked(state, "issue-health-card", ["y-kien-chu-ho"]))
    assert again == []  # one list at a time: this item waits for the answer
    state = stream.states[dossier.subject]
    assert state.is_paused
    resumed = stream.feed(supplement_provided(state, at=MONDAY + timedelta(days=3)))
    assert [o.event.type for o in resumed] == [
        "dossier.clock-resumed",
        "dossier.supplement-requested",
    ]
    state = stream.states[dossier.subject]
    assert state.supplement_missing == ["y-kien-chu-ho"]
    due_after = state.steps["register-residence"].due_at
    assert due_before is not None
    assert due_after is not None
    assert due_after > due_before


def test_a_refusal_ends_the_dossier_and_cancels_the_other_steps() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    stream.feed(result(stream.states[dossier.subject], "register-birth"))
    out = stream.feed(result(stream.states[dossier.subject], "register-residence", "refused"))
    state = stream.states[dossier.subject]
    assert state.status == "refused"
    assert state.steps["issue-health-card"].status == "cancelled"
    assert "agency.task-cancelled" in [o.event.type for o in out]


def test_a_withdrawal_closes_the_open_steps() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    stream.feed(withdrawn(stream.states[dossier.subject]))
    state = stream.states[dossier.subject]
    assert state.status == "withdrawn"
    assert state.steps["register-birth"].status == "cancelled"
    assert stream.feed(result(state, "register-birth")) == []


def test_an_unknown_ward_fails_routing_visibly() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "99999", "TTHCC-26506")
    out = stream.feed(dossier)
    assert [o.event.type for o in out] == ["dossier.routing-failed"]
    assert stream.states[dossier.subject].status == "failed"


def test_rebuilding_from_the_stream_gives_the_same_state_and_nothing_to_publish() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    stream.feed(result(stream.states[dossier.subject], "register-birth"))
    stream.feed(supplement_asked(stream.states[dossier.subject], "issue-health-card", ["x"]))
    states, missing = rebuild(stream.rules, stream.events, DECIDERS)
    assert states == stream.states
    assert missing == []
    lost = {"dossier.supplement-requested", "dossier.clock-paused"}  # published, then crashed
    truncated = [e for e in stream.events if e.type not in lost]
    _, lacking = rebuild(stream.rules, truncated, DECIDERS)
    assert [o.event.type for o in lacking] == [
        "dossier.supplement-requested",
        "dossier.clock-paused",
    ]


def test_a_reorganisation_moves_open_steps_from_abolished_units_to_their_successors() -> None:
    stream = Stream()
    friday = at("2025-06-27T09:00:00+07:00")
    dossier = received("2.000986", friday, "27010", "27010")
    stream.feed(dossier)
    stream.feed(result(stream.states[dossier.subject], "register-birth", at=friday))
    state = stream.states[dossier.subject]
    assert state.topology == "hcmc-2019"
    assert {s.unit for s in state.open_steps()} == {"CA-767", "BHXH-767"}
    old, new = RULES.timeline.version("hcmc-2019"), RULES.timeline.version("hcmc-2025")
    abolished = {s.abolished.code: s for s in reorganisation(old, new)}
    transfers, unresolved = plan_transfers(state, abolished, new)
    assert unresolved == []
    moved = {t.step: (t.from_unit, t.to_unit, t.to_agency) for t in transfers}
    assert moved["register-residence"] == ("CA-767", "CA-27010", "police-residence")
    assert moved["issue-health-card"][2] == "social-insurance"
    assert all("abolished by topology hcmc-2025" in t.reason for t in transfers)

    transfer = transfers[0].to_event(state.dossier_id, source="/tests")
    out = stream.feed(transfer)
    assert [o.event.type for o in out] == [
        "dossier.step-opened",
        "agency.task-cancelled",
        "agency.task-assigned",
    ]
    assert stream.states[dossier.subject].steps[transfers[0].step].unit == transfers[0].to_unit


def test_stopping_processing_cancels_the_running_steps() -> None:
    stream = Stream()
    dossier = received("2.000986", MONDAY, "26506", "TTHCC-26506")
    stream.feed(dossier)
    stop = ProcessingStopped(reason="court order", stopped_by="officer:-")
    out = stream.feed(stop.to_event(dossier.subject, source="/tests"))
    assert [o.event.type for o in out] == ["dossier.step-cancelled", "agency.task-cancelled"]
    assert stream.states[dossier.subject].status == "stopped"
