import os
import subprocess
import sys
import tempfile
import unittest

from tornado.options import OptionParser

import settings


class DeploymentTest(unittest.TestCase):
    def test_default_deployment(self):
        self.assertEqual(settings.get_deployment({}), settings.DEFAULT_DEPLOYMENT)
        self.assertIn(settings.DEFAULT_DEPLOYMENT, settings.DEPLOYMENTS)

    def test_deployment_from_the_environment(self):
        for name in settings.DEPLOYMENTS:
            self.assertEqual(settings.get_deployment({"DEPLOYMENT": name.upper()}), name)

    def test_unknown_deployment_is_rejected(self):
        with self.assertRaisesRegex(ValueError, "DEPLOYMENT must be one of"):
            settings.get_deployment({"DEPLOYMENT": "qa"})

    def test_each_deployment_has_its_settings(self):
        dev = settings.get_settings("dev", environ={})
        staging = settings.get_settings("staging", environ={})
        production = settings.get_settings("production", environ={})
        self.assertFalse(dev["compiled_template_cache"])
        self.assertFalse(dev["xheaders"])
        self.assertTrue(production["xheaders"])
        self.assertEqual(production["log_level"], "INFO")
        self.assertEqual(staging["log_level"], "DEBUG")
        for s in (dev, staging, production):
            self.assertFalse(s["debug"], "debug is off unless --debug is given")
            self.assertTrue(s["xsrf_cookies"])

    def test_static_path_is_media(self):
        s = settings.get_settings("dev", environ={})
        self.assertEqual(s["static_path"], os.path.join(settings.ROOT, "media"))
        self.assertTrue(os.path.isfile(os.path.join(s["static_path"], "css", "site.css")))
        self.assertEqual(s["static_url_prefix"], "/media/")


class CookieSecretTest(unittest.TestCase):
    def test_generated_secret_is_used_by_default(self):
        s = settings.get_settings("dev", environ={})
        self.assertEqual(s["cookie_secret"], settings.DEFAULT_COOKIE_SECRET)
        self.assertRegex(settings.DEFAULT_COOKIE_SECRET, r"^[0-9a-f]{64}$")

    def test_environment_overrides_the_secret(self):
        s = settings.get_settings("dev", environ={"COOKIE_SECRET": "from-the-environment"})
        self.assertEqual(s["cookie_secret"], "from-the-environment")


class OptionsTest(unittest.TestCase):
    def parser(self):
        return settings.define_options(OptionParser())

    def test_defaults(self):
        parser = self.parser()
        self.assertEqual(settings.parse_options(["app.py"], parser), [])
        self.assertEqual(parser.port, 8888)
        self.assertEqual(parser.address, "127.0.0.1")
        self.assertFalse(parser.debug)
        self.assertFalse(parser.syslog)
        self.assertEqual(parser.shutdown_grace, 10.0)
        self.assertIsNone(parser.logging)  # not given: the deployment's level applies

    def test_command_line(self):
        parser = self.parser()
        argv = ["app.py", "--port=9001", "--debug", "--shutdown_grace=2.5", "--logging=warning"]
        self.assertEqual(settings.parse_options(argv, parser), [])
        self.assertEqual(parser.port, 9001)
        self.assertTrue(parser.debug)
        self.assertEqual(parser.shutdown_grace, 2.5)
        self.assertEqual(parser.logging, "warning")

    def test_mistakes_are_one_line_and_exit_status_2(self):
        cases = {
            "--port=abc": "invalid literal for int() with base 10: 'abc'",
            "--nope": "unknown option '--nope'",
            "--nope=1 --port=1": "unknown option '--nope'",
            "--port 8000": "Option 'port' requires a value",
            "--port --debug": "Option 'port' requires a value",
            "8000": "unexpected argument '8000'; options take the form --name=value",
            "--debug 8000": "unexpected argument '8000'",
            "--config=no-such-file.py": "No such file or directory",
            "--logging=loud": "--logging must be one of",
        }
        for args, message in cases.items():
            with self.subTest(args=args):
                result = subprocess.run(
                    [sys.executable, "app.py", *args.split()],
                    cwd=settings.ROOT,
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
                self.assertTrue(result.stderr.startswith("error: "), result.stderr)
                self.assertIn(message, result.stderr)
                self.assertNotIn("Traceback", result.stderr)
                self.assertEqual(result.stdout, "")

    def test_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write('port = 9002\naddress = "0.0.0.0"\n')
        try:
            parser = self.parser()
            settings.parse_options(["app.py", f"--config={f.name}"], parser)
        finally:
            os.unlink(f.name)
        self.assertEqual(parser.port, 9002)
        self.assertEqual(parser.address, "0.0.0.0")

    def test_importing_settings_did_not_parse_the_command_line(self):
        # pytest's own arguments are in sys.argv; the global options must still be defaults.
        self.assertEqual(settings.options.port, 8888)
