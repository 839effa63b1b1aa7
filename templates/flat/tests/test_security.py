"""Cross-origin protection, the XSRF token beside it, and Secure cookies over HTTPS."""

import json

from tornado.testing import AsyncHTTPTestCase, ExpectLog

import app
from helpers import cookies_from

EVIL = "https://evil.example"
FRONT_END = "https://front.example"


class CrossOriginTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(deployment="dev", trusted_origins=[FRONT_END])

    def post(self, **headers):
        """POST /api/echo with a valid XSRF token and cookie, and ``headers``."""
        token = cookies_from(self.fetch("/"))["_xsrf"]
        headers = {
            "Cookie": f"_xsrf={token}",
            "X-XSRFToken": token,
            "Content-Type": "application/json",
            **headers,
        }
        return self.fetch(
            "/api/echo", method="POST", body=json.dumps({"message": "hi"}), headers=headers
        )

    def test_a_cross_site_post_with_a_valid_token_is_403(self):
        with ExpectLog("tornado.general", "403 POST /api/echo .*cross-site"):
            response = self.post(**{"Sec-Fetch-Site": "cross-site", "Origin": EVIL})
        self.assertEqual(response.code, 403)
        self.assertEqual(json.loads(response.body)["error"]["status"], 403)

    def test_an_old_browser_posting_from_another_origin_is_403(self):
        # No Sec-Fetch-Site: the Origin header must match the Host.
        with ExpectLog("tornado.general", "403 POST /api/echo"):
            self.assertEqual(self.post(Origin=EVIL).code, 403)

    def test_a_trusted_origin_may_post(self):
        response = self.post(**{"Sec-Fetch-Site": "cross-site", "Origin": FRONT_END})
        self.assertEqual(response.code, 200)

    def test_a_same_origin_post_passes(self):
        origin = f"http://127.0.0.1:{self.get_http_port()}"
        response = self.post(**{"Sec-Fetch-Site": "same-origin", "Origin": origin})
        self.assertEqual(response.code, 200)
        self.assertEqual(self.post(Origin=origin).code, 200)  # an old browser, same origin

    def test_the_xsrf_token_is_still_required(self):
        origin = f"http://127.0.0.1:{self.get_http_port()}"
        with ExpectLog("tornado.general", "403 POST /api/echo .*'_xsrf' argument missing"):
            response = self.fetch(
                "/api/echo",
                method="POST",
                body=json.dumps({"message": "hi"}),
                headers={
                    "Content-Type": "application/json",
                    "Sec-Fetch-Site": "same-origin",
                    "Origin": origin,
                },
            )
        self.assertEqual(response.code, 403)


class SecureCookieTest(AsyncHTTPTestCase):
    """Behind a proxy that terminates TLS (--xheaders), the _xsrf cookie is Secure."""

    def get_app(self):
        return app.make_app(deployment="dev", xheaders=True)

    def get_http_server(self):
        return app.make_server(self._app)

    def xsrf_cookie(self, **headers):
        response = self.fetch("/", headers=headers)
        return next(h for h in response.headers.get_list("Set-Cookie") if h.startswith("_xsrf="))

    def test_https_behind_a_proxy_sets_a_secure_cookie(self):
        cookie = self.xsrf_cookie(**{"X-Forwarded-Proto": "https"})
        self.assertIn("Secure", cookie)
        self.assertIn("SameSite=Lax", cookie)

    def test_plain_http_does_not(self):
        self.assertNotIn("Secure", self.xsrf_cookie())
        self.assertNotIn("Secure", self.xsrf_cookie(**{"X-Forwarded-Proto": "http"}))


class NoProxyTest(AsyncHTTPTestCase):
    """Without xheaders, a client cannot claim HTTPS with a header."""

    def get_app(self):
        return app.make_app(deployment="dev", xheaders=False)

    def get_http_server(self):
        return app.make_server(self._app)

    def test_a_forwarded_proto_header_is_ignored(self):
        response = self.fetch("/", headers={"X-Forwarded-Proto": "https"})
        (cookie,) = response.headers.get_list("Set-Cookie")
        self.assertNotIn("Secure", cookie)
