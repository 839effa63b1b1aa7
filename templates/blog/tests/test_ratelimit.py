"""The in-memory limiter behind login throttling, on a clock the test moves."""

from __future__ import annotations

import asyncio
import threading

from app.ratelimit import HashingQueue, LoginThrottle, RateLimiter


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


def test_forget_takes_one_event_back():
    clock = Clock()
    limiter = RateLimiter(2, 60, clock=clock)
    first = limiter.hit("a")
    limiter.hit("a")
    assert limiter.retry_after("a") > 0
    limiter.forget("a", first)
    assert limiter.retry_after("a") == 0
    limiter.forget("a", first)  # already gone: nothing happens
    limiter.forget("never", 0.0)


def test_reserve_checks_and_counts_in_one_step():
    clock = Clock()
    throttle = LoginThrottle(per_name_and_address=(3, 60), per_address=(100, 60), clock=clock)
    attempts = [throttle.reserve("10.0.0.1", "ada") for _ in range(5)]
    # Nothing was checked in between, as when logins arrive at the same time: still only 3.
    assert [a is not None for a in attempts] == [True, True, True, False, False]
    assert throttle.retry_after("10.0.0.1", "ADA") > 0  # names are case-insensitive
    throttle.cancel(attempts[0])  # it succeeded: it counts nothing
    assert throttle.reserve("10.0.0.1", "Ada") is not None
    assert throttle.reserve("10.0.0.1", "ada") is None
    clock.now += 61
    assert throttle.reserve("10.0.0.1", "ada") is not None


def test_login_throttle_per_name_and_address_and_per_address():
    clock = Clock()
    throttle = LoginThrottle(per_name_and_address=(2, 60), per_address=(3, 60), clock=clock)
    assert throttle.reserve("10.0.0.1", "ada") and throttle.reserve("10.0.0.1", "ada")
    assert throttle.retry_after("10.0.0.1", "ada") > 0  # this name from this address
    assert throttle.retry_after("10.0.0.1", "bob") == 0
    assert throttle.retry_after("10.0.0.2", "ada") == 0  # the same name from elsewhere
    assert throttle.reserve("10.0.0.1", "bob")
    assert throttle.retry_after("10.0.0.1", "carol") > 0  # the address is used up
    clock.now += 61
    assert throttle.retry_after("10.0.0.1", "ada") == 0


def test_no_flood_from_other_addresses_locks_a_name_out():
    throttle = LoginThrottle(clock=Clock())
    for i in range(1000):
        throttle.reserve(f"10.0.{i // 256}.{i % 256}", "admin")
    assert throttle.retry_after("192.0.2.1", "admin") == 0


def test_hashing_queue_admits_at_most_max_pending():
    queue = HashingQueue(workers=1, max_pending=2)
    try:
        assert queue.admit() and queue.admit()
        assert not queue.admit()
        queue.release()
        assert queue.admit()
        assert asyncio.run(queue.run(threading.current_thread)).name.startswith("scrypt")
    finally:
        queue.shutdown()
