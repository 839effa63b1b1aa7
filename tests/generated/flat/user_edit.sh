# A user's edit of a `flat` project, for the update-from-an-earlier-version jobs (sourced by
# tests/generated/update_check.sh): an /about page (a handler, a template and a test of the
# user's own, a route added to urls.py) and a line of their own in .gitignore, which the new
# version changes elsewhere.

user_edit() {
  cat >handlers/about.py <<'PY'
"""The about page (the user's own)."""

from handlers.base import BaseHandler


class AboutHandler(BaseHandler):
    def get(self) -> None:
        self.render("about.html")

    def head(self) -> None:
        self.get()
PY
  cat >templates/about.html <<'HTML'
{% extends "base.html" %}

{% block content %}
<h1>About us</h1>
<p>We keep the team's notes.</p>
{% end %}
HTML
  cat >tests/test_about.py <<'PY'
from tornado.testing import AsyncHTTPTestCase

import app


class AboutTest(AsyncHTTPTestCase):
    def get_app(self):
        return app.make_app(deployment="dev")

    def test_about_page(self):
        response = self.fetch("/about")
        self.assertEqual(response.code, 200)
        self.assertIn("We keep the team's notes.", response.body.decode())
PY
  python3 - <<'PY'
text = open("urls.py", encoding="utf-8").read()
text = text.replace(
    "from handlers.api import EchoHandler\n",
    "from handlers.about import AboutHandler\nfrom handlers.api import EchoHandler\n",
)
text = text.replace(
    '    url(r"/api/echo", EchoHandler, name="api-echo"),\n',
    '    url(r"/api/echo", EchoHandler, name="api-echo"),\n'
    '    url(r"/about", AboutHandler, name="about"),\n',
)
open("urls.py", "w", encoding="utf-8").write(text)
PY
  grep -Fq 'AboutHandler, name="about"' urls.py || fail "the user's edit of urls.py did not apply"
  printf '\n# The team'"'"'s own\n*.sqlite3\n' >>.gitignore
  USER_EDITED="urls.py .gitignore"
}

user_edit_survived() {
  grep -Fq 'url(r"/about", AboutHandler, name="about"),' urls.py || fail "the /about route was lost"
  grep -Fqx '*.sqlite3' .gitignore || fail "the user's line in .gitignore was lost"
  grep -Fqx '.env' .gitignore || fail ".gitignore did not get the new version's .env line"
  for f in handlers/about.py templates/about.html tests/test_about.py; do
    [ -f "$f" ] || fail "$f was lost"
  done
}
