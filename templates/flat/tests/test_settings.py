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
        environ = {"COOKIE_SECRET": "x"}
        dev = settings.get_settings("dev", environ=environ)
        staging = settings.get_settings("staging", environ=environ)
        production = settings.get_settings("production", environ=environ)
        self.assertFalse(dev["compiled_template_cache"])
        self.assertFalse(dev["xheaders"])
        self.assertTrue(production["xheaders"])
        self.assertEqual(production["log_level"], "INFO")
        self.assertEqual(staging["log_level"], "DEBUG")
        for s in (dev, staging, production):
            self.assertFalse(s["debug"], "debug is off unless --debug is given")
            self.assertTrue(s["xsrf_cookies"])

    def test_static_path_is_media(self):
        s = settings.get_settings("dev", environ={"COOKIE_SECRET": "x"})
        self.assertEqual(s["static_path"], os.path.join(settings.ROOT, "media"))
        self.assertTrue(os.path.isfile(os.path.join(s["static_path"], "css", "site.css")))
        self.assertEqual(s["static_url_prefix"], "/media/")


class CookieSecretTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.env_file = os.path.join(tmp.name, ".env")
        self.missing = os.path.join(tmp.name, "missing.env")

    def write_env(self, text):
        with open(self.env_file, "w", encoding="utf-8") as f:
            f.write(text)

    def secret(self, deployment, environ, env_file=None):
        return settings.get_settings(deployment, environ, env_file or self.env_file)[
            "cookie_secret"
        ]

    def test_the_environment_gives_the_secret(self):
        self.write_env("COOKIE_SECRET=from-the-file\n")
        for deployment in settings.DEPLOYMENTS:
            with self.subTest(deployment=deployment):
                environ = {"COOKIE_SECRET": "from-the-environment"}
                self.assertEqual(self.secret(deployment, environ), "from-the-environment")

    def test_dev_and_staging_read_the_env_file(self):
        self.write_env('# a comment\n\nOTHER=1\nCOOKIE_SECRET="from-the-file"\n')
        self.assertEqual(self.secret("dev", {}), "from-the-file")
        self.assertEqual(self.secret("staging", {"COOKIE_SECRET": ""}), "from-the-file")

    def test_production_ignores_the_env_file(self):
        self.write_env("COOKIE_SECRET=from-the-file\n")
        with self.assertRaisesRegex(ValueError, "COOKIE_SECRET is not set"):
            self.secret("production", {})

    def test_without_a_secret_the_settings_are_refused(self):
        for deployment in settings.DEPLOYMENTS:
            with self.subTest(deployment=deployment):
                with self.assertRaisesRegex(ValueError, "COOKIE_SECRET is not set"):
                    self.secret(deployment, {}, self.missing)

    def test_env_file_lines(self):
        self.write_env(
            "# COOKIE_SECRET=commented-out\nexport A=1\nB = 'two words'\nC=$HOME\nnot a setting\n"
        )
        self.assertEqual(
            settings.read_env_file(self.env_file), {"A": "1", "B": "two words", "C": "$HOME"}
        )
        self.assertEqual(settings.read_env_file(self.missing), {})

    def test_no_secret_is_written_in_the_code(self):
        # The generated secret lives in the git-ignored .env only (and COOKIE_SECRET is set
        # for the tests, by conftest.py, when there is no .env).
        secret = settings.read_env_file().get("COOKIE_SECRET")
        if secret is None:
            return
        for folder, _, files in os.walk(settings.ROOT):
            if ".venv" in folder or "__pycache__" in folder:
                continue
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(folder, name), encoding="utf-8") as f:
                        self.assertNotIn(secret, f.read(), name)


class SecurityTest(unittest.TestCase):
    def test_cross_origin_protection_and_the_xsrf_token(self):
        s = settings.get_settings("dev", environ={"COOKIE_SECRET": "x"})
        self.assertTrue(s["cross_origin_protection"])
        self.assertTrue(s["xsrf_cookies"])
        self.assertEqual(s["trusted_origins"], [])

    def test_trusted_origins_from_the_environment(self):
        environ = {
            "COOKIE_SECRET": "x",
            "TRUSTED_ORIGINS": " https://a.example/, https://b.example:8443",
        }
        self.assertEqual(
            settings.get_settings("dev", environ=environ)["trusted_origins"],
            ["https://a.example", "https://b.example:8443"],
        )

    def test_trusted_origins_option_wins(self):
        settings.options.trusted_origins = ["https://c.example"]
        self.addCleanup(setattr, settings.options, "trusted_origins", [])
        environ = {"COOKIE_SECRET": "x", "TRUSTED_ORIGINS": "https://a.example"}
        s = settings.get_settings("dev", environ=environ)
        self.assertEqual(s["trusted_origins"], ["https://c.example"])

    def test_trusted_origins_are_checked_and_lowercased(self):
        environ = {"COOKIE_SECRET": "x", "TRUSTED_ORIGINS": "HTTPS://App.Example.com/"}
        s = settings.get_settings("dev", environ=environ)
        self.assertEqual(s["trusted_origins"], ["https://app.example.com"])
        for bad in ("app.example.com", "https://app.example.com/path"):
            with (
                self.subTest(origin=bad),
                self.assertRaisesRegex(ValueError, "is not scheme://host"),
            ):
                settings.get_settings("dev", environ={**environ, "TRUSTED_ORIGINS": bad})

    def test_xheaders_option_overrides_the_deployment(self):
        environ = {"COOKIE_SECRET": "x"}
        self.assertFalse(settings.get_settings("dev", environ=environ)["xheaders"])
        settings.options.xheaders = True
        self.addCleanup(setattr, settings.options, "xheaders", None)
        self.assertTrue(settings.get_settings("dev", environ=environ)["xheaders"])


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
