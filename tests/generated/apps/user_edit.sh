# A user's edit of an `apps` project (default answers: the app `main` at /main/), for the
# update-from-the-previous-version job (sourced by tests/generated/update_check.sh): an about
# page in the app (a view added to views.py, a route to the app's urls.py, a template and a
# test of the user's own) and a link to it in the layout's nav, which the new version changes
# elsewhere (in the head).

# The oldest version this edit fits: from version 1 the lines it touches are also the
# template's changes (a true conflict), so update_check.sh gives version 1 the generic edit.
USER_EDIT_SINCE=2

user_edit() {
  cat >>apps/main/views.py <<'PY'


class AboutHandler(BaseHandler):
    """The about page (the user's own)."""

    def get(self) -> None:
        self.render("main/about.html")

    def head(self) -> None:
        self.get()
PY
  cat >templates/main/about.html <<'HTML'
{% extends "../base.html" %}

{% block content %}
<h1>About</h1>
<p>This app greets people.</p>
{% end %}
HTML
  cat >tests/test_about.py <<'PY'
from tornado.testing import AsyncHTTPTestCase

from server import make_app


class AboutTest(AsyncHTTPTestCase):
    def get_app(self):
        return make_app()

    def test_about_page_and_its_link(self):
        response = self.fetch("/main/about")
        assert response.code == 200
        assert "This app greets people." in response.body.decode()
        assert '<a href="/main/about">About</a>' in self.fetch("/").body.decode()
PY
  python3 - <<'PY'
path = "apps/main/urls.py"
text = open(path, encoding="utf-8").read()
text = text.replace(
    "from .views import HelloHandler, IndexHandler\n",
    "from .views import AboutHandler, HelloHandler, IndexHandler\n",
)
text = text.replace(
    '    url(r"hello/([^/]+)", HelloHandler, name="hello"),\n',
    '    url(r"hello/([^/]+)", HelloHandler, name="hello"),\n'
    '    url(r"about", AboutHandler, name="about"),\n',
)
open(path, "w", encoding="utf-8").write(text)
path = "templates/base.html"
text = open(path, encoding="utf-8").read()
nav = '    <nav><a href="{{ reverse_url("index") }}">App</a></nav>\n'
assert nav in text, text
text = text.replace(
    nav,
    '    <nav><a href="{{ reverse_url("index") }}">App</a>'
    ' <a href="{{ reverse_url("about") }}">About</a></nav>\n',
)
open(path, "w", encoding="utf-8").write(text)
PY
  grep -Fq 'AboutHandler, name="about"' apps/main/urls.py || fail "the user's edit of urls.py did not apply"
  USER_EDITED="apps/main/urls.py templates/base.html"
}

user_edit_survived() {
  grep -Fq 'url(r"about", AboutHandler, name="about"),' apps/main/urls.py || fail "the about route was lost"
  grep -Fq 'class AboutHandler(BaseHandler):' apps/main/views.py || fail "the user's view was lost"
  grep -Fq '<a href="{{ reverse_url("about") }}">About</a>' templates/base.html \
    || fail "the user's link in base.html was lost"
  grep -Fq 'favicon.svg' templates/base.html || fail "base.html did not get the new favicon link"
  for f in templates/main/about.html tests/test_about.py; do [ -f "$f" ] || fail "$f was lost"; done
}
