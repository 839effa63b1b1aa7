"""The in-memory limiter behind login throttling, on a clock the test moves."""

from __future__ import annotations

import asyncio
import threading

from app.ratelimit import HashingQueue, LoginThrottle, RateLimiter, client_key


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


def test_memory_is_bounded_whatever_the_keys():
    limiter = RateLimiter(3, 60, max_keys=100, clock=Clock())
    for i in range(300):
        limiter.hit(("x" * 100_000 + str(i), "10.0.0.1"))  # 100 kB each
    for _ in range(1000):
        limiter.hit("one key, often")
    assert len(limiter._events) <= 100
    # What is kept per key does not grow with the key, nor with the number of hits.
    assert all(len(key) == 16 for key in limiter._events)
    assert max(len(events) for events in limiter._events.values()) == 3
    assert limiter.retry_after("one key, often") > 0


def test_stale_keys_are_dropped_before_live_ones():
    clock = Clock()
    limiter = RateLimiter(1, 60, max_keys=3, clock=clock)
    limiter.hit("old")
    clock.now += 61
    limiter.hit("a")
    assert len(limiter._events) == 1  # "old" left the window: dropped on the way
    limiter.hit("b")
    limiter.hit("c")
    limiter.hit("d")
    assert len(limiter._events) == 3
    assert limiter.retry_after("a") == 0  # the least recently used went first
    assert limiter.retry_after("d") > 0


def test_ipv6_addresses_are_counted_by_their_64():
    throttle = LoginThrottle(per_name_and_address=(2, 60), per_address=(3, 60), clock=Clock())
    assert throttle.reserve("2001:db8:0:1::1", "ada")
    assert throttle.reserve("2001:db8:0:1::2", "ada")
    # Another address of the same /64 is the same client, for one name ...
    assert throttle.reserve("2001:db8:0:1:ffff::9", "ada") is None
    assert throttle.reserve("2001:db8:0:1:ffff::9", "bob")
    # ... and for all names together.
    assert throttle.reserve("2001:db8:0:1::3", "carol") is None
    assert throttle.reserve("2001:db8:0:2::1", "ada")  # another /64
    assert throttle.reserve("::ffff:10.0.0.1", "ada")  # IPv4-mapped counts as IPv4
    assert throttle.reserve("10.0.0.1", "ada")
    assert throttle.reserve("10.0.0.1", "ada") is None


def test_client_key():
    assert client_key("2001:db8::1") == "2001:db8::/64"
    assert client_key("2001:DB8:0:0:ffff::1") == "2001:db8::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("") == ""
