#!/usr/bin/env bash
# Check a generated `chat` project, following its README word for word.
# Run by tests/generated/run.sh inside the generated project (see lib.sh for the env vars).
# shellcheck disable=SC1091
source "$GEN_DIR/lib.sh"

ARTIFACTS_DIR=${ARTIFACTS_DIR:-$(pwd)/artifacts}
mkdir -p "$ARTIFACTS_DIR"
# VARIANT may read "chat/redis@py3.9-..." (run.sh): keep one flat file name.
SHOT_NAME=${VARIANT#*/}; SHOT_NAME=${SHOT_NAME//\//-}
SCREENSHOT="$ARTIFACTS_DIR/chat-$SHOT_NAME-pages.png"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install -y chromium): the browser test cannot run"

# Everything this script starts besides lib.sh's server, stopped on exit.
EXTRA_PIDS=()
on_exit 'for pid in "${EXTRA_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done'

# start_redis PORT: a throwaway redis-server (no persistence) that answers PING; its pid goes
# to RPID.
start_redis() {
  step "redis-server --port $1 --save '' --appendonly no"
  redis-server --port "$1" --save '' --appendonly no >redis.log 2>&1 &
  RPID=$!; EXTRA_PIDS+=("$RPID")
  for _ in $(seq 1 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "redis-server did not start: $(cat redis.log)"
}

REDIS=no
if [ -f redis_buffer.py ]; then
  REDIS=yes
  command -v redis-server >/dev/null || fail "redis-server is missing (apt-get install -y redis-server)"
  RPORT=$(free_port)
  start_redis "$RPORT"
  # README: the Redis tests use REDIS_URL.
  export REDIS_URL="redis://127.0.0.1:$RPORT/15"
  SERVER_ARGS=(--redis-url="redis://127.0.0.1:$RPORT/0")
else
  SERVER_ARGS=()
fi

# A venv for Playwright (the browser test), apart from the project's; lib.sh's tools_python
# has PyYAML for the workflow.
TOOLS=$(mktemp -d); on_exit "rm -rf '$TOOLS'"
browser_venv() {
  if [ ! -x "$TOOLS/venv/bin/python" ]; then
    step "browser venv: playwright"
    "$UV" venv --quiet --python "$PYTHON" "$TOOLS/venv" || fail "cannot make the browser venv"
    "$UV" pip install --quiet --python "$TOOLS/venv/bin/python" playwright \
      || fail "cannot install playwright"
  fi
}

# README "Run it" and "Test it", on the path $INSTALLER names.
if [ "$INSTALLER" = uv ]; then
  readme_has "uv run python app.py --port=8888"
else
  readme_has "python app.py --port=8888"
fi
REDIS_FLOOR=""
if [ "$REDIS" = yes ] && [ -n "${PIP_CONSTRAINT:-}" ]; then
  # The lowest supported run: the Redis client at the floor pyproject.toml names, too.
  REDIS_FLOOR=$(sed -n 's/^ *"redis>=\([0-9.]*\),<[0-9]*",$/\1/p' pyproject.toml)
  [ -n "$REDIS_FLOOR" ] || fail "pyproject.toml names no redis>=X,<Y range"
  low=$(mktemp); on_exit "rm -f '$low'"
  { cat "$PIP_CONSTRAINT"; echo "redis==$REDIS_FLOOR"; } >"$low"
  export PIP_CONSTRAINT="$low"
fi
install_per_readme
report_versions
check_tornado_floor
if [ -n "$REDIS_FLOOR" ]; then
  got=$(python -c 'import redis; print(redis.__version__)')
  step "redis client $got (the floor, $REDIS_FLOOR)"
  [ "$got" = "$REDIS_FLOOR" ] || fail "the lowest run installed redis $got, not the floor $REDIS_FLOOR"
fi
[ -x app.py ] || fail "app.py is not executable"
# The tests and ruff as the README runs them; on the uv path, the CI workflow's steps in a
# fresh clone (lib.sh), with Redis at $REDIS_URL for the Redis tests.
test_and_lint_per_readme
check_bad_options python app.py
check_env_refusal python app.py
check_production_ignores_env python app.py

step "the cookie secret: in .env only, which git ignores and the wheel and sdist leave out"
secret=$(project_secret)
if grep -rl --exclude-dir=.venv -- "$secret" . | grep -vx './.env'; then
  fail "the secret is in another file than .env"
fi
check_secret_not_committed
copy=$(mktemp -d); on_exit "rm -rf '$copy'"
git_stage "$copy/git"
staged=$(git --git-dir="$copy/git" ls-files)
for f in app.py pyproject.toml README.md .github/workflows/ci.yml; do
  grep -qx "$f" <<<"$staged" || fail "git add -A does not stage $f"
done
check_dist_no_secret "$copy/dist"
"$PYTHON" - "$copy/dist" <<'PY' || fail "the wheel does not hold the chat's files, or holds its tests"
import pathlib, sys, zipfile
(wheel,) = pathlib.Path(sys.argv[1]).glob("*.whl")
with zipfile.ZipFile(wheel) as whl:
    names = whl.namelist()
for want in ("app.py", "message_buffer.py", "templates/index.html", "static/chat.js"):
    assert want in names, (want, names)
assert not [n for n in names if n.startswith("tests/") or n.endswith(".env")], names
print("  -> wheel: %d files, the app's own, no tests" % len(names))
PY

step "the CI workflow: a Redis service for the Redis variant only"
"$(tools_python)" - "$REDIS" <<'PY' || fail ".github/workflows/ci.yml is not what it should be"
import sys, yaml
redis = sys.argv[1] == "yes"
with open(".github/workflows/ci.yml") as f:
    job = yaml.safe_load(f)["jobs"]["test"]
if redis:
    assert job["services"]["redis"]["ports"] == ["6379:6379"], job["services"]
    assert job["env"]["REDIS_URL"] == "redis://127.0.0.1:6379/15", job.get("env")
else:
    assert "services" not in job, job
PY

# README: "--port 8888" is a one-line error with exit status 2.
step "python app.py --port 8888 -> one-line error, exit 2"
rc=0; err=$(python app.py --port 8888 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] || fail "python app.py --port 8888 exited $rc, expected 2: $err"
[ "$(wc -l <<<"$err")" = 1 ] && grep -q '^error: .*--port=8888' <<<"$err" \
  || fail "not a one-line error naming --port=8888: $err"

# README "Run it": python app.py --port=8888 (on our free port)
BASE="http://127.0.0.1:$PORT"
serve server.log python app.py --port="$PORT" --trusted_origins=https://Front.example "${SERVER_ARGS[@]}"
wait_http "$BASE/"
fetch "$BASE/" 200 'id="inbox"'
fetch "$BASE/static/chat.js" 200 'X-XSRFToken'
fetch "$BASE/a/stats" 404   # off unless --stats

for path in / /static/chat.js /static/chat.css /healthz; do
  check_head "$BASE$path"
  check_security_headers "$BASE$path" csp
done
check_xsrf_samesite "$BASE/"

step "GET /healthz: 200 {\"status\": \"ok\"}, no cookie"
fetch "$BASE/healthz" 200 '^\{"status": "ok"\}$'
curl -s -D - -o /dev/null "$BASE/healthz" | grep -qi '^set-cookie' && fail "/healthz sets a cookie"
step "/favicon.ico leads to the icon; error pages in the chat's layout"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$BASE/favicon.ico")
[[ "$code" == "302 $BASE/static/favicon.svg?v="* ]] || fail "/favicon.ico: $code"
[ "$(curl -sL "$BASE/favicon.ico" | head -c 4)" = "<svg" ] || fail "/favicon.ico does not lead to the SVG icon"
fetch "$BASE/nowhere" 404 '<h2>404 Not Found</h2>'
fetch "$BASE/nowhere" 404 'static/chat.css\?v='
code=$(curl -s -o "$PWD/page405.html" -w '%{http_code}' -X DELETE "$BASE/")
[ "$code" = 405 ] && grep -q '<h2>405 Method Not Allowed</h2>' page405.html && grep -q 'Back to the chat' page405.html \
  || fail "DELETE / is not a styled 405 page: $code $(head -c 300 page405.html)"
rm -f page405.html
step "a request body over the server's limit is refused before any handler (bare 400)"
big=$(mktemp); head -c 70000 /dev/zero | tr '\0' x >"$big"
# curl reports the 400, then exits non-zero: the server closes without reading the body.
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$big" "$BASE/a/message/new") || true
rm -f "$big"
[ "$code" = 400 ] || fail "a 70,000-byte body got $code, expected 400"

jar=$(mktemp)
curl -s -c "$jar" -o /dev/null "$BASE/" || fail "GET / failed"
token=$(awk '$6 == "_xsrf" {print $7}' "$jar")
[ -n "$token" ] || fail "GET / set no _xsrf cookie"
cursor=$(curl -s "$BASE/" | sed -n 's/.*id="inbox"[^>]*data-cursor="\([0-9]*-[0-9]*\)".*/\1/p')
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

step "a cross-site POST with a valid XSRF token and cookie -> 403; same-origin -> 200"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -H "X-XSRFToken: $token" \
  -H "Sec-Fetch-Site: cross-site" -H "Origin: https://evil.example" -d "body=from evil" "$BASE/a/message/new")
[ "$code" = 403 ] || fail "a cross-site POST with a valid token got $code, expected 403"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -H "X-XSRFToken: $token" \
  -H "Sec-Fetch-Site: same-origin" -H "Origin: $BASE" --data-urlencode "cursor=$cursor" -d wait=0 "$BASE/a/message/updates")
[ "$code" = 200 ] || fail "a same-origin POST got $code, expected 200"
# --trusted_origins (given in another case: origins compare in lower case, as browsers send them)
check_cross_origin "$BASE/a/message/updates" https://front.example "$BASE/"

step "a poll waiting on the current cursor receives the next message"
pollout=$(mktemp)
( post /a/message/updates "cursor=$cursor" >"$pollout" ) &
pollpid=$!
sleep 0.5
kill -0 "$pollpid" 2>/dev/null || fail "the poll answered before any message: $(cat "$pollout")"
out=$(post /a/message/new "body=<script>alert(1)</script> hi https://example.com")
[ "$(status_of "$out")" = 200 ] || fail "POST /a/message/new: $out"
grep -q '&lt;script&gt;' <<<"$out" || fail "message not escaped: $out"
grep -q '<a href=\\"https://example.com\\" rel=\\"nofollow noopener ugc\\">' <<<"$out" || fail "message not linkified with rel=nofollow: $out"
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
rm -f "$pollout"

step "a message sent again with its id is stored once"
id=0123456789abcdef0123456789abcdef
first=$(post /a/message/new "body=sent twice" "name=curl" "id=$id")
again=$(post /a/message/new "body=sent twice" "name=curl" "id=$id")
[ "$(status_of "$first")" = 200 ] && [ "$(status_of "$again")" = 200 ] || fail "sending with an id: $first / $again"
[ "$(head -n 1 <<<"$first")" = "$(head -n 1 <<<"$again")" ] || fail "the second send answered another message: $first / $again"
out=$(post /a/message/updates "cursor=$cursor" wait=0)
n=$(head -n -1 <<<"$out" | python -c 'import json, sys; print(sum(m["id"] == sys.argv[1] for m in json.load(sys.stdin)["messages"]))' "$id")
[ "$n" = 1 ] || fail "the message sent twice is stored $n times: $out"

if [ "$REDIS" = yes ]; then
  PORT2=$(free_port)
  step "second process on port $PORT2, same Redis"
  python app.py --port="$PORT2" "${SERVER_ARGS[@]}" >server2.log 2>&1 &
  pid2=$!; EXTRA_PIDS+=("$pid2")
  wait_http "http://127.0.0.1:$PORT2/"
  poll2() { # poll2 CURSOR [WAIT]: poll process 2
    curl -s -b "$jar" -H "X-XSRFToken: $token" -w '\n%{http_code}' \
      --data-urlencode "cursor=$1" -d "wait=${2:-1}" "http://127.0.0.1:$PORT2/a/message/updates"
  }
  count_bodies() { # JSON answer (status line stripped) -> the message bodies, one a line
    head -n -1 | python -c 'import json, sys; [print(m["body"]) for m in json.load(sys.stdin)["messages"]]'
  }
  cur2=$(curl -s "http://127.0.0.1:$PORT2/" | sed -n 's/.*id="inbox"[^>]*data-cursor="\([0-9]*-[0-9]*\)".*/\1/p')
  [ -n "$cur2" ] || fail "process 2's page carries no cursor"
  pollout=$(mktemp)
  ( poll2 "$cur2" >"$pollout" ) &
  pollpid=$!
  sleep 0.5
  kill -0 "$pollpid" 2>/dev/null || fail "process 2 answered before any message: $(cat "$pollout")"
  out=$(post /a/message/new "body=cross-process hello")
  [ "$(status_of "$out")" = 200 ] || fail "POST to process 1: $out"
  wait "$pollpid" || fail "poll on process 2 failed"
  [ "$(count_bodies <"$pollout")" = "cross-process hello" ] \
    || fail "a message posted to process 1 did not reach a poll waiting on process 2: $(cat "$pollout")"
  step "a message posted to process 1 reached a poll waiting on process 2"
  cursor=$(head -n -1 "$pollout" | python -c 'import json, sys; print(json.load(sys.stdin)["cursor"])')

  step "restart process 2 while messages arrive on process 1"
  kill -TERM "$pid2"; wait "$pid2" || fail "process 2 exited non-zero on SIGTERM"
  for m in one two three; do
    out=$(post /a/message/new "body=while restarting $m")
    [ "$(status_of "$out")" = 200 ] || fail "POST while process 2 was down: $out"
  done
  python app.py --port="$PORT2" "${SERVER_ARGS[@]}" >server2.log 2>&1 &
  pid2=$!; EXTRA_PIDS+=("$pid2")
  wait_http "http://127.0.0.1:$PORT2/"
  out=$(poll2 "$cursor" 0)
  want=$'while restarting one\nwhile restarting two\nwhile restarting three'
  [ "$(count_bodies <<<"$out")" = "$want" ] || fail "resuming on restarted process 2 lost or doubled messages: $out"
  grep -q '"missed": false' <<<"$out" || fail "resume after restart claims missed messages: $out"
  step "a client resuming its cursor on the restarted process got exactly the 3 messages"
  kill -TERM "$pid2"; wait "$pid2" || fail "process 2 exited non-zero on SIGTERM"

  step "an entry another program wrote with an impossible time (XADD ... time 1e20) stops nothing"
  stream=$(python -c 'import app; print(app.REDIS_STREAM)')
  cursor=$(head -n -1 <<<"$(post /a/message/updates wait=0)" | python -c 'import json, sys; print(json.load(sys.stdin)["cursor"])')
  redis-cli -p "$RPORT" -n 0 XADD "$stream" '*' id "$(printf 'f%.0s' {1..32})" body "from elsewhere" \
    time 100000000000000000000 >/dev/null || fail "redis-cli XADD failed"
  sleep 2  # the messages above used this address's send burst (--send-burst, 1 a second back)
  out=$(post /a/message/new "body=after the bad entry")
  [ "$(status_of "$out")" = 200 ] || fail "a send after the bad entry: $out"
  out=$(curl -s -m 10 -b "$jar" -H "X-XSRFToken: $token" -w '\n%{http_code}' \
        --data-urlencode "cursor=$cursor" -d wait=0 "$BASE/a/message/updates")
  [ "$(count_bodies <<<"$out")" = $'from elsewhere\nafter the bad entry' ] \
    || fail "the bad entry and the next message were not both delivered: $out"
  fetch "$BASE/healthz" 200 '^\{"status": "ok"\}$'
  log_lacks server.log "cannot reach Redis" "a bad entry was taken for Redis being unreachable"
  log_lacks server.log "the Redis reader failed" "a bad entry made the Redis reader fail"

  step "Redis restarts without its data: /healthz says 503 meanwhile; an old cursor is told it missed messages"
  cursor=$(head -n -1 <<<"$(post /a/message/updates wait=0)" | python -c 'import json, sys; print(json.load(sys.stdin)["cursor"])')
  kill -TERM "$RPID"; wait "$RPID" || true
  # The reason is public: no Redis address in it (the log has it).
  fetch "$BASE/healthz" 503 '^\{"status": "unavailable", "reason": "Redis (is unreachable|did not answer PING within 1\.0 s)"\}$'
  start_redis "$RPORT"
  # Until this process's reader has reconnected (a capped backoff) it would deliver nothing:
  # /healthz says so, then ok.
  for _ in $(seq 1 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && break
    sleep 0.1
  done
  fetch "$BASE/healthz" 200 '^\{"status": "ok"\}$'
  out=$(curl -s -m 45 -b "$jar" -H "X-XSRFToken: $token" -w '\n%{http_code}' \
        --data-urlencode "cursor=$cursor" "$BASE/a/message/updates")
  [ "$(status_of "$out")" = 200 ] || fail "poll after the Redis restart: $out"
  grep -q '"missed": true' <<<"$out" || fail "a cursor from the lost stream was not told it missed messages: $out"
  grep -q "Redis lost its data" server.log || fail "process 1 did not log the data loss: $(tail -n 5 server.log)"
  step "the poll with the old cursor got \"missed\": true after the Redis restart"

  step "Redis unreachable at start-up: clear error, keeps serving, recovers"
  RPORT2=$(free_port); PORT3=$(free_port)
  python app.py --port="$PORT3" --redis-url="redis://127.0.0.1:$RPORT2/0" --send-rate=0 >server3.log 2>&1 &
  pid3=$!; EXTRA_PIDS+=("$pid3")
  wait_http "http://127.0.0.1:$PORT3/"
  grep -q "cannot reach Redis at redis://127.0.0.1:$RPORT2/0" server3.log || fail "no clear error: $(cat server3.log)"
  grep -q Traceback server3.log && fail "a traceback instead of a clear error: $(cat server3.log)"
  fetch "http://127.0.0.1:$PORT3/" 200 'id="inbox"'
  post3() { curl -s -b "$jar" -H "X-XSRFToken: $token" -o /dev/null -w '%{http_code}' -d "body=$1" "http://127.0.0.1:$PORT3/a/message/new"; }
  code=$(post3 "too early")
  [ "$code" = 503 ] || fail "posting without Redis returned $code, expected 503"
  redis-server --port "$RPORT2" --save '' --appendonly no >redis2.log 2>&1 &
  EXTRA_PIDS+=($!)
  ok=no
  for _ in $(seq 1 150); do
    code=$(post3 "redis is back")
    [ "$code" = 200 ] && { ok=yes; break; }
    sleep 0.1
  done
  [ "$ok" = yes ] || fail "the server did not recover within 15 s of Redis coming back ($code): $(cat server3.log)"
  kill -TERM "$pid3"; wait "$pid3" || fail "process 3 exited non-zero on SIGTERM"
  step "503 while Redis was down, 200 once it came back, no traceback"
fi
step "SIGTERM with a poll waiting: the poll is answered at once, the server exits 0"
cursor=$(head -n -1 <<<"$(post /a/message/updates wait=0)" | python -c 'import json, sys; print(json.load(sys.stdin)["cursor"])')
pollout=$(mktemp)
( post /a/message/updates "cursor=$cursor" >"$pollout" ) &
pollpid=$!
sleep 0.5
kill -0 "$pollpid" 2>/dev/null || fail "the poll answered before SIGTERM: $(cat "$pollout")"
started=$(date +%s.%N)
check_stopped
wait "$pollpid" || fail "the waiting poll failed at shutdown"
python -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 3 else 1)" "$started" "$(date +%s.%N)" \
  || fail "the waiting poll was not answered at once at shutdown"
[ "$(tail -n 1 "$pollout")" = 200 ] || fail "the waiting poll got: $(cat "$pollout")"
grep -q "Shutting down" server.log && grep -q "Stopped" server.log \
  || fail "no 'Shutting down' / 'Stopped' in the log: $(tail -n 5 server.log)"
rm -f "$jar" "$pollout"

step "sending too fast: 429 with Retry-After (a server with --send-burst=3 --send-rate=0.2 --xheaders)"
serve limits-server.log python app.py --port="$PORT" --send-burst=3 --send-rate=0.2 --xheaders "${SERVER_ARGS[@]}"
wait_http "$BASE/"
check_xsrf_secure "$BASE/"
jar=$(mktemp)
curl -s -c "$jar" -o /dev/null "$BASE/" || fail "GET / failed"
token=$(awk '$6 == "_xsrf" {print $7}' "$jar")
for i in 1 2 3; do
  out=$(post /a/message/new "body=burst $i")
  [ "$(status_of "$out")" = 200 ] || fail "message $i of the burst: $out"
done
headers=$(curl -s -D - -o /dev/null -b "$jar" -H "X-XSRFToken: $token" -d "body=one too many" "$BASE/a/message/new" | tr -d '\r')
grep -q '^HTTP/1.1 429 ' <<<"$headers" && grep -qi '^retry-after: [1-5]$' <<<"$headers" \
  || fail "the 4th message at once was not 429 with Retry-After: $headers"
check_stopped
rm -f "$jar"

# Graceful shutdown for real (lib.sh's check_shutdown), with a wrapper that adds one slow page
# to the project's own main(); then a second Ctrl-C during the graceful wait.
SLOW_SERVER="$TOOLS/slow_server.py"
cat >"$SLOW_SERVER" <<'PY'
import asyncio, logging, os, sys
sys.path.insert(0, os.getcwd())
import app

class Slow(app.BaseHandler):
    async def get(self):
        logging.getLogger("chat").info("slow request started")
        await asyncio.sleep(float(self.get_query_argument("seconds")))
        self.write("slow done")

make_app = app.make_app
app.make_app = lambda **kw: make_app(extra_routes=[("/slow", Slow)], **kw)
asyncio.run(app.main())
PY
step "graceful shutdown: a request in flight finishes; one past the grace period is cut"
check_shutdown shutdown.log "$BASE" "Chat running" python "$SLOW_SERVER" "${SERVER_ARGS[@]}"
log_lacks shutdown.log " 500 " "the request cut at shutdown was logged as a 500"
log_lacks shutdown.log "Exception" "an exception in the log at shutdown"
step "the cut request left no 500 and no traceback in the log"

# The last part of check_shutdown was a second Ctrl-C (status 130): the chat says so.
log_has shutdown.log "Interrupted again: exiting at once"

# README "Load test", at small N.
step "load test: 200 concurrent polls, 3 messages, 400 connect/disconnect cycles"
readme_has 'python app.py --port=8888 --stats --logging=warning --max-polls-per-address=0 &'
serve loadtest-server.log python app.py --port="$PORT" --stats --logging=warning --max-polls-per-address=0 "${SERVER_ARGS[@]}"
wait_http "$BASE/"
LT_ARGS=(--url "$BASE" --server-pid "$SERVER_PID")
if [ "$REDIS" = yes ]; then
  python app.py --port="$PORT2" --stats --logging=warning --max-polls-per-address=0 "${SERVER_ARGS[@]}" >loadtest-server2.log 2>&1 &
  pid2=$!; EXTRA_PIDS+=("$pid2")
  wait_http "http://127.0.0.1:$PORT2/"
  LT_ARGS+=(--url "http://127.0.0.1:$PORT2" --server-pid "$pid2")
fi
python tools/loadtest.py "${LT_ARGS[@]}" --clients 200 --messages 3 --cycles 400 --settle 60 --deadline 300 --json >loadtest.out 2>&1 \
  || { cat loadtest.out >&2; fail "load test failed"; }
sed 's/^/     /' loadtest.out
tail -n 1 loadtest.out | python -c '
import json, sys
r = json.load(sys.stdin)
assert r["waiters_after_disconnect"] == 0 and r["waiters_after_cycles"] == 0, r
assert len(r["messages"]) == 3 and r["p99_s"] < 5, r
' || fail "load test result out of bounds"
if [ "$REDIS" = yes ]; then kill -TERM "$pid2"; wait "$pid2" || fail "process 2 exited non-zero on SIGTERM"; fi
check_stopped

# Real browser pages (Debian chromium via playwright in the tools venv; never
# `playwright install`). The server runs on the project's own Python.
browser_venv
step "browser test (see browser_test.py for the scenarios)"
BROWSER_ARGS=()
for arg in "${SERVER_ARGS[@]}"; do BROWSER_ARGS+=("--server-arg=$arg"); done
"$TOOLS/venv/bin/python" "$GEN_DIR/chat/browser_test.py" --port "$PORT" "${BROWSER_ARGS[@]}" \
  --server-python "$PWD/.venv/bin/python" \
  --screenshot "$SCREENSHOT" --server-log browser-server.log \
  || { grep -v ' /a/stats ' browser-server.log | tail -n 50 >&2 || true; fail "browser test failed"; }
[ -s "$SCREENSHOT" ] || fail "no screenshot written to $SCREENSHOT"

# `scaffold update` round trip on the memory project: to Redis and back. Each side passes the
# project's own tests, and going back leaves no file of the Redis variant behind.
if [ "$REDIS" = no ]; then
  [ -x "${SCAFFOLD_BIN:-}" ] || fail "SCAFFOLD_BIN is not set to the scaffold under test"
  name=$(basename "$PWD")
  fresh=$(mktemp -d); on_exit "rm -rf '$fresh'"
  "$SCAFFOLD_BIN" new chat "$fresh/memory" --name "$name" --no-input -q || fail "new (memory) failed"
  "$SCAFFOLD_BIN" new chat "$fresh/redis" --name "$name" --no-input -q -d backend=redis \
    || fail "new (redis) failed"
  redis_only=$(comm -13 <(cd "$fresh/memory" && find . -type f | sort) <(cd "$fresh/redis" && find . -type f | sort))
  [ -n "$redis_only" ] || fail "the redis variant has no files of its own"

  step "scaffold update -d backend=redis"
  "$SCAFFOLD_BIN" update --no-input -q --no-backup -d backend=redis || fail "update to redis failed"
  while read -r f; do [ -f "$f" ] || fail "update to redis did not write $f"; done <<<"$redis_only"
  # Every generated file is what the update wrote, but those the user edited on purpose (the
  # update-from-the-previous-version job's USER_EDITED).
  changed=$("$SCAFFOLD_BIN" status --json | python3 -c '
import json, sys
edited = set(sys.argv[1].split())
print(" ".join(sorted(f["path"] for f in json.load(sys.stdin)["files"]
                      if f["state"] != "unchanged" and f["path"] not in edited)))
' "${USER_EDITED:-}") || fail "scaffold status --json failed"
  [ -z "$changed" ] || fail "files differ from what the update wrote: $changed"
  install_per_readme  # the redis client is a dependency now
  RPORT=$(free_port)
  start_redis "$RPORT"
  export REDIS_URL="redis://127.0.0.1:$RPORT/15"
  test_per_readme
  lint_per_readme

  if [ -d .git ]; then
    # A project in a git repository of its own (the update-from-the-previous-version job): an
    # update in git needs the last one committed, as the README says.
    step "git commit the update to redis"
    git -c user.name="A User" -c user.email=user@example.org -c commit.gpgsign=false \
      commit -qam "to redis" && git add -A && \
      git -c user.name="A User" -c user.email=user@example.org -c commit.gpgsign=false \
      commit -qm "redis files" --allow-empty || fail "git commit failed"
  fi
  step "scaffold update -d backend=memory"
  "$SCAFFOLD_BIN" update --no-input -q --no-backup -d backend=memory || fail "update to memory failed"
  while read -r f; do [ ! -e "$f" ] || fail "update back to memory left $f"; done <<<"$redis_only"
  # Byte for byte what a fresh memory project holds (its own cookie secret, in .env, aside).
  while read -r f; do
    cmp -s "$f" "$fresh/memory/$f" || [ "$f" = ./.env ] || [[ " ${USER_EDITED:-} " == *" ${f#./} "* ]] \
      || fail "after the round trip $f differs from a fresh memory project"
  done < <(cd "$fresh/memory" && find . -type f ! -name .scaffold.toml)
  grep -qx "COOKIE_SECRET=$secret" .env || fail "the round trip changed the project's secret"
  [ ! -e .scaffold ] || fail "--no-backup left .scaffold/"
  install_per_readme
  test_per_readme
  lint_per_readme
fi
