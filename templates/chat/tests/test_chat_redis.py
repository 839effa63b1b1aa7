"""The same behaviour tests on the Redis backend, plus what only Redis can do.

These need a real Redis server: REDIS_URL (default redis://127.0.0.1:6379/15). They fail, and
do not skip, when none is reachable. Each test uses its own stream key and deletes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from unittest import mock

import redis
import tornado.testing
from tornado.testing import gen_test

import app as chat_app
from redis_buffer import RedisMessageBuffer
from tests.chat_behaviour import ChatBehaviour, ChatTestCase

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        raise AssertionError(
            f"no Redis at {REDIS_URL} ({exc}). These tests need one: start it with "
            "`redis-server --port 6379 --save '' --appendonly no` or set REDIS_URL."
        ) from exc


def drop(stream: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(stream, *client.keys(f"{stream}:sent:*"))


def message(message_id: str, body: str, name: str = "") -> dict:
    """A message as MessageNewHandler passes it to the buffer."""
    return {"id": message_id, "name": name, "body": body, "time": int(time.time() * 1000)}


class TestRedisChat(ChatBehaviour, tornado.testing.AsyncHTTPTestCase):
    def make_buffer(self) -> RedisMessageBuffer:
        require_redis()
        self.stream = f"test-chat:{uuid.uuid4().hex}"
        self.addCleanup(drop, self.stream)
        return RedisMessageBuffer(
            REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream, block_ms=1000
        )

    def setUp(self) -> None:
        super().setUp()
        assert self.buffer.connected, f"the buffer could not connect to {REDIS_URL}"

    @gen_test(timeout=20)
    async def test_a_message_from_another_process_wakes_local_polls(self) -> None:
        # A second buffer on the same stream stands in for another server process.
        other = RedisMessageBuffer(REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream)
        await other.start()
        try:
            cursor = self.cursor()
            polling = asyncio.create_task(self.poll(cursor))
            await self.until(lambda: self.buffer.waiter_count == 1)
            sent = await other.add(message("x1", "from elsewhere"))
            data = json.loads((await asyncio.wait_for(polling, 5)).body)
            assert self.bodies(data["messages"]) == ["from elsewhere"]
            assert data["cursor"] == sent["cursor"]
        finally:
            await other.close()

    @gen_test(timeout=20)
    async def test_a_restarted_process_loses_nothing_for_resuming_clients(self) -> None:
        await self.say("before")
        cursor = self.cursor()
        for body in ("one", "two", "three"):
            await self.say(body)
        # A fresh buffer (a restarted process) loads the stream; the old cursor still works.
        fresh = RedisMessageBuffer(REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream)
        await fresh.start()
        try:
            updates = fresh.since(cursor)
            assert self.bodies(updates.messages) == ["one", "two", "three"]
            assert updates.missed is False
        finally:
            await fresh.close()

    @gen_test(timeout=20)
    async def test_polls_open_no_redis_connections(self) -> None:
        cursor = self.cursor()
        client = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            before = len(await client.client_list())
            # Eight polls (Tornado's test client runs at most ten requests at once).
            polls = [asyncio.create_task(self.poll(cursor)) for _ in range(8)]
            await self.until(lambda: self.buffer.waiter_count == 8)
            assert len(await client.client_list()) <= before
            await self.say("to all eight")
            for response in await asyncio.wait_for(asyncio.gather(*polls), 10):
                assert self.bodies(json.loads(response.body)["messages"]) == ["to all eight"]
        finally:
            await client.aclose()

    async def kill_reader_connection(self) -> None:
        """What a Redis restart does to this process: its blocking XREAD connection drops."""
        client = redis.asyncio.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            killed = 0
            for info in await client.client_list():
                if info.get("name") == f"{self.stream}/reader":
                    await client.client_kill_filter(_id=info["id"])
                    killed += 1
            assert killed == 1, "the buffer's reader connection was not found"
        finally:
            await client.aclose()

    @gen_test(timeout=20)
    async def test_a_process_started_after_redis_lost_its_data_says_missed(self) -> None:
        await self.say("a")
        cursor = (await self.say("b"))["cursor"]
        drop(self.stream)  # Redis restarted without persistence: the stream is gone
        fresh = RedisMessageBuffer(REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream)
        await fresh.start()
        try:
            updates = await fresh.updates(cursor)
            assert updates.missed is True  # ahead of the stream: like an unknown epoch
            assert updates.messages == [] and updates.cursor == "0-0"
        finally:
            await fresh.close()

    @gen_test(timeout=20)
    async def test_a_waiting_poll_is_told_it_missed_messages_when_redis_lost_its_data(self) -> None:
        await self.say("before the loss")
        cursor = self.cursor()
        polling = asyncio.create_task(self.poll(cursor))
        await self.until(lambda: self.buffer.waiter_count == 1)
        drop(self.stream)
        with self.assertLogs("chat.redis", "WARNING") as logs:
            await self.kill_reader_connection()
            response = await asyncio.wait_for(polling, 10)
        assert any("Redis lost its data" in line for line in logs.output), logs.output
        data = json.loads(response.body)
        assert data == {"messages": [], "cursor": "0-0", "missed": True}
        # The chat goes on from the new stream, and the new cursor works.
        await self.say("after the loss")
        data = json.loads((await self.poll(data["cursor"])).body)
        assert self.bodies(data["messages"]) == ["after the loss"] and data["missed"] is False

    @gen_test(timeout=20)
    async def test_a_cursor_from_a_lost_stream_says_missed_after_new_messages(self) -> None:
        cursor = (await self.say("lost"))["cursor"]
        drop(self.stream)
        other = RedisMessageBuffer(REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream)
        await other.start()
        try:
            await other.add(message("n1", "new stream"))
        finally:
            await other.close()
        fresh = RedisMessageBuffer(REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream)
        await fresh.start()
        try:
            updates = await fresh.updates(cursor)  # older than the new stream, not in it
            assert updates.missed is True
            assert self.bodies(updates.messages) == ["new stream"]
        finally:
            await fresh.close()

    @gen_test(timeout=20)
    async def test_a_cursor_from_another_process_is_never_missed(self) -> None:
        other = RedisMessageBuffer(REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream)
        await other.start()
        try:
            for i in range(3):
                sent = await other.add(message(f"o{i}", f"o{i}"))
                # Asked at once: this process's reader may not have the entry yet.
                updates = await self.buffer.updates(sent["cursor"])
                assert updates.missed is False and updates.messages == []
                assert updates.cursor == sent["cursor"]
        finally:
            await other.close()

    def other(self, **kwargs) -> RedisMessageBuffer:
        """Another process's buffer on the same stream."""
        kwargs.setdefault("cache_size", self.CACHE_SIZE)
        return RedisMessageBuffer(REDIS_URL, stream=self.stream, **kwargs)

    @gen_test(timeout=20)
    async def test_the_same_id_sent_to_two_processes_is_stored_once(self) -> None:
        other = self.other()
        await other.start()
        try:
            first = await self.say("sent twice", id="e" * 32)
            again = await other.add(message("e" * 32, "sent twice"))
            assert again["cursor"] == first["cursor"]
            assert redis.Redis.from_url(REDIS_URL).xlen(self.stream) == 1
        finally:
            await other.close()

    @gen_test(timeout=20)
    async def test_an_xadd_that_redis_refuses_is_a_clear_503(self) -> None:
        await self.say("before")
        before = self.cursor()
        admin = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        old = admin.config_get("maxmemory")["maxmemory"]
        admin.config_set("maxmemory", 1)  # Redis is full: it refuses every write
        try:
            with self.assertLogs("chat", "ERROR") as logs:
                response = await self.post("/a/message/new", body="too much")
        finally:
            admin.config_set("maxmemory", old)
        assert response.code == 503, response.body
        assert json.loads(response.body)["error"] == (
            "the chat storage is unavailable: the message was not stored"
        )
        assert "maxmemory" in logs.output[0], logs.output
        assert self.cursor() == before
        assert (await self.say("after"))["body"] == "after"

    @gen_test(timeout=20)
    async def test_all_processes_cap_the_stream_alike_whatever_their_cache_size(self) -> None:
        small = self.other(cache_size=2, stream_length=8)
        large = self.other(cache_size=50, stream_length=8)
        await small.start()
        await large.start()
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for i in range(10):
                await small.add(message(f"s{i}", f"s{i}"))
                assert client.xlen(self.stream) == min(2 * i + 1, 8)
                await large.add(message(f"l{i}", f"l{i}"))
                assert client.xlen(self.stream) == min(2 * i + 2, 8)
            assert len(large.since(None).messages) == 8  # it keeps no more than the stream
        finally:
            await small.close()
            await large.close()

    @gen_test(timeout=30)
    async def test_a_reader_that_fell_behind_tells_clients_they_missed_messages(self) -> None:
        behind = self.other(stream_length=5, block_ms=200)
        writer = self.other(stream_length=5)
        await behind.start()
        await writer.start()
        try:
            first = await writer.add(message("w0", "seen"))
            await behind._caught_up(tuple(map(int, first["cursor"].split("-"))), 5)
            cursor = behind.since(None).cursor
            # Hold the lagging process's reader while ten more messages go in: the stream
            # (5 entries) trims some of them before it reads again.
            gate, held = asyncio.Event(), asyncio.Event()
            xread = behind.reader.xread

            async def held_xread(*args, **kwargs):
                held.set()
                await gate.wait()
                return await xread(*args, **kwargs)

            behind.reader.xread = held_xread
            await asyncio.wait_for(held.wait(), 5)  # its current XREAD (200 ms) ended
            sent = [await writer.add(message(f"w{i}", f"m{i}")) for i in range(1, 11)]
            with self.assertLogs("chat.redis", "WARNING") as logs:
                gate.set()
                await behind._caught_up(tuple(map(int, sent[-1]["cursor"].split("-"))), 5)
            assert "trimmed before this process read them" in logs.output[0]
            updates = behind.since(cursor)
            assert updates.missed is True, self.bodies(updates.messages)
            assert self.bodies(updates.messages) == [f"m{i}" for i in range(6, 11)]
        finally:
            await behind.close()
            await writer.close()

    @gen_test(timeout=20)
    async def test_the_reader_survives_an_unexpected_error(self) -> None:
        remember = self.buffer._remember
        calls = []

        def broken_once(entry_id, fields):
            calls.append(entry_id)
            if len(calls) == 1:
                raise RuntimeError("a bug in the reader")
            remember(entry_id, fields)

        self.buffer._remember = broken_once
        self.buffer.max_retry_s = 0.5
        other = self.other()
        await other.start()
        try:
            cursor = self.cursor()
            with self.assertLogs("chat.redis", "ERROR") as logs:
                await other.add(message("b1", "first"))
                await self.until(lambda: len(calls) >= 2, seconds=10)
            assert "the Redis reader failed; restarting it" in logs.output[0]
            await other.add(message("b2", "second"))
            await self.until(lambda: self.buffer.since(None).cursor != cursor, seconds=10)
            data = json.loads((await self.poll(cursor)).body)
            assert self.bodies(data["messages"]) == ["first", "second"]
            assert data["missed"] is False
        finally:
            await other.close()

    @gen_test(timeout=20)
    async def test_entries_another_program_wrote_badly_stop_nothing(self) -> None:
        # Written by another program: a time past year 9999 or before 1970 (no date can show
        # it), a time that is no number, no fields at all, an id of another shape, a name of a
        # megabyte. Each is repaired and shown; the reader goes on, Redis is not taken for
        # unreachable, sends still work and /healthz stays truthful (ok).
        cursor = self.cursor()
        raw = redis.Redis.from_url(REDIS_URL)
        entries = [
            {"id": "f" * 32, "body": "far future", "time": "100000000000000000000"},
            {"id": "e" * 32, "body": "before 1970", "time": "-5"},
            {"body": "not a number", "time": "1e20", "id": '"><b>x</b>'},
            {"something": "else", "name": "n" * 1_000_000},
        ]
        with self.assertNoLogs("chat.redis", "ERROR"):
            for fields in entries:
                raw.xadd(self.stream, fields)
            data = json.loads((await self.poll(cursor)).body)
            await self.until(lambda: len(self.buffer.since(cursor).messages) == len(entries))
            messages = self.buffer.since(cursor).messages
        assert self.bodies(messages) == ["far future", "before 1970", "not a number", ""], data
        for shown in messages:
            assert 0 < shown["time"] <= time.time() * 1000 and "<time datetime=" in shown["html"]
        assert messages[0]["id"] == "f" * 32
        assert messages[2]["id"] == "e" + messages[2]["cursor"]  # not an id the chat makes
        assert "<b>" not in messages[2]["html"]
        assert messages[3]["name"] == "n" * 40
        assert self.buffer.connected and not self.buffer.reader_failing
        assert (await self.say("still working"))["body"] == "still working"
        health = await self.http_client.fetch(self.get_url("/healthz"))
        assert json.loads(health.body) == {"status": "ok"}

    @gen_test(timeout=30)
    async def test_healthz_is_503_while_the_reader_fails(self) -> None:
        # Redis answers PING, but this process cannot read the stream (here: a bug that makes
        # every entry fail): /healthz must not say ok while no message is delivered.
        self.buffer.max_retry_s = 0.5
        raw = redis.Redis.from_url(REDIS_URL)
        with mock.patch("redis_buffer.render_html", side_effect=RuntimeError("a bug")):
            with self.assertLogs("chat.redis", "ERROR"):
                raw.xadd(self.stream, {"id": "d" * 32, "body": "unshowable"})
                await self.until(lambda: self.buffer.reader_failing, seconds=10)
            health = await self.http_client.fetch(self.get_url("/healthz"), raise_error=False)
            assert health.code == 503
            assert json.loads(health.body) == {
                "status": "unavailable",
                "reason": "messages cannot be read from Redis",
            }
        await self.until(lambda: not self.buffer.reader_failing, seconds=10)
        assert self.bodies(self.buffer.since(None).messages)[-1] == "unshowable"
        health = await self.http_client.fetch(self.get_url("/healthz"))
        assert health.code == 200

    @gen_test(timeout=20)
    async def test_entries_are_rendered_from_their_body_never_from_stored_html(self) -> None:
        cursor = self.cursor()
        raw = redis.Redis.from_url(REDIS_URL)
        # Written by something else with access to Redis (or by chat version 4, which
        # stored HTML): the html field is ignored, the body escaped.
        raw.xadd(
            self.stream,
            {
                "id": "f" * 32,
                "body": "<img src=x onerror=alert(1)> http://example.com/ \xff".encode(
                    "utf-8", "surrogateescape"
                )
                + b"\xff",
                "html": '<img src=x onerror="alert(2)">',
            },
        )
        data = json.loads((await self.poll(cursor)).body)
        (shown,) = data["messages"]
        assert "<img" not in shown["html"] and "&lt;img src=x onerror=alert(1)&gt;" in shown["html"]
        assert '<a href="http://example.com/" rel="nofollow noopener ugc">' in shown["html"]
        assert "\ufffd" in shown["body"]  # bytes that are not UTF-8 do not stop the reader
        assert '<span class="name">Anonymous</span>' in shown["html"]
        assert "<time datetime=" in shown["html"]  # the time from the entry id
        assert (await self.say("still working"))["body"] == "still working"


class TestRedisStalls(ChatTestCase, tornado.testing.AsyncHTTPTestCase):
    """Redis stops answering for a while (a slow disk, a long script, a failover)."""

    def make_buffer(self) -> RedisMessageBuffer:
        require_redis()
        self.stream = f"test-chat:{uuid.uuid4().hex}"
        self.addCleanup(drop, self.stream)
        return RedisMessageBuffer(
            REDIS_URL, cache_size=self.CACHE_SIZE, stream=self.stream, command_timeout_s=0.5
        )

    def stall(self, seconds: float) -> threading.Thread:
        """Keep Redis busy (a script that loops) for ``seconds``: it answers nobody."""
        busy = (
            "local t = redis.call('TIME') local start = t[1] * 1e6 + t[2] repeat "
            "t = redis.call('TIME') until t[1] * 1e6 + t[2] - start > tonumber(ARGV[1])"
        )
        client = redis.Redis.from_url(REDIS_URL)
        thread = threading.Thread(target=client.eval, args=(busy, 0, int(seconds * 1e6)))
        thread.start()
        return thread

    @gen_test(timeout=30)
    async def test_a_stalled_redis_gives_an_unknown_outcome_and_a_resend_is_stored_once(
        self,
    ) -> None:
        await self.say("before the stall")
        cursor = self.cursor()
        stalled = self.stall(2.0)
        await asyncio.sleep(0.2)
        with self.assertLogs("chat", "ERROR"):
            response = await self.post("/a/message/new", body="during the stall", id="a" * 32)
        await asyncio.to_thread(stalled.join)
        # Redis did store it when it woke up, though the answer came too late.
        assert response.code == 504, response.body
        assert "may have been stored" in json.loads(response.body)["error"]
        await self.until(lambda: self.buffer.since(cursor).messages, seconds=15)
        again = await self.say("during the stall", id="a" * 32)  # what chat.js does
        data = json.loads((await self.poll(cursor)).body)
        assert self.bodies(data["messages"]) == ["during the stall"]  # once
        assert again["cursor"] == data["messages"][0]["cursor"]
        assert redis.Redis.from_url(REDIS_URL).xlen(self.stream) == 2

    def test_healthz_is_503_while_redis_stalls(self) -> None:
        stalled = self.stall(2.5)
        time.sleep(0.2)
        response = self.fetch("/healthz")
        stalled.join()
        assert response.code == 503
        # Public: no host, port or database in the answer (the log has them).
        assert json.loads(response.body)["reason"] == "Redis did not answer PING within 1.0 s"
        assert self.fetch("/healthz").code == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestRedisDown(tornado.testing.AsyncHTTPTestCase):
    """No Redis at all: the app still serves, and new messages get a clear 503."""

    def get_app(self):
        self.buffer = RedisMessageBuffer(
            f"redis://127.0.0.1:{free_port()}/0", stream="test-chat:down", max_retry_s=0.5
        )
        return chat_app.make_app(message_buffer=self.buffer)

    def setUp(self) -> None:
        super().setUp()
        with self.assertLogs("chat.redis", "ERROR") as logs:
            self.io_loop.run_sync(self.buffer.start)
        assert "cannot reach Redis" in logs.output[0]
        assert not self.buffer.connected

    def tearDown(self) -> None:
        self.io_loop.run_sync(self.buffer.close)
        super().tearDown()

    def test_page_is_served_and_posting_is_503(self) -> None:
        page = self.fetch("/")
        assert page.code == 200
        token = page.headers["Set-Cookie"].split("_xsrf=", 1)[1].split(";", 1)[0]
        response = self.fetch(
            "/a/message/new",
            method="POST",
            body="body=hello",
            headers={"Cookie": "_xsrf=" + token, "X-XSRFToken": token},
        )
        assert response.code == 503
        assert json.loads(response.body)["error"] == (
            "the chat storage is unavailable: the message was not stored"
        )

    def test_healthz_is_503_with_the_reason(self) -> None:
        response = self.fetch("/healthz")
        assert response.code == 503
        answer = json.loads(response.body)
        assert answer == {"status": "unavailable", "reason": "Redis is unreachable"}
        assert "Set-Cookie" not in response.headers
