"""The tracking secret (given with the dossier code to follow a dossier).

It is derived from the dossier id with the service's key, so a retried submission answers the
same secret without anyone storing it: only its SHA-256 travels in `dossier.received` and lives
in the tracking view.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def tracking_secret(key: bytes, dossier_id: str) -> str:
    """128 bits, as 26 base32 letters and digits (easy to read out at the counter)."""
    digest = hmac.new(key, f"tracking-secret\x1f{dossier_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:16]).decode().rstrip("=")


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.strip().upper().encode()).hexdigest()


def secret_matches(secret: str, expected_sha256: str) -> bool:
    return hmac.compare_digest(secret_sha256(secret), expected_sha256)
