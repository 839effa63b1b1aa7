"""Throttling failed logins, in memory.

``LoginThrottle`` counts failed logins per client address and per user name. Once either has
too many failures within its window, further attempts are answered 429 (without computing a
password hash) until the oldest failure leaves the window. A successful login counts nothing.

The counts live in this process only: they start from zero on a restart, and each process of a
multi-process deployment counts its own.
"""

from __future__ import annotations

import collections
import time
from typing import Callable


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (a sliding window).

    Keys without an event in the last window are forgotten; at most ``max_keys`` keys are kept
    (the oldest are dropped first), so a flood of new keys cannot exhaust memory.
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
        self._events: dict[str, collections.deque[float]] = {}

    def _recent(self, key: str, now: float) -> collections.deque[float]:
        events = self._events.get(key, collections.deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again: 0 if it may now."""
        now = self.clock()
        events = self._recent(key, now)
        if len(events) < self.limit:
            return 0.0
        return events[-self.limit] + self.window - now

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        now = self.clock()
        events = self._recent(key, now)
        events.append(now)
        self._events.pop(key, None)
        self._events[key] = events  # most recently used last
        if len(self._events) > self.max_keys:
            for old in [k for k, v in self._events.items() if not self._recent(k, now)]:
                del self._events[old]
            while len(self._events) > self.max_keys:
                del self._events[next(iter(self._events))]


class LoginThrottle:
    """Failed logins, limited per client address and per (case-insensitive) user name.

    ``per_address`` and ``per_name`` are ``(failures, seconds)``: the defaults allow 10 failures
    per address in 5 minutes and 20 per user name in 15 minutes.
    """

    def __init__(
        self,
        per_address: tuple[int, float] = (10, 300),
        per_name: tuple[int, float] = (20, 900),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.by_address = RateLimiter(*per_address, clock=clock)
        self.by_name = RateLimiter(*per_name, clock=clock)

    def retry_after(self, address: str, name: str) -> float:
        """Seconds until a login from ``address`` for ``name`` may be tried: 0 if now."""
        wait = self.by_address.retry_after(address)
        if name:
            wait = max(wait, self.by_name.retry_after(name.lower()))
        return wait

    def failed(self, address: str, name: str) -> None:
        """Count a failed login."""
        self.by_address.hit(address)
        if name:
            self.by_name.hit(name.lower())
