#!/usr/bin/env bash
# Check a project generated from the `apps` template, run from inside it (see run.sh).
# Follows the generated README word for word on the install path $INSTALLER names (uv, or venv
# and pip): install, pytest, ruff, server, shell.
# shellcheck source=../lib.sh
source "$GEN_DIR/lib.sh"

# What each variant of variants.txt must have produced.
case "$VARIANT_ID" in
  default) app=main; prefix=main ;;
  blog) app=blog; prefix=blog ;;
  hyphen) app=user_admin; prefix=user-admin ;;
  nested) app=main; prefix=api/v1 ;;
  *) fail "check.sh does not know variant '$VARIANT_ID' (add it to the case list)" ;;
esac
base="http://127.0.0.1:$PORT"

step "layout for app '$app' mounted at /$prefix/"
for f in server.py settings.py handlers.py urls.py utils.py shell.py apps/__init__.py \
  "apps/$app/__init__.py" "apps/$app/urls.py" "apps/$app/views.py" \
  templates/base.html templates/home.html "templates/$app/index.html" "templates/$app/hello.html" \
  templates/error.html static/style.css static/favicon.svg pyproject.toml README.md .gitignore \
  .env .github/workflows/ci.yml; do
  [ -f "$f" ] || fail "missing $f"
done
for f in requirements.txt requirements-dev.txt uv.lock; do [ ! -e "$f" ] || fail "$f was generated"; done
[ -x server.py ] || fail "server.py is not executable"
[ -x shell.py ] || fail "shell.py is not executable"
leftovers=$(find . -name '*.tera' -o -name template.toml)
[ -z "$leftovers" ] || fail "template artifacts were copied: $leftovers"
grep -q "include(r\"/$prefix/\", \"apps.$app.urls\")" urls.py || fail "urls.py does not mount apps.$app at /$prefix/"

check_verbatim apps app_name "$app"
unset COOKIE_SECRET
check_secret_not_committed

# README: Install, test and lint
install_per_readme
report_versions
check_tornado_floor
test_and_lint_per_readme
readme_has 'uv run python server.py --port=8888'
readme_has 'python server.py --port=8888'
check_bad_options python server.py
check_env_refusal python server.py
check_production_ignores_env python server.py

# README: Run (on the port the harness gave us)
log=$(mktemp)
serve "$log" python server.py --port="$PORT"
wait_http "$base/"
log_has "$log" "Listening on http://127.0.0.1:$PORT"
step "logged: Listening on http://127.0.0.1:$PORT"
fetch "$base/" 200 "href=\"/$prefix/hello/world\""
fetch "$base/$prefix/" 200 'name="_xsrf"'
fetch "$base/$prefix/hello/scaffold" 200 'Hello, scaffold!'
fetch "$base/static/style.css" 200 'font-family'
fetch "$base/hello/scaffold" 404 '404: Not Found'
fetch "$base/no/such/page" 404 'There is no page at'
fetch "$base/healthz" 200 '^\{"status": "ok"\}$'
check_favicon "$base"
for path in / "/$prefix/" "/$prefix/hello/scaffold" /static/style.css /healthz; do check_head "$base$path"; done
for path in / "/$prefix/" /static/style.css /no/such/page; do check_security_headers "$base$path" csp; done
check_xsrf_samesite "$base/$prefix/"
check_body_limit "$base/$prefix/"
status=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$base/no/such/page") || true
step "POST /no/such/page -> $status"
[ "$status" = 404 ] || fail "POST to an unknown page answered $status, not 404"
# A name of only dots is refused (the browser would resolve hello/.. elsewhere).
jar=$(mktemp)
token=$(curl -s -c "$jar" "$base/$prefix/" | sed -n 's/.*name="_xsrf" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$token" ] || fail "no _xsrf field on /$prefix/"
status=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" --data-urlencode "_xsrf=$token" \
  --data-urlencode "name=.." "$base/$prefix/") || true
step "POST /$prefix/ name=.. -> $status"
[ "$status" = 400 ] || fail "the name '..' was answered $status, not 400"
rm -f "$jar"

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
for line in "Received SIGTERM" "Shutting down" "Stopped"; do log_has "$log" "$line"; done
log_lacks "$log" Traceback "traceback in the server log"

# Behind a proxy, with a front end on another origin: the options the README gives.
: >"$log"
serve "$log" python server.py --port="$PORT" --xheaders --trusted_origins=https://front.example
wait_http "$base/"
check_xsrf_secure "$base/$prefix/"
check_cross_origin "$base/$prefix/" https://front.example
check_stopped
log_lacks "$log" Traceback "traceback in the server log"

# Graceful shutdown, for real: server.main() with one test-only page, SIGTERM from outside.
work=$(mktemp -d)
cat >"$work/slow_server.py" <<'PY'
import asyncio
import logging
import sys

import server
from handlers import BaseHandler


class SlowHandler(BaseHandler):
    async def get(self):
        logging.getLogger("server").info("slow request started")
        await asyncio.sleep(float(self.get_argument("seconds")))
        self.write("slow done\n")


make_app = server.make_app
server.make_app = lambda handlers=(), **kw: make_app([(r"/slow", SlowHandler), *handlers], **kw)
asyncio.run(server.main(sys.argv))
PY
check_shutdown "$log" "$base" "Listening on" env PYTHONPATH="$PWD" python "$work/slow_server.py"
rm -rf "$work" "$log"
step "ok"
