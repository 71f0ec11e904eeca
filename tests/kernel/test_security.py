"""Staff and agency tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from lienthong.security import InvalidToken, mint_token, verify_token
from lienthong.settings import Settings


def test_staff_and_agency_tokens_round_trip() -> None:
    settings = Settings()
    officer = verify_token(settings, mint_token(settings, role="officer", unit="26743"))
    assert (officer.kind, officer.role, officer.unit) == ("staff", "officer", "26743")
    agency = verify_token(settings, mint_token(settings, role="agency", agency="police-26743"))
    assert (agency.kind, agency.agency) == ("agency", "police-26743")


def test_tokens_signed_with_another_key_or_expired_are_refused() -> None:
    settings = Settings()
    other = Settings(token_key=SecretStr("another key entirely, long enough for HS256"))
    with pytest.raises(InvalidToken):
        verify_token(settings, mint_token(other, role="officer"))
    with pytest.raises(InvalidToken):
        verify_token(settings, mint_token(settings, role="officer", ttl=timedelta(seconds=-1)))
    with pytest.raises(InvalidToken):
        verify_token(settings, "not-a-token")


def test_unknown_roles_and_agency_tokens_without_agency_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        mint_token(Settings(), role="mayor")
    with pytest.raises(ValueError, match="needs --agency"):
        mint_token(Settings(), role="agency")
