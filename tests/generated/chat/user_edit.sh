# A user's edit of a `chat` project, for the update-from-an-earlier-version jobs (sourced by
# tests/generated/update_check.sh): a lighter page background in static/chat.css and a larger
# history (--cache-size defaults to 500) in app.py, both far from what the new version changes
# in those files, with a test of the user's own for the new default.

# The oldest version this edit fits: from version 1 the lines it touches are also the
# template's changes (a true conflict), so update_check.sh gives version 1 the generic edit.
USER_EDIT_SINCE=2

user_edit() {
  python3 - <<'PY'
import re
css = open("static/chat.css", encoding="utf-8").read()
assert "  background: #f5f5f5;\n" in css, "chat.css: no background line to edit"
open("static/chat.css", "w", encoding="utf-8").write(
    css.replace("  background: #f5f5f5;\n", "  background: #fafafa;\n", 1)
)
app = open("app.py", encoding="utf-8").read()
new, n = re.subn(r'define\("cache_size", default=200,', 'define("cache_size", default=500,', app)
assert n == 1, "app.py: no cache_size option to edit"
open("app.py", "w", encoding="utf-8").write(new)
PY
  cat >tests/test_team.py <<'PY'
"""The team's own test: the chat keeps a longer history."""

from tornado.options import options

import app  # noqa: F401  (defines the options)


def test_the_history_holds_500_messages() -> None:
    assert options.cache_size == 500
PY
  USER_EDITED="static/chat.css app.py"
}

user_edit_survived() {
  grep -Fqx '  background: #fafafa;' static/chat.css || fail "the user's chat.css edit was lost"
  grep -Fq 'define("cache_size", default=500,' app.py || fail "the user's app.py edit was lost"
  [ -f tests/test_team.py ] || fail "tests/test_team.py was lost"
}
