import json

from tornado.testing import AsyncHTTPTestCase, ExpectLog

import app
from helpers import cookies_from


class ApiTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(deployment="dev")

    def xsrf_headers(self, content_type="application/json"):
        """Headers that pass the XSRF check, with the token a browser would have."""
        token = cookies_from(self.fetch("/"))["_xsrf"]
        return {
            "Cookie": f"_xsrf={token}",
            "X-XSRFToken": token,
            "Content-Type": content_type,
        }

    def post(self, path, body, **headers):
        all_headers = self.xsrf_headers()
        all_headers.update(headers)
        return self.fetch(path, method="POST", body=body, headers=all_headers)

    def assert_json_error(self, response, status):
        self.assertEqual(response.code, status)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        error = json.loads(response.body)["error"]
        self.assertEqual(error["status"], status)
        self.assertIsInstance(error["message"], str)
        self.assertTrue(error["message"])
        return error

    def test_echo_round_trip(self):
        response = self.post("/api/echo", json.dumps({"message": "héllo <b>"}))
        self.assertEqual(response.code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(json.loads(response.body), {"echo": "héllo <b>", "length": 9})

    def test_bad_json_is_a_400_with_a_json_error(self):
        response = self.post("/api/echo", b'{"message": ')
        error = self.assert_json_error(response, 400)
        self.assertIn("Invalid JSON body", error["message"])

    def test_body_that_is_not_utf8_is_a_400(self):
        response = self.post("/api/echo", b'{"message": "\xff"}')
        error = self.assert_json_error(response, 400)
        self.assertIn("not UTF-8", error["message"])

    def test_nan_and_infinity_are_a_400(self):
        for body in (b'{"message": NaN}', b"[Infinity]", b"-Infinity"):
            with self.subTest(body=body):
                error = self.assert_json_error(self.post("/api/echo", body), 400)
                self.assertRegex(error["message"], r"^Invalid JSON body: -?(NaN|Infinity) is not")

    def test_numbers_past_a_float_are_a_400_not_infinity(self):
        for body in (b'{"message": 1e999}', b'{"message": -1e999}'):
            with self.subTest(body=body):
                error = self.assert_json_error(self.post("/api/echo", body), 400)
                self.assertRegex(error["message"], r"^Invalid JSON body: -?1e999 is too large")

    def test_deeply_nested_json_is_a_400_not_a_500(self):
        for depth in (65, 100_000):
            with self.subTest(depth=depth), self.assertNoLogs("tornado.application"):
                body = b"[" * depth + b"]" * depth
                error = self.assert_json_error(self.post("/api/echo", body), 400)
                self.assertIn("nests deeper than 64 levels", error["message"])
        # 64 levels are fine (and then the body is not an object: a missing field).
        error = self.assert_json_error(self.post("/api/echo", b"[" * 64 + b"]" * 64), 400)
        self.assertEqual(error["message"], "Missing JSON field 'message'")

    def test_missing_field_is_a_400(self):
        error = self.assert_json_error(self.post("/api/echo", b"{}"), 400)
        self.assertEqual(error["message"], "Missing JSON field 'message'")

    def test_wrong_type_is_a_400(self):
        error = self.assert_json_error(self.post("/api/echo", b'{"message": 3}'), 400)
        self.assertIn("must be a string", error["message"])

    def test_json_array_body_is_a_400(self):
        self.assert_json_error(self.post("/api/echo", b'["message"]'), 400)

    def test_form_body_is_a_415(self):
        response = self.post(
            "/api/echo", "message=hi", **{"Content-Type": "application/x-www-form-urlencoded"}
        )
        self.assert_json_error(response, 415)

    def test_post_without_xsrf_token_is_a_403_with_a_json_error(self):
        # Tornado's log_message ("'_xsrf' argument missing from POST") goes to the log; the
        # client gets the reason phrase.
        with ExpectLog("tornado.general", "403 POST /api/echo .*'_xsrf' argument missing"):
            response = self.fetch(
                "/api/echo",
                method="POST",
                body=json.dumps({"message": "hi"}),
                headers={"Content-Type": "application/json"},
            )
        error = self.assert_json_error(response, 403)
        self.assertEqual(error["message"], "Forbidden")

    def test_wrong_method_is_a_json_405(self):
        self.assert_json_error(self.fetch("/api/echo"), 405)

    def test_unknown_api_path_is_a_json_404(self):
        self.assert_json_error(self.fetch("/api/nope"), 404)
