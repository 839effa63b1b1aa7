"""Messages in a Redis stream, shared by every chat process that uses the same Redis.

* ``add`` is an ``XADD`` with an exact ``MAXLEN`` cap; the stream entry id is the message's
  cursor.
* Each process runs ONE background task that reads the stream with ``XREAD BLOCK`` from the
  last id it has seen, keeps the newest ``cache_size`` entries in memory and wakes this
  process's waiting polls. Browsers never get a Redis connection of their own.
* When Redis is unreachable the process keeps serving (pages, polls from the local copy) and
  logs one clear error; ``add`` raises :class:`BufferUnavailable` (a 503). The reader retries
  with a capped backoff and reloads the stream when Redis is back.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import urllib.parse

import redis.asyncio
import redis.exceptions

from message_buffer import BufferUnavailable, Message, Updates, WaiterSet, parse_cursor

log = logging.getLogger("chat.redis")

CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
FUTURE_TOLERANCE_MS = 60_000  # a cursor this far ahead of our clock is unknown, not "soon"
STARTUP_WAIT_S = 3.0  # start() waits this long for the first load before serving anyway


def redacted(url: str) -> str:
    """``url`` without its password, for log lines."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _id(cursor: str) -> tuple[int, int]:
    parsed = parse_cursor(cursor)
    if parsed is None:
        raise ValueError(f"malformed cursor {cursor!r}")
    return parsed


class RedisMessageBuffer:
    """A :class:`message_buffer.MessageBuffer` on a Redis stream."""

    def __init__(
        self,
        url: str,
        cache_size: int = 200,
        stream: str = "chat:messages",
        block_ms: int = 5000,
        max_retry_s: float = 10.0,
    ) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.url = url
        self.cache_size = cache_size
        self.stream = stream
        self.block_ms = block_ms
        self.max_retry_s = max_retry_s
        # Made in start(), inside the event loop (Python 3.9's asyncio objects bind to it).
        self.client: redis.asyncio.Redis | None = None  # commands: XADD, XRANGE, XINFO
        self.reader: redis.asyncio.Redis | None = None  # the one blocking XREAD per process
        self.cache: collections.deque = collections.deque(maxlen=cache_size)
        self.last_id = "0-0"  # newest entry this process has seen
        # Every entry with an id up to this one is gone from the stream (trimmed).
        self.trimmed_up_to = (0, 0)
        self.connected = False
        self._waiters = WaiterSet()  # polls from browsers
        self._progress = WaiterSet()  # add() waiting for the reader to see its entry
        self._reader_task: asyncio.Task | None = None
        self._first_attempt: asyncio.Event | None = None  # made in start(): needs the loop
        self._closed = False

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        # Commands and the blocking reader use separate connections.
        self.client = redis.asyncio.Redis.from_url(
            self.url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
        )
        self.reader = redis.asyncio.Redis.from_url(
            self.url, decode_responses=True, socket_connect_timeout=2,
            socket_timeout=self.block_ms / 1000 + 5,
        )
        self._first_attempt = asyncio.Event()
        self._reader_task = asyncio.ensure_future(self._read_forever())
        try:
            await asyncio.wait_for(self._first_attempt.wait(), STARTUP_WAIT_S)
        except asyncio.TimeoutError:
            pass

    async def close(self) -> None:
        self._closed = True
        if self._reader_task is not None:
            self._reader_task.cancel()
            try:
                await self._reader_task
            except asyncio.CancelledError:
                pass
        self._waiters.notify_all()
        self._progress.notify_all()
        for client in (self.client, self.reader):
            if client is not None:
                await client.aclose()

    # --- the interface ---------------------------------------------------------------------

    @property
    def waiter_count(self) -> int:
        return len(self._waiters)

    def is_valid_cursor(self, cursor: str) -> bool:
        return parse_cursor(cursor) is not None

    async def add(self, message: Message) -> Message:
        fields = {"id": message["id"], "body": message["body"], "html": message["html"]}
        if self.client is None:
            raise BufferUnavailable("not started")
        try:
            entry_id = await self.client.xadd(
                self.stream, fields, maxlen=self.cache_size, approximate=False
            )
        except CONNECTION_ERRORS as exc:
            raise BufferUnavailable(f"Redis at {redacted(self.url)}: {exc}") from exc
        # Read your own writes: wait (briefly) until the reader has the entry, so a page
        # rendered right after this (the no-script form's redirect) shows the message.
        deadline = time.monotonic() + 2
        while _id(self.last_id) < _id(entry_id) and not self._closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._progress.wait(remaining)
        return dict(message, cursor=entry_id)

    def since(self, cursor: str | None) -> Updates:
        if cursor is None:
            return Updates(list(self.cache), self.last_id)
        seen = _id(cursor)
        last = _id(self.last_id)
        if seen >= last:
            if seen[0] > time.time() * 1000 + FUTURE_TOLERANCE_MS:
                # Not from this stream: far ahead of any id Redis could have given out.
                return Updates(list(self.cache), self.last_id, missed=True)
            # Current, or written by another process a moment before our reader saw it.
            return Updates([], max(cursor, self.last_id, key=_id))
        if seen < self.trimmed_up_to:
            return Updates(list(self.cache), self.last_id, missed=True)
        newer = [m for m in self.cache if _id(m["cursor"]) > seen]
        return Updates(newer, self.last_id)

    def wait(self, cursor: str, timeout: float) -> asyncio.Future:
        updates = self.since(cursor)
        if self._closed or updates.messages or updates.missed:
            future = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return self._waiters.wait(timeout)

    # --- the reader ------------------------------------------------------------------------

    def _remember(self, entry_id: str, fields: dict) -> None:
        if len(self.cache) == self.cache.maxlen:
            self.trimmed_up_to = max(self.trimmed_up_to, _id(self.cache[0]["cursor"]))
        self.cache.append(
            {"id": fields.get("id", ""), "body": fields.get("body", ""),
             "html": fields.get("html", ""), "cursor": entry_id}
        )
        self.last_id = entry_id

    async def _load(self) -> None:
        """(Re)load the newest entries; runs at start and after every reconnect."""
        assert self.client is not None
        try:
            info = await self.client.xinfo_stream(self.stream)
        except redis.exceptions.ResponseError:  # no such key: nothing posted yet
            info = {}
        entries = await self.client.xrevrange(self.stream, count=self.cache_size)
        entries.reverse()
        self.cache.clear()
        self.trimmed_up_to = (0, 0)
        deleted = info.get("max-deleted-entry-id")  # Redis >= 7
        if deleted:
            self.trimmed_up_to = _id(deleted)
        elif entries and info.get("length", 0) >= self.cache_size:
            first = _id(entries[0][0])  # older Redis: assume what came before is gone
            self.trimmed_up_to = (first[0], first[1] - 1) if first[1] else (first[0] - 1, 0)
        previous = self.last_id
        for entry_id, fields in entries:
            self._remember(entry_id, fields)
        if not entries:
            self.last_id = info.get("last-generated-id") or previous
        if self.last_id != previous:
            self._waiters.notify_all()
            self._progress.notify_all()

    def _tried(self) -> None:
        if self._first_attempt is not None:
            self._first_attempt.set()

    def _has_tried(self) -> bool:
        return self._first_attempt is not None and self._first_attempt.is_set()

    async def _read_forever(self) -> None:
        assert self.client is not None and self.reader is not None, "call start() first"
        delay = 0.5
        while not self._closed:
            try:
                await self._load()
                if not self.connected:
                    log.info("Redis at %s: connected, stream %r, %d messages",
                             redacted(self.url), self.stream, len(self.cache))
                self.connected = True
                self._tried()
                delay = 0.5
                while not self._closed:
                    reply = await self.reader.xread(
                        {self.stream: self.last_id}, block=self.block_ms, count=1000
                    )
                    if reply:
                        for _stream, entries in reply:
                            for entry_id, fields in entries:
                                self._remember(entry_id, fields)
                        self._waiters.notify_all()
                        self._progress.notify_all()
            except CONNECTION_ERRORS as exc:
                if self.connected or not self._has_tried():
                    log.error(
                        "cannot reach Redis at %s (%s). Still serving: new messages get 503 "
                        "until Redis is back; retrying every %.0f s at most.",
                        redacted(self.url), exc, self.max_retry_s,
                    )
                self.connected = False
                self._tried()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_s)
            except redis.exceptions.RedisError as exc:
                log.error("Redis at %s: %s; retrying", redacted(self.url), exc)
                self.connected = False
                self._tried()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_s)
