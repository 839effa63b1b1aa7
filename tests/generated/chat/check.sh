#!/usr/bin/env bash
# Check a generated `chat` project, following its README word for word.
# Run by tests/generated/run.sh inside the generated project (see lib.sh for the env vars).
# shellcheck disable=SC1091
source "$GEN_DIR/lib.sh"

ARTIFACTS_DIR=${ARTIFACTS_DIR:-$(pwd)/artifacts}
mkdir -p "$ARTIFACTS_DIR"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install -y chromium): the browser test cannot run"

# README "Test it": python3 -m venv .venv && . .venv/bin/activate; pip install -r requirements-dev.txt
make_venv
pip_install -r requirements.txt
pip_install -r requirements-dev.txt
report_versions
[ -x app.py ] || fail "app.py is not executable"
run_pytest
run_ruff

# README "Run it": python app.py --port=8888 (on our free port)
BASE="http://127.0.0.1:$PORT"
serve server.log python app.py --port="$PORT"
wait_http "$BASE/"
fetch "$BASE/" 200 'id="inbox"'
fetch "$BASE/static/chat.js" 200 'X-XSRFToken'
fetch "$BASE/a/stats" 404   # off unless --stats

jar=$(mktemp)
curl -s -c "$jar" -o /dev/null "$BASE/" || fail "GET / failed"
token=$(awk '$6 == "_xsrf" {print $7}' "$jar")
[ -n "$token" ] || fail "GET / set no _xsrf cookie"
cursor=$(curl -s "$BASE/" | grep -o 'data-cursor="[0-9]*-[0-9]*"' | cut -d'"' -f2)
[ -n "$cursor" ] || fail "the page carries no cursor"
post() { # post PATH FIELDS... -> prints "STATUS BODY"
  local path=$1; shift
  local args=() f
  for f in "$@"; do args+=(--data-urlencode "$f"); done
  curl -s -b "$jar" -H "X-XSRFToken: $token" -w '\n%{http_code}' "${args[@]}" "$BASE$path"
}
status_of() { tail -n 1 <<<"$1"; }

step "POST without the XSRF token -> 403"
code=$(curl -s -o /dev/null -w '%{http_code}' -d "cursor=$cursor" "$BASE/a/message/updates")
[ "$code" = 403 ] || fail "poll without XSRF token returned $code"

step "a poll waiting on the current cursor receives the next message"
pollout=$(mktemp)
( post /a/message/updates "cursor=$cursor" >"$pollout" ) &
pollpid=$!
sleep 0.5
kill -0 "$pollpid" 2>/dev/null || fail "the poll answered before any message: $(cat "$pollout")"
out=$(post /a/message/new "body=<script>alert(1)</script> hi https://example.com")
[ "$(status_of "$out")" = 200 ] || fail "POST /a/message/new: $out"
grep -q '&lt;script&gt;' <<<"$out" || fail "message not escaped: $out"
grep -q '<a href=\\"https://example.com\\">' <<<"$out" || fail "message not linkified: $out"
wait "$pollpid" || fail "the poll failed"
grep -q 'hi' "$pollout" && [ "$(tail -n 1 "$pollout")" = 200 ] || fail "poll did not get the message: $(cat "$pollout")"

step "bad input is 400 and changes nothing"
for bad in "body=" "cursor=nonsense"; do
  path=/a/message/new; [ "${bad%%=*}" = cursor ] && path=/a/message/updates
  out=$(post "$path" "$bad")
  [ "$(status_of "$out")" = 400 ] || fail "POST $path $bad: expected 400, got $out"
done
for next in "//evil.example" '/\evil.example' "https://evil.example"; do
  out=$(post /a/message/new "body=x" "next=$next")
  [ "$(status_of "$out")" = 400 ] || fail "unsafe next $next accepted: $out"
done
out=$(post /a/message/updates "cursor=$cursor")
n=$(head -n -1 <<<"$out" | python -c 'import json, sys; print(len(json.load(sys.stdin)["messages"]))')
[ "$n" = 1 ] || fail "expected exactly the one accepted message after $cursor, got $n: $out"
rm -f "$jar" "$pollout"
check_stopped

# Two real browser pages (Debian chromium via playwright; never `playwright install`).
pip_install playwright
step "browser test (two pages, script message, server restart)"
python "$GEN_DIR/chat/browser_test.py" --port "$PORT" \
  --screenshot "$ARTIFACTS_DIR/chat-$VARIANT-pages.png" --server-log browser-server.log \
  || { tail -n 50 browser-server.log >&2 || true; fail "browser test failed"; }
[ -s "$ARTIFACTS_DIR/chat-$VARIANT-pages.png" ] || fail "no screenshot written"
