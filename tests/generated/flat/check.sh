#!/usr/bin/env bash
# Generated-project check for the `flat` template. Run by tests/generated/run.sh inside the
# generated project, with PYTHON, PIP_CONSTRAINT, INSTALLER, PORT, VARIANT and GEN_DIR set.
# shellcheck disable=SC1091
source "$GEN_DIR/lib.sh"

# Run what the README says, word for word (with $PYTHON for python3 and $PORT for the port),
# on the install path $INSTALLER names.
readme_has 'uv run python app.py --port=8888'
readme_has 'python app.py --port=8888'
readme_has 'python tasks.py test      # pytest; extra arguments go to pytest'

[ -x app.py ] || fail "app.py is not executable"
[ -x tasks.py ] || fail "tasks.py is not executable"
for f in requirements requirements.txt uv.lock; do [ ! -e "$f" ] || fail "$f was generated"; done

# The deployment and secret come from the environment: start from a clean one.
unset DEPLOYMENT COOKIE_SECRET

check_verbatim flat
check_secret_not_committed

install_per_readme
report_versions
check_tornado_floor
test_and_lint_per_readme

step "python tasks.py test"
out=$(python tasks.py test -q -p no:cacheprovider tests/test_jsonbody.py 2>&1) || { echo "$out" >&2; fail "python tasks.py test failed"; }
grep -Eq '[0-9]+ passed' <<<"$out" || { echo "$out" >&2; fail "python tasks.py test ran no test"; }
grep -Eq '[0-9]+ (failed|skipped|error)' <<<"$out" && { echo "$out" >&2; fail "python tasks.py test: failures or skips"; }
step "python tasks.py lint"
python tasks.py lint --no-cache || fail "python tasks.py lint failed"

step "python app.py --help"
python app.py --help >/dev/null 2>&1 || fail "python app.py --help failed"
check_bad_options python app.py
check_env_refusal python app.py
check_production_ignores_env python app.py

# What the generated settings say, to compare with what the server serves.
expected_deployment=$(python -c 'import settings; print(settings.DEFAULT_DEPLOYMENT)')
escaped_description=$(python -c 'import html, settings; print(html.escape(settings.SITE_DESCRIPTION))')
escaped_name=$(python -c 'import html, settings; print(html.escape(settings.SITE_NAME))')
if [ "$expected_deployment" = production ]; then
  # Production reads the secret from the environment only, as a server would set it.
  COOKIE_SECRET=$(project_secret)
  export COOKIE_SECRET
fi

BASE="http://127.0.0.1:$PORT"
LOG=$(mktemp)
WORK=$(mktemp -d)
serve "$LOG" python app.py --port="$PORT"
wait_http "$BASE/"
check_favicon "$BASE"

fetch "$BASE/" 200 '<title>'
home="$WORK/home.html"
curl -s -c "$WORK/jar.txt" -o "$home" "$BASE/" || fail "GET / failed"
grep -Fq "<title>$escaped_name</title>" "$home" || fail "the home page title is not the project name ($escaped_name)"
grep -Fq "$escaped_description" "$home" || fail "the home page does not show the description ($escaped_description)"
if [ "$expected_deployment" = production ]; then
  grep -Fq 'Deployment:' "$home" && fail "production pages must not show the deployment"
else
  grep -Fq "Deployment: $expected_deployment" "$home" || fail "the footer does not show 'Deployment: $expected_deployment'"
fi
log_has "$LOG" "deployment: $expected_deployment" "the server did not log deployment: $expected_deployment"

# Static files: the paths static_url() put into the page, served from media/.
css=$(grep -Eo '/media/css/site\.css\?v=[0-9a-f]+' "$home" | head -n 1)
js=$(grep -Eo '/media/js/site\.js\?v=[0-9a-f]+' "$home" | head -n 1)
[ -n "$css" ] || fail "no static_url()'d stylesheet in the home page"
[ -n "$js" ] || fail "no static_url()'d script in the home page"
fetch "$BASE$css" 200 'font-family'
fetch "$BASE$js" 200 'X-XSRFToken'

fetch "$BASE/no/such/page" 404 '404: Not Found'
fetch "$BASE/api/nope" 404 '"status": 404'
fetch "$BASE/healthz" 200 '^\{"status": "ok"\}$'
headers=$(curl -s -D - -o /dev/null "$BASE/healthz" | tr -d '\r')
grep -iqx 'cache-control: no-store' <<<"$headers" \
  || fail "/healthz is not Cache-Control: no-store"
for path in / /healthz "$css"; do check_head "$BASE$path"; done
for path in / "$css" "$js" /no/such/page; do check_security_headers "$BASE$path" csp; done
check_xsrf_samesite "$BASE/"
check_body_limit "$BASE/api/echo"
status=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$BASE/no/such/page") || true
step "POST /no/such/page -> $status"
[ "$status" = 404 ] || fail "POST to an unknown page answered $status, not 404"

# The JSON API, as the README shows it: XSRF token from the cookie, JSON body.
TOKEN=$(awk '$6 == "_xsrf" {print $7}' "$WORK/jar.txt")
[ -n "$TOKEN" ] || fail "GET / did not set the _xsrf cookie"
api() { # api BODY -> prints "STATUS BODY"
  local status
  status=$(curl -s -o "$WORK/api.json" -w '%{http_code}' -b "$WORK/jar.txt" -H "X-XSRFToken: $TOKEN" \
    -H 'Content-Type: application/json' -d "$1" "$BASE/api/echo") || true
  echo "$status $(cat "$WORK/api.json")"
}
step "POST /api/echo"
got=$(api '{"message": "hello"}')
[ "$got" = '200 {"echo": "hello", "length": 5}' ] || fail "POST /api/echo answered: $got"
step "POST /api/echo with bad JSON"
got=$(api '{"message": ')
grep -Eq '^400 \{"error": \{"status": 400, "message": "Invalid JSON body' <<<"$got" \
  || fail "bad JSON was answered: $got"
step "POST /api/echo with NaN, and nested 100,000 deep"
got=$(api '{"message": NaN}')
[ "$got" = '400 {"error": {"status": 400, "message": "Invalid JSON body: NaN is not valid JSON"}}' ] \
  || fail "NaN was answered: $got"
{ printf '%*s' 100000 '' | tr ' ' '['; printf '%*s' 100000 '' | tr ' ' ']'; } >"$WORK/deep.json"
got=$(api "@$WORK/deep.json")
grep -Eq '^400 .*nests deeper than 64 levels' <<<"$got" || fail "deep nesting was answered: ${got:0:200}"
step "POST /api/echo without the XSRF token"
status=$(curl -s -o "$WORK/api.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"message": "hi"}' "$BASE/api/echo") || true
[ "$status" = 403 ] && grep -Fq '"status": 403' "$WORK/api.json" \
  || fail "POST without the XSRF token answered $status $(cat "$WORK/api.json")"

check_stopped
for line in "Shutting down" "Stopped"; do log_has "$LOG" "$line"; done
log_has "$LOG" "200 GET / " "tornado.access did not log GET /"
log_lacks "$LOG" Traceback "the server log has a traceback"

# Behind a proxy, with a front end on another origin: the options the README gives.
: >"$LOG"
serve "$LOG" python app.py --port="$PORT" --xheaders --trusted_origins=https://front.example
wait_http "$BASE/"
check_xsrf_secure "$BASE/"
check_cross_origin "$BASE/api/echo" https://front.example "$BASE/"
check_stopped
log_lacks "$LOG" Traceback "the server log has a traceback"


# Graceful shutdown, for real: app.main() with one test-only page added, SIGTERM from outside.
cat >"$WORK/slow_server.py" <<'PY'
import asyncio
import logging
import sys

import app
from handlers.base import BaseHandler


class SlowHandler(BaseHandler):
    async def get(self):
        logging.getLogger("app").info("slow request started")
        await asyncio.sleep(float(self.get_argument("seconds")))
        self.write("slow done\n")


make_app = app.make_app
app.make_app = lambda handlers=(), **kw: make_app([(r"/slow", SlowHandler), *handlers], **kw)
asyncio.run(app.main(sys.argv))
PY
check_shutdown "$LOG" "$BASE" "Listening on" env PYTHONPATH="$PWD" python "$WORK/slow_server.py"

rm -rf "$WORK" "$LOG"
step "flat: all checks passed"
