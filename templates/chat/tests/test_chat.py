"""The chat's behaviour on the in-memory backend, plus app-level checks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import tornado.testing
from tornado.testing import gen_test

import app as chat_app
from message_buffer import BufferUnavailable, MemoryMessageBuffer, OutcomeUnknown
from tests.chat_behaviour import ChatBehaviour


class TestMemoryChat(ChatBehaviour, tornado.testing.AsyncHTTPTestCase):
    def make_buffer(self) -> MemoryMessageBuffer:
        return MemoryMessageBuffer(cache_size=self.CACHE_SIZE)


class BrokenBuffer(MemoryMessageBuffer):
    """A store that fails: ``failure`` is what add() raises."""

    failure: Exception = BufferUnavailable("storage is down")

    async def add(self, message):
        raise self.failure


def xsrf_headers(case: tornado.testing.AsyncHTTPTestCase, **extra: str) -> dict[str, str]:
    page = case.fetch("/")
    token = page.headers["Set-Cookie"].split("_xsrf=", 1)[1].split(";", 1)[0]
    return {"Cookie": "_xsrf=" + token, "X-XSRFToken": token, **extra}


class TestStorageDown(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        self.buffer = BrokenBuffer()
        return chat_app.make_app(message_buffer=self.buffer)

    def send(self) -> tornado.httpclient.HTTPResponse:
        return self.fetch(
            "/a/message/new", method="POST", body="body=hello", headers=xsrf_headers(self)
        )

    def test_new_message_is_503_not_stored_when_storage_is_down(self) -> None:
        with self.assertLogs("chat", "ERROR"):
            response = self.send()
        assert response.code == 503
        assert response.headers["Retry-After"] == "5"
        assert json.loads(response.body)["error"] == (
            "the chat storage is unavailable: the message was not stored"
        )

    def test_an_unknown_outcome_says_so(self) -> None:
        self.buffer.failure = OutcomeUnknown("no answer within 5 s")
        with self.assertLogs("chat", "ERROR") as logs:
            response = self.send()
        assert response.code == 504
        error = json.loads(response.body)["error"]
        assert "may have been stored" in error and "not stored" not in error
        assert "may or may not be stored" in logs.output[0]


class LimitsCase(tornado.testing.AsyncHTTPTestCase):
    """A server behind a proxy (xheaders): X-Real-Ip says who the client is."""

    SETTINGS: dict = {}

    def get_app(self):
        self.buffer = MemoryMessageBuffer()
        return chat_app.make_app(message_buffer=self.buffer, **self.SETTINGS)

    def get_httpserver_options(self):
        return {"xheaders": True}

    def setUp(self) -> None:
        super().setUp()
        self.headers = xsrf_headers(self)

    async def post(self, path: str, address: str, **fields: str):
        return await self.http_client.fetch(
            self.get_url(path),
            method="POST",
            headers={**self.headers, "X-Real-Ip": address},
            body=urllib.parse.urlencode(fields),
            raise_error=False,
        )


class TestSendRateLimit(LimitsCase):
    SETTINGS = {"send_rate": 2.0, "send_burst": 3}

    @gen_test
    async def test_a_client_sending_too_fast_gets_429_with_retry_after(self) -> None:
        for i in range(3):  # the burst
            assert (await self.post("/a/message/new", "203.0.113.7", body=f"m{i}")).code == 200
        started = time.monotonic()
        response = await self.post("/a/message/new", "203.0.113.7", body="one too many")
        assert response.code == 429
        assert response.headers["Retry-After"] == "1"
        assert json.loads(response.body)["error"].startswith("too many messages")
        assert len(self.buffer.since(None).messages) == 3  # not stored
        # Another client is not affected; the same one may send again once it waited.
        assert (await self.post("/a/message/new", "203.0.113.8", body="other")).code == 200
        await asyncio.sleep(max(0.0, 0.55 - (time.monotonic() - started)))
        assert (await self.post("/a/message/new", "203.0.113.7", body="later")).code == 200

    @gen_test
    async def test_ipv6_clients_are_counted_by_their_64_network(self) -> None:
        for i in range(3):
            address = f"2001:db8:1:2::{i + 1}"
            assert (await self.post("/a/message/new", address, body=f"m{i}")).code == 200
        response = await self.post("/a/message/new", "2001:db8:1:2:ffff::9", body="same /64")
        assert response.code == 429
        assert (await self.post("/a/message/new", "2001:db8:1:3::1", body="other")).code == 200


class TestSendFlood(LimitsCase):
    SETTINGS = {"send_rate": 0.01, "send_burst": 3}

    def test_a_flood_of_messages_stores_only_the_burst(self) -> None:
        async def flood():
            answers = await asyncio.gather(
                *(self.post("/a/message/new", "203.0.113.9", body=f"m{i}") for i in range(200))
            )
            return sorted(a.code for a in answers)

        codes = self.io_loop.run_sync(flood, timeout=30)
        assert codes.count(200) == 3 and codes.count(429) == 197
        assert len(self.buffer.since(None).messages) == 3


class TestWaitingPollsPerAddress(LimitsCase):
    SETTINGS = {"max_polls_per_address": 2, "poll_timeout": 10.0}

    @gen_test(timeout=20)
    async def test_waiting_polls_per_address_are_capped(self) -> None:
        cursor = self.buffer.since(None).cursor
        waiting = [
            asyncio.create_task(self.post("/a/message/updates", "203.0.113.7", cursor=cursor))
            for _ in range(2)
        ]
        deadline = time.monotonic() + 5
        while self.buffer.waiter_count < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        third = await self.post("/a/message/updates", "203.0.113.7", cursor=cursor)
        assert third.code == 429
        assert third.headers["Retry-After"] == "10"
        assert json.loads(third.body)["error"] == "too many waiting polls from your address"
        # A poll that does not wait (news, or wait=0) is no waiting poll: it is answered.
        quick = await self.post("/a/message/updates", "203.0.113.7", cursor=cursor, wait="0")
        assert quick.code == 200
        # Another address is not affected.
        other = asyncio.create_task(self.post("/a/message/updates", "203.0.113.8", cursor=cursor))
        while self.buffer.waiter_count < 3:
            await asyncio.sleep(0.01)
        await self.post("/a/message/new", "203.0.113.9", body="wake up")
        for response in await asyncio.gather(*waiting, other):
            assert response.code == 200
        # Every slot was given back: nothing is left counted for anybody.
        assert len(self._app.polls) == 0


class TestBehindAnHttpsProxy(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        return chat_app.make_app()

    def get_httpserver_options(self):
        return {"xheaders": True}

    def test_xsrf_cookie_is_secure_when_the_proxy_says_https(self) -> None:
        response = self.fetch("/", headers={"X-Forwarded-Proto": "https"})
        cookie = [c for c in response.headers.get_list("Set-Cookie") if c.startswith("_xsrf=")]
        assert cookie and "Secure" in cookie[0] and "SameSite=Lax" in cookie[0], cookie

    def test_xsrf_cookie_is_not_secure_over_plain_http(self) -> None:
        response = self.fetch("/")
        cookie = [c for c in response.headers.get_list("Set-Cookie") if c.startswith("_xsrf=")]
        assert cookie and "Secure" not in cookie[0], cookie


class TestStatsEndpoint(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        return chat_app.make_app(stats=True)

    def test_stats_for_loopback_clients(self) -> None:
        response = self.fetch("/a/stats")
        assert response.code == 200
        assert json.loads(response.body)["waiters"] == 0

    def test_stats_refuse_proxied_requests(self) -> None:
        response = self.fetch("/a/stats", headers={"X-Forwarded-For": "203.0.113.9"})
        assert response.code == 403


def test_is_safe_next() -> None:
    assert chat_app.is_safe_next("/")
    assert chat_app.is_safe_next("/room/1?x=y#z")
    for bad in ("", "x", "//a", "/\\a", "http://a", "/a b", "/\x00", "/a\\b"):
        assert not chat_app.is_safe_next(bad), repr(bad)


def test_state_lives_on_the_application_not_in_settings() -> None:
    buffer = MemoryMessageBuffer()
    app = chat_app.make_app(message_buffer=buffer)
    assert app.buffer is buffer
    assert "message_buffer" not in app.settings
    assert app.last_updates is None and len(app.in_flight) == 0


PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_app(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=30,
    )


FORM = "options take the form --name=value, for example"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--port=abc"],
            "bad value in --port=abc: invalid literal for int() with base 10: 'abc' (see --help)",
        ),
        (["--nope"], "unknown option '--nope' (see --help)"),
        (["--nope=1"], "unknown option '--nope' (see --help)"),
        (["--port", "8000"], f"Option 'port' requires a value; {FORM} --port=8000"),
        (["--port", "--debug"], "Option 'port' requires a value (see --help)"),
        (["8000"], f"unexpected argument '8000'; {FORM} --port=8000"),
        (["--debug", "8000"], f"unexpected argument '8000'; {FORM} --port=8000"),
    ],
)
def test_bad_command_lines_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run_app(*args)
    assert result.returncode == 2, result
    assert result.stderr.splitlines() == [f"error: {message}"], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_good_command_line_values_are_parsed() -> None:
    code = (
        "import app; "
        "app.parse_options(['app.py', '--port=8000', '--debug', '--poll_timeout=2.5', "
        "'--shutdown_grace=1', '--address=0.0.0.0']); "
        "o = app.options; print(o.port, o.debug, o.poll_timeout, o.shutdown_grace, o.address)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["8000", "True", "2.5", "1.0", "0.0.0.0"]


def test_help_lists_the_options() -> None:
    result = run_app("--help")
    assert result.returncode == 0
    for name in ("--port", "--poll-timeout", "--shutdown-grace", "--max-message-length"):
        assert name in result.stdout + result.stderr


def test_options_are_not_parsed_at_import() -> None:
    # Importing app (as pytest just did) must not have parsed pytest's command line.
    assert chat_app.options.port == 8888


def copy_project(to) -> str:
    """The app's own files, without .env, in a fresh folder: what a checkout without the
    git-ignored .env (a clone, an image) looks like."""
    for name in os.listdir(PROJECT):
        source = os.path.join(PROJECT, name)
        if name.endswith(".py"):
            shutil.copy(source, to)
        elif name in ("templates", "static"):
            shutil.copytree(source, os.path.join(to, name))
    return str(to)


def run_in(folder: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "COOKIE_SECRET"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=folder,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
    )


PRINT_SECRET = "import app; print(app.make_app().settings['cookie_secret'])"


def test_the_app_refuses_to_start_without_a_cookie_secret(tmp_path) -> None:
    folder = copy_project(tmp_path)
    result = run_in(folder, "app.py", "--port=0")
    assert result.returncode == 2, result
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: COOKIE_SECRET is not set")
    assert "Traceback" not in result.stderr


def test_the_cookie_secret_comes_from_env_file_or_environment(tmp_path) -> None:
    folder = copy_project(tmp_path)
    with open(os.path.join(folder, ".env"), "w") as env:
        env.write("# a comment\n\nOTHER=1\nCOOKIE_SECRET='from-the-file'\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Found beside app.py, whatever the working directory.
    code = f"import sys; sys.path.insert(0, {folder!r}); {PRINT_SECRET}"
    result = run_in(str(elsewhere), "-c", code)
    assert result.stdout.strip() == "from-the-file", result
    # The environment wins.
    result = run_in(folder, "-c", PRINT_SECRET, env={"COOKIE_SECRET": "from-env"})
    assert result.stdout.strip() == "from-env", result


def test_this_project_has_its_secret_in_a_git_ignored_env_file() -> None:
    secret = chat_app.read_env_file(chat_app.ENV_FILE).get("COOKIE_SECRET")
    if secret is None:  # a fresh clone (CI): .env is not in git
        return
    assert len(secret) == 64 and int(secret, 16) >= 0
    with open(os.path.join(PROJECT, ".gitignore")) as ignored:
        assert ".env" in ignored.read().split()
    for name in os.listdir(PROJECT):
        if name.endswith(".py"):
            with open(os.path.join(PROJECT, name)) as source:
                assert secret not in source.read(), name


def test_trusted_origins_come_from_the_option_or_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("TRUSTED_ORIGINS", "https://a.example, https://b.example:8443/")
    assert chat_app.load_trusted_origins() == ["https://a.example", "https://b.example:8443"]
    assert chat_app.make_app().settings["trusted_origins"] == [
        "https://a.example",
        "https://b.example:8443",
    ]
    assert chat_app.load_trusted_origins("https://c.example") == ["https://c.example"]
    with pytest.raises(ValueError):
        chat_app.load_trusted_origins("c.example")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_interrupt_forces_the_exit(tmp_path, signum) -> None:
    # A wrapper with one request that never ends, so that the graceful wait lasts.
    wrapper = tmp_path / "stuck_server.py"
    wrapper.write_text(
        "import asyncio, logging, sys\n"
        f"sys.path.insert(0, {PROJECT!r})\n"
        "import app\n"
        "class Stuck(app.BaseHandler):\n"
        "    async def get(self):\n"
        "        logging.getLogger('chat').info('stuck request started')\n"
        "        await asyncio.get_running_loop().create_future()\n"
        "make_app = app.make_app\n"
        "app.make_app = lambda **kw: make_app(extra_routes=[('/stuck', Stuck)], **kw)\n"
        "asyncio.run(app.main())\n"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(wrapper), f"--port={port}", "--shutdown_grace=30"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = wait_for_line(server, "Chat running")
        fetch = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/stuck')"
        client = subprocess.Popen([sys.executable, "-c", fetch], stderr=subprocess.DEVNULL)
        lines += wait_for_line(server, "stuck request started")
        server.send_signal(signum)
        lines += wait_for_line(server, "Shutting down")
        started = time.monotonic()
        server.send_signal(signum)
        status = server.wait(5)
        rest = server.stderr.read()
        assert time.monotonic() - started < 2
        assert status == 128 + signum, (status, rest)  # 130 for SIGINT, 143 for SIGTERM
        assert "Interrupted again: exiting at once" in rest
        assert "Traceback" not in lines + rest
        client.kill()
        client.wait()
    finally:
        server.kill()
        server.wait()
        server.stderr.close()


def test_production_never_reads_the_env_file(tmp_path) -> None:
    folder = copy_project(tmp_path)
    with open(os.path.join(folder, ".env"), "w") as env:
        env.write("COOKIE_SECRET=from-the-file\n")
    result = run_in(folder, "app.py", "--port=0", env={"DEPLOYMENT": "production"})
    assert result.returncode == 2, result
    assert result.stderr == (
        "error: COOKIE_SECRET is not set (production reads it from the environment)\n"
    )
    result = run_in(folder, "-c", PRINT_SECRET, env={"DEPLOYMENT": "staging"})
    assert result.stdout.strip() == "from-the-file", result
    result = run_in(folder, "app.py", "--port=0", env={"DEPLOYMENT": "prod"})
    assert result.returncode == 2, result
    assert result.stderr.startswith("error: DEPLOYMENT must be one of dev, staging, production")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_server_trusts_the_origins_it_is_given(how) -> None:
    # main() wires --trusted_origins (else $TRUSTED_ORIGINS) into the application: a
    # cross-site POST from a trusted origin passes, from any other it is 403.
    port = free_port()
    args = [f"--port={port}"]
    env = {**os.environ, "TRUSTED_ORIGINS": ""}
    if how == "option":
        args.append("--trusted_origins=https://Front.example")
    else:
        env["TRUSTED_ORIGINS"] = "https://Front.example"
    server = subprocess.Popen(
        [sys.executable, "app.py", *args], cwd=PROJECT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_line(server, "Chat running")
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/") as page:
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = cookie.split("=", 1)[1]

        def post_from(origin: str) -> int:
            request = urllib.request.Request(
                base + "/a/message/updates",
                data=b"wait=0",
                headers={
                    "Cookie": cookie,
                    "X-XSRFToken": token,
                    "Sec-Fetch-Site": "cross-site",
                    "Origin": origin,
                },
            )
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        assert post_from("https://front.example") == 200
        assert post_from("https://evil.example") == 403
    finally:
        server.terminate()
        server.wait(10)
        server.stderr.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_line(process: subprocess.Popen, text: str) -> str:
    seen = ""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"no {text!r} in the server's log: {seen}")
