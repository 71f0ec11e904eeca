"""One-time survey tokens (pure).

A token is an HMAC of the completion event's id under the service's key: the handler that
runs twice (redelivery, replay) derives the same token and the same invitation id, and the
database, which keeps only the token's SHA-256, cannot produce a usable link on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def survey_token(key: bytes, cause_id: str) -> str:
    """22 url-safe characters (128 bits) bound to the event that caused the invitation."""
    digest = hmac.new(key, f"survey-token\x1f{cause_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_TOKEN_SHAPE.match(token))


def link_path(token: str) -> str:
    return f"/s/{token}"
