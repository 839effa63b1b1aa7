"""Where chat messages live: the storage interface and its in-memory implementation.

Every backend implements the same small interface (:class:`MessageBuffer`), so the
request handlers never know where messages are kept.

Cursors are opaque strings of the form ``"<epoch>-<sequence>"``. They name the last message a
client has seen; the sequence grows by one per message, so the buffer can tell a client that
its cursor fell out of the cache (or comes from an earlier life of the server) instead of
silently skipping messages.

Every message carries an ``id`` that the sender made (chat.js makes a random one per message,
and keeps it when it sends again). A buffer stores each id once: sending the same message
again, after an answer that was lost or said the outcome is unknown, gives back the message
stored the first time instead of a second copy.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import tornado.escape
import tornado.template

Message = dict[str, Any]
"""One message: ``id`` (the sender's, also the element id), ``name`` (the sender's chosen
name), ``body``, ``time`` (milliseconds since the epoch, when the server got it), ``cursor``
and ``html`` (rendered by :func:`render_html` from the other fields, never stored)."""

CURSOR_RE = re.compile(r"\A(\d{1,20})-(\d{1,20})\Z")
# A message id is made by the sender (chat.js: 32 random hex digits, 128 bits) and becomes the
# element id "m<id>" on every page. Ids are global, not per client: a resend is recognised by
# its id alone, which is safe only because nobody can guess another sender's random id, so
# nothing shorter, or of another shape, is accepted.
MESSAGE_ID_RE = re.compile(r"\A[0-9a-f]{32}\Z")
DEDUP_SIZE = 10_000  # how many recent message ids a buffer remembers, to store each one once

_templates = tornado.template.Loader(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
)


def render_html(message: Message) -> str:
    """One message as HTML (templates/message.html): the name and the body escaped, the body
    then linkified. Called once per message when it enters a buffer, also for messages read
    back from storage: whatever a store holds, only escaped text reaches the page."""
    return tornado.escape.to_unicode(_templates.load("message.html").generate(message=message))


def parse_cursor(cursor: str) -> tuple[int, int] | None:
    """Return ``(epoch, sequence)`` as ints, or None when ``cursor`` is malformed."""
    match = CURSOR_RE.match(cursor)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


class BufferUnavailable(Exception):
    """The store cannot take messages right now (for example its server is down): the
    message was not stored."""


class OutcomeUnknown(Exception):
    """The store did not say whether it took the message (for example its server stalled
    past the timeout): it may be stored. Sending it again with the same id is safe."""


@dataclass
class Updates:
    """The answer to "what is new after this cursor?"."""

    messages: list[Message] = field(default_factory=list)
    cursor: str = ""
    """The cursor to send next time (names the newest message the answer covers)."""
    missed: bool = False
    """True when the client's cursor fell out of the cache or is unknown: it gets the whole
    cache but may have missed older messages."""


class MessageBuffer(Protocol):
    """What the handlers need from a message store."""

    cache_size: int

    async def start(self) -> None:
        """Connect to whatever the buffer needs; called once before serving."""

    async def close(self) -> None:
        """Wake every waiter and release resources; called once at shutdown."""

    async def add(self, message: Message) -> Message:
        """Store ``message`` (``id``, ``name``, ``body``, ``time``) and wake the waiters;
        returns it with its ``cursor`` and ``html`` set. A message whose ``id`` is stored
        already is not stored again: the one stored first is returned.

        Raises :class:`BufferUnavailable` when the message was not stored, and
        :class:`OutcomeUnknown` when the store did not say."""

    async def check_health(self) -> str | None:
        """None when the buffer can take messages, else the reason why not (for /healthz)."""

    def since(self, cursor: str | None) -> Updates:
        """Messages after ``cursor`` (None: the whole cache), from this process's copy.
        Never blocks."""

    async def updates(self, cursor: str | None) -> Updates:
        """What a poll is answered: :meth:`since`, after making sure a cursor this process
        cannot place yet is judged right (Redis: a cursor ahead of this process's copy is
        either another process's newest message or from a stream Redis lost)."""

    def is_valid_cursor(self, cursor: str) -> bool:
        """Whether ``cursor`` is well formed for this backend."""

    def wait(self, cursor: str, timeout: float) -> asyncio.Future:
        """A future that resolves when there is news after ``cursor``, or after ``timeout``
        seconds, whichever comes first. Cancelling it removes the waiter at once."""

    def wake_all(self) -> None:
        """Answer every waiting poll now (at shutdown, before requests in flight finish)."""

    @property
    def waiter_count(self) -> int:
        """How many polls are waiting right now."""


class WaiterSet:
    """Futures of waiting polls.

    A future leaves the set as soon as it is done: resolved by :meth:`notify_all`, by its
    timeout, or cancelled because the client went away. So a departed client leaves nothing
    behind (unlike a bare ``tornado.locks.Condition``, which keeps cancelled waiters until
    the next notify). No task is created per wait: one future and one timer.
    """

    def __init__(self) -> None:
        self._futures: set[asyncio.Future] = set()

    def __len__(self) -> int:
        return len(self._futures)

    def wait(self, timeout: float) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._futures.add(future)
        timer = loop.call_later(timeout, _resolve, future)

        def forget(done: asyncio.Future) -> None:
            timer.cancel()
            self._futures.discard(done)

        future.add_done_callback(forget)
        return future

    def notify_all(self) -> None:
        for future in list(self._futures):
            _resolve(future)


def _done() -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class MemoryMessageBuffer:
    """Keeps the newest ``cache_size`` messages in this process's memory."""

    _last_epoch = 0

    def __init__(self, cache_size: int = 200) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.cache_size = cache_size
        # The epoch tells cursors of this buffer from those of an earlier server process.
        epoch = max(int(time.time() * 1000), MemoryMessageBuffer._last_epoch + 1)
        MemoryMessageBuffer._last_epoch = epoch
        self.epoch = epoch
        self.sequence = 0
        self.cache: collections.deque = collections.deque(maxlen=cache_size)
        # id -> cursor of the newest DEDUP_SIZE messages (ids only: small, unlike messages).
        self._sent: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._waiters = WaiterSet()
        self._closed = False

    async def start(self) -> None:
        pass

    async def check_health(self) -> str | None:
        return None

    async def close(self) -> None:
        self._closed = True
        self._waiters.notify_all()

    def wake_all(self) -> None:
        self._waiters.notify_all()

    @property
    def cursor(self) -> str:
        return f"{self.epoch}-{self.sequence}"

    @property
    def waiter_count(self) -> int:
        return len(self._waiters)

    def is_valid_cursor(self, cursor: str) -> bool:
        return parse_cursor(cursor) is not None

    async def add(self, message: Message) -> Message:
        cursor = self._sent.get(message["id"])
        if cursor is not None:  # stored before: that message, not a second one
            for cached in reversed(self.cache):
                if cached["cursor"] == cursor:
                    return cached
            stored = dict(message, cursor=cursor)  # out of the cache by now
            stored["html"] = render_html(stored)
            return stored
        self.sequence += 1
        message = dict(message, cursor=self.cursor)
        message["html"] = render_html(message)
        self.cache.append(message)
        self._sent[message["id"]] = message["cursor"]
        if len(self._sent) > max(DEDUP_SIZE, self.cache_size):
            self._sent.popitem(last=False)
        self._waiters.notify_all()
        return message

    def since(self, cursor: str | None) -> Updates:
        if cursor is None:
            return Updates(list(self.cache), self.cursor)
        parsed = parse_cursor(cursor)
        if parsed is None:
            raise ValueError(f"malformed cursor {cursor!r}")
        epoch, seen = parsed
        if epoch != self.epoch or seen > self.sequence:
            # Unknown: from another server process, or from the future.
            return Updates(list(self.cache), self.cursor, missed=True)
        first = self.sequence - len(self.cache) + 1  # sequence of the oldest cached message
        if seen < first - 1:
            return Updates(list(self.cache), self.cursor, missed=True)
        start = seen - first + 1
        return Updates(list(itertools.islice(self.cache, start, None)), self.cursor)

    async def updates(self, cursor: str | None) -> Updates:
        return self.since(cursor)  # this process holds every message: nothing to check

    def wait(self, cursor: str, timeout: float) -> asyncio.Future:
        updates = self.since(cursor)
        if self._closed or updates.messages or updates.missed:
            return _done()
        return self._waiters.wait(timeout)
