"""Who is looking: a one-stop officer (staff token) or, failing that, the public.

Staff authenticate with the platform's staff token (`lienthong token --role officer
--unit ...`): as `Authorization: Bearer` for API clients, or pasted once into the counter
login page, which keeps it in an HttpOnly, SameSite=Strict cookie (so other sites can neither
read it nor ride it for a cross-site form post).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from lienthong.security import STAFF_COOKIE, InvalidToken, Principal, verify_token
from lienthong.settings import Settings

__all__ = ["STAFF_COOKIE", "Viewer", "staff_principal", "verified_staff", "viewer_of"]


def staff_principal(settings: Settings, request: Request) -> Principal | None:
    """The staff member behind the request's bearer token or cookie; None for the public."""
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    token = bearer if scheme.lower() == "bearer" and bearer else request.cookies.get(STAFF_COOKIE)
    return verified_staff(settings, token) if token else None


def verified_staff(settings: Settings, token: str) -> Principal | None:
    try:
        principal = verify_token(settings, token.strip())
    except InvalidToken:
        return None
    return principal if principal.kind == "staff" else None


@dataclass(frozen=True)
class Viewer:
    """The caller of a page or printed form."""

    client: str
    staff: Principal | None
    base_url: str


def viewer_of(settings: Settings, request: Request, public_url: str | None) -> Viewer:
    client = request.client.host if request.client else "unknown"
    base = (public_url or str(request.base_url)).rstrip("/")
    return Viewer(client, staff_principal(settings, request), base)
