"""What the citizens were told: every message due went out, none went out twice (except a send
in flight when notify was killed), and each one is told on its dossier's stream.

What is due is worked out from the stream and notify's rule book (configuration: which event
types message the citizen, through which channels), never from notify's own output: for every
trigger event a rule names, one message per channel the rule and the applicant's choice at
submission select. Each must have exactly one `notification-queued` event (its causation is
the trigger, its channel the one chosen), at least one arrival at the sinks (the reference
notify gives a provider is the notification id) and, for each arrival, a
`notification-sent` event.

Limits, which the load keeps out of play: every applicant gives both a phone number and an
email address and never changes a preference nor opts out (`_load.body`), and the run turns
SMS quiet hours off (`_city.base_env`), so every message is due at once and none is
suppressed; events older than notify's `stale_after_hours` (72 h) are not messaged, and a run
lasts minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from _evidence import Stream, Verdict
from _load import Submission, contact_channel

from lienthong.events import Event
from lienthong_notify.config import DEFAULT_RULES
from lienthong_notify.rules import CHANNELS, ChannelName, RuleBook, load_rules

QUEUED, SENT = "dossier.notification-queued", "dossier.notification-sent"
IN_FLIGHT_S = 30.0  # a send accepted at most this long before a kill of notify may be unrecorded
# The sinks time a message once they have read it, a moment after notify wrote it: a kill this
# little before the first arrival may still have cut that send short. Far below what notify
# takes to be killed, started again and send anything (seconds), so a restarted notify's
# double send is not excused by it.
CLOCK_SLACK_S = 1.0
ONCE_PER_DOSSIER = frozenset(
    {"dossier.received", "dossier.rejected", "dossier.refused", "dossier.result-ready"}
)

Due = tuple[str, str]  # (the trigger event's id, channel): one message


def shipped_rules() -> RuleBook:
    """The rule book the run's notify reads (the fault run does not configure another)."""
    return load_rules(DEFAULT_RULES)


def preferences(submissions: Sequence[Submission], stream: Stream) -> dict[str, str]:
    """Dossier id → the channel its applicant chose: the load's choice, or, for a dossier no
    citizen was answered with, what its `dossier.submitted` says."""
    chosen = {
        e.subject: str((e.data.get("applicant") or {}).get("contact_channel") or "sms")
        for e in stream.of_type("dossier.submitted")
    }
    chosen |= {s.dossier_id: contact_channel(s.index) for s in submissions if s.dossier_id}
    return chosen


def due_messages(stream: Stream, rules: RuleBook, preferred: Mapping[str, str]) -> set[Due]:
    """Every message the rules ask for, given the triggers on the stream."""
    every_channel = set(CHANNELS)  # the load gives every applicant both addresses
    due: set[Due] = set()
    for kind in rules.event_types:
        for trigger in stream.of_type(kind):
            chosen: ChannelName = "email" if preferred.get(trigger.subject) == "email" else "sms"
            for rule in rules.for_event(kind):
                due |= {(trigger.id, c) for c in rule.channels_for(chosen, every_channel)}
    return due


def queued_by_due(stream: Stream) -> dict[Due, list[Event]]:
    """Each queued event under the trigger and channel it answers."""
    found: dict[Due, list[Event]] = defaultdict(list)
    for event in stream.of_type(QUEUED):
        found[(event.causationid or "", event.data["channel"])].append(event)
    return found


def citizen_messages(
    received: Sequence[Mapping[str, Any]],
    stream: Stream,
    notify_kills: Sequence[float],
    due: set[Due],
) -> Verdict:
    """`received`: what the SMTP server and SMS gateway got (`_sinks.py`); `notify_kills`:
    when notify was SIGKILLed by the plan (epoch seconds); `due`: `due_messages`."""
    verdict = Verdict("every citizen message due went out once (none lost, none twice)", len(due))
    arrivals: dict[str, list[float]] = defaultdict(list)
    for message in received:
        arrivals[message["reference"]].append(float(message["at"]))
    queued = {e.data["notification_id"]: e for e in stream.of_type(QUEUED)}
    sent = {e.data["notification_id"]: e for e in stream.of_type(SENT)}
    _each_due_queued_and_arrived(verdict, stream, due, arrivals)
    _each_arrival_told(verdict, arrivals, queued, sent)
    allowed = _repeats(verdict, arrivals, queued, notify_kills)
    _same_news_twice(verdict, queued, arrivals, stream)
    verdict.notes = {
        "messages_due": len(due),
        "messages_received": len(received),
        "repeats_in_flight_at_a_kill": allowed,
    }
    return verdict


def _each_due_queued_and_arrived(
    verdict: Verdict, stream: Stream, due: set[Due], arrivals: Mapping[str, list[float]]
) -> None:
    queued = queued_by_due(stream)
    for key in sorted(due):
        trigger_id, channel = key
        trigger = stream.by_id[trigger_id]
        about = (
            f"the {channel} message about {trigger.type} {trigger_id} (dossier {trigger.subject})"
        )
        events = queued.get(key, [])
        if not events:
            verdict.violations.append(f"{about} was never queued")
        elif len(events) > 1:
            ids = sorted(e.data["notification_id"] for e in events)
            verdict.violations.append(f"{about} was queued {len(events)} times: {ids}")
        elif events[0].data["notification_id"] not in arrivals:
            verdict.violations.append(
                f"{about} ({events[0].data['notification_id']}) never arrived"
            )
    for key in sorted(queued.keys() - due):
        for event in queued[key]:
            verdict.violations.append(
                f"message {event.data['notification_id']} ({_about(event)}) was queued for "
                f"trigger {key[0]!r}, which no rule on the stream asks a {key[1]} message for"
            )


def _each_arrival_told(
    verdict: Verdict,
    arrivals: Mapping[str, list[float]],
    queued: Mapping[str, Event],
    sent: Mapping[str, Event],
) -> None:
    """Notify sends only what its queued event announced, and says so once sent: a message
    missing either event is missing from the dossier's record."""
    for reference in sorted(arrivals):
        if reference not in queued and reference not in sent:
            verdict.violations.append(f"a message with unknown reference {reference!r} arrived")
            continue
        if reference not in queued:
            verdict.violations.append(f"message {reference} went out, its queued event never did")
        told = sent.get(reference)
        if told is None:
            verdict.violations.append(
                f"message {reference} arrived, its notification-sent event never reached the stream"
            )
        elif told.data.get("reference") != reference:
            verdict.violations.append(
                f"message {reference} arrived; its sent event names reference "
                f"{told.data.get('reference')!r}"
            )


def _repeats(
    verdict: Verdict,
    arrivals: Mapping[str, list[float]],
    queued: Mapping[str, Event],
    notify_kills: Sequence[float],
) -> int:
    """A message that arrived again is excused only if notify was killed after its arrival,
    within `IN_FLIGHT_S`, and before the repeat: the send was accepted, the kill came before
    notify recorded it, and the restarted notify sent it again after its lease."""
    allowed = 0
    for reference, times in arrivals.items():
        for first, again in pairwise(sorted(times)):
            if in_flight_at_a_kill(first, again, notify_kills):
                allowed += 1
                continue
            cause = queued.get(reference)
            about = f" ({_about(cause)})" if cause else ""
            verdict.violations.append(
                f"message {reference}{about} arrived again {again - first:.1f} s later, "
                "with no kill of notify within its send"
            )
    return allowed


def in_flight_at_a_kill(first: float, again: float, kills: Sequence[float]) -> bool:
    upper = min(again, first + IN_FLIGHT_S)
    return any(first - CLOCK_SLACK_S <= kill <= upper for kill in kills)


def news_of(trigger: Event) -> tuple[str, ...]:
    """What a message about `trigger` tells, by the fact's business identity (not its event
    id, so that a fact published again under a new id is the same news)."""
    kind, data = trigger.type, trigger.data
    if kind in ONCE_PER_DOSSIER:
        return (trigger.subject, kind)
    if kind == "survey.invited":  # the invitation, then its one reminder
        return (trigger.subject, kind, str(data.get("attempt", 1)), str(data.get("step") or ""))
    if kind == "dossier.apology-issued":
        return (trigger.subject, kind, str(data.get("step")), str(data.get("new_appointment")))
    if kind == "dossier.supplement-requested":
        missing = ",".join(sorted(map(str, data.get("missing") or ())))
        return (trigger.subject, kind, str(data.get("requested_by")), missing)
    return (trigger.subject, kind, trigger.id)  # no business identity known: each event is news


def _same_news_twice(
    verdict: Verdict,
    queued: Mapping[str, Event],
    arrivals: Mapping[str, list[float]],
    stream: Stream,
) -> None:
    """Two messages that arrived about one piece of news, by one channel."""
    told: dict[tuple[tuple[str, ...], str], set[str]] = defaultdict(set)
    for reference, cause in queued.items():
        trigger = stream.by_id.get(cause.causationid or "")
        if reference in arrivals and trigger is not None:
            told[(news_of(trigger), cause.data["channel"])].add(reference)
    for (news, channel), references in told.items():
        if len(references) > 1:
            verdict.violations.append(
                f"dossier {news[0]}: {len(references)} {channel} messages arrived about one "
                f"{news[1]} ({'/'.join(news[2:]) or 'once per dossier'}): {sorted(references)}"
            )


def _about(event: Event) -> str:
    trigger = event.data.get("trigger", "trigger unknown")
    return f"{event.data['channel']}, {trigger}, dossier {event.subject}"
