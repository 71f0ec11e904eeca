"""Idempotent submissions: one `Idempotency-Key`, one dossier, one code, one answer.

The first request with a key claims it by inserting a document whose `_id` is the key's hash:
an insert with a unique `_id` is atomic on MongoDB and FerretDB alike (updates on FerretDB are
read-modify-write, so they never decide a race). The claim fixes the moment of receipt; the
dossier code, once drawn, is fixed for the key by a second such insert (`codes`). So whatever
becomes of an attempt (its broker acknowledgement timed out, the process was killed between
two steps), the next attempt with the key recomputes the same events with the same ids, the
same moment and the same code, publishes them again (consumers drop the duplicates) and
records the answer: a retry finishes what the first attempt started.

Every other request with the key finds the claim and waits for the answer of the attempt in
flight; it takes over when that attempt says it failed, or after `attempt_s` when it went
silent (killed). Of several requests taking over at once, one wins, by inserting the next
takeover (`<claim>#takeover-<n>`, which holds for `attempt_s`); the others wait for its answer.
The answer is recorded by an insert too (`answers`), so nothing can undo it: an attempt that
fails after another finished only marks the claim, which the answer overrides.

The stored answer holds no personal data and no tracking secret (the secret is re-derived,
see `tracking_secret`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from lienthong.http import Problem
from lienthong.store import Collection, DuplicateKey

log = structlog.get_logger("lienthong.intake")

POLL_INTERVAL_S = 0.05
RETRY_SOON = {"Retry-After": "5"}


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(body: Any) -> str:
    """A stable hash of the request body, to refuse a key reused for another request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """This request's hold on a key: either the answer already given, or what the attempts
    with this key have fixed so far (the moment of receipt; the code, once drawn)."""

    id: str
    received_at: datetime
    code: str | None = None
    answer: StoredAnswer | None = None


class IdempotencyLedger:
    def __init__(
        self,
        claims: Collection,
        codes: Collection,
        answers: Collection,
        wait_s: float,
        attempt_s: float,
    ) -> None:
        self._claims = claims
        self._codes = codes
        self._answers = answers
        self._wait_s = wait_s
        self._attempt_s = attempt_s

    async def claim(self, key: str, body_fingerprint: str, now: datetime) -> Claim:
        """Own the key, take over an abandoned attempt, or get the answer already given."""
        claim_id = key_hash(key)
        document = {
            "_id": claim_id,
            "fingerprint": body_fingerprint,
            "state": "pending",
            "received_at": now.isoformat(),
            "attempt_until": time.time() + self._attempt_s,
        }
        try:
            await self._claims.insert(document)
            return Claim(claim_id, now)
        except DuplicateKey:
            return await self._existing(claim_id, body_fingerprint)

    async def fix_code(self, claim: Claim, draw: Callable[[], Awaitable[str]]) -> str:
        """The key's dossier code: the one an earlier attempt fixed, or a new one. Of two
        attempts drawing at once, the first insert wins and the other's number is unused."""
        if claim.code is not None:
            return claim.code
        drawn = await draw()
        try:
            await self._codes.insert({"_id": claim.id, "code": drawn})
            return drawn
        except DuplicateKey:
            fixed = await self._codes.get(claim.id)
            if fixed is None:  # pragma: no cover - a code document is never deleted
                raise
            log.warning("dossier_code_drawn_twice", claim=claim.id, unused=drawn)
            return str(fixed["code"])

    async def record(self, claim: Claim, body_fingerprint: str, answer: StoredAnswer) -> None:
        document = {
            "_id": claim.id,
            "fingerprint": body_fingerprint,
            "status_code": answer.status_code,
            "body": answer.body,
        }
        with contextlib.suppress(DuplicateKey):  # another attempt recorded the same answer
            await self._answers.insert(document)

    async def interrupt(self, claim: Claim) -> None:
        """Say that this attempt failed, so that a retry continues at once (best effort: if
        even this cannot be written, the retry waits out `attempt_s`)."""
        with contextlib.suppress(Exception):
            await self._claims.update(claim.id, {"state": "interrupted", "attempt_until": 0.0})

    async def _existing(self, claim_id: str, body_fingerprint: str) -> Claim:
        deadline = time.monotonic() + self._wait_s
        while True:
            recorded = await self._answers.get(claim_id)
            if recorded is not None:
                _same_request(recorded, body_fingerprint)
                answer = StoredAnswer(int(recorded["status_code"]), dict(recorded["body"]))
                return Claim(claim_id, datetime.min, answer=answer)
            stored = await self._claims.get(claim_id)
            if stored is None:  # claims are never deleted: a store that lost one
                raise Problem(503, "Submission not found", "retry later", headers=RETRY_SOON)
            _same_request(stored, body_fingerprint)
            if float(stored.get("attempt_until", 0.0)) <= time.time():
                taken = await self._take_over(claim_id, stored)
                if taken is not None:
                    return taken
            if time.monotonic() > deadline:
                raise Problem(
                    409,
                    "Submission in progress",
                    "a request with this Idempotency-Key is still being handled; retry later",
                    type="urn:lienthong:problem:idempotency-in-progress",
                    headers={"Retry-After": str(max(1, round(self._attempt_s)))},
                )
            await asyncio.sleep(POLL_INTERVAL_S)

    async def _take_over(self, claim_id: str, stored: dict[str, Any]) -> Claim | None:
        """Continue an attempt that failed or went silent, if this request wins the next
        takeover (None: another request won it and is still within its time)."""
        generation = int(stored.get("takeovers", 0)) + 1
        while True:
            until = time.time() + self._attempt_s
            marker_id = f"{claim_id}#takeover-{generation}"
            try:
                await self._claims.insert({"_id": marker_id, "until": until})
                break
            except DuplicateKey:
                other = await self._claims.get(marker_id)
                if other is not None and float(other.get("until", 0.0)) > time.time():
                    return None
                generation += 1  # that takeover went silent too
        await self._claims.update(
            claim_id, {"state": "pending", "takeovers": generation, "attempt_until": until}
        )
        fixed = await self._codes.get(claim_id)
        log.info("submission_taken_over", claim=claim_id, had_code=fixed is not None)
        return Claim(claim_id, _moment(stored), code=str(fixed["code"]) if fixed else None)


def _same_request(stored: dict[str, Any], body_fingerprint: str) -> None:
    if stored["fingerprint"] != body_fingerprint:
        raise Problem(
            422,
            "Idempotency-Key reused",
            "this Idempotency-Key was used for a different request",
            type="urn:lienthong:problem:idempotency-key-reused",
        )


def _moment(stored: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(stored["received_at"]))
