"""Messages in a Redis stream, shared by every chat process that uses the same Redis.

* ``add`` runs a small Lua script: unless the message's id was stored already (sending again
  after a lost answer), an ``XADD`` with an exact ``MAXLEN`` cap. The cap is the same for
  every process (:data:`STREAM_LENGTH`), whatever each one keeps in memory (``cache_size``).
  The stream entry id is the message's cursor. Entries hold the sender's id and name, the
  body and the time; the HTML is rendered from them when they are read back.
* Each process runs ONE background task that reads the stream with ``XREAD BLOCK`` from the
  last id it has seen, keeps the newest ``cache_size`` entries in memory and wakes this
  process's waiting polls. Browsers never get a Redis connection of their own.
* When Redis is unreachable the process keeps serving (pages, polls from the local copy) and
  logs one clear error; ``add`` raises :class:`BufferUnavailable` (a 503), or
  :class:`OutcomeUnknown` when Redis went silent after the command was sent (it may have
  stored the message). The reader retries with a capped backoff and reloads the stream when
  Redis is back; it survives any other error the same way.
* A reader that falls behind by more than the stream holds (entries trimmed before it read
  them) notices the gap: clients whose cursor is before it are told ``missed: true``.
* When Redis comes back without its data (it ran without persistence), cursors handed out
  before are no ids of the stream any more: their clients are told ``missed: true``, as the
  memory backend tells a client whose cursor comes from an earlier server process.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import re
import time
import urllib.parse

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from message_buffer import (
    MESSAGE_ID_RE,
    BufferUnavailable,
    Message,
    OutcomeUnknown,
    Updates,
    WaiterSet,
    parse_cursor,
    render_html,
)

log = logging.getLogger("chat.redis")

CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
FUTURE_TOLERANCE_MS = 60_000  # a cursor this far ahead of our clock is unknown, not "soon"
STARTUP_WAIT_S = 3.0  # start() waits this long for the first load before serving anyway
STREAM_LENGTH = 1000  # the stream's cap, the same for every process: see add()
SENT_TTL_S = 3600  # how long Redis remembers a message id, so a resend is not stored twice
HEALTH_TIMEOUT_S = 1.0
# The latest time a message may carry (9999-12-31, in ms): a later one, or one before 1970,
# comes from another program and is replaced by the entry id's time (dates past this cannot be
# rendered: datetime raises for them).
MAX_TIME_MS = 253_402_300_799_999
# What is shown of a name or a body that another program wrote (the chat's own are far shorter:
# 40 characters, 64 KiB); ids of another shape than the chat's are replaced by the entry's.
MAX_NAME_SHOWN = 40
MAX_BODY_SHOWN = 64 * 1024
# Ids that earlier chat versions accepted: shown as they are (they are safe in an element id).
OLD_ID_RE = re.compile(r"\A[0-9A-Za-z_-]{16,64}\Z")

# Store a message once per id: KEYS[1] is the stream, KEYS[2] the message id's key; ARGV is
# the stream's cap, the id key's lifetime, then the entry's fields and values. Returns
# {1, entry id} when it added the entry, {0, entry id} when the id was stored already. One
# script, so that two processes given the same message at once still store it once.
ADD_ONCE = """
local stored = redis.call('GET', KEYS[2])
if stored then
  return {0, stored}
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], id, 'EX', ARGV[2])
return {1, id}
"""


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
        stream_length: int = STREAM_LENGTH,
        command_timeout_s: float = 5.0,
    ) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.url = url
        # A process cannot keep more than the stream holds.
        self.cache_size = min(cache_size, stream_length)
        self.stream_length = stream_length
        self.command_timeout_s = command_timeout_s
        self.stream = stream
        self.block_ms = block_ms
        self.max_retry_s = max_retry_s
        # Made in start(), inside the event loop.
        self.client: redis.asyncio.Redis | None = None  # commands: XADD, XRANGE, XINFO
        self.reader: redis.asyncio.Redis | None = None  # the one blocking XREAD per process
        self.cache: collections.deque = collections.deque(maxlen=self.cache_size)
        self._ids: collections.deque = collections.deque(maxlen=self.cache_size)  # parsed ids
        self.last_id = "0-0"  # newest entry this process has seen
        # Every entry with an id up to this one is gone from the stream (trimmed).
        self.trimmed_up_to = (0, 0)
        self.connected = False
        # Set while the reader fails for another reason than Redis being out of reach (a bug):
        # /healthz says so, rather than "ok" while no message is delivered.
        self.reader_failing = False
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
        # Entries another program wrote with bytes that are not UTF-8 are read with U+FFFD
        # in their place rather than failing the whole read.
        self.client = redis.asyncio.Redis.from_url(
            self.url,
            decode_responses=True,
            encoding_errors="replace",
            socket_connect_timeout=2,
            socket_timeout=self.command_timeout_s,
            client_name=f"{self.stream}/commands",
            retry=Retry(NoBackoff(), 0),
        )
        self._add_once = self.client.register_script(ADD_ONCE)
        self.reader = redis.asyncio.Redis.from_url(
            self.url,
            decode_responses=True,
            encoding_errors="replace",
            socket_connect_timeout=2,
            socket_timeout=self.block_ms / 1000 + 5,
            client_name=f"{self.stream}/reader",
            retry=Retry(NoBackoff(), 0),
        )
        self._first_attempt = asyncio.Event()
        self._reader_task = asyncio.create_task(self._read_forever())
        try:
            await asyncio.wait_for(self._first_attempt.wait(), STARTUP_WAIT_S)
        except TimeoutError:
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

    async def check_health(self) -> str | None:
        # The answer is public (/healthz): no host, port or database in it; the log has them.
        if self.client is None:
            return "not started"
        try:
            await asyncio.wait_for(self.client.ping(), HEALTH_TIMEOUT_S)
        except (TimeoutError, redis.exceptions.TimeoutError):
            log.warning("health check: Redis at %s did not answer PING", redacted(self.url))
            return f"Redis did not answer PING within {HEALTH_TIMEOUT_S} s"
        except (*CONNECTION_ERRORS, redis.exceptions.RedisError) as exc:
            log.warning("health check: Redis at %s: %s", redacted(self.url), exc)
            return "Redis is unreachable"
        if not self.connected or self.reader_failing:
            # Redis answers PING, but this process does not read the stream (it is
            # reconnecting, or its reader fails): it would deliver no message.
            return "messages cannot be read from Redis"
        return None

    async def add(self, message: Message) -> Message:
        if self.client is None:
            raise BufferUnavailable("not started")
        if not self.connected:  # the reader cannot reach Redis: do not even try
            raise BufferUnavailable(f"Redis at {redacted(self.url)} is unreachable")
        fields = {
            "id": message["id"],
            "name": message["name"],
            "body": message["body"],
            "time": str(message["time"]),
        }
        args = [self.stream_length, SENT_TTL_S, *itertools.chain.from_iterable(fields.items())]
        try:
            added, entry_id = await self._add_once(
                keys=[self.stream, f"{self.stream}:sent:{message['id']}"], args=args
            )
        except CONNECTION_ERRORS as exc:
            # The script may have run before the connection failed or the answer timed out.
            raise OutcomeUnknown(f"Redis at {redacted(self.url)}: {exc}") from exc
        except redis.exceptions.RedisError as exc:  # Redis refused it (out of memory, ...)
            raise BufferUnavailable(f"Redis at {redacted(self.url)}: {exc}") from exc
        # Read your own writes: wait (briefly) until the reader has the entry, so a page
        # rendered right after this (the no-script form's redirect) shows the message.
        await self._caught_up(_id(entry_id), 2.0)
        if not added:
            for cached in reversed(self.cache):
                if cached["cursor"] == entry_id:
                    return cached
        stored = dict(message, cursor=entry_id)
        stored["html"] = render_html(stored)
        return stored

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
        for message, entry in zip(reversed(self.cache), reversed(self._ids), strict=True):
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
        entry = _id(entry_id)
        self.cache.append(self._message(entry_id, entry, fields))
        self._ids.append(entry)
        self.last_id = entry_id

    def _message(self, entry_id: str, entry: tuple[int, int], fields: dict) -> Message:
        """The message an entry holds. Another program may have written anything into the
        stream (no time, a time no date can show, an id of another shape, a name of a
        megabyte): what cannot be used is repaired, never fatal. One bad entry must not stop
        the reader, which would stop the chat for every process."""
        try:
            sent = int(fields.get("time", ""))
        except ValueError:  # no time (written by chat version 4, say), or not a number
            sent = entry[0]  # the entry id's milliseconds
        if not 0 <= sent <= MAX_TIME_MS:  # another program's: datetime cannot show it
            sent = min(entry[0], MAX_TIME_MS)
        message_id = fields.get("id", "")
        if not (MESSAGE_ID_RE.match(message_id) or OLD_ID_RE.match(message_id)):
            message_id = f"e{entry[0]}-{entry[1]}"
        message = {
            "id": message_id,
            "name": " ".join(fields.get("name", "").split())[:MAX_NAME_SHOWN],
            "body": fields.get("body", "")[:MAX_BODY_SHOWN],
            "time": sent,
            "cursor": entry_id,
        }
        # Rendered here from the fields, never taken from the stream: whatever another
        # program wrote into it, the page only gets escaped text.
        try:
            message["html"] = render_html(message)
        except Exception:
            log.exception("entry %s of stream %r cannot be shown", entry_id, self.stream)
            message.update(name="", body="(this message cannot be shown)", time=entry[0])
            message["html"] = render_html(message)
        return message

    async def _check_gap(self, first_new: str) -> None:
        """Called with the first entry of each read. Trimming removes the oldest entries
        first, so if the last entry this process had is still in the stream, nothing after
        it was trimmed unseen. If it is gone, entries between it and ``first_new`` may have
        been trimmed before the reader saw them (it fell behind by more than the stream
        holds): what is cached before the gap is dropped, so that clients whose cursor is
        before it are told they missed messages (at worst when none was lost: never a
        silent skip)."""
        assert self.client is not None
        if self.last_id == "0-0":  # the stream was empty: was anything trimmed since?
            info = await self.client.xinfo_stream(self.stream)
            gap = info.get("entries-added", 0) > info.get("length", 0)  # Redis >= 7
        else:
            gap = not await self.client.xrange(self.stream, self.last_id, self.last_id)
        if gap:
            log.warning(
                "Redis at %s: entries of stream %r after %s were trimmed before this process "
                "read them; clients with older cursors are told they missed messages",
                redacted(self.url),
                self.stream,
                self.last_id,
            )
            self.cache.clear()
            self._ids.clear()
            first = _id(first_new)
            before = (first[0], first[1] - 1) if first[1] else (first[0] - 1, 2**64 - 1)
            self.trimmed_up_to = max(self.trimmed_up_to, before)

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
        if entries and info.get("length", 0) > len(entries):
            # The stream holds more than this process keeps: what comes before is not here.
            first = _id(entries[0][0])
            before = (first[0], first[1] - 1) if first[1] else (first[0] - 1, 2**64 - 1)
            self.trimmed_up_to = max(self.trimmed_up_to, before)
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
                self.reader_failing = False
                self._tried()
                delay = 0.5
                while not self._closed:
                    reply = await self.reader.xread(
                        {self.stream: self.last_id}, block=self.block_ms, count=1000
                    )
                    if reply:
                        for _stream, entries in reply:
                            await self._check_gap(entries[0][0])
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
            except Exception:
                # A bug, or an entry this code cannot handle: log it and start over (reload
                # the stream) after a pause rather than stop delivering messages for good.
                log.exception("the Redis reader failed; restarting it in %.1f s", delay)
                self.reader_failing = True
                self._tried()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_s)
