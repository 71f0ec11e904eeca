"""Who may see and do what in the console.

| role | sees | acts |
|---|---|---|
| `operator`, `admin` | everything | replay and discard dead letters |
| `auditor` | everything | nothing |
| `officer`, `supervisor` | the SLA board and live tail of their own unit | nothing |

Anyone else (an agency token, a staff token with another role, a unit role without a unit)
is refused. Pages redirect an anonymous visitor to the sign-in page; the API answers 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request

from lienthong.security import Principal, current_principal

CITY_WIDE = frozenset({"operator", "admin", "auditor"})
ACTORS = frozenset({"operator", "admin"})
UNIT_ROLES = frozenset({"officer", "supervisor"})


@dataclass(frozen=True)
class ConsoleUser:
    principal: Principal

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def city_wide(self) -> bool:
        return self.role in CITY_WIDE

    @property
    def may_act(self) -> bool:
        return self.role in ACTORS

    @property
    def units(self) -> frozenset[str] | None:
        """The units this user sees; None for the whole city."""
        if self.city_wide:
            return None
        return frozenset({self.principal.unit}) if self.principal.unit else frozenset()


def console_user(principal: Annotated[Principal, Depends(current_principal)]) -> ConsoleUser:
    if principal.kind != "staff":
        raise HTTPException(403, "staff only")
    if principal.role in CITY_WIDE or (principal.role in UNIT_ROLES and principal.unit):
        return ConsoleUser(principal)
    raise HTTPException(403, "the console is for operators, auditors and unit staff")


def city_user(user: Annotated[ConsoleUser, Depends(console_user)]) -> ConsoleUser:
    if not user.city_wide:
        raise HTTPException(403, "operators and auditors only")
    return user


def acting_user(
    request: Request, user: Annotated[ConsoleUser, Depends(console_user)]
) -> ConsoleUser:
    if not user.may_act:
        raise HTTPException(403, "only an operator may act on dead letters")
    if not request.headers.get("authorization"):
        # Signed in by the staff cookie: a page of another origin on this host (another
        # port, a sibling subdomain) could post here with it; only this console's own
        # pages may (browsers name the origin of every cross-origin post).
        same_origin(request, required=True)
    return user


def same_origin(request: Request, *, required: bool = False) -> None:
    """Refuse a post whose `Origin` is not this console's (or absent, when `required`)."""
    origin = request.headers.get("origin")
    if origin is None and not required:
        return
    host = request.headers.get("host", "")
    if origin is None or origin == "null" or urlsplit(origin).netloc != host:
        raise HTTPException(403, "cross-origin request refused")


def optional_user(request: Request) -> ConsoleUser | None:
    """For pages: None when anonymous or not allowed (the page redirects or refuses)."""
    try:
        return console_user(current_principal(request))
    except HTTPException:
        return None


AnyUser = Annotated[ConsoleUser, Depends(console_user)]
CityUser = Annotated[ConsoleUser, Depends(city_user)]
Actor = Annotated[ConsoleUser, Depends(acting_user)]
