import logging
import logging.handlers
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import tornado.log
from tornado.options import OptionParser
from tornado.testing import AsyncHTTPTestCase

import app
import logconfig
import settings


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
        console = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
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


class LoggingOptionsTest(unittest.TestCase):
    """Tornado's logging options, which --help lists, are honoured (configure_from_options)."""

    def setUp(self):
        root = logging.getLogger()
        saved = (root.level, root.handlers[:])

        def restore():
            for handler in root.handlers[:]:
                if handler not in saved[1]:
                    root.removeHandler(handler)
                    handler.close()
            root.handlers[:] = saved[1]
            root.setLevel(saved[0])

        self.addCleanup(restore)
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.log_file = os.path.join(tmp.name, "server.log")

    def configure(self, *args, default_level="INFO"):
        parser = settings.define_options(OptionParser())
        settings.parse_options(["app.py", *args], parser)
        return logconfig.configure_from_options(parser, default_level, candidates=[])

    def root_handlers(self):
        return [type(h).__name__ for h in logging.getLogger().handlers]

    def read_log(self):
        for handler in logging.getLogger().handlers:
            handler.flush()
        with open(self.log_file, encoding="utf-8") as f:
            return f.read()

    def test_logging_sets_the_level(self):
        self.configure("--logging=warning", f"--log_file_prefix={self.log_file}")
        self.assertEqual(logging.getLogger().level, logging.WARNING)
        logging.getLogger("app").info("quiet info")
        logging.getLogger("app").warning("loud warning")
        text = self.read_log()
        self.assertIn("loud warning", text)
        self.assertNotIn("quiet info", text)

    def test_without_logging_the_deployment_level_applies(self):
        self.configure(default_level="DEBUG")
        self.assertEqual(logging.getLogger().level, logging.DEBUG)
        self.configure("--logging=error", default_level="DEBUG")
        self.assertEqual(logging.getLogger().level, logging.ERROR)

    def test_logging_none_leaves_logging_alone(self):
        before = logging.getLogger().handlers[:]
        self.assertIsNone(self.configure("--logging=none"))
        self.assertEqual(logging.getLogger().handlers, before)

    def test_unknown_level_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "--logging must be one of"):
            self.configure("--logging=loud")

    def test_log_file_prefix_logs_to_that_file_instead_of_the_console(self):
        config = self.configure(f"--log_file_prefix={self.log_file}")
        self.assertEqual(config["root"]["handlers"], ["file"])
        self.assertEqual(self.root_handlers(), ["RotatingFileHandler"])
        logging.getLogger("app").warning("to the file")
        self.assertIn("to the file", self.read_log())

    def test_log_file_rotation_options(self):
        self.configure(
            f"--log_file_prefix={self.log_file}",
            "--log_file_max_size=5000",
            "--log_file_num_backups=3",
        )
        (handler,) = logging.getLogger().handlers
        self.assertIsInstance(handler, logging.handlers.RotatingFileHandler)
        self.assertEqual((handler.maxBytes, handler.backupCount), (5000, 3))
        self.configure(
            f"--log_file_prefix={self.log_file}",
            "--log_rotate_mode=time",
            "--log_rotate_when=H",
            "--log_rotate_interval=2",
        )
        (handler,) = logging.getLogger().handlers
        self.assertIsInstance(handler, logging.handlers.TimedRotatingFileHandler)
        self.assertEqual((handler.when, handler.interval), ("H", 2 * 3600))
        with self.assertRaisesRegex(ValueError, "--log_rotate_mode"):
            self.configure(f"--log_file_prefix={self.log_file}", "--log_rotate_mode=never")

    def test_log_to_stderr(self):
        self.configure(f"--log_file_prefix={self.log_file}", "--log_to_stderr")
        self.assertEqual(self.root_handlers(), ["StreamHandler", "RotatingFileHandler"])
        self.configure("--log_to_stderr=false")
        self.assertEqual(self.root_handlers(), [])
        self.configure()
        self.assertEqual(self.root_handlers(), ["StreamHandler"])

    @unittest.skipIf(sys.platform == "win32", "POSIX signals")
    def test_the_server_logs_to_the_file_and_not_to_stderr(self):
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port=0", f"--log_file_prefix={self.log_file}"],
            cwd=settings.ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            match = None
            while match is None and time.monotonic() < deadline:
                self.assertIsNone(proc.poll(), "the server exited early")
                time.sleep(0.1)
                if os.path.exists(self.log_file):
                    with open(self.log_file, encoding="utf-8") as f:
                        match = re.search(r"Listening on (http://[0-9.:]+)", f.read())
            self.assertIsNotNone(match, "no 'Listening on' line in the log file")
            with urllib.request.urlopen(match.group(1) + "/", timeout=10) as response:
                self.assertEqual(response.status, 200)
            proc.send_signal(signal.SIGTERM)
            stderr = proc.stderr.read()
            self.assertEqual(proc.wait(timeout=10), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        with open(self.log_file, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("200 GET / ", text)
        self.assertIn("Stopped", text)
        self.assertEqual(stderr, "")
