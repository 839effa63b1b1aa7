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
