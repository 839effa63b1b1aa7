"""Error pages: a crash is a styled 500 that never shows the exception, unless --debug."""

from tornado.testing import AsyncHTTPTestCase, ExpectLog

from handlers import BaseHandler
from server import make_app

SECRET_DETAIL = "db password is hunter2"


class Crash(BaseHandler):
    def get(self) -> None:
        raise RuntimeError(SECRET_DETAIL)


class CrashTest(AsyncHTTPTestCase):
    serve_traceback = False  # what --debug turns on (with autoreload, not wanted here)

    def get_app(self):
        return make_app(
            [(r"/crash", Crash)], cookie_secret="test-secret", serve_traceback=self.serve_traceback
        )

    def crash(self):
        with ExpectLog("tornado.application", "Uncaught exception GET /crash"):
            return self.fetch("/crash")


class WithoutDebug(CrashTest):
    def test_a_crash_is_the_styled_500_page_without_the_exception(self):
        response = self.crash()
        body = response.body.decode()
        self.assertEqual(response.code, 500)
        self.assertIn("500: Internal Server Error", body)
        self.assertIn('<a class="site" href="/">', body)  # in the site's layout
        self.assertNotIn(SECRET_DETAIL, body)
        self.assertNotIn("Traceback", body)
        self.assertNotIn("RuntimeError", body)


class WithDebug(CrashTest):
    serve_traceback = True

    def test_debug_shows_the_traceback(self):
        response = self.crash()
        self.assertEqual(response.code, 500)
        self.assertIn("Traceback", response.body.decode())
        self.assertIn(SECRET_DETAIL, response.body.decode())
