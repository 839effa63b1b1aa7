"""Behaviour every message backend must show. Mixed into one TestCase per backend."""

from __future__ import annotations

import asyncio
import http.cookies
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import tornado.httpclient
import tornado.web
from tornado.testing import gen_test

import app as chat_app

REQUIRED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class FailingHandler(chat_app.BaseHandler):
    """Test-only: GET /test/fail raises, as a bug would."""

    def get(self) -> None:
        raise RuntimeError("a bug")


class StuckHandler(chat_app.BaseHandler):
    """Test-only: GET /test/stuck never answers, even when its connection is closed."""

    async def get(self) -> None:
        await asyncio.get_running_loop().create_future()


class SlowHandler(chat_app.BaseHandler):
    """Test-only: GET /test/slow?s=SECONDS answers "done" after that long (and stops early
    when its connection is cut)."""

    cut: asyncio.Event | None = None

    async def get(self) -> None:
        self.cut = asyncio.Event()
        try:
            await asyncio.wait_for(self.cut.wait(), float(self.get_query_argument("s")))
        except TimeoutError:
            self.write("done")

    def on_connection_close(self) -> None:
        if self.cut is not None:
            self.cut.set()


class ChatTestCase:
    """The fixtures and helpers: mix into ``tornado.testing.AsyncHTTPTestCase`` and define
    ``make_buffer()``."""

    CACHE_SIZE = 5
    POLL_TIMEOUT = 10.0  # long, so only a disconnect can end a wait early; tests shorten it

    # Provided by AsyncHTTPTestCase:
    io_loop: Any
    http_client: Any
    _app: tornado.web.Application

    def make_buffer(self) -> Any:
        raise NotImplementedError

    # --- fixtures -------------------------------------------------------------------------

    def get_app(self) -> tornado.web.Application:
        self.buffer = self.make_buffer()
        return chat_app.make_app(
            message_buffer=self.buffer,
            extra_routes=[
                (r"/test/slow", SlowHandler),
                (r"/test/stuck", StuckHandler),
                (r"/test/fail", FailingHandler),
            ],
            cache_size=self.CACHE_SIZE,
            poll_timeout=self.POLL_TIMEOUT,
            send_rate=0,  # these tests send quickly; the limits have tests of their own
            trusted_origins=["https://front.example"],
        )

    def get_httpserver_options(self) -> dict[str, Any]:
        return {"max_body_size": chat_app.MAX_BODY_SIZE}  # as main() listens

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.io_loop.run_sync(self.buffer.start)
        self._token = ""

    def tearDown(self) -> None:
        self.io_loop.run_sync(self.buffer.close)
        super().tearDown()  # type: ignore[misc]

    # --- helpers --------------------------------------------------------------------------

    async def token(self) -> str:
        """The _xsrf cookie value that GET / sets (also sent back as X-XSRFToken)."""
        if not self._token:
            response = await self.http_client.fetch(self.get_url("/"))
            self._token = self.cookies(response)["_xsrf"].value
        return self._token

    async def post(
        self, path: str, xsrf: bool = True, headers: dict[str, str] | None = None, **fields: str
    ) -> Any:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        if xsrf:
            token = await self.token()
            headers["Cookie"] = "_xsrf=" + token
            headers["X-XSRFToken"] = token
        return await self.http_client.fetch(
            self.get_url(path),
            method="POST",
            headers=headers,
            body=urllib.parse.urlencode(fields),
            raise_error=False,
            follow_redirects=False,
            request_timeout=30,
        )

    async def say(self, body: str, **fields: str) -> dict[str, Any]:
        response = await self.post("/a/message/new", body=body, **fields)
        assert response.code == 200, response.body
        return json.loads(response.body)

    async def poll(self, cursor: str | None = None) -> Any:
        fields = {} if cursor is None else {"cursor": cursor}
        return await self.post("/a/message/updates", **fields)

    async def until(self, condition: Callable[[], bool], seconds: float = 5.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"condition not reached in {seconds} s"
            await asyncio.sleep(0.01)

    def cursor(self) -> str:
        return self.buffer.since(None).cursor

    def bodies(self, messages: list[dict[str, Any]]) -> list[str]:
        return [m["body"] for m in messages]

    def cookies(self, response: Any) -> http.cookies.SimpleCookie:
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        for header in response.headers.get_list("Set-Cookie"):
            jar.load(header)
        return jar


class ChatBehaviour(ChatTestCase):
    """The tests every backend must pass."""

    # --- the page -------------------------------------------------------------------------

    def test_index_is_200_and_sets_xsrf_cookie(self) -> None:
        response = self.fetch("/")  # type: ignore[attr-defined]
        assert response.code == 200
        assert any(c.startswith("_xsrf=") for c in response.headers.get_list("Set-Cookie"))
        page = response.body.decode()
        assert 'id="inbox"' in page and 'name="_xsrf"' in page and 'name="next"' in page
        assert "/static/chat.js?v=" in page and "/static/chat.css?v=" in page

    @gen_test
    async def test_history_is_rendered_escaped_with_cursors(self) -> None:
        first = await self.say("<b>hello</b>")
        second = await self.say("again")
        page = (await self.http_client.fetch(self.get_url("/"))).body.decode()
        assert "&lt;b&gt;hello&lt;/b&gt;" in page and "<b>hello" not in page
        assert f'data-cursor="{self.cursor()}"' in page
        # Each message carries its cursor, so chat.js can insert later ones in server order.
        for message in (first, second):
            assert f'id="m{message["id"]}" data-cursor="{message["cursor"]}"' in page

    def test_page_has_no_inline_script_or_style(self) -> None:
        # What lets the Content-Security-Policy be default-src 'self'.
        page = self.fetch("/").body.decode()  # type: ignore[attr-defined]
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts and all(" src=" in tag for tag in scripts), scripts
        assert "<style" not in page and " style=" not in page
        assert not re.search(r"\son[a-z]+=", page), "inline event handler"

    def test_security_headers_on_pages_static_files_and_errors(self) -> None:
        for path in ("/", "/static/chat.js", "/static/chat.css", "/nowhere", "/a/nowhere"):
            response = self.fetch(path)  # type: ignore[attr-defined]
            for name, value in chat_app.SECURITY_HEADERS.items():
                assert response.headers.get(name) == value, (path, name)
        csp = chat_app.SECURITY_HEADERS["Content-Security-Policy"]
        assert csp.startswith("default-src 'self';") and "frame-ancestors 'none'" in csp
        # What every page must carry, whatever the table says.
        for name, value in REQUIRED_HEADERS.items():
            assert chat_app.SECURITY_HEADERS.get(name) == value, name

    def test_xsrf_cookie_is_samesite_lax(self) -> None:
        response = self.fetch("/")  # type: ignore[attr-defined]
        morsel = self.cookies(response)["_xsrf"]
        assert morsel["samesite"] == "Lax"

    def test_head_is_answered_wherever_get_is(self) -> None:
        for path, status in (("/", 200), ("/a/xsrf", 204), ("/static/chat.js", 200)):
            response = self.fetch(path, method="HEAD")  # type: ignore[attr-defined]
            assert response.code == status, path
            assert response.body == b"", path

    def test_page_links_a_favicon_that_is_served(self) -> None:
        page = self.fetch("/").body.decode()  # type: ignore[attr-defined]
        match = re.search(r'<link rel="icon" href="([^"]+)"', page)
        assert match, "no favicon link: browsers would ask for /favicon.ico and get 404"
        icon = self.fetch(match.group(1))  # type: ignore[attr-defined]
        assert icon.code == 200 and icon.body.startswith(b"<svg")

    def test_unknown_paths_are_404_also_for_post(self) -> None:
        assert self.fetch("/nowhere").code == 404  # type: ignore[attr-defined]
        response = self.fetch("/a/nowhere", method="POST", body="x=1")  # type: ignore[attr-defined]
        assert response.code == 404  # not 403: there is nothing to protect
        assert json.loads(response.body) == {"error": "Not Found", "status": 404}

    @gen_test
    async def test_xsrf_endpoint_gives_a_page_without_cookie_a_working_one(self) -> None:
        # What chat.js does after a 403 (the _xsrf cookie was cleared or expired).
        response = await self.http_client.fetch(self.get_url("/a/xsrf"))
        assert response.code == 204
        assert response.headers["Cache-Control"] == "no-store"
        fresh = self.cookies(response)["_xsrf"]
        assert fresh["samesite"] == "Lax"
        self._token = fresh.value
        assert (await self.say("with a fresh token"))["body"] == "with a fresh token"

    # --- XSRF and bad input ---------------------------------------------------------------

    @gen_test
    async def test_poll_without_xsrf_token_is_403(self) -> None:
        response = await self.post("/a/message/updates", xsrf=False, cursor=self.cursor())
        assert response.code == 403

    @gen_test
    async def test_new_message_without_xsrf_token_is_403_and_adds_nothing(self) -> None:
        before = self.cursor()
        response = await self.post("/a/message/new", xsrf=False, body="hi")
        assert response.code == 403
        assert self.cursor() == before

    @gen_test
    async def test_missing_empty_or_oversized_body_is_400(self) -> None:
        before = self.cursor()
        for fields in ({}, {"body": ""}, {"body": "   "}, {"body": "x" * 2001}):
            response = await self.post("/a/message/new", **fields)
            assert response.code == 400, fields
            assert json.loads(response.body)["error"]
        assert self.cursor() == before
        assert (await self.post("/a/message/new", body="x" * 2000)).code == 200

    @gen_test
    async def test_request_body_over_the_server_limit_is_rejected(self) -> None:
        # This test server listens with max_body_size=MAX_BODY_SIZE, as main() does. Tornado
        # refuses the body before any handler runs: a bare 400, not the handler's JSON one.
        before = self.cursor()
        response = await self.post("/a/message/new", body="x" * chat_app.MAX_BODY_SIZE)
        assert response.code == 400
        assert b"error" not in response.body
        assert self.cursor() == before

    @gen_test
    async def test_malformed_cursor_is_400(self) -> None:
        for cursor in ("", "abc", "1", "1-2-3", "-1-1", "1-x", "9" * 30 + "-1"):
            response = await self.poll(cursor)
            assert response.code == 400, cursor
            assert json.loads(response.body) == {"error": "malformed cursor", "status": 400}

    @gen_test
    async def test_unsafe_next_is_400_and_adds_nothing(self) -> None:
        before = self.cursor()
        for bad in (
            "//evil.example",
            "/\\evil.example",
            "http://evil.example",
            "evil",
            "",
            "/\t/evil.example",
            " /x",
            "/a\\b",
        ):
            response = await self.post("/a/message/new", body="hi", next=bad)
            assert response.code == 400, repr(bad)
        assert self.cursor() == before

    @gen_test
    async def test_safe_next_redirects_after_posting(self) -> None:
        response = await self.post("/a/message/new", body="from a form", next="/?room=1")
        assert response.code == 302
        assert response.headers["Location"] == "/?room=1"
        assert self.bodies(self.buffer.since(None).messages) == ["from a form"]

    # --- messages ---------------------------------------------------------------------------

    @gen_test
    async def test_new_message_is_returned_as_json(self) -> None:
        message = await self.say("hello")
        assert message["body"] == "hello"
        assert message["html"].startswith(
            f'<div class="message" id="m{message["id"]}" data-cursor="{message["cursor"]}">'
        )
        assert message["cursor"] == self.cursor()

    @gen_test
    async def test_message_body_is_escaped_then_linkified(self) -> None:
        message = await self.say("<script>alert(1)</script> see https://example.com/a?b=1&c=2")
        html = message["html"]
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener ugc">' in html

    @gen_test
    async def test_name_and_time_are_shown_with_each_message(self) -> None:
        before = int(time.time())
        message = await self.say("hi", name="  <b>Ada</b>  Lovelace ")
        assert message["name"] == "<b>Ada</b> Lovelace"
        assert '<span class="name">&lt;b&gt;Ada&lt;/b&gt; Lovelace</span>' in message["html"]
        match = re.search(r'<time datetime="([0-9T:-]+)Z">(\d\d:\d\d) UTC</time>', message["html"])
        assert match, message["html"]
        sent = time.mktime(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")) - time.timezone
        assert before - 1 <= sent <= time.time() + 1
        anonymous = await self.say("who am I")
        assert '<span class="name">Anonymous</span>' in anonymous["html"]
        response = await self.post("/a/message/new", body="x", name="n" * 41)
        assert response.code == 400 and "name" in json.loads(response.body)["error"]
        # Bidi overrides and zero-width characters would make a name look like another's.
        for name in ("Ada\u202e", "A\u200bda", "Ad\u2066a", "Ada\u00ad"):
            response = await self.post("/a/message/new", body="x", name=name)
            assert response.code == 400, name
            error = json.loads(response.body)["error"]
            assert error == "name holds invisible or control characters", name
        shown = await self.say("hi", name="Zoë Ōtsuka")
        assert '<span class="name">Zoë Ōtsuka</span>' in shown["html"]

    @gen_test
    async def test_a_message_sent_again_with_its_id_is_stored_once(self) -> None:
        # What chat.js does when it did not get an answer: the same id again.
        message_id = "c" * 32
        first = await self.say("only once", id=message_id)
        again = await self.say("only once", id=message_id)
        assert first["id"] == again["id"] == message_id
        assert again["cursor"] == first["cursor"] == self.cursor()
        assert self.bodies(self.buffer.since(None).messages) == ["only once"]
        other = await self.say("only once", id="d" * 32)  # same text, another message
        assert other["cursor"] != first["cursor"]
        # Still once when the first copy is out of the cache by now.
        for i in range(self.CACHE_SIZE):
            await self.say(f"m{i}")
        late = await self.say("only once", id=message_id)
        assert late["cursor"] == first["cursor"] and late["id"] == message_id
        assert "only once" not in self.bodies(self.buffer.since(other["cursor"]).messages)
        # 32 hex digits (128 random bits, as chat.js makes them) and nothing else: ids are
        # global, so one that could be guessed could be replayed over another's message.
        for bad in ("short", "x" * 65, "<script>" * 3, "a b" * 8, "c" * 31, "C" * 32, "g" * 32):
            response = await self.post("/a/message/new", body="x", id=bad)
            assert response.code == 400, bad
            assert json.loads(response.body)["error"] == "malformed message id"

    # --- cross-origin protection, cookies, health, errors ----------------------------------

    @gen_test
    async def test_a_cross_site_post_with_a_valid_token_is_403(self) -> None:
        before = self.cursor()
        evil = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
        for path, fields in (("/a/message/new", {"body": "csrf"}), ("/a/message/updates", {})):
            response = await self.post(path, headers=evil, **fields)
            assert response.code == 403, (path, response.body)
        # Without Sec-Fetch-Site (an older browser), the Origin alone decides.
        response = await self.post(
            "/a/message/new", headers={"Origin": "https://evil.example"}, body="csrf"
        )
        assert response.code == 403
        assert self.cursor() == before
        # A trusted origin (the trusted_origins setting) may post; so may the page itself.
        front = {"Sec-Fetch-Site": "cross-site", "Origin": "https://front.example"}
        assert (await self.post("/a/message/new", headers=front, body="trusted")).code == 200
        own = {"Sec-Fetch-Site": "same-origin", "Origin": self.get_url("").rstrip("/")}  # type: ignore[attr-defined]
        assert (await self.post("/a/message/new", headers=own, body="mine")).code == 200
        assert self.bodies(self.buffer.since(None).messages) == ["trusted", "mine"]

    def test_healthz_is_ok_as_json_and_sets_no_cookie(self) -> None:
        response = self.fetch("/healthz")  # type: ignore[attr-defined]
        assert response.code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        assert json.loads(response.body) == {"status": "ok"}
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        head = self.fetch("/healthz", method="HEAD")  # type: ignore[attr-defined]
        assert head.code == 200 and head.body == b"" and "Set-Cookie" not in head.headers

    def test_error_pages_use_the_chat_layout(self) -> None:
        for path, method, status in (
            ("/nowhere", "GET", 404),
            ("/static/nothing.css", "GET", 404),
            ("/", "DELETE", 405),
            ("/test/fail", "GET", 500),
        ):
            response = self.fetch(path, method=method)  # type: ignore[attr-defined]
            page = response.body.decode()
            assert response.code == status, path
            assert response.headers["Content-Type"].startswith("text/html"), path
            assert f"<h2>{status} " in page, (path, page)
            assert "/static/chat.css?v=" in page and 'rel="icon"' in page, path
            assert '<a href="/">Back to the chat</a>' in page, path
            assert "Traceback" not in page and "RuntimeError" not in page, path
        # The API's errors stay JSON.
        response = self.fetch("/a/message/new")  # type: ignore[attr-defined]
        assert response.code == 405
        assert json.loads(response.body) == {"error": "Method Not Allowed", "status": 405}

    def test_favicon_ico_leads_to_the_icon(self) -> None:
        response = self.fetch("/favicon.ico", follow_redirects=False)  # type: ignore[attr-defined]
        assert response.code == 302
        assert response.headers["Location"].startswith("/static/favicon.svg?v=")
        icon = self.fetch("/favicon.ico")  # type: ignore[attr-defined]
        assert icon.code == 200 and icon.body.startswith(b"<svg")
        assert self.fetch("/favicon.ico", method="HEAD").code == 200  # type: ignore[attr-defined]

    def test_xsrf_cookie_is_not_secure_over_plain_http(self) -> None:
        response = self.fetch("/")  # type: ignore[attr-defined]
        assert not self.cookies(response)["_xsrf"]["secure"]

    # --- polling ---------------------------------------------------------------------------

    @gen_test
    async def test_poll_started_before_a_message_receives_it(self) -> None:
        cursor = self.cursor()
        polling = asyncio.create_task(self.poll(cursor))
        await self.until(lambda: self.buffer.waiter_count == 1)
        sent = await self.say("wake up")
        response = await asyncio.wait_for(polling, 5)
        assert response.code == 200
        data = json.loads(response.body)
        assert [m["id"] for m in data["messages"]] == [sent["id"]]
        assert data["cursor"] == sent["cursor"] and data["missed"] is False
        assert self.buffer.waiter_count == 0

    @gen_test
    async def test_every_waiting_poll_is_woken(self) -> None:
        cursor = self.cursor()
        polls = [asyncio.create_task(self.poll(cursor)) for _ in range(5)]
        await self.until(lambda: self.buffer.waiter_count == 5)
        await self.say("to everyone")
        for response in await asyncio.wait_for(asyncio.gather(*polls), 5):
            assert self.bodies(json.loads(response.body)["messages"]) == ["to everyone"]

    @gen_test
    async def test_current_cursor_waits_then_times_out_empty(self) -> None:
        self._app.settings["poll_timeout"] = 0.3
        cursor = self.cursor()
        started = time.monotonic()
        response = await self.poll(cursor)
        elapsed = time.monotonic() - started
        assert response.code == 200
        assert json.loads(response.body) == {"messages": [], "cursor": cursor, "missed": False}
        assert 0.25 <= elapsed < 5
        assert self.buffer.waiter_count == 0

    @gen_test
    async def test_wait_0_answers_at_once(self) -> None:
        cursor = self.cursor()
        started = time.monotonic()
        response = await self.post("/a/message/updates", cursor=cursor, wait="0")
        assert time.monotonic() - started < self.POLL_TIMEOUT / 2
        assert json.loads(response.body) == {"messages": [], "cursor": cursor, "missed": False}
        assert (await self.post("/a/message/updates", cursor=cursor, wait="x")).code == 400

    @gen_test
    async def test_client_away_gets_exactly_what_it_missed(self) -> None:
        await self.say("seen")
        cursor = self.cursor()
        for body in ("one", "two", "three"):
            await self.say(body)
        data = json.loads((await self.poll(cursor)).body)
        assert self.bodies(data["messages"]) == ["one", "two", "three"]
        assert data["missed"] is False and data["cursor"] == self.cursor()

    @gen_test
    async def test_cache_is_trimmed_at_its_size(self) -> None:
        for i in range(self.CACHE_SIZE + 3):
            await self.say(f"m{i}")
        kept = self.buffer.since(None).messages
        assert self.bodies(kept) == [f"m{i}" for i in range(3, self.CACHE_SIZE + 3)]

    @gen_test
    async def test_old_cursor_gets_the_cache_and_a_missed_flag(self) -> None:
        first = await self.say("m0")
        for i in range(1, self.CACHE_SIZE + 2):
            await self.say(f"m{i}")
        data = json.loads((await self.poll(first["cursor"])).body)
        assert data["missed"] is True
        assert self.bodies(data["messages"]) == self.bodies(self.buffer.since(None).messages)
        assert len(data["messages"]) == self.CACHE_SIZE

    @gen_test
    async def test_unknown_cursor_gets_the_cache_and_a_missed_flag(self) -> None:
        await self.say("a")
        await self.say("b")
        # Well formed, but from another server life: far in the future.
        response = await self.poll("99999999999999-7")
        data = json.loads(response.body)
        assert response.code == 200 and data["missed"] is True
        assert self.bodies(data["messages"]) == ["a", "b"]
        assert data["cursor"] == self.cursor()

    @gen_test
    async def test_poll_without_cursor_gets_the_whole_cache_at_once(self) -> None:
        await self.say("a")
        data = json.loads((await self.poll(None)).body)
        assert self.bodies(data["messages"]) == ["a"] and data["missed"] is False

    @gen_test(timeout=20)
    async def test_a_client_that_leaves_while_the_buffer_looks_registers_no_waiter(self) -> None:
        # The Redis buffer may ask Redis before a poll waits (updates()): a client that goes
        # away meanwhile must not leave a waiter behind for the whole poll timeout.
        token = await self.token()
        looking = asyncio.Event()
        release = asyncio.Event()
        real_updates = self.buffer.updates

        async def slow_updates(cursor: str | None) -> Any:
            looking.set()
            await release.wait()
            return await real_updates(cursor)

        self.buffer.updates = slow_updates
        body = urllib.parse.urlencode({"cursor": self.cursor()}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.get_http_port())  # type: ignore[attr-defined]
        writer.write(
            b"POST /a/message/updates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Cookie: _xsrf=" + token.encode() + b"\r\n"
            b"X-XSRFToken: " + token.encode() + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await writer.drain()
        await asyncio.wait_for(looking.wait(), 5)
        (handler,) = list(self._app.in_flight)
        writer.close()
        await self.until(lambda: handler.client_gone)  # the server noticed
        release.set()
        # The request ends at once, with no waiter (not after POLL_TIMEOUT).
        await self.until(lambda: len(self._app.in_flight) == 0, seconds=2)
        assert self.buffer.waiter_count == 0
        del self.buffer.updates

    @gen_test(timeout=20)
    async def test_client_disconnecting_mid_poll_leaves_no_waiter(self) -> None:
        token = await self.token()
        tasks_before = len(asyncio.all_tasks())
        body = urllib.parse.urlencode({"cursor": self.cursor()}).encode()
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", self.get_http_port())  # type: ignore[attr-defined]
            writer.write(
                b"POST /a/message/updates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Cookie: _xsrf=" + token.encode() + b"\r\n"
                b"X-XSRFToken: " + token.encode() + b"\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
            await self.until(lambda: self.buffer.waiter_count == 1)
            started = time.monotonic()
            writer.close()
            # Far sooner than POLL_TIMEOUT: the wait was cancelled, not timed out.
            await self.until(lambda: self.buffer.waiter_count == 0, seconds=2)
            assert time.monotonic() - started < self.POLL_TIMEOUT / 2
        await self.until(lambda: len(asyncio.all_tasks()) <= tasks_before, seconds=2)
        # The buffer still works for the next client.
        cursor = self.cursor()
        polling = asyncio.create_task(self.poll(cursor))
        await self.until(lambda: self.buffer.waiter_count == 1)
        await self.say("still here")
        assert self.bodies(json.loads((await polling).body)["messages"]) == ["still here"]
        # And no departed request is still counted as in flight (shutdown waits for those).
        await self.until(lambda: len(self._app.in_flight) == 0, seconds=2)

    # --- shutdown ----------------------------------------------------------------------------

    def shutdown(self, grace: float) -> asyncio.Future:
        server = self.http_server  # type: ignore[attr-defined]
        return asyncio.create_task(chat_app.shutdown(server, self._app, grace))

    @gen_test(timeout=20)
    async def test_shutdown_answers_polls_at_once_and_lets_a_slow_request_finish(self) -> None:
        cursor = self.cursor()
        waiting = asyncio.create_task(self.poll(cursor))
        slow = self.http_client.fetch(self.get_url("/test/slow?s=1.5"), raise_error=False)
        await self.until(lambda: self.buffer.waiter_count == 1 and len(self._app.in_flight) == 2)
        started = time.monotonic()
        with self.assertLogs("chat", "INFO") as logs:  # type: ignore[attr-defined]
            stopping = self.shutdown(grace=10)
            poll = await asyncio.wait_for(waiting, 5)
            answered = time.monotonic() - started
            response = await asyncio.wait_for(slow, 10)
            await asyncio.wait_for(stopping, 10)
        assert poll.code == 200 and answered < 1, answered  # answered at once, not at timeout
        assert json.loads(poll.body) == {"messages": [], "cursor": cursor, "missed": False}
        assert poll.headers["Connection"] == "close"
        assert response.code == 200 and response.body == b"done"  # the slow one finished
        assert [r.getMessage() for r in logs.records] == ["Shutting down", "Stopped"]
        # And the server accepts no new connection.
        try:
            await self.http_client.fetch(self.get_url("/"))
        except ConnectionRefusedError:
            pass
        else:
            raise AssertionError("the server still accepts connections after shutdown")

    @gen_test(timeout=20)
    async def test_shutdown_cuts_a_request_that_outlives_the_grace_period(self) -> None:
        slow = self.http_client.fetch(self.get_url("/test/slow?s=8"))
        await self.until(lambda: len(self._app.in_flight) == 1)
        started = time.monotonic()
        with self.assertLogs("chat", "WARNING") as logs:  # type: ignore[attr-defined]
            await asyncio.wait_for(self.shutdown(grace=0.3), 5)
        assert time.monotonic() - started < 3
        assert "1 request(s) still running after 0.3 s" in logs.output[0]
        try:
            await asyncio.wait_for(slow, 5)
        except tornado.httpclient.HTTPClientError as exc:
            assert exc.code == 599  # cut: no response at all
        else:
            raise AssertionError("the request outlived the grace period and still got an answer")

    @gen_test(timeout=20)
    async def test_a_request_cut_at_shutdown_is_not_logged_as_a_server_error(self) -> None:
        slow = self.http_client.fetch(self.get_url("/test/stuck"), raise_error=False)
        await self.until(lambda: len(self._app.in_flight) == 1)
        handler = next(iter(self._app.in_flight))
        with self.assertLogs("tornado", "INFO") as logs:  # type: ignore[attr-defined]
            logging.getLogger("tornado.access").info("(the test's own line)")
            await asyncio.wait_for(self.shutdown(grace=0.3), 5)
            assert handler.cut_at_shutdown
            # What asyncio.run() does to the handlers left when main() returns.
            leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in leftover:
                if "_execute" in repr(task.get_coro()):
                    task.cancel()
            await asyncio.sleep(0.1)
            try:
                await asyncio.wait_for(slow, 5)
            except tornado.httpclient.HTTPClientError as exc:
                assert exc.code == 599  # cut: no answer at all
        assert not [r for r in logs.records if r.levelno >= logging.WARNING], logs.output
        assert not any(" 500 " in line or "500 GET" in line for line in logs.output), logs.output

    @gen_test
    async def test_a_poll_arriving_during_shutdown_is_refused_with_503(self) -> None:
        self._app.shutting_down = True  # what shutdown() sets first
        response = await self.poll(self.cursor())
        assert response.code == 503
        assert response.headers["Connection"] == "close"
        assert json.loads(response.body)["error"] == "the server is shutting down"

    def test_stats_endpoint_is_off_by_default(self) -> None:
        assert self.fetch("/a/stats").code == 404  # type: ignore[attr-defined]
