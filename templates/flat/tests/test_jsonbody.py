import unittest

from lib import jsonbody


class JsonBodyTest(unittest.TestCase):
    def test_content_types(self):
        self.assertTrue(jsonbody.is_json_content_type("application/json"))
        self.assertTrue(jsonbody.is_json_content_type("Application/JSON; charset=utf-8"))
        self.assertTrue(jsonbody.is_json_content_type("application/merge-patch+json"))
        self.assertFalse(jsonbody.is_json_content_type("text/plain"))
        self.assertFalse(jsonbody.is_json_content_type("application/x-www-form-urlencoded"))
        self.assertFalse(jsonbody.is_json_content_type(None))

    def test_decode(self):
        self.assertEqual(jsonbody.decode(b'{"a": [1, "\xc3\xa9"]}'), {"a": [1, "é"]})
        with self.assertRaises(jsonbody.InvalidJSON):
            jsonbody.decode(b"{nope")
        with self.assertRaisesRegex(jsonbody.InvalidJSON, "not UTF-8"):
            jsonbody.decode(b'"\xff"')

    def test_nan_infinity_and_deep_nesting_are_invalid(self):
        for body in (b"NaN", b"[1, Infinity]", b'{"a": -Infinity}'):
            with (
                self.subTest(body=body),
                self.assertRaisesRegex(jsonbody.InvalidJSON, "is not valid JSON"),
            ):
                jsonbody.decode(body)
        for body in (b"1e999", b"[-1e999]", b'{"a": 1.5e400}'):
            with (
                self.subTest(body=body),
                self.assertRaisesRegex(jsonbody.InvalidJSON, "is too large a number"),
            ):
                jsonbody.decode(body)
        self.assertEqual(jsonbody.decode(b"[1e308, -2.5]"), [1e308, -2.5])
        for depth in (jsonbody.MAX_DEPTH + 1, 200_000):
            with (
                self.subTest(depth=depth),
                self.assertRaisesRegex(jsonbody.InvalidJSON, "nests deeper"),
            ):
                jsonbody.decode(b"[" * depth + b"]" * depth)
        nested = b'{"a": ' * jsonbody.MAX_DEPTH + b"1" + b"}" * jsonbody.MAX_DEPTH
        self.assertIsInstance(jsonbody.decode(nested), dict)
