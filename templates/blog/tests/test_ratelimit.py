"""The in-memory limiter behind login throttling, on a clock the test moves."""

from __future__ import annotations

from app.ratelimit import LoginThrottle, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_key_in_a_sliding_window():
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("a") == 0
        limiter.hit("a")
        clock.now += 10
    assert limiter.retry_after("a") == 30  # the first hit leaves the window at 1060
    assert limiter.retry_after("b") == 0
    clock.now += 30
    assert limiter.retry_after("a") == 0
    limiter.hit("a")
    assert limiter.retry_after("a") == 10


def test_keys_are_bounded():
    clock = Clock()
    limiter = RateLimiter(1, 60, max_keys=100, clock=clock)
    for i in range(1000):
        limiter.hit(f"key{i}")
    assert len(limiter._events) <= 100
    assert limiter.retry_after("key999") > 0  # the newest are kept
    clock.now += 61
    limiter.hit("fresh")
    assert limiter.retry_after("key999") == 0


def test_login_throttle_per_address_and_per_name():
    clock = Clock()
    throttle = LoginThrottle(per_address=(2, 60), per_name=(3, 60), clock=clock)
    throttle.failed("10.0.0.1", "Ada")
    throttle.failed("10.0.0.1", "bob")
    assert throttle.retry_after("10.0.0.1", "carol") > 0  # the address is used up
    assert throttle.retry_after("10.0.0.2", "carol") == 0
    throttle.failed("10.0.0.2", "ada")
    throttle.failed("10.0.0.3", "ADA")
    assert throttle.retry_after("10.0.0.4", "ada") > 0  # the name is used up, any address
    assert throttle.retry_after("10.0.0.4", "") == 0
    clock.now += 61
    assert throttle.retry_after("10.0.0.1", "ada") == 0
