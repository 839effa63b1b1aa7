"""Posting links, showing them, deleting them, and the pages around them."""

from __future__ import annotations

import json
import re

from tornado.escape import xhtml_escape
from tornado.testing import ExpectLog

from app.handlers.base import SECURITY_HEADERS
from app.objects import dbobject
from app.objects.post import Post, validate
from tests.support import BlogTestCase
from web import MAX_BODY_SIZE

REQUIRED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class Pages(BlogTestCase):
    def test_home_page(self):
        response = self.request("/")
        self.assertEqual(response.code, 200)
        body = response.body.decode()
        title = xhtml_escape(self.app.settings["site_title"])
        self.assertIn(f"<title>{title}</title>", body)
        self.assertIn("No links yet.", body)
        self.assertRegex(body, r'href="/static/css/main\.css\?v=[0-9a-f]+"')

    def test_stylesheet_is_served(self):
        response = self.request("/static/css/main.css")
        self.assertEqual(response.code, 200)
        self.assertIn(b"font-family", response.body)

    def test_missing_post_is_404(self):
        # Past SQLite's integers, and past the 4300 digits Python reads as an int.
        paths = ("/post/999", "/post/9223372036854775808", "/post/" + "9" * 5000)
        for path in paths:
            with self.subTest(path=path):
                response = self.request(path)
                self.assertEqual(response.code, 404)
                self.assertIn("There is no page at this address.", response.body.decode())

    def test_unknown_url_gets_the_friendly_404(self):
        response = self.request("/no/such/page")
        self.assertEqual(response.code, 404)
        self.assertIn("There is no page at this address.", response.body.decode())

    def assert_in_the_layout(self, response) -> None:
        body = response.body.decode()
        self.assertIn('<header class="site-header">', body)
        self.assertRegex(body, r'<link rel="stylesheet" href="/static/css/main\.css\?v=')
        self.assertIn("a link blog on Tornado.</footer>", body)

    def test_error_pages_are_styled_in_the_sites_layout(self):
        missing = self.request("/no/such/page")
        self.assertEqual(missing.code, 404)
        self.assert_in_the_layout(missing)
        self.assertIn("<title>404 Not Found - ", missing.body.decode())
        wrong_method = self.request("/logout")  # POST only
        self.assertEqual(wrong_method.code, 405)
        self.assert_in_the_layout(wrong_method)
        self.assertIn("does not answer that kind of request", wrong_method.body.decode())

    def test_favicon(self):
        page = self.request("/").body.decode()
        match = re.search(r'<link rel="icon" href="(/static/favicon\.svg\?v=[0-9a-f]+)"', page)
        self.assertIsNotNone(match, page)
        icon = self.request(match.group(1))
        self.assertEqual(icon.code, 200)
        self.assertEqual(icon.headers["Content-Type"], "image/svg+xml")
        self.assertIn(b"<svg", icon.body)
        for method in ("GET", "HEAD"):
            legacy = self.request("/favicon.ico", method)  # asked for by name, not a 404
            self.assertEqual(legacy.code, 302)
            self.assertEqual(legacy.headers["Location"], match.group(1))


class Health(BlogTestCase):
    def test_healthz_is_ok_in_json_and_sets_no_cookie(self):
        response = self.request("/healthz")
        self.assertEqual(response.code, 200)
        self.assertEqual(json.loads(response.body), {"status": "ok"})
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(response.headers.get_list("Set-Cookie"), [])
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        head = self.request("/healthz", "HEAD")
        self.assertEqual((head.code, head.body), (200, b""))
        self.assertEqual(head.headers.get_list("Set-Cookie"), [])

    def test_healthz_is_503_when_the_database_fails(self):
        self.app.db.close()
        with ExpectLog("app.handlers.base", "health check: the database failed \\(.*closed"):
            response = self.request("/healthz")
        self.assertEqual(response.code, 503)
        answer = json.loads(response.body)
        self.assertEqual(answer["status"], "unavailable")
        # Anyone may ask /healthz: the details are in the log only.
        self.assertEqual(answer["reason"], "the database failed")


class Headers(BlogTestCase):
    def test_pages_and_static_files_carry_the_security_headers(self):
        self.assertIn("default-src 'self'", SECURITY_HEADERS["Content-Security-Policy"])
        # What every page must carry, whatever the table says.
        for name, value in REQUIRED_HEADERS.items():
            self.assertEqual(SECURITY_HEADERS.get(name), value, name)
        paths = ("/", "/login", "/static/css/main.css", "/post/1", "/no/such/page", "/healthz")
        for path in paths:
            with self.subTest(path=path):
                response = self.request(path)
                for name, value in SECURITY_HEADERS.items():
                    self.assertEqual(response.headers.get(name), value, name)

    def test_head_is_answered_wherever_get_is(self):
        for path in ("/", "/login", "/static/css/main.css"):
            with self.subTest(path=path):
                response = self.request(path, "HEAD")
                self.assertEqual(response.code, 200)
                self.assertEqual(response.body, b"")
        response = self.request("/admin", "HEAD")  # a visitor is sent to the login page
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], "/login?next=%2Fadmin")
        self.login()
        self.post_form("/admin", {"action": "create", "title": "T", "url": "https://a.example/"})
        for path in ("/admin", "/post/1"):
            with self.subTest(path=path):
                response = self.request(path, "HEAD")
                self.assertEqual(response.code, 200)
                self.assertEqual(response.body, b"")
        self.assertEqual(self.request("/post/99", "HEAD").code, 404)

    def test_xsrf_cookie_is_samesite_lax_and_httponly(self):
        cookies = self.request("/login").headers.get_list("Set-Cookie")
        cookie = next(h for h in cookies if h.startswith("_xsrf="))
        self.assertIn("SameSite=Lax", cookie)
        self.assertIn("HttpOnly", cookie)

    def test_a_body_over_the_limit_is_refused(self):
        with ExpectLog("tornado.general", "Content-Length too long", required=False):
            response = self.fetch("/login", method="POST", body=b"x" * (MAX_BODY_SIZE + 1))
        self.assertEqual(response.code, 400)


class Posting(BlogTestCase):
    def create(self, **fields) -> object:
        form = {"action": "create", "title": "", "url": "", "comment": "", **fields}
        return self.post_form("/admin", form)

    def test_login_then_post_appears_on_the_home_page(self):
        self.login()
        response = self.create(
            title="Tornado docs", url="https://www.tornadoweb.org/", comment="Read these."
        )
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], "/admin")

        home = self.request("/").body.decode()
        self.assertIn("Tornado docs", home)
        self.assertIn('href="https://www.tornadoweb.org/"', home)
        self.assertIn("(www.tornadoweb.org)", home)
        post_id = re.search(r'href="/post/([0-9]+)"', home).group(1)

        page = self.request(f"/post/{post_id}")
        self.assertEqual(page.code, 200)
        self.assertIn("Read these.", page.body.decode())
        self.assertIn("Posted by ada", page.body.decode())

    def test_newest_post_comes_first(self):
        self.login()
        self.create(title="First", url="https://one.example/")
        self.create(title="Second", url="https://two.example/")
        home = self.request("/").body.decode()
        self.assertLess(home.index("Second"), home.index("First"))

    def test_invalid_posts_are_a_clear_400(self):
        self.login()
        cases = [
            ({"title": "", "url": "https://example.org/"}, "A title is required."),
            ({"title": "x" * 201, "url": "https://example.org/"}, "longer than 200"),
            ({"title": "No URL", "url": ""}, "A URL is required."),
            ({"title": "Script", "url": "javascript:alert(1)"}, "http:// or https://"),
            ({"title": "FTP", "url": "ftp://example.org/file"}, "http:// or https://"),
            ({"title": "No host", "url": "https:///path"}, "http:// or https://"),
            ({"title": "Relative", "url": "/local/path"}, "http:// or https://"),
            ({"title": "Space", "url": "https://exa mple.org/"}, "http:// or https://"),
            ({"title": "Bad port", "url": "https://example.org:99999/"}, "http:// or https://"),
        ]
        for fields, message in cases:
            with self.subTest(fields=fields):
                response = self.create(**fields)
                self.assertEqual(response.code, 400)
                body = response.body.decode()
                self.assertIn(message, body)
                # The form comes back filled in (escaped), ready to correct.
                self.assertIn('name="title" value="', body)
        with dbobject.connect(self.db_path) as conn:
            self.assertEqual(Post.recent(conn), [])

    def test_titles_and_comments_are_escaped(self):
        self.login()
        self.create(title="<script>alert(1)</script>", url="https://example.org/?a=1&b=2")
        home = self.request("/").body.decode()
        self.assertNotIn("<script>alert(1)</script>", home)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", home)
        self.assertIn('href="https://example.org/?a=1&amp;b=2"', home)

    def test_delete(self):
        self.login()
        self.create(title="Doomed", url="https://example.org/")
        with dbobject.connect(self.db_path) as conn:
            (post,) = Post.recent(conn)
        response = self.post_form("/admin", {"action": "delete", "post_id": str(post.id)})
        self.assertEqual(response.code, 302)
        self.assertEqual(self.request(f"/post/{post.id}").code, 404)
        again = self.post_form("/admin", {"action": "delete", "post_id": str(post.id)})
        self.assertEqual(again.code, 404)
        bad = self.post_form("/admin", {"action": "delete", "post_id": "1; DROP TABLE posts"})
        self.assertEqual(bad.code, 400)

    def test_unknown_action_is_400(self):
        self.login()
        self.assertEqual(self.post_form("/admin", {"action": "frobnicate"}).code, 400)


def test_validate_accepts_a_normal_link():
    assert validate("A title", "https://example.org/a?b=c#d", "") == []
    assert validate("A title", "HTTP://EXAMPLE.ORG", "") == []


class DebugMode(BlogTestCase):
    app_settings = {"debug": True, "autoreload": False}

    def test_http_errors_keep_their_page_in_debug_mode(self):
        response = self.request("/post/5")
        self.assertEqual(response.code, 404)
        self.assertIn("There is no page at this address.", response.body.decode())

    def test_crashes_show_the_traceback_in_debug_mode(self):
        self.app.db.close()  # every query now raises RuntimeError
        with ExpectLog("tornado.application", "Uncaught exception"):
            response = self.request("/")
        self.assertEqual(response.code, 500)
        self.assertIn("RuntimeError: the database is closed", response.body.decode())


class Crash(BlogTestCase):
    def test_crashes_get_the_friendly_500_page(self):
        self.app.db.close()
        with ExpectLog("tornado.application", "Uncaught exception"):
            response = self.request("/")
        self.assertEqual(response.code, 500)
        body = response.body.decode()
        self.assertIn("Something went wrong on our side.", body)
        self.assertNotIn("RuntimeError", body)
        Pages.assert_in_the_layout(self, response)
