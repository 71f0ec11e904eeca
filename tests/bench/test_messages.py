"""What the citizens were told (`bench/_messages.py`): each message due went out once, a repeat
is excused only by a kill of notify during its send, and each is told on the stream."""

from __future__ import annotations

from _evidence import Verdict
from _injector import Injected, planned_kills
from _messages import IN_FLIGHT_S, citizen_messages, in_flight_at_a_kill

from tests.bench.world import World


def judged(world: World, kills: list[float] | None = None) -> Verdict:
    return citizen_messages(world.arrivals, world.stream, kills or [], world.due())


def violated(verdict: Verdict, *words: str) -> bool:
    return any(all(w in v for w in words) for v in verdict.violations)


def world_of(count: int = 2) -> World:
    world = World()
    for index in range(1, count + 1):
        world.dossier(index)
    return world


def test_every_message_due_sent_once_holds() -> None:
    world = world_of()
    verdict = judged(world)
    assert verdict.violations == []
    # receipt, result ready and survey link, by the channel each applicant chose
    assert verdict.checked == 6
    assert {channel for _trigger, channel in world.due()} == {"sms"}


def test_the_channel_is_the_one_the_applicant_chose() -> None:
    world = World()
    world.dossier(4)  # one applicant in four asks for email
    assert {channel for _trigger, channel in world.due()} == {"email"}
    assert judged(world).ok


# --- a repeat (P1) ----------------------------------------------------------------------


def repeated(kill_after_first_s: float, again_after_first_s: float) -> Verdict:
    world = world_of(1)
    reference = world.arrivals[0]["reference"]
    first = world.arrivals[0]["at"]
    world.arrive(reference, first + again_after_first_s)
    return judged(world, [first + kill_after_first_s])


def test_a_repeat_sent_by_notify_after_its_restart_fails() -> None:  # the probe's case 1
    world = world_of(1)
    reference = world.arrivals[0]["reference"]
    kill = world.arrivals[0]["at"] - 100
    world.arrivals[0]["at"] = kill + 20
    world.arrive(reference, kill + 25)
    verdict = judged(world, [kill])
    assert violated(verdict, reference, "arrived again 5.0 s later")
    assert verdict.notes["repeats_in_flight_at_a_kill"] == 0


def test_a_repeat_of_a_send_cut_by_a_kill_is_excused() -> None:
    verdict = repeated(kill_after_first_s=0.2, again_after_first_s=25)
    assert verdict.ok
    assert verdict.notes["repeats_in_flight_at_a_kill"] == 1


def test_a_repeat_long_after_the_kill_that_followed_the_send_fails() -> None:
    assert not repeated(kill_after_first_s=IN_FLIGHT_S + 5, again_after_first_s=60).ok


def test_a_repeat_with_the_kill_after_it_fails() -> None:
    assert not repeated(kill_after_first_s=30, again_after_first_s=20).ok


def test_the_window_runs_from_the_first_arrival_to_the_repeat() -> None:
    assert in_flight_at_a_kill(100.0, 140.0, [100.0])
    assert in_flight_at_a_kill(100.0, 140.0, [100.0 + IN_FLIGHT_S])
    assert not in_flight_at_a_kill(100.0, 140.0, [100.0 + IN_FLIGHT_S + 0.1])
    assert not in_flight_at_a_kill(100.0, 110.0, [111.0])
    assert not in_flight_at_a_kill(100.0, 140.0, [95.0])
    assert not in_flight_at_a_kill(100.0, 140.0, [])


def test_a_revive_after_an_exit_is_no_kill_of_notify() -> None:
    planned = Injected("notify", 10.0, killed_at=1000.0)
    revived = Injected("notify", -1.0, killed_at=2000.0, planned=False, exit="exit code 1")
    other = Injected("routing", 20.0, killed_at=3000.0)
    assert planned_kills([planned, revived, other], "notify") == [1000.0]


# --- lost or untold (P2, P3) ------------------------------------------------------------


def test_nothing_queued_and_nothing_sent_fails() -> None:  # the probe's case 2
    world = world_of(1)
    events = world.stream.events["d1"]
    events[:] = [e for e in events if not e.type.startswith("dossier.notification-")]
    verdict = citizen_messages([], world.stream, [], world.due())
    assert len(verdict.violations) == 3
    assert violated(verdict, "dossier.received", "was never queued")


def test_a_trigger_notify_dropped_fails() -> None:
    world = world_of(1)
    received = world.of("dossier.received", "d1")
    world.event("dossier.received", "d1", {"code": "again"}, received.id)  # no message for it
    assert violated(judged(world), "dossier.received", "was never queued")


def test_a_message_queued_but_never_arrived_fails() -> None:
    world = world_of(1)
    world.arrivals = world.arrivals[1:]
    assert violated(judged(world), "dossier.received", "never arrived")


def test_a_message_by_a_channel_the_applicant_did_not_choose_fails() -> None:
    world = world_of(1)
    reference = world.message(world.of("dossier.result-ready", "d1"), "email", arrive=False)
    assert violated(judged(world), reference, "no rule")  # the applicant asked for SMS


def test_a_message_queued_twice_fails() -> None:
    world = world_of(1)
    received = world.of("dossier.received", "d1")
    queued = world.of("dossier.notification-queued", "d1")
    world.event(
        "dossier.notification-queued", "d1", {**queued.data, "notification_id": "n2"}, received.id
    )
    assert violated(judged(world), "was queued 2 times")


def test_a_message_that_arrived_without_its_sent_event_fails() -> None:
    world = world_of(1)
    sent = world.of("dossier.notification-sent", "d1")
    world.stream.events["d1"].remove(sent)
    verdict = judged(world)
    assert violated(verdict, sent.data["notification_id"], "notification-sent event never")


def test_a_message_that_went_out_without_its_queued_event_fails() -> None:
    world = world_of(1)
    queued = world.of("dossier.notification-queued", "d1")
    world.stream.events["d1"].remove(queued)
    assert violated(judged(world), "its queued event never did")


def test_a_message_nobody_queued_or_sent_fails() -> None:
    world = world_of(1)
    world.arrive("unheard-of")
    assert violated(judged(world), "unknown reference 'unheard-of'")


# --- the same news twice (P6) -----------------------------------------------------------


def test_one_receipt_published_again_under_a_new_id_is_the_same_news() -> None:
    world = world_of(1)
    received = world.of("dossier.received", "d1")
    again = world.event("dossier.received", "d1", received.data, received.causationid)
    world.message(again)  # queued and sent as the rules say: but the citizen has it twice
    verdict = judged(world)
    assert violated(verdict, "2 sms messages arrived about one dossier.received")


def test_the_survey_reminder_is_news_of_its_own() -> None:
    world = world_of(1)
    world.message(world.event("survey.invited", "d1", {"attempt": 2}))
    assert judged(world).ok
