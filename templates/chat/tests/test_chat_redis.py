"""The same behaviour tests on the Redis backend, plus what only Redis can do.

These need a real Redis server: REDIS_URL (default redis://127.0.0.1:6379/15). They fail, and
do not skip, when none is reachable. Each test uses its own stream key and deletes it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid

import redis
import tornado.testing
from tornado.testing import gen_test

import app as chat_app
from redis_buffer import RedisMessageBuffer
from tests.chat_behaviour import ChatBehaviour

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
    redis.Redis.from_url(REDIS_URL).delete(stream)


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
            polling = asyncio.ensure_future(self.poll(cursor))
            await self.until(lambda: self.buffer.waiter_count == 1)
            sent = await other.add({"id": "x1", "body": "from elsewhere", "html": "<p>x</p>"})
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
            polls = [asyncio.ensure_future(self.poll(cursor)) for _ in range(8)]
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
        polling = asyncio.ensure_future(self.poll(cursor))
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
            await other.add({"id": "n1", "body": "new stream", "html": "<p>n</p>"})
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
                sent = await other.add({"id": f"o{i}", "body": f"o{i}", "html": "<p>o</p>"})
                # Asked at once: this process's reader may not have the entry yet.
                updates = await self.buffer.updates(sent["cursor"])
                assert updates.missed is False and updates.messages == []
                assert updates.cursor == sent["cursor"]
        finally:
            await other.close()


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
        assert json.loads(response.body)["error"] == "chat storage is unavailable"
