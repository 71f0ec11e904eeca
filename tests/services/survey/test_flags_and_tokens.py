"""Anti-gaming rules, tokens and the rate limiter (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lienthong_survey.flags import BurstPolicy, device_hint, device_kind, suspicion_flags
from lienthong_survey.limits import WindowLimiter
from lienthong_survey.tokens import survey_token, token_sha256, well_formed

POLICY = BurstPolicy(device_allowed=3, desk_allowed=10, window=timedelta(minutes=30))
RETURNED = datetime(2026, 3, 4, 8, tzinfo=UTC)


def test_an_answer_before_the_result_was_returned_is_flagged() -> None:
    before = suspicion_flags(RETURNED - timedelta(minutes=1), 0, 0, RETURNED, POLICY)
    unknown = suspicion_flags(RETURNED, 0, 0, None, POLICY)
    after = suspicion_flags(RETURNED + timedelta(minutes=1), 0, 0, RETURNED, POLICY)
    assert before == unknown == ["before_result_returned"]
    assert after == []


def test_bursts_from_one_device_or_desk_are_flagged() -> None:
    later = RETURNED + timedelta(hours=1)
    assert suspicion_flags(later, 2, 9, RETURNED, POLICY) == []
    assert suspicion_flags(later, 3, 10, RETURNED, POLICY) == ["device_burst", "desk_burst"]


def test_device_hints_are_keyed_and_say_only_the_kind_of_device() -> None:
    one = device_hint(b"k1", "10.0.0.1", "UA")
    assert one == device_hint(b"k1", "10.0.0.1", "UA") != device_hint(b"k2", "10.0.0.1", "UA")
    assert "10.0.0.1" not in one
    assert len(one) == 20
    assert device_kind("Mozilla/5.0 (iPhone) Mobile/15E148") == "mobile"
    assert device_kind("Mozilla/5.0 (X11; Linux x86_64)") == "desktop"
    assert device_kind("") == "unknown"


def test_tokens_are_derived_from_the_completion_and_only_their_hash_is_kept() -> None:
    token = survey_token(b"key", "event-1")
    assert token == survey_token(b"key", "event-1"), "a replay issues the same link"
    assert token != survey_token(b"key", "event-2") != survey_token(b"other", "event-1")
    assert well_formed(token)
    assert not well_formed(token + "x")
    assert not well_formed("../etc")
    assert len(token_sha256(token)) == 64
    assert token not in token_sha256(token)


def test_the_window_limiter_lets_clients_back_after_the_window() -> None:
    now = [0.0]
    limiter = WindowLimiter(2, 60, clock=lambda: now[0])
    limiter.record("a")
    limiter.record("a")
    assert limiter.retry_after("a") == 60
    assert limiter.retry_after("b") == 0
    now[0] = 61
    assert limiter.retry_after("a") == 0
