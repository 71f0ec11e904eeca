from __future__ import annotations

from lienthong_intake.rate_limit import FailureLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_held_back_after_too_many_failures_until_the_window_passes() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(allowed=3, window_s=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("198.51.100.1") == 0
        limiter.record_failure("198.51.100.1")
        clock.now += 1
    assert limiter.retry_after("198.51.100.1") == 57
    assert limiter.retry_after("198.51.100.2") == 0
    clock.now += 58
    assert limiter.retry_after("198.51.100.1") == 0
