"""Idempotent submissions: one `Idempotency-Key`, one dossier, one answer.

The first request with a key claims it by inserting a document whose `_id` is the key's hash:
an insert with a unique `_id` is atomic on MongoDB and FerretDB alike (updates on FerretDB are
read-modify-write, so they never decide a race). Every other request with that key finds the
claim and waits for the winner's stored answer. The stored answer holds no personal data and
no tracking secret (the secret is re-derived, see `tracking_secret`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lienthong.http import Problem
from lienthong.store import Collection, DuplicateKey

POLL_INTERVAL_S = 0.05


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
    """Either this request owns the key (`answer is None`) or the answer already given."""

    id: str
    answer: StoredAnswer | None


class IdempotencyLedger:
    def __init__(self, collection: Collection, wait_s: float) -> None:
        self._c = collection
        self._wait_s = wait_s

    async def claim(self, key: str, body_fingerprint: str) -> Claim:
        claim_id = key_hash(key)
        document = {
            "_id": claim_id,
            "fingerprint": body_fingerprint,
            "state": "pending",
            "claimed_at": datetime.now(UTC).isoformat(),
        }
        try:
            await self._c.insert(document)
            return Claim(claim_id, None)
        except DuplicateKey:
            return Claim(claim_id, await self._answer_of(claim_id, body_fingerprint))

    async def record(self, claim: Claim, answer: StoredAnswer) -> None:
        fields = {"state": "done", "status_code": answer.status_code, "body": answer.body}
        await self._c.update(claim.id, fields)

    async def release(self, claim: Claim) -> None:
        """Give the key back after a failure that recorded nothing, so a retry can proceed."""
        await self._c.delete(claim.id)

    async def _answer_of(self, claim_id: str, body_fingerprint: str) -> StoredAnswer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while True:
            stored = await self._c.get(claim_id)
            if stored is None:
                raise Problem(
                    409,
                    "Submission failed",
                    "the first attempt with this Idempotency-Key failed; retry",
                    type="urn:lienthong:problem:idempotency-retry",
                )
            if stored["fingerprint"] != body_fingerprint:
                raise Problem(
                    422,
                    "Idempotency-Key reused",
                    "this Idempotency-Key was used for a different request",
                    type="urn:lienthong:problem:idempotency-key-reused",
                )
            if stored["state"] == "done":
                return StoredAnswer(int(stored["status_code"]), dict(stored["body"]))
            if loop.time() > deadline:
                raise Problem(
                    409,
                    "Submission in progress",
                    "a request with this Idempotency-Key is still being handled; retry later",
                    type="urn:lienthong:problem:idempotency-in-progress",
                )
            await asyncio.sleep(POLL_INTERVAL_S)
