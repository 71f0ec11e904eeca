"""One-time survey tokens (pure).

A token is an HMAC under the platform's key of its source: the dossier (the link printed on
the receipt and sent when the dossier completes, `lienthong.survey_links`) or, for a rating
of one step, that step's completion event. A handler that runs twice (redelivery, replay)
derives the same token and the same invitation id, and the database, which keeps only the
token's SHA-256, cannot produce a usable link on its own.
"""

from __future__ import annotations

import hashlib
import re

from lienthong.survey_links import survey_link_path, survey_token

__all__ = ["link_path", "survey_token", "token_sha256", "well_formed"]

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_TOKEN_SHAPE.match(token))


def link_path(token: str) -> str:
    return survey_link_path(token)
