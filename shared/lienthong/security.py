"""Tokens for staff and agencies (JWT, HS256, signed with the configured key).

A staff token names a role and, for officers, their unit; an agency token names the agency
it may act for: an agency only ever sees and answers its own tasks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel

from lienthong.settings import Settings

STAFF_ROLES = frozenset({"officer", "supervisor", "operator", "auditor", "admin"})
Kind = Literal["staff", "agency"]


class Principal(BaseModel):
    subject: str
    kind: Kind
    role: str
    unit: str | None = None
    agency: str | None = None


class InvalidToken(Exception):
    pass


def mint_token(
    settings: Settings,
    *,
    role: str,
    unit: str | None = None,
    agency: str | None = None,
    subject: str | None = None,
    ttl: timedelta = timedelta(hours=8),
) -> str:
    if agency is None and role not in STAFF_ROLES and role != "agency":
        raise ValueError(f"unknown role {role!r}; staff roles are {sorted(STAFF_ROLES)}")
    kind: Kind = "agency" if agency is not None or role == "agency" else "staff"
    if kind == "agency" and not agency:
        raise ValueError("an agency token needs --agency")
    now = datetime.now(UTC)
    claims = {
        "iss": settings.token_issuer,
        "sub": subject or (f"agency:{agency}" if kind == "agency" else f"{role}:{unit or '-'}"),
        "kind": kind,
        "role": role,
        "unit": unit,
        "agency": agency,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, settings.token_key.get_secret_value(), algorithm="HS256")


def verify_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.token_key.get_secret_value(),
            algorithms=["HS256"],
            issuer=settings.token_issuer,
            options={"require": ["exp", "iss", "sub"]},
        )
        return Principal(
            subject=claims["sub"],
            kind=claims["kind"],
            role=claims["role"],
            unit=claims.get("unit"),
            agency=claims.get("agency"),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


# Staff pages in a browser: the counter login page keeps the staff token in this HttpOnly,
# SameSite=Strict cookie, and every service's staff routes accept it as they accept a bearer
# token (same host behind the ingress, or one process with `lienthong up`).
STAFF_COOKIE = "lienthong_staff"


def request_token(request: Request) -> str:
    """The token a request carries: its bearer header, else the staff cookie; 401 if none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token
    cookie = request.cookies.get(STAFF_COOKIE)
    if cookie:
        return cookie.strip()
    raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})


def current_principal(request: Request) -> Principal:
    settings: Settings = request.app.state.settings
    try:
        return verify_token(settings, request_token(request))
    except InvalidToken:
        raise HTTPException(
            401, "invalid or expired token", {"WWW-Authenticate": "Bearer"}
        ) from None


def require_staff(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.kind != "staff":
        raise HTTPException(403, "staff only")
    return principal


def require_agency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.kind != "agency":
        raise HTTPException(403, "agency credentials required")
    return principal


StaffUser = Annotated[Principal, Depends(require_staff)]
AgencyUser = Annotated[Principal, Depends(require_agency)]
