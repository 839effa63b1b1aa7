"""Messages in a Redis stream, shared by every chat process that uses the same Redis.

* ``add`` is an ``XADD`` with an exact ``MAXLEN`` cap; the stream entry id is the message's
  cursor.
* Each process runs ONE background task that reads the stream with ``XREAD BLOCK`` from the
  last id it has seen, keeps the newest ``cache_size`` entries in memory and wakes this
  process's waiting polls. Browsers never get a Redis connection of their own.
* When Redis is unreachable the process keeps serving (pages, polls from the local copy) and
  logs one clear error; ``add`` raises :class:`BufferUnavailable` (a 503). The reader retries
  with a capped backoff and reloads the stream when Redis is back.
* When Redis comes back without its data (it ran without persistence), cursors handed out
  before are no ids of the stream any more: their clients are told ``missed: true``, as the
  memory backend tells a client whose cursor comes from an earlier server process.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import urllib.parse

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

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
        self._ids: collections.deque = collections.deque(maxlen=cache_size)  # cache's ids, parsed
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
        # Commands and the blocking reader use separate connections, named after the stream
        # so that CLIENT LIST shows whose they are. The client library's own retries are off:
        # a retried XADD could store a message twice, and the reader must notice a lost
        # connection (it reloads the stream then, which is how it sees Redis lost its data).
        self.client = redis.asyncio.Redis.from_url(
            self.url,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=5,
            client_name=f"{self.stream}/commands",
            retry=Retry(NoBackoff(), 0),
        )
        self.reader = redis.asyncio.Redis.from_url(
            self.url,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=self.block_ms / 1000 + 5,
            client_name=f"{self.stream}/reader",
            retry=Retry(NoBackoff(), 0),
        )
        self._first_attempt = asyncio.Event()
        self._reader_task = asyncio.ensure_future(self._read_forever())
        try:
            await asyncio.wait_for(self._first_attempt.wait(), STARTUP_WAIT_S)
        except asyncio.TimeoutError:
            pass

    async def close(self) -> None:
        if self._closed:
            return
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

    def wake_all(self) -> None:
        self._waiters.notify_all()

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
        await self._caught_up(_id(entry_id), 2.0)
        return dict(message, cursor=entry_id)

    def since(self, cursor: str | None) -> Updates:
        if cursor is None:
            return Updates(list(self.cache), self.last_id)
        seen = _id(cursor)
        if seen >= _id(self.last_id):
            if seen[0] > time.time() * 1000 + FUTURE_TOLERANCE_MS:
                # Not from this stream: far ahead of any id Redis could have given out.
                return self._missed()
            # Current, or ahead: another process's newest entry that our reader has not
            # seen yet, or a cursor from a stream Redis lost. updates() asks Redis which.
            return Updates([], max(cursor, self.last_id, key=_id))
        # Behind: the messages after it, if it names an entry this process still has.
        newer: list[Message] = []
        for message, entry in zip(reversed(self.cache), reversed(self._ids)):
            if entry == seen:
                newer.reverse()
                return Updates(newer, self.last_id)
            if entry < seen:
                return self._missed()  # between two entries: not an id of this stream
            newer.append(message)
        # Older than everything cached: trimmed away, or from a stream Redis lost. Only a
        # client that saw the stream empty ("0-0") and nothing trimmed since has all of it.
        if seen == (0, 0) and self.trimmed_up_to == (0, 0):
            return Updates(list(self.cache), self.last_id)
        return self._missed()

    async def updates(self, cursor: str | None) -> Updates:
        local = self.since(cursor)
        if cursor is None or local.missed or _id(cursor) <= _id(self.last_id):
            return local
        seen = _id(cursor)
        try:
            newest = await self._newest_in_redis()
        except redis.exceptions.RedisError:
            return local  # cannot tell now: treat it as current, the next poll asks again
        if newest < seen:
            return self._missed()  # Redis never gave out this id: it lost the stream
        await self._caught_up(seen, 2.0)  # another process's entry: our reader gets it soon
        return self.since(cursor)

    def wait(self, cursor: str, timeout: float) -> asyncio.Future:
        updates = self.since(cursor)
        if self._closed or updates.messages or updates.missed:
            future = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return self._waiters.wait(timeout)

    def _missed(self) -> Updates:
        return Updates(list(self.cache), self.last_id, missed=True)

    async def _newest_in_redis(self) -> tuple[int, int]:
        """The newest id the stream has ever given out, as Redis says now."""
        if self.client is None:
            raise redis.exceptions.ConnectionError("not started")
        try:
            info = await self.client.xinfo_stream(self.stream)
        except redis.exceptions.ResponseError:  # no such key: nothing posted since it was lost
            return (0, 0)
        return _id(info.get("last-generated-id") or "0-0")

    async def _caught_up(self, entry: tuple[int, int], timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until the reader has seen ``entry``."""
        deadline = time.monotonic() + timeout
        while _id(self.last_id) < entry and not self._closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._progress.wait(remaining)

    # --- the reader ------------------------------------------------------------------------

    def _remember(self, entry_id: str, fields: dict) -> None:
        if len(self.cache) == self.cache.maxlen:
            self.trimmed_up_to = max(self.trimmed_up_to, self._ids[0])
        self.cache.append(
            {
                "id": fields.get("id", ""),
                "body": fields.get("body", ""),
                "html": fields.get("html", ""),
                "cursor": entry_id,
            }
        )
        self._ids.append(_id(entry_id))
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
        self._ids.clear()
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
            self.last_id = info.get("last-generated-id") or "0-0"
        if _id(self.last_id) < _id(previous):
            log.warning(
                "Redis at %s: stream %r ends at %s, before %s that this process had seen: "
                "Redis lost its data; clients with older cursors are told they missed messages",
                redacted(self.url),
                self.stream,
                self.last_id,
                previous,
            )
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
                    log.info(
                        "Redis at %s: connected, stream %r, %d messages",
                        redacted(self.url),
                        self.stream,
                        len(self.cache),
                    )
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
                        redacted(self.url),
                        exc,
                        self.max_retry_s,
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
