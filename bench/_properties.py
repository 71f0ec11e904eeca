"""What must hold after a run with faults, each checked from what the world outside the
services recorded (the topic, the agencies' and the sinks' records, the services' own APIs),
and each violation said precisely (which dossier, task or message):

* every dossier submitted reaches its final state;
* one dossier per submission: the dossiers on the topic are exactly those the citizens were
  answered with, under the codes they were given;
* no agency saw a task twice under different idempotency keys (nor one step as two tasks), and
  every task opened reached its agency's system;
* every citizen message due went out, none twice except a send in flight when notify was
  killed, each told on the stream (`_messages`);
* every tracking timeline is complete and in order (`_timelines`);
* `lienthong audit verify --all` passes, for every dossier received;
* and, beyond the five: every consumer group caught up, every service ready, and no service
  exited or hung unless the plan killed it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from _evidence import Stream, Verdict
from _follow import Track
from _injector import Injected
from _load import Submission
from _messages import citizen_messages
from _timelines import timelines

__all__ = [
    "Stream",
    "Verdict",
    "agency_tasks",
    "audit",
    "citizen_messages",
    "consumers_caught_up",
    "final_states",
    "one_dossier_per_submission",
    "services_ready",
    "services_stayed_up",
    "timelines",
]

FINAL = ("completed", "at_desk")  # how a dossier of the load ends when every agency approves
VERIFIED = re.compile(r"verified: (\d+) dossier\(s\)")
UNKEYED = re.compile(r"(\d+) record\(s\) without a key")


def final_states(submissions: Sequence[Submission], tracks: Mapping[str, Track]) -> Verdict:
    verdict = Verdict("every dossier reaches its final state", len(submissions))
    for s in submissions:
        name = f"submission #{s.index} ({s.template.procedure}, key {s.key})"
        if s.outcome != "received":
            tries = ", ".join(s.failed_attempts) or "none"
            verdict.violations.append(f"{name}: not received: {s.outcome} (failed tries: {tries})")
            continue
        track = tracks.get(s.dossier_id)
        final = track.final if track else None
        if final not in FINAL:
            seen = sorted(track.first, key=track.first.__getitem__) if track else []
            verdict.violations.append(
                f"dossier {s.dossier_id} (code {s.code}, {name}): "
                f"{'ended as ' + final if final else 'not final'}; event types seen: {seen}"
            )
    return verdict


def one_dossier_per_submission(submissions: Sequence[Submission], stream: Stream) -> Verdict:
    """A retry under the same Idempotency-Key must not make a second dossier (an orphan that
    runs too: tasks, messages), and the code a citizen holds must be the one received."""
    answered = [s for s in submissions if s.dossier_id]
    verdict = Verdict("one dossier per submission, under the code it was answered", len(answered))
    on_topic = {e.subject for e in stream.of_type("dossier.submitted")}
    holders = Counter(s.dossier_id for s in answered)
    for dossier_id, count in sorted(holders.items()):
        if count > 1:
            indexes = sorted(s.index for s in answered if s.dossier_id == dossier_id)
            verdict.violations.append(f"dossier {dossier_id} was answered to submissions {indexes}")
    for dossier_id in sorted(on_topic - holders.keys()):
        codes = [
            e.data.get("code")
            for e in stream.of_dossier(dossier_id)
            if e.type == "dossier.received"
        ]
        verdict.violations.append(
            f"dossier {dossier_id} (codes {codes}) was submitted on the topic, and no citizen "
            "was answered with it"
        )
    for s in answered:
        received = [e for e in stream.of_dossier(s.dossier_id) if e.type == "dossier.received"]
        if s.dossier_id not in on_topic:
            verdict.violations.append(
                f"submission #{s.index} was answered with dossier {s.dossier_id}, which has no "
                "dossier.submitted on the topic"
            )
        elif s.code and received and received[0].data.get("code") != s.code:
            verdict.violations.append(
                f"submission #{s.index} holds code {s.code}; dossier {s.dossier_id} was "
                f"received as {received[0].data.get('code')}"
            )
    verdict.notes = {"dossiers_on_the_topic": len(on_topic)}
    return verdict


def agency_tasks(
    calls: Sequence[Mapping[str, Any]], stream: Stream, systems: Mapping[str, str | None]
) -> Verdict:
    """`calls`: what the simulated agencies got (`_agencies.py --record`: a `received` line
    per request, an `answered` line with its status); `systems`: agency code → the recorded
    system its tasks go to, None for a connector nothing records (`recorded_systems`)."""
    opened = {e.data["task_id"]: e for e in stream.of_type("dossier.step-opened")}
    opened = {task: e for task, e in opened.items() if task}
    verdict = Verdict("every task reached its agency once, under one key", len(opened))
    keys: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    accepted: set[tuple[str, str]] = set()
    unnamed = 0  # requests naming no task: a body cut short (its sender killed mid-send)
    for call in calls:
        ok = call.get("phase") == "answered" and 200 <= int(call["status"]) < 300
        if not call["task"]:
            unnamed += call.get("phase", "received") == "received"
            if ok:
                verdict.violations.append(f"{call['system']} accepted a call naming no task")
        elif call.get("phase", "received") == "received":  # any request, whatever its answer
            keys[(call["system"], call["task"])][call["key"]] += 1
        elif ok:
            accepted.add((call["system"], call["task"]))
    _seen_once(verdict, keys, opened, systems)
    unrecorded = _each_reached(verdict, opened, accepted, systems)
    repeats = sum(n - 1 for seen in keys.values() for n in seen.values())
    verdict.notes = {
        "calls": len(calls),
        "calls_naming_no_task": unnamed,
        "tasks_accepted": len(accepted),
        "same_key_repeats": repeats,
        "tasks_for_unrecorded_connectors": unrecorded,
    }
    return verdict


def _seen_once(
    verdict: Verdict,
    keys: Mapping[tuple[str, str], Counter[str]],
    opened: Mapping[str, Any],
    systems: Mapping[str, str | None],
) -> None:
    tasks_of_step: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (system, task), seen in keys.items():
        step = opened.get(task)
        if step is None:
            verdict.violations.append(f"{system} got task {task!r}, which no step opened")
            continue
        where = f"(dossier {step.subject}, step {step.data['step']})"
        tasks_of_step[(step.subject, step.data["step"])].add(task)
        if len(seen) > 1:
            verdict.violations.append(f"{system} got task {task} {where} under {len(seen)} keys")
        if systems.get(step.data.get("agency") or "") != system:
            verdict.violations.append(
                f"{system} got task {task} {where}, meant for agency {step.data.get('agency')}"
            )
    for (dossier, step_id), tasks in tasks_of_step.items():
        if len(tasks) > 1:
            verdict.violations.append(
                f"dossier {dossier}, step {step_id}: {len(tasks)} tasks {sorted(tasks)}"
            )


def _each_reached(
    verdict: Verdict,
    opened: Mapping[str, Any],
    accepted: set[tuple[str, str]],
    systems: Mapping[str, str | None],
) -> int:
    """Every task opened was accepted by its agency's system; returns how many tasks went to
    connectors nothing records (each a violation: the run cannot see them arrive, and the load
    routes none there)."""
    unrecorded = 0
    for task, step in opened.items():
        agency = step.data.get("agency") or ""
        where = f"task {task} (dossier {step.subject}, step {step.data['step']}, agency {agency})"
        if agency not in systems:
            verdict.violations.append(f"{where}: no agency of that code is configured")
        elif (system := systems[agency]) is None:
            unrecorded += 1
            verdict.violations.append(f"{where}: its connector is not recorded by the run")
        elif (system, task) not in accepted:
            verdict.violations.append(f"{where}: {system} never accepted it")
    return unrecorded


def audit(exit_code: int | None, output: str, received: int) -> Verdict:
    """`lienthong audit verify --all`: exit 0, no dossier left unverified (it exits 0 too when
    the notary is still behind, which is not "verified for all"), no record outside every
    chain, and at least every dossier received verified (0 of them verified also exits 0)."""
    verdict = Verdict("lienthong audit verify --all passes", received)
    tail = "\n    ".join(output.strip().splitlines()[-12:])
    if exit_code != 0 or "the notary is behind" in output:
        verdict.violations.append(f"exit code {exit_code}:\n    {tail}")
    verified = VERIFIED.search(output)
    count = int(verified[1]) if verified else None
    if count is None or count < received:
        verdict.violations.append(f"{count} dossier(s) verified, {received} received:\n    {tail}")
    if (unkeyed := UNKEYED.search(output)) and int(unkeyed[1]):
        verdict.violations.append(f"{unkeyed[1]} record(s) on the topic without a dossier's key")
    verdict.notes = {
        "verified": count,
        "output": [line for line in output.splitlines() if line][-6:],
    }
    return verdict


def consumers_caught_up(lag: Mapping[str, int], services: Sequence[str]) -> Verdict:
    """`lag`: consumer group → records it has still to read, at the end (a group stuck after
    a fault shows here, whichever service it is: survey and console have no other property)."""
    verdict = Verdict("every consumer group read everything", len(services))
    for group, behind in sorted(lag.items()):
        if behind:
            verdict.violations.append(f"group {group}: {behind} record(s) not consumed")
    for name in services:
        if not any(g == name or g.startswith((f"{name}.", f"{name}-")) for g in lag):
            verdict.violations.append(f"{name}: no consumer group of its committed anything")
    return verdict


def services_ready(answers: Mapping[str, tuple[int | None, str]]) -> Verdict:
    """`answers`: service → (HTTP status, body) of its `/readyz` at the end."""
    verdict = Verdict("every service is ready at the end", len(answers))
    for name, (status, body) in sorted(answers.items()):
        if status != 200 or _said(body) != "ready":
            verdict.violations.append(f"{name} /readyz answered {status}: {body[:300]}")
    return verdict


def _said(body: str) -> object:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer.get("status") if isinstance(answer, dict) else None


def services_stayed_up(injected: Sequence[Injected], services: int) -> Verdict:
    """A service that exits or hangs unless the plan killed it is a fault of its own (start-up
    waits for the broker and the store): one that ended by itself, hung, or exited while it was
    being started again after a planned kill."""
    verdict = Verdict("no service exited or hung by itself", services)
    for i in injected:
        at = datetime.fromtimestamp(i.killed_at).isoformat(timespec="seconds")
        if not i.planned:
            verdict.violations.append(f"{i.target} at {at}: {i.hung or i.exit}")
        for failure in i.start_failures:
            verdict.violations.append(
                f"{i.target}, started again after its kill at {at}: {failure}"
            )
        if i.error:
            verdict.violations.append(f"{i.target} did not come back after {at}: {i.error}")
    return verdict
