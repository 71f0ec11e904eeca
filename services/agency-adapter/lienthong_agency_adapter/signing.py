"""Credentials: HMAC-SHA256 signatures for webhooks and hashed API keys.

Signature header (ours and the agency's callbacks alike):

    X-LienThong-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

The timestamp is signed so a captured request cannot be replayed after `tolerance_s`. Several
secrets may be valid at once (rotation): we sign with the first, accept any.

API keys are random, high-entropy strings, so a plain SHA-256 is the right hash (a slow
password hash protects guessable secrets; these are not guessable). Only hashes are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-LienThong-Signature"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for `body`."""
    moment = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def verify(
    header: str | None, body: bytes, secrets_: Sequence[str], tolerance_s: int = 300
) -> bool:
    """Whether `header` is a fresh signature of `body` by one of `secrets_`."""
    if not header or not secrets_:
        return False
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        moment = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - moment) > tolerance_s:
        return False
    given = parts.get("v1", "")
    expected = (sign(secret, body, moment).split("v1=", 1)[1] for secret in secrets_)
    return any(hmac.compare_digest(given, candidate) for candidate in expected)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_matches(key: str, hashes: Sequence[str]) -> bool:
    digest = hash_api_key(key)
    return any(hmac.compare_digest(digest, known.lower()) for known in hashes)


def new_api_key() -> tuple[str, str]:
    """A fresh key for an agency and the hash to put in agencies.yaml."""
    key = "lt_" + secrets.token_urlsafe(32)
    return key, hash_api_key(key)
