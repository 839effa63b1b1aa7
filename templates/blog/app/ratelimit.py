"""Throttling logins, in memory, and the bounded queue before the password hashing threads.

``LoginThrottle`` counts login attempts per user name from one client address and per client
address. Each attempt is counted when it starts, before its password is checked (``reserve``),
and a successful login gives its count back (``cancel``); so only failures stay counted. Once
either count is at its limit within its window, further attempts are refused (429, without
computing a password hash) until the oldest leaves the window.

No limit counts a user name over every address: whoever could send enough wrong passwords for
``admin`` would then lock the admin out wherever they log in from. Guessing from many addresses
is slowed instead by the cost of each hash and by ``HashingQueue``, which bounds how many
passwords are checked at once and how many logins may wait for that.

An address is counted with its neighbours where one client has many: an IPv6 address by its
/64 network (one subscriber usually gets a whole /64 to pick addresses from), as
``client_key`` says.

Memory stays bounded whatever the requests hold: each limiter keeps at most ``max_keys`` keys,
each stored as a fixed-size keyed digest (a 1 MB user name costs what a short one does), with
at most ``limit`` event times per key.

The counts live in this process only: they start from zero on a restart, and each process of a
multi-process deployment counts its own.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import ipaddress
import secrets
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def client_key(address: str) -> str:
    """Whom the per-address limit counts: the client's IP address, or its /64 network for
    IPv6 (an IPv4-mapped IPv6 address counts as the IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (a sliding window).

    Keys without an event in the last window are forgotten; at most ``max_keys`` keys are kept
    (the least recently used are dropped first), so a flood of new keys cannot exhaust memory.
    A key is kept as a 16-byte digest keyed with a secret of this process (no one can make two
    keys collide on purpose), so long keys cost no more than short ones, and each key keeps at
    most ``limit`` event times.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._salt = secrets.token_bytes(16)
        self._events: dict[bytes, collections.deque[float]] = {}

    def _digest(self, key: Hashable) -> bytes:
        return hashlib.blake2b(repr(key).encode(), digest_size=16, key=self._salt).digest()

    def _recent(self, digest: bytes, now: float) -> collections.deque[float]:
        events = self._events.get(digest)
        if events is None:
            events = collections.deque(maxlen=self.limit)
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def retry_after(self, key: Hashable) -> float:
        """Seconds until ``key`` may have another event: 0 if it may now."""
        now = self.clock()
        events = self._recent(self._digest(key), now)
        if len(events) < self.limit:
            return 0.0
        return events[-self.limit] + self.window - now

    def hit(self, key: Hashable, now: float | None = None) -> float:
        """Count one event for ``key``; returns its time (for ``forget``)."""
        if now is None:
            now = self.clock()
        digest = self._digest(key)
        events = self._recent(digest, now)
        events.append(now)
        self._events.pop(digest, None)
        self._events[digest] = events  # most recently used last
        # The least recently used first: drop them while they are too many or out of the
        # window (each key is dropped once, so this costs O(1) per hit on average).
        while self._events:
            oldest = next(iter(self._events))
            recent = self._events[oldest]
            if len(self._events) <= self.max_keys and recent and recent[-1] > now - self.window:
                break
            del self._events[oldest]
        return now

    def forget(self, key: Hashable, when: float) -> None:
        """Take back one event of ``key`` counted at ``when`` (if it is still counted)."""
        events = self._events.get(self._digest(key))
        if events is not None and when in events:
            events.remove(when)


@dataclass(frozen=True)
class Attempt:
    """A login attempt counted by ``LoginThrottle.reserve``."""

    address: str
    name: str
    when: float


class LoginThrottle:
    """Login attempts, limited per (case-insensitive) user name from one client address and
    per client address.

    ``per_name_and_address`` and ``per_address`` are ``(attempts, seconds)``: the defaults allow
    10 failed logins for one name from one address in 5 minutes, and 30 from one address for
    all names together (people behind one NAT share an address).
    """

    def __init__(
        self,
        per_name_and_address: tuple[int, float] = (10, 300),
        per_address: tuple[int, float] = (30, 300),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.by_name_and_address = RateLimiter(*per_name_and_address, clock=clock)
        self.by_address = RateLimiter(*per_address, clock=clock)

    def retry_after(self, address: str, name: str) -> float:
        """Seconds until a login from ``address`` for ``name`` may be tried: 0 if now."""
        address = client_key(address)
        return max(
            self.by_name_and_address.retry_after((name.lower(), address)),
            self.by_address.retry_after(address),
        )

    def reserve(self, address: str, name: str) -> Attempt | None:
        """Count a login attempt now, before its password is checked; None (and nothing
        counted) if a limit is reached. Checking and counting are one step: call it on the
        event loop, with no ``await`` between the call and its use."""
        if self.retry_after(address, name):
            return None
        now = self.clock()
        address = client_key(address)
        self.by_name_and_address.hit((name.lower(), address), now)
        self.by_address.hit(address, now)
        return Attempt(address, name.lower(), now)

    def cancel(self, attempt: Attempt) -> None:
        """Take an attempt back: it succeeded, or its password was never checked."""
        self.by_name_and_address.forget((attempt.name, attempt.address), attempt.when)
        self.by_address.forget(attempt.address, attempt.when)


class HashingQueue:
    """Password checks on ``workers`` threads, with at most ``max_pending`` logins admitted at
    once (running or waiting for a thread).

    A login is admitted (``admit``) before anything is awaited for it, and released when its
    check is over (``release``); ``admit`` says False when the queue is full, and the login is
    refused at once instead of waiting behind everyone else's.
    """

    def __init__(self, workers: int, max_pending: int) -> None:
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="scrypt")
        self.max_pending = max_pending
        self.pending = 0

    def admit(self) -> bool:
        if self.pending >= self.max_pending:
            return False
        self.pending += 1
        return True

    def release(self) -> None:
        self.pending -= 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a hashing thread and await its result."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def shutdown(self) -> None:
        """Finish the checks that are running; drop those that have not started."""
        self.executor.shutdown(wait=True, cancel_futures=True)
