import logging
import os
import socket
import tempfile
import unittest

import tornado.log
from tornado.testing import AsyncHTTPTestCase

import app
import logconfig


class RecordingHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


class LoggingConfigTest(AsyncHTTPTestCase):
    """logconfig.configure() must leave Tornado's own loggers working."""

    def setUp(self):
        root = logging.getLogger()
        self.saved = (root.level, root.handlers[:])
        self.config = logconfig.configure("DEBUG", syslog=False)
        self.recorder = RecordingHandler()
        root.addHandler(self.recorder)
        super().setUp()

    def tearDown(self):
        super().tearDown()
        root = logging.getLogger()
        for handler in root.handlers[:]:
            if handler not in self.saved[1]:
                root.removeHandler(handler)
        for handler in self.saved[1]:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(self.saved[0])

    def get_app(self):
        return app.make_app(deployment="dev")

    def test_existing_loggers_are_not_disabled(self):
        self.assertFalse(self.config["disable_existing_loggers"])
        for name in ("tornado.access", "tornado.application", "tornado.general"):
            self.assertFalse(logging.getLogger(name).disabled, name)

    def test_requests_reach_the_access_log(self):
        self.assertEqual(self.fetch("/").code, 200)
        access = [r for r in self.recorder.records if r.name == "tornado.access"]
        self.assertTrue(access, "no tornado.access record for GET /")
        self.assertIn("GET / ", access[-1].getMessage())

    def test_console_uses_tornado_log_formatter(self):
        console = [
            h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)
        ]
        self.assertTrue(console)
        self.assertIsInstance(console[0].formatter, tornado.log.LogFormatter)


class SyslogTest(unittest.TestCase):
    def test_no_syslog_unless_asked(self):
        config = logconfig.build_config("INFO", syslog=False, syslog_socket="/dev/log")
        self.assertEqual(config["root"]["handlers"], ["console"])
        self.assertNotIn("syslog", config["handlers"])

    def test_syslog_when_asked_and_the_socket_exists(self):
        config = logconfig.build_config("INFO", syslog=True, syslog_socket="/dev/log", tag="t")
        self.assertEqual(config["root"]["handlers"], ["console", "syslog"])
        self.assertEqual(config["handlers"]["syslog"]["address"], "/dev/log")

    def test_only_listening_sockets_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, "missing")
            self.assertIsNone(logconfig.find_syslog_socket([missing, tmp, __file__]))
            path = os.path.join(tmp, "log")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
                server.bind(path)
                self.assertEqual(logconfig.find_syslog_socket([missing, tmp, path]), path)

    def test_messages_reach_syslog(self):
        root = logging.getLogger()
        saved = (root.level, root.handlers[:])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "log")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
                server.bind(path)
                server.settimeout(5)
                try:
                    config = logconfig.configure("INFO", syslog=True, tag="demo", candidates=[path])
                    logging.getLogger("tests").warning("hello syslog")
                    received = server.recv(4096).decode()
                finally:
                    for handler in root.handlers[:]:
                        if handler not in saved[1]:
                            root.removeHandler(handler)
                            handler.close()
                    root.handlers[:] = saved[1]
                    root.setLevel(saved[0])
        self.assertEqual(config["root"]["handlers"], ["console", "syslog"])
        self.assertIn("demo[", received)
        self.assertIn("WARNING tests hello syslog", received)

    def test_syslog_asked_without_a_socket_falls_back_to_the_console(self):
        root = logging.getLogger()
        saved = (root.level, root.handlers[:])
        missing = os.path.join(os.path.dirname(__file__), "no-such-socket")
        try:
            with self.assertLogs("logconfig", "WARNING") as logs:
                config = logconfig.configure("INFO", syslog=True, candidates=[missing, __file__])
        finally:
            root.handlers[:] = saved[1]
            root.setLevel(saved[0])
        self.assertEqual(config["root"]["handlers"], ["console"])
        self.assertIn("no syslog socket accepts connections", logs.output[0])
