# A user's edit of a `package` project, for the update-from-an-earlier-version jobs (sourced
# by tests/generated/update_check.sh): an /about page (a handler, a template and a test of the
# user's own, a route added to urls.py) and a link to it in the layout's header, which the new
# version changes elsewhere (in the head).

# The oldest version this edit fits: version 1's urls.py has none of the lines it edits, so
# update_check.sh gives version 1 the generic edit.
USER_EDIT_SINCE=2

user_edit() {
  local pkg
  pkg=$(sed -n '/^\[project\.scripts\]$/{n;s/^\([A-Za-z_][A-Za-z0-9_]*\) = .*/\1/p;}' pyproject.toml)
  [ -n "$pkg" ] || fail "no console script in pyproject.toml"
  cat >"$pkg/handlers/about.py" <<'PY'
"""The about page (the user's own)."""

from .base import BaseHandler


class AboutHandler(BaseHandler):
    def get(self) -> None:
        self.render("about.html")

    def head(self) -> None:
        self.get()
PY
  cat >"$pkg/templates/about.html" <<'HTML'
{% extends "base.html" %}

{% block content %}
<h1>About the shop</h1>
<p>We sell what the team needs.</p>
{% end %}
HTML
  cat >tests/test_about.py <<PY
from tornado.testing import AsyncHTTPTestCase

from $pkg.app import make_app


class AboutTest(AsyncHTTPTestCase):
    def get_app(self):
        return make_app()

    def test_about_page_and_its_link(self):
        response = self.fetch("/about")
        self.assertEqual(response.code, 200)
        self.assertIn("We sell what the team needs.", response.body.decode())
        self.assertIn('<a class="about" href="/about">', self.fetch("/").body.decode())
PY
  python3 - "$pkg" <<'PY'
import sys
pkg = sys.argv[1]
path = f"{pkg}/urls.py"
text = open(path, encoding="utf-8").read()
text = text.replace(
    "from .handlers.home import HealthHandler, HomeHandler\n",
    "from .handlers.about import AboutHandler\nfrom .handlers.home import HealthHandler, HomeHandler\n",
)
text = text.replace(
    '    url(r"/healthz", HealthHandler, name="healthz"),\n',
    '    url(r"/healthz", HealthHandler, name="healthz"),\n'
    '    url(r"/about", AboutHandler, name="about"),\n',
)
open(path, "w", encoding="utf-8").write(text)
path = f"{pkg}/templates/base.html"
text = open(path, encoding="utf-8").read()
brand = "    <a class=\"brand\" href=\"{{ reverse_url('home') }}\">{{ site_title }}</a>\n"
assert brand in text, text
text = text.replace(brand, brand + '    <a class="about" href="/about">About</a>\n')
open(path, "w", encoding="utf-8").write(text)
PY
  grep -Fq 'AboutHandler, name="about"' "$pkg/urls.py" || fail "the user's edit of urls.py did not apply"
  USER_EDITED="$pkg/urls.py $pkg/templates/base.html"
}

user_edit_survived() {
  local pkg
  pkg=$(sed -n '/^\[project\.scripts\]$/{n;s/^\([A-Za-z_][A-Za-z0-9_]*\) = .*/\1/p;}' pyproject.toml)
  grep -Fq 'url(r"/about", AboutHandler, name="about"),' "$pkg/urls.py" || fail "the /about route was lost"
  grep -Fq '<a class="about" href="/about">About</a>' "$pkg/templates/base.html" \
    || fail "the user's link in base.html was lost"
  grep -Fq 'favicon.svg' "$pkg/templates/base.html" || fail "base.html did not get the new favicon link"
  for f in "$pkg/handlers/about.py" "$pkg/templates/about.html" tests/test_about.py; do
    [ -f "$f" ] || fail "$f was lost"
  done
}
