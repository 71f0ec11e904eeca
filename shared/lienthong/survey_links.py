"""The one survey link of a dossier, known to intake (printed on the receipt as a QR code)
and to survey (which invites the citizen with it when the dossier completes).

Services share no API and no database, so the link is *derived*: an HMAC of the dossier id
under the platform's token key. Whoever holds the key derives the same token; the database
keeps only its SHA-256, and logs never carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def survey_token(key: bytes, source: str) -> str:
    """22 url-safe characters (128 bits) bound to `source` (a dossier, or an event id)."""
    digest = hmac.new(key, f"survey-token\x1f{source}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def dossier_token_source(dossier_id: str) -> str:
    return f"dossier:{dossier_id}"


def survey_link_path(token: str) -> str:
    return f"/s/{token}"


def dossier_survey_path(key: bytes, dossier_id: str) -> str:
    """The path of the dossier's survey page: the same on the receipt and in the invitation."""
    return survey_link_path(survey_token(key, dossier_token_source(dossier_id)))
