"""Who is calling the agency API, and may they act for `{agency}`?

Accepted credentials, per agency:
* an HMAC signature of the raw body (`X-LienThong-Signature`, webhook agencies' callbacks);
* `Authorization: Bearer <API key>` whose SHA-256 is listed in the agency's `api_key_sha256`;
* `Authorization: Bearer <JWT>`: the kernel's agency token for this agency, or a staff token
  (officer, supervisor) of one of the agency's `officer_units` (the manual inbox).

No credential, or a bad signature: 401. A valid credential for someone else: 403.
An unknown agency: 404.
"""

from __future__ import annotations

from fastapi import Request

from lienthong.http import Problem
from lienthong.security import InvalidToken, verify_token
from lienthong.settings import Settings
from lienthong_agency_adapter.config import AgencyBook, AgencyConfig
from lienthong_agency_adapter.signing import SIGNATURE_HEADER, api_key_matches, verify

INBOX_STAFF_ROLES = frozenset({"officer", "supervisor"})


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail)


def _forbidden(agency: str) -> Problem:
    return Problem(403, "Forbidden", f"these credentials may not act for agency {agency}")


async def authenticate_agency(
    request: Request, agency: AgencyConfig, book: AgencyBook, tolerance_s: int
) -> str:
    """The caller's description (for logs) when it may act for `agency`; else a Problem."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if signature is not None:
        secrets = [s.get_secret_value() for s in agency.secrets()]
        if verify(signature, await request.body(), secrets, tolerance_s):
            return f"agency:{agency.code}:signature"
        raise _unauthorized("the signature does not match this agency's secret")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("a signature or a bearer credential is required")
    if api_key_matches(token, agency.api_key_sha256):
        return f"agency:{agency.code}:api-key"
    if any(api_key_matches(token, other.api_key_sha256) for other in book.agencies):
        raise _forbidden(agency.code)
    settings: Settings = request.app.state.settings
    try:
        principal = verify_token(settings, token)
    except InvalidToken:
        raise _unauthorized("invalid or expired credential") from None
    if principal.kind == "agency" and principal.agency == agency.code:
        return f"agency:{agency.code}:token"
    if (
        principal.kind == "staff"
        and principal.role in INBOX_STAFF_ROLES
        and principal.unit in agency.officer_units
    ):
        return f"staff:{principal.role}:{principal.unit}"
    raise _forbidden(agency.code)
