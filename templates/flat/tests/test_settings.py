import os
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
        parser.parse_command_line(["app.py"], final=False)
        self.assertEqual(parser.port, 8888)
        self.assertEqual(parser.address, "127.0.0.1")
        self.assertFalse(parser.debug)
        self.assertFalse(parser.syslog)

    def test_command_line(self):
        parser = self.parser()
        parser.parse_command_line(["app.py", "--port=9001", "--debug"], final=False)
        self.assertEqual(parser.port, 9001)
        self.assertTrue(parser.debug)

    def test_values_may_follow_the_option_after_a_space(self):
        parser = self.parser()
        rest = settings.parse_command_line(
            ["app.py", "--port", "9003", "--debug", "--address", "0.0.0.0", "extra"], parser
        )
        self.assertEqual(parser.port, 9003)
        self.assertTrue(parser.debug)
        self.assertEqual(parser.address, "0.0.0.0")
        self.assertEqual(rest, ["extra"])

    def test_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write('port = 9002\naddress = "0.0.0.0"\n')
        try:
            parser = self.parser()
            parser.parse_command_line(["app.py", f"--config={f.name}"], final=False)
        finally:
            os.unlink(f.name)
        self.assertEqual(parser.port, 9002)
        self.assertEqual(parser.address, "0.0.0.0")

    def test_importing_settings_did_not_parse_the_command_line(self):
        # pytest's own arguments are in sys.argv; the global options must still be defaults.
        self.assertEqual(settings.options.port, 8888)
