import re

import tornado.web
from tornado.testing import AsyncHTTPTestCase, ExpectLog

import app
import settings
from handlers.base import SECURITY_HEADERS, BaseHandler
from helpers import cookies_from

SECRET_DETAIL = "secret detail that must never reach the browser"
REQUIRED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class BoomHandler(BaseHandler):
    """A page that fails, to see the 500 page."""

    def get(self):
        raise RuntimeError(SECRET_DETAIL)


class DetailedErrorHandler(BaseHandler):
    """An HTTPError with both a reason (for the client) and a log_message (for the log)."""

    def get(self):
        raise tornado.web.HTTPError(409, "internal detail %s", SECRET_DETAIL, reason="Try again")


class HomePageTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(
            [(r"/boom", BoomHandler), (r"/conflict", DetailedErrorHandler)], deployment="dev"
        )

    def get_http_server(self):
        return app.make_server(self._app)

    def assert_security_headers(self, response):
        for name, value in SECURITY_HEADERS.items():
            self.assertEqual(response.headers.get(name), value, name)

    def test_home_page_renders(self):
        response = self.fetch("/")
        self.assertEqual(response.code, 200)
        body = response.body.decode()
        self.assertIn(f"<title>{settings.SITE_NAME}</title>", body)
        self.assertIn('<p class="lead">', body)
        self.assertIn("Deployment: dev", body)

    def test_pages_and_static_files_carry_the_security_headers(self):
        self.assertIn("default-src 'self'", SECURITY_HEADERS["Content-Security-Policy"])
        # What every page must carry, whatever the table says.
        for name, value in REQUIRED_HEADERS.items():
            self.assertEqual(SECURITY_HEADERS.get(name), value, name)
        for path in ("/", "/media/css/site.css", "/media/js/site.js", "/healthz", "/no/such"):
            with self.subTest(path=path):
                self.assert_security_headers(self.fetch(path))

    def test_head_is_answered_wherever_get_is(self):
        for path, content_type in [
            ("/", "text/html"),
            ("/healthz", "application/json"),
            ("/media/css/site.css", "text/css"),
        ]:
            with self.subTest(path=path):
                response = self.fetch(path, method="HEAD")
                self.assertEqual(response.code, 200)
                self.assertEqual(response.body, b"")
                self.assertIn(content_type, response.headers["Content-Type"])
                self.assertGreater(int(response.headers["Content-Length"]), 0)

    def test_healthz(self):
        response = self.fetch("/healthz")
        self.assertEqual(response.code, 200)
        self.assertEqual(response.body, b'{"status": "ok"}')
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        for method in ("GET", "HEAD"):
            response = self.fetch("/healthz", method=method)
            self.assertNotIn("Set-Cookie", response.headers, f"{method} /healthz sets a cookie")
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))

    def test_home_page_sets_the_xsrf_cookie_and_form_field(self):
        response = self.fetch("/")
        token = cookies_from(response).get("_xsrf")
        self.assertTrue(token)
        self.assertIn('name="_xsrf"', response.body.decode())

    def test_xsrf_cookie_is_samesite_lax(self):
        header = next(
            h for h in self.fetch("/").headers.get_list("Set-Cookie") if h.startswith("_xsrf=")
        )
        self.assertIn("SameSite=Lax", header)

    def test_static_files_are_served_from_media_with_a_version_hash(self):
        body = self.fetch("/").body.decode()
        match = re.search(r'href="(/media/css/site\.css\?v=[0-9a-f]+)"', body)
        self.assertIsNotNone(match, "the stylesheet link does not use static_url()")
        css = self.fetch(match.group(1))
        self.assertEqual(css.code, 200)
        self.assertIn("text/css", css.headers["Content-Type"])
        self.assertEqual(self.fetch("/media/js/site.js").code, 200)

    def test_named_routes(self):
        application = self.get_app()
        self.assertEqual(application.reverse_url("home"), "/")
        self.assertEqual(application.reverse_url("healthz"), "/healthz")
        self.assertEqual(application.reverse_url("api-echo"), "/api/echo")

    def test_unknown_page_is_a_friendly_404(self):
        response = self.fetch("/no/such/page")
        self.assertEqual(response.code, 404)
        self.assertIn("text/html", response.headers["Content-Type"])
        body = response.body.decode()
        self.assertIn("404: Not Found", body)
        self.assertIn("There is no page at /no/such/page", body)
        self.assertIn("Back to the home page", body)

    def test_wrong_method_is_a_friendly_405(self):
        token = cookies_from(self.fetch("/"))["_xsrf"]
        headers = {"Cookie": f"_xsrf={token}", "X-XSRFToken": token}
        for method, body in (("POST", ""), ("OPTIONS", None)):
            with self.subTest(method=method):
                response = self.fetch("/", method=method, body=body, headers=headers)
                self.assertEqual(response.code, 405)
                self.assertIn("text/html", response.headers["Content-Type"])
                body = response.body.decode()
                self.assertIn("405: Method Not Allowed", body)
                self.assertIn('<link rel="stylesheet" href="/media/css/site.css?v=', body)
                self.assertIn("Back to the home page", body)

    def test_favicon(self):
        body = self.fetch("/").body.decode()
        match = re.search(r'<link rel="icon" href="(/media/favicon\.svg\?v=[0-9a-f]+)"', body)
        self.assertIsNotNone(match, "no favicon link with static_url() in the layout")
        icon = self.fetch(match.group(1))
        self.assertEqual(icon.code, 200)
        self.assertEqual(icon.headers["Content-Type"], "image/svg+xml")
        # Browsers that ask for /favicon.ico anyway are sent to it.
        response = self.fetch("/favicon.ico", follow_redirects=False)
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], match.group(1))
        self.assertEqual(self.fetch("/favicon.ico").code, 200)

    def test_post_to_unknown_page_is_404_not_403(self):
        response = self.fetch("/no/such/page", method="POST", body="")
        self.assertEqual(response.code, 404)

    def test_error_messages_are_escaped(self):
        response = self.fetch("/%3Cscript%3Ealert(1)%3C/script%3E")
        self.assertEqual(response.code, 404)
        self.assertNotIn("<script>alert(1)", response.body.decode())

    def test_the_client_sees_the_reason_and_the_log_gets_the_log_message(self):
        with ExpectLog("tornado.general", f"409 GET /conflict .*internal detail {SECRET_DETAIL}"):
            response = self.fetch("/conflict")
        self.assertEqual(response.code, 409)
        self.assertEqual(response.reason, "Try again")
        body = response.body.decode()
        self.assertIn("Try again", body)
        self.assertNotIn(SECRET_DETAIL, body)

    def test_500_page_shows_no_traceback(self):
        with ExpectLog("tornado.application", "Uncaught exception"):
            response = self.fetch("/boom")
        self.assertEqual(response.code, 500)
        body = response.body.decode()
        self.assertIn("500: Internal Server Error", body)
        self.assertIn("Something went wrong", body)
        self.assertNotIn("Traceback", body)
        self.assertNotIn("RuntimeError", body)
        self.assertNotIn(SECRET_DETAIL, body)

    def test_a_body_over_the_limit_is_refused(self):
        with ExpectLog("tornado.general", "Content-Length too long", required=False):
            response = self.fetch("/", method="POST", body=b"x" * (app.MAX_BODY_SIZE + 1))
        self.assertEqual(response.code, 400)
        # Just under the limit the request reaches the application (403: no XSRF token).
        with ExpectLog("tornado.general", "403 POST /"):
            response = self.fetch("/", method="POST", body=b"x" * (app.MAX_BODY_SIZE - 1))
        self.assertEqual(response.code, 403)


class DebugErrorPagesTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app([(r"/boom", BoomHandler)], deployment="dev", serve_traceback=True)

    def test_500_page_shows_the_traceback_in_debug_mode(self):
        with ExpectLog("tornado.application", "Uncaught exception"):
            response = self.fetch("/boom")
        self.assertEqual(response.code, 500)
        body = response.body.decode()
        self.assertIn("Traceback", body)
        self.assertIn(SECRET_DETAIL, body)


class ProductionPagesTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(deployment="production")

    def test_production_does_not_show_the_deployment(self):
        response = self.fetch("/")
        self.assertEqual(response.code, 200)
        self.assertNotIn("Deployment:", response.body.decode())

    def test_production_caches_compiled_templates(self):
        application = self.get_app()
        self.assertNotIn("compiled_template_cache", application.settings)
        self.assertFalse(application.settings["debug"])
        self.assertTrue(application.settings["xheaders"])
