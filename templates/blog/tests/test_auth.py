"""Logging in and out, the admin area's protection, XSRF and cross-origin requests, cookies,
sessions, ``next``, and login throttling (also under logins sent at the same time)."""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from unittest import mock
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient
from tornado.testing import ExpectLog, gen_test
from tornado.web import decode_signed_value

from app.handlers.base import SESSION_COOKIE, safe_next
from app.objects import dbobject, user
from app.objects.user import MAX_NAME, check_login, session_hash
from tests.support import NAME, PASSWORD, BlogTestCase
from web import close_app, make_app


class AdminNeedsLogin(BlogTestCase):
    def test_admin_redirects_a_visitor_to_login(self):
        response = self.request("/admin")
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], "/login?next=%2Fadmin")

    def test_posting_to_admin_without_login_is_forbidden(self):
        response = self.post_form("/admin", {"title": "x", "url": "https://example.org/"})
        self.assertEqual(response.code, 403)

    def test_login_page_carries_next_and_the_xsrf_field(self):
        body = self.request("/login?next=/admin").body.decode()
        self.assertIn('name="_xsrf"', body)
        self.assertIn('name="next" value="/admin"', body)


class Login(BlogTestCase):
    def test_right_password_logs_in_and_follows_next(self):
        response = self.login(next_url="/admin")
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], "/admin")
        self.assertIn(SESSION_COOKIE, self.cookies)
        admin = self.request("/admin")
        self.assertEqual(admin.code, 200)
        self.assertIn(f"Log out {NAME}", admin.body.decode())

    def test_user_name_is_case_insensitive(self):
        self.assertEqual(self.login(name=NAME.upper()).code, 302)

    def test_wrong_password_is_rejected(self):
        response = self.login(password=PASSWORD + "!")
        self.assertEqual(response.code, 403)
        self.assertIn("Wrong user name or password.", response.body.decode())
        self.assertNotIn(SESSION_COOKIE, self.cookies)
        self.assertEqual(self.request("/admin").code, 302)

    def test_unknown_user_gets_the_same_answer(self):
        response = self.login(name="nobody")
        self.assertEqual(response.code, 403)
        self.assertIn("Wrong user name or password.", response.body.decode())

    def test_empty_form_is_rejected(self):
        self.assertEqual(self.login(name="", password="").code, 403)

    def test_a_password_in_the_url_stays_out_of_the_access_log(self):
        form = {"name": NAME, "_xsrf": self.xsrf_token()}
        path = f"/login?next=%2Fadmin&password={quote(PASSWORD)}"
        with self.assertLogs("tornado.access", "INFO") as logs:
            response = self.request(path, "POST", form)
        self.assertEqual(response.code, 403)  # read from the body only
        output = "\n".join(logs.output)
        self.assertIn("403 POST /login?next=/admin&password=*** (127.0.0.1)", output)
        self.assertNotIn("horse", output)


class LongNames(BlogTestCase):
    """A user name longer than any user's is refused before the throttle counts it, before it
    is looked up or hashed, and before it reaches the log."""

    def test_a_long_name_is_refused_before_the_throttle_and_the_log(self):
        name = "a" * 100_000
        checked = []
        with (
            mock.patch("app.handlers.login.check_login", side_effect=checked.append),
            self.assertLogs("app.handlers.login", "WARNING") as logs,
        ):
            response = self.login(name=name, password="wrong password")
        self.assertEqual(response.code, 400)
        self.assertIn(f"A user name is at most {MAX_NAME} characters long.", response.body.decode())
        self.assertNotIn("a" * (MAX_NAME + 1), response.body.decode())
        self.assertEqual(checked, [])
        self.assertEqual(
            logs.output,
            [
                "WARNING:app.handlers.login:login refused from 127.0.0.1: a user name of "
                "100000 characters"
            ],
        )
        throttle = self.app.login_throttle
        self.assertEqual(len(throttle.by_name_and_address._events), 0)
        self.assertEqual(len(throttle.by_address._events), 0)

    def test_a_name_of_the_longest_length_is_a_login_like_any_other(self):
        name = "a" * MAX_NAME
        with ExpectLog("app.handlers.login", f"failed login for '{name}'"):
            self.assertEqual(self.login(name=name, password="wrong password").code, 403)
        self.assertEqual(len(self.app.login_throttle.by_name_and_address._events), 1)


class UnknownUsers(BlogTestCase):
    def test_an_unknown_user_costs_a_hash_like_a_wrong_password(self):
        user.dummy_hash()  # made at start-up
        hashed = []
        real = user._scrypt
        with mock.patch.object(
            user, "_scrypt", side_effect=lambda *a: hashed.append(a) or real(*a)
        ):
            self.assertFalse(check_login(None, "a password"))
        self.assertEqual(len(hashed), 1)

    def test_the_dummy_hash_is_made_when_the_app_starts(self):
        user.dummy_hash.cache_clear()
        app = make_app(db_path=self.db_path, cookie_secret="test-secret")
        try:
            for _ in range(500):
                if user.dummy_hash.cache_info().currsize:
                    break
                time.sleep(0.01)
            self.assertEqual(user.dummy_hash.cache_info().currsize, 1)
        finally:
            close_app(app)

    def test_session_cookie_is_signed_httponly_and_lax(self):
        response = self.login()
        header = next(
            h for h in response.headers.get_list("Set-Cookie") if h.startswith(SESSION_COOKIE + "=")
        )
        self.assertIn("HttpOnly", header)
        self.assertIn("SameSite=Lax", header)
        self.assertNotIn("Secure", header)  # plain http in this test; see SecureCookies
        self.assertNotIn(PASSWORD, header)
        # A tampered cookie is ignored, not trusted.
        # (Change the last signature digit to a different one: a fixed replacement would
        # leave the cookie intact whenever the signature already ended that way.)
        signed = self.cookies[SESSION_COOKIE]
        self.cookies[SESSION_COOKIE] = signed[:-1] + ("1" if signed[-1] == "0" else "0")
        self.assertEqual(self.request("/admin").code, 302)


def set_cookie(response, name: str) -> str:
    """The Set-Cookie header of ``response`` for the cookie ``name``."""
    return next(h for h in response.headers.get_list("Set-Cookie") if h.startswith(name + "="))


class SecureCookies(BlogTestCase):
    app_settings = {"secure_cookies": True}

    def test_cookies_are_marked_secure_when_asked(self):
        self.assertIn("Secure", set_cookie(self.request("/login"), "_xsrf"))
        self.assertIn("Secure", set_cookie(self.login(), SESSION_COOKIE))


class HttpsBehindAProxy(BlogTestCase):
    """With --xheaders, the proxy's X-Forwarded-Proto says whether the browser used HTTPS."""

    xheaders = True
    https = {"X-Forwarded-Proto": "https"}

    def test_cookies_are_secure_over_https(self):
        self.assertIn("Secure", set_cookie(self.request("/login", headers=self.https), "_xsrf"))
        form = {"name": NAME, "password": PASSWORD, "_xsrf": self.xsrf_token()}
        response = self.request("/login", "POST", form, headers=self.https)
        self.assertEqual(response.code, 302)
        self.assertIn("Secure", set_cookie(response, SESSION_COOKIE))
        # The error pages set the _xsrf cookie too (their layout has the logout form).
        self.cookies.pop("_xsrf")
        missing = self.request("/no/such/page", headers=self.https)
        self.assertIn("Secure", set_cookie(missing, "_xsrf"))

    def test_cookies_over_plain_http_are_not_secure(self):
        self.assertNotIn("Secure", set_cookie(self.request("/login"), "_xsrf"))
        self.assertNotIn("Secure", set_cookie(self.login(), SESSION_COOKIE))
        self.cookies.clear()
        plain = {"X-Forwarded-Proto": "http"}
        self.assertNotIn("Secure", set_cookie(self.request("/login", headers=plain), "_xsrf"))


class CrossOrigin(BlogTestCase):
    """Tornado's cross_origin_protection, beside the XSRF token: another site's page cannot
    POST here even with a valid token (e.g. one it read through a flaw elsewhere)."""

    app_settings = {"trusted_origins": ["https://app.example.com"]}

    def post_login(self, headers: dict) -> object:
        form = {"name": NAME, "password": PASSWORD, "_xsrf": self.xsrf_token()}
        return self.request("/login", "POST", form, headers=headers)

    def test_a_cross_site_post_with_a_valid_token_is_403(self):
        headers = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
        response = self.post_login(headers)
        self.assertEqual(response.code, 403)
        self.assertNotIn(SESSION_COOKIE, self.cookies)
        # An older browser sends no Sec-Fetch-Site: its Origin is checked against the host.
        self.assertEqual(self.post_login({"Origin": "https://evil.example"}).code, 403)

    def test_a_trusted_origin_may_post(self):
        headers = {"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}
        self.assertEqual(self.post_login(headers).code, 302)

    def test_a_same_origin_post_passes(self):
        origin = self.get_url("").rstrip("/")
        self.assertEqual(self.post_login({"Sec-Fetch-Site": "same-origin"}).code, 302)
        self.cookies.pop(SESSION_COOKIE)
        self.assertEqual(self.post_login({"Origin": origin}).code, 302)  # no Sec-Fetch-Site


class CrossOriginWithoutTrustedOrigins(BlogTestCase):
    def test_no_origin_is_trusted_by_default(self):
        form = {"name": NAME, "password": PASSWORD, "_xsrf": self.xsrf_token()}
        headers = {"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}
        self.assertEqual(self.request("/login", "POST", form, headers=headers).code, 403)


class Xsrf(BlogTestCase):
    def test_login_without_token_is_refused(self):
        self.request("/login")  # has the _xsrf cookie now, but sends no token
        response = self.request("/login", "POST", {"name": NAME, "password": PASSWORD})
        self.assertEqual(response.code, 403)
        self.assertNotIn(SESSION_COOKIE, self.cookies)

    def test_admin_post_without_token_is_refused_and_stores_nothing(self):
        self.login()
        form = {"title": "Sneaky", "url": "https://example.org/"}
        response = self.request("/admin", "POST", form)
        self.assertEqual(response.code, 403)
        self.assertNotIn("Sneaky", self.request("/").body.decode())

    def test_token_from_another_session_is_refused(self):
        token = self.xsrf_token()
        self.cookies.pop("_xsrf")
        self.request("/login")  # a new _xsrf cookie
        form = {"name": NAME, "password": PASSWORD, "_xsrf": token + "x"}
        self.assertEqual(self.request("/login", "POST", form).code, 403)

    def test_logout_without_token_is_refused_and_keeps_the_session(self):
        self.login()
        self.assertEqual(self.request("/logout", "POST", {}).code, 403)
        self.assertEqual(self.request("/admin").code, 200)


class UnsafeNext(BlogTestCase):
    unsafe = [
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        "/admin\r\nSet-Cookie: x=y",
    ]

    def test_login_does_not_follow_an_unsafe_next(self):
        for next_url in self.unsafe:
            with self.subTest(next_url=next_url):
                self.cookies.clear()
                response = self.login(next_url=next_url)
                self.assertEqual(response.code, 302)
                self.assertEqual(response.headers["Location"], "/")

    def test_login_form_does_not_carry_an_unsafe_next(self):
        body = self.request("/login?next=//evil.example/").body.decode()
        self.assertIn('name="next" value="/"', body)
        self.assertNotIn("evil.example", body)

    def test_local_next_is_followed(self):
        response = self.login(next_url="/post/1?from=login")
        self.assertEqual(response.headers["Location"], "/post/1?from=login")

    def test_safe_next(self):
        for value in self.unsafe + ["", None]:
            self.assertEqual(safe_next(value), "/", value)
        self.assertEqual(safe_next("/admin"), "/admin")
        self.assertEqual(safe_next("//x", default="/home"), "/home")


class Logout(BlogTestCase):
    def test_logout_post_clears_the_session(self):
        self.login()
        old_cookie = self.cookies[SESSION_COOKIE]
        response = self.post_form("/logout", {})
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], "/")
        self.assertNotIn(SESSION_COOKIE, self.cookies)  # the browser drops the cookie
        self.assertEqual(self.request("/admin").code, 302)
        # and the server forgets the session: a copy of the old cookie no longer works.
        self.cookies[SESSION_COOKIE] = old_cookie
        self.assertEqual(self.request("/admin").code, 302)

    def test_logout_is_not_a_get(self):
        self.login()
        self.assertEqual(self.request("/logout").code, 405)
        self.assertEqual(self.request("/admin").code, 200)


class Sessions(BlogTestCase):
    def test_logging_in_again_ends_the_old_session(self):
        self.login()
        old_cookie = self.cookies[SESSION_COOKIE]
        self.assertEqual(self.login().code, 302)  # the same browser logs in again
        self.assertNotEqual(self.cookies[SESSION_COOKIE], old_cookie)
        self.assertEqual(self.request("/admin").code, 200)
        self.cookies[SESSION_COOKIE] = old_cookie  # a copy of the cookie from before
        self.assertEqual(self.request("/admin").code, 302)
        with dbobject.connect(self.db_path) as conn:
            self.assertEqual(conn.execute("SELECT count(*) FROM sessions").fetchone()[0], 1)

    def test_the_database_keeps_only_a_hash_of_the_session_token(self):
        self.login()
        signed = self.cookies[SESSION_COOKIE]
        token = decode_signed_value("test-secret", SESSION_COOKIE, signed).decode()
        with dbobject.connect(self.db_path) as conn:
            rows = [tuple(row) for row in conn.execute("SELECT * FROM sessions")]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], session_hash(token))
        self.assertNotIn(token, repr(rows))
        with open(self.db_path, "rb") as f:
            self.assertNotIn(token.encode(), f.read())
        self.assertEqual(self.request("/admin").code, 200)  # and the cookie logs in

    def test_the_password_is_read_from_the_body_only(self):
        # A password in the URL would be kept in histories and access logs: it is ignored.
        query = urlencode({"password": PASSWORD})
        form = {"name": NAME, "_xsrf": self.xsrf_token()}
        response = self.request(f"/login?{query}", "POST", form)
        self.assertEqual(response.code, 403)
        self.assertNotIn(SESSION_COOKIE, self.cookies)
        response = self.request("/login?name=ada", "POST", {"password": PASSWORD, **form})
        self.assertEqual(response.code, 302)  # the name in the form, not the URL, counts


class LoginThrottling(BlogTestCase):
    app_settings = {
        "login_failures_per_name_and_address": (3, 60),
        "login_failures_per_address": (100, 60),
    }

    def test_too_many_failures_for_a_name_are_a_clear_429(self):
        for _ in range(3):
            self.assertEqual(self.login(password="wrong password").code, 403)
        checked = []
        with mock.patch("app.handlers.login.check_login", side_effect=lambda *a: checked.append(a)):
            # Even the right password is not checked now (no scrypt work for an attacker).
            with ExpectLog("app.handlers.login", "throttled login for 'ada'"):
                response = self.login()
        self.assertEqual(checked, [])
        self.assertEqual(response.code, 429)
        self.assertTrue(0 < int(response.headers["Retry-After"]) <= 60)
        body = response.body.decode()
        self.assertIn("Too many failed logins. Try again in", body)
        self.assertNotIn(SESSION_COOKIE, self.cookies)
        # The name is compared case-insensitively, like user names are.
        self.assertEqual(self.login(name=NAME.upper()).code, 429)
        # Other names are not affected.
        self.assertEqual(self.login(name="grace", password="wrong password").code, 403)

    def test_a_successful_login_counts_nothing(self):
        for _ in range(5):
            self.cookies.clear()
            self.assertEqual(self.login().code, 302)
        for _ in range(3):  # the three failures allowed are all still there
            self.assertEqual(self.login(password="wrong password").code, 403)
        self.assertEqual(self.login().code, 429)


class LoginThrottlingPerAddress(BlogTestCase):
    app_settings = {
        "login_failures_per_name_and_address": (100, 60),
        "login_failures_per_address": (3, 60),
    }

    def test_too_many_failures_from_one_address_are_a_429_for_every_name(self):
        for name in ("a1", "a2", "a3"):
            self.assertEqual(self.login(name=name, password="wrong password").code, 403)
        self.assertEqual(self.login(name="a4", password="wrong password").code, 429)
        self.assertEqual(self.login().code, 429)


class BehindAProxy(BlogTestCase):
    """With --xheaders the client address and scheme come from the proxy's headers."""

    xheaders = True
    app_settings = {
        "login_failures_per_name_and_address": (100, 60),
        "login_failures_per_address": (1, 60),
    }

    def test_the_client_address_comes_from_x_real_ip(self):
        first = {"X-Real-Ip": "203.0.113.7"}
        with ExpectLog("app.handlers.login", "failed login for 'ada' from 203.0.113.7"):
            self.assertEqual(self.login_from(first, "wrong password").code, 403)
        # Throttled per client address: the same client again is refused, another one is not.
        self.assertEqual(self.login_from(first, "wrong password").code, 429)
        self.assertEqual(self.login_from({"X-Real-Ip": "198.51.100.2"}, "wrong").code, 403)

    def test_https_at_the_proxy_makes_the_session_cookie_secure(self):
        response = self.login_from({"X-Scheme": "https"}, PASSWORD)
        self.assertEqual(response.code, 302)
        self.assertIn("Secure", set_cookie(response, SESSION_COOKIE))

    def login_from(self, headers, password):
        form = {"name": NAME, "password": password, "_xsrf": self.xsrf_token()}
        return self.request("/login", "POST", form, headers=headers)


class FloodFromElsewhere(BlogTestCase):
    """No limit counts a user name over every address: a flood of wrong passwords for the admin
    from other addresses does not lock the admin out of theirs."""

    xheaders = True

    def test_a_flood_for_the_admin_from_other_addresses_does_not_lock_them_out(self):
        token = self.xsrf_token()
        wrong = {"name": NAME, "password": "wrong password", "_xsrf": token}
        codes = collections.Counter()
        for i in range(6):  # 6 addresses, 12 tries each: 72 wrong passwords for the admin
            for _ in range(12):
                headers = {"X-Real-Ip": f"203.0.113.{i}"}
                codes[self.request("/login", "POST", wrong, headers=headers).code] += 1
        self.assertEqual(codes, {403: 60, 429: 12})  # 10 per name and address
        right = {"name": NAME, "password": PASSWORD, "_xsrf": token}
        response = self.request("/login", "POST", right, headers={"X-Real-Ip": "198.51.100.7"})
        self.assertEqual(response.code, 302)


class WithoutXheaders(BlogTestCase):
    def test_proxy_headers_are_ignored(self):
        form = {"name": NAME, "password": "wrong password", "_xsrf": self.xsrf_token()}
        headers = {"X-Real-Ip": "203.0.113.7", "X-Scheme": "https", "X-Forwarded-Proto": "https"}
        with ExpectLog("app.handlers.login", "failed login for 'ada' from 127.0.0.1"):
            response = self.request("/login", "POST", form, headers=headers)
        self.assertEqual(response.code, 403)
        self.cookies.clear()
        self.assertNotIn("Secure", set_cookie(self.request("/login", headers=headers), "_xsrf"))


async def start_logins(test: BlogTestCase, client: AsyncHTTPClient, count: int, form: dict):
    """Send ``count`` login POSTs at once, with a fresh XSRF token; their pending responses."""
    page = await client.fetch(test.get_url("/login"))
    cookie = set_cookie(page, "_xsrf").split(";")[0]
    token = page.body.decode().split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    body = urlencode({**form, "_xsrf": token})
    return [
        client.fetch(
            test.get_url("/login"),
            method="POST",
            body=body,
            headers={"Cookie": cookie},
            follow_redirects=False,
            raise_error=False,
        )
        for _ in range(count)
    ]


async def post_logins_at_once(test: BlogTestCase, count: int, form: dict) -> list:
    """Send ``count`` login POSTs at the same time (all in flight at once); their responses."""
    client = AsyncHTTPClient(force_instance=True, max_clients=count)
    try:
        return await asyncio.gather(*await start_logins(test, client, count, form))
    finally:
        client.close()


class SimultaneousLogins(BlogTestCase):
    """Logins sent at the same time, many requests in flight at once against the server: each
    is counted before its password is checked, so no more than the limit are checked."""

    app_settings = {"hash_queue": 100}

    @gen_test(timeout=60)
    async def test_sixty_wrong_logins_at_once_check_at_most_ten_passwords(self):
        checked = []
        in_check = [0, 0]  # now, most at once

        def slow_wrong(user, password):
            checked.append(password)
            in_check[0] += 1
            in_check[1] = max(in_check)
            time.sleep(0.05)  # every login is sent before the first few checks are over
            in_check[0] -= 1
            return False

        form = {"name": NAME, "password": "wrong password"}
        with mock.patch("app.handlers.login.check_login", side_effect=slow_wrong):
            responses = await post_logins_at_once(self, 60, form)
        codes = collections.Counter(r.code for r in responses)
        self.assertLessEqual(len(checked), 10, codes)
        self.assertEqual(codes, {403: 10, 429: 50})
        self.assertTrue(all(int(r.headers["Retry-After"]) > 0 for r in responses if r.code == 429))
        self.assertLessEqual(in_check[1], 2)  # on the two hashing threads


class BusyHashing(BlogTestCase):
    """At most ``hash_queue`` logins wait for a hashing thread: the next are refused at once."""

    app_settings = {"hash_queue": 2, "login_failures_per_name_and_address": (3, 60)}

    @gen_test(timeout=60)
    async def test_a_full_hashing_queue_is_503_with_retry_after_and_counts_nothing(self):
        gate = threading.Event()

        def blocked_wrong(user, password):
            gate.wait(10)
            return False

        form = {"name": NAME, "password": "wrong password"}
        client = AsyncHTTPClient(force_instance=True, max_clients=10)
        try:
            with mock.patch("app.handlers.login.check_login", side_effect=blocked_wrong):
                admitted = await start_logins(self, client, 2, form)
                while self.app.hashing.pending < 2:  # both wait for their (blocked) check
                    await asyncio.sleep(0.01)
                refused = await asyncio.gather(*await start_logins(self, client, 3, form))
                gate.set()
                responses = [*await asyncio.gather(*admitted), *refused]
        finally:
            client.close()
        codes = collections.Counter(r.code for r in responses)
        self.assertEqual(codes, {403: 2, 503: 3})
        for response in responses:
            if response.code == 503:
                self.assertGreater(int(response.headers["Retry-After"]), 0)
                self.assertIn("Too many logins at once.", response.body.decode())
        self.assertEqual(self.app.hashing.pending, 0)
        # The 503s were not counted: one more attempt (the third) is checked, then 429.
        codes = collections.Counter(r.code for r in await post_logins_at_once(self, 2, form))
        self.assertEqual(codes, {403: 1, 429: 1})


class HashingPool(BlogTestCase):
    def test_logins_hash_on_the_bounded_pool(self):
        threads = []

        def spy(user, password):
            threads.append(threading.current_thread().name)
            return check_login(user, password)

        with mock.patch("app.handlers.login.check_login", side_effect=spy):
            self.assertEqual(self.login().code, 302)
        self.assertEqual(len(threads), 1)
        self.assertTrue(threads[0].startswith("scrypt"), threads)

    def test_at_most_two_hashes_at_once(self):
        lock = threading.Lock()
        running = [0, 0]  # now, most ever

        def work():
            with lock:
                running[0] += 1
                running[1] = max(running)
            time.sleep(0.05)
            with lock:
                running[0] -= 1

        for future in [self.app.hashing.executor.submit(work) for _ in range(8)]:
            future.result(timeout=10)
        self.assertEqual(running[1], 2)


class SessionOnEveryPage(BlogTestCase):
    def test_a_logged_in_users_404_page_shows_them_logged_in(self):
        self.login()
        response = self.request("/no/such/page")
        self.assertEqual(response.code, 404)
        body = response.body.decode()
        self.assertIn("There is no page at this address.", body)
        self.assertIn(f"Log out {NAME}", body)
        self.assertNotIn(">Log in<", body)

    def test_post_to_an_unknown_path_is_404_not_403(self):
        response = self.request("/no/such/page", "POST", {"x": "1"})
        self.assertEqual(response.code, 404)

    def test_pages_for_a_logged_in_user_are_not_stored(self):
        self.assertNotEqual(self.request("/").headers.get("Cache-Control"), "no-store")
        self.login()
        for path in ("/admin", "/", "/login", "/no/such/page"):
            with self.subTest(path=path):
                self.assertEqual(self.request(path).headers.get("Cache-Control"), "no-store")
        response = self.post_form("/admin", {"action": "create", "title": "", "url": ""})
        self.assertEqual(response.code, 400)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
