# A user's edit of a `blog` project, for the update-from-an-earlier-version jobs (sourced by
# tests/generated/update_check.sh): twenty posts on the home page instead of fifty, a colour of
# their own in static/css/main.css, both far from what the new version changes, and a test of
# the user's own for the page size.

user_edit() {
  python3 - <<'PY'
home = open("app/handlers/home.py", encoding="utf-8").read()
assert "PAGE_SIZE = 50\n" in home, "home.py: no PAGE_SIZE to edit"
open("app/handlers/home.py", "w", encoding="utf-8").write(
    home.replace("PAGE_SIZE = 50\n", "PAGE_SIZE = 20\n", 1)
)
css = open("static/css/main.css", encoding="utf-8").read()
assert "  --accent: #0b5cad;\n" in css, "main.css: no accent colour to edit"
open("static/css/main.css", "w", encoding="utf-8").write(
    css.replace("  --accent: #0b5cad;\n", "  --accent: #7a1fa2;\n", 1)
)
PY
  cat >tests/test_team.py <<'PY'
"""The team's own test: the home page lists twenty posts."""

from app.handlers import home


def test_the_home_page_lists_twenty_posts() -> None:
    assert home.PAGE_SIZE == 20
PY
  USER_EDITED="app/handlers/home.py static/css/main.css"
}

user_edit_survived() {
  grep -Fqx 'PAGE_SIZE = 20' app/handlers/home.py || fail "the user's home.py edit was lost"
  grep -Fqx '  --accent: #7a1fa2;' static/css/main.css || fail "the user's main.css edit was lost"
  [ -f tests/test_team.py ] || fail "tests/test_team.py was lost"
}
