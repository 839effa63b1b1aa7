"""Logging in and out, the admin area's protection, XSRF, cookies and ``next``."""

from __future__ import annotations

import threading
import time
from unittest import mock

from tornado.testing import ExpectLog

from app.handlers.base import SESSION_COOKIE, safe_next
from app.objects.user import check_login
from tests.support import NAME, PASSWORD, BlogTestCase


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


class SecureCookies(BlogTestCase):
    app_settings = {"secure_cookies": True}

    def test_cookies_are_marked_secure_when_asked(self):
        response = self.login()
        cookies = response.headers.get_list("Set-Cookie")
        session = next(h for h in cookies if h.startswith(SESSION_COOKIE + "="))
        self.assertIn("Secure", session)


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


class LoginThrottling(BlogTestCase):
    app_settings = {"login_failures_per_name": (3, 60), "login_failures_per_address": (100, 60)}

    def test_too_many_failures_for_a_name_are_a_clear_429(self):
        for _ in range(3):
            self.assertEqual(self.login(password="wrong password").code, 403)
        checked = []
        with mock.patch("app.handlers.login.check_login", side_effect=checked.append):
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


class LoginThrottlingPerAddress(BlogTestCase):
    app_settings = {"login_failures_per_name": (100, 60), "login_failures_per_address": (3, 60)}

    def test_too_many_failures_from_one_address_are_a_429_for_every_name(self):
        for name in ("a1", "a2", "a3"):
            self.assertEqual(self.login(name=name, password="wrong password").code, 403)
        self.assertEqual(self.login(name="a4", password="wrong password").code, 429)
        self.assertEqual(self.login().code, 429)


class BehindAProxy(BlogTestCase):
    """With --xheaders the client address and scheme come from the proxy's headers."""

    xheaders = True
    app_settings = {"login_failures_per_name": (100, 60), "login_failures_per_address": (1, 60)}

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
        session = next(
            h for h in response.headers.get_list("Set-Cookie") if h.startswith(SESSION_COOKIE)
        )
        self.assertIn("Secure", session)

    def login_from(self, headers, password):
        form = {"name": NAME, "password": password, "_xsrf": self.xsrf_token()}
        return self.request("/login", "POST", form, headers=headers)


class WithoutXheaders(BlogTestCase):
    def test_proxy_headers_are_ignored(self):
        form = {"name": NAME, "password": "wrong password", "_xsrf": self.xsrf_token()}
        headers = {"X-Real-Ip": "203.0.113.7", "X-Scheme": "https"}
        with ExpectLog("app.handlers.login", "failed login for 'ada' from 127.0.0.1"):
            self.assertEqual(self.request("/login", "POST", form, headers=headers).code, 403)


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

        for future in [self.app.hash_executor.submit(work) for _ in range(8)]:
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
