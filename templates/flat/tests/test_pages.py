import re

from tornado.testing import AsyncHTTPTestCase

import app
import settings
from helpers import cookies_from


class HomePageTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(deployment="dev")

    def test_home_page_renders(self):
        response = self.fetch("/")
        self.assertEqual(response.code, 200)
        body = response.body.decode()
        self.assertIn(f"<title>{settings.SITE_NAME}</title>", body)
        self.assertIn('<p class="lead">', body)
        self.assertIn("Deployment: dev", body)

    def test_home_page_sets_the_xsrf_cookie_and_form_field(self):
        response = self.fetch("/")
        token = cookies_from(response).get("_xsrf")
        self.assertTrue(token)
        self.assertIn('name="_xsrf"', response.body.decode())

    def test_static_files_are_served_from_media_with_a_version_hash(self):
        body = self.fetch("/").body.decode()
        match = re.search(r'href="(/media/css/site\.css\?v=[0-9a-f]+)"', body)
        self.assertIsNotNone(match, "the stylesheet link does not use static_url()")
        css = self.fetch(match.group(1))
        self.assertEqual(css.code, 200)
        self.assertIn("text/css", css.headers["Content-Type"])
        self.assertEqual(self.fetch("/media/js/site.js").code, 200)

    def test_named_routes(self):
        application = self.get_app()
        self.assertEqual(application.reverse_url("home"), "/")
        self.assertEqual(application.reverse_url("api-echo"), "/api/echo")

    def test_unknown_page_is_a_friendly_404(self):
        response = self.fetch("/no/such/page")
        self.assertEqual(response.code, 404)
        self.assertIn("text/html", response.headers["Content-Type"])
        body = response.body.decode()
        self.assertIn("404: Not Found", body)
        self.assertIn("There is no page at /no/such/page", body)
        self.assertIn("Back to the home page", body)

    def test_post_to_unknown_page_is_404_not_403(self):
        response = self.fetch("/no/such/page", method="POST", body="")
        self.assertEqual(response.code, 404)

    def test_error_messages_are_escaped(self):
        response = self.fetch("/%3Cscript%3Ealert(1)%3C/script%3E")
        self.assertEqual(response.code, 404)
        self.assertNotIn("<script>alert(1)", response.body.decode())


class ProductionPagesTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(deployment="production")

    def test_production_does_not_show_the_deployment(self):
        response = self.fetch("/")
        self.assertEqual(response.code, 200)
        self.assertNotIn("Deployment:", response.body.decode())

    def test_production_caches_compiled_templates(self):
        application = self.get_app()
        self.assertNotIn("compiled_template_cache", application.settings)
        self.assertFalse(application.settings["debug"])
        self.assertTrue(application.settings["xheaders"])
