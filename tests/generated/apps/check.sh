#!/usr/bin/env bash
# Check a project generated from the `apps` template, run from inside it (see run.sh).
# Follows the generated README word for word: venv, install, pytest, ruff, server, shell.
# shellcheck source=../lib.sh
source "$GEN_DIR/lib.sh"

# What each variant of variants.txt must have produced. run.sh passes VARIANT as
# "apps/<id>@<combo>"; a bare "<id>" works too.
id=${VARIANT#*/}
id=${id%@*}
case "$id" in
  default) app=main; prefix=main ;;
  blog) app=blog; prefix=blog ;;
  hyphen) app=user_admin; prefix=user-admin ;;
  nested) app=main; prefix=api/v1 ;;
  *) fail "check.sh does not know variant '$id' (add it to the case list)" ;;
esac
base="http://127.0.0.1:$PORT"

step "layout for app '$app' mounted at /$prefix/"
for f in server.py settings.py urls.py utils.py shell.py apps/__init__.py \
  "apps/$app/__init__.py" "apps/$app/urls.py" "apps/$app/views.py" \
  templates/base.html templates/home.html "templates/$app/index.html" "templates/$app/hello.html" \
  static/style.css requirements.txt requirements-dev.txt pyproject.toml README.md .gitignore; do
  [ -f "$f" ] || fail "missing $f"
done
[ -x server.py ] || fail "server.py is not executable"
[ -x shell.py ] || fail "shell.py is not executable"
leftovers=$(find . -name '*.tera' -o -name template.toml)
[ -z "$leftovers" ] || fail "template artifacts were copied: $leftovers"
grep -q "include(r\"/$prefix/\", \"apps.$app.urls\")" urls.py || fail "urls.py does not mount apps.$app at /$prefix/"

check_verbatim apps app_name "$app"

# README: Install
make_venv
pip_install -r requirements-dev.txt
report_versions

# README: Test and lint
run_pytest
run_ruff

# README: Run (on the port the harness gave us)
log=$(mktemp)
serve "$log" python server.py --port "$PORT"
wait_http "$base/"
grep -q "Listening on http://127.0.0.1:$PORT\$" "$log" || { cat "$log" >&2; fail "no 'Listening on http://127.0.0.1:$PORT' line"; }
step "logged: Listening on http://127.0.0.1:$PORT"
fetch "$base/" 200 "href=\"/$prefix/hello/world\""
fetch "$base/$prefix/" 200 'name="_xsrf"'
fetch "$base/$prefix/hello/scaffold" 200 'Hello, scaffold!'
fetch "$base/static/style.css" 200 'font-family'
fetch "$base/hello/scaffold" 404
fetch "$base/no/such/page" 404

# README: Shell (while the server runs: the shell must not try to start another one)
step "echo 'print(app.reverse_url(\"hello\", \"Ada\"))' | python shell.py"
out=$(echo 'print(app.reverse_url("hello", "Ada"))' | python shell.py) || fail "shell.py failed"
[ "$out" = "/$prefix/hello/Ada" ] || fail "shell printed '$out', expected '/$prefix/hello/Ada'"
out=$(echo 'print(settings["xsrf_cookies"], type(app).__name__)' | python shell.py) || fail "shell.py failed"
[ "$out" = "True Application" ] || fail "shell printed '$out', expected 'True Application'"
if echo 'app.reverse_url("no-such-route")' | python shell.py 2>/dev/null; then
  fail "shell.py exited 0 although a piped command raised"
fi

check_stopped
grep -q "Received SIGTERM, stopping server" "$log" || { cat "$log" >&2; fail "no stop line after SIGTERM"; }
grep -q "Server stopped" "$log" || { cat "$log" >&2; fail "no 'Server stopped' line"; }
grep -q Traceback "$log" && { cat "$log" >&2; fail "traceback in the server log"; }
rm -f "$log"
step "ok"
