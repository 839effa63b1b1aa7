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

# README "Test it": python3 -m venv .venv && . .venv/bin/activate; pip install -r requirements-dev.txt
for line in "python app.py --port=8888" "pip install -r requirements-dev.txt" "python -m pytest" \
            "ruff check ." "ruff format --check ."; do
  readme_has "$line"
done
make_venv
pip_install -r requirements.txt
pip_install -r requirements-dev.txt
report_versions
check_tornado_floor -r requirements.txt
[ -x app.py ] || fail "app.py is not executable"
run_pytest
run_ruff
check_bad_options python app.py

# README: "--port 8888" is a one-line error with exit status 2.
step "python app.py --port 8888 -> one-line error, exit 2"
rc=0; err=$(python app.py --port 8888 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] || fail "python app.py --port 8888 exited $rc, expected 2: $err"
[ "$(wc -l <<<"$err")" = 1 ] && grep -q '^error: .*--port=8888' <<<"$err" \
  || fail "not a one-line error naming --port=8888: $err"

# README "Run it": python app.py --port=8888 (on our free port)
BASE="http://127.0.0.1:$PORT"
serve server.log python app.py --port="$PORT" "${SERVER_ARGS[@]}"
wait_http "$BASE/"
fetch "$BASE/" 200 'id="inbox"'
fetch "$BASE/static/chat.js" 200 'X-XSRFToken'
fetch "$BASE/a/stats" 404   # off unless --stats

for path in / /static/chat.js /static/chat.css; do
  check_head "$BASE$path"
  check_security_headers "$BASE$path" csp
done
check_xsrf_samesite "$BASE/"
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

  step "Redis restarts without its data: an old cursor is told it missed messages"
  cursor=$(head -n -1 <<<"$(post /a/message/updates wait=0)" | python -c 'import json, sys; print(json.load(sys.stdin)["cursor"])')
  kill -TERM "$RPID"; wait "$RPID" || true
  start_redis "$RPORT"
  out=$(curl -s -m 45 -b "$jar" -H "X-XSRFToken: $token" -w '\n%{http_code}' \
        --data-urlencode "cursor=$cursor" "$BASE/a/message/updates")
  [ "$(status_of "$out")" = 200 ] || fail "poll after the Redis restart: $out"
  grep -q '"missed": true' <<<"$out" || fail "a cursor from the lost stream was not told it missed messages: $out"
  grep -q "Redis lost its data" server.log || fail "process 1 did not log the data loss: $(tail -n 5 server.log)"
  step "the poll with the old cursor got \"missed\": true after the Redis restart"

  step "Redis unreachable at start-up: clear error, keeps serving, recovers"
  RPORT2=$(free_port); PORT3=$(free_port)
  python app.py --port="$PORT3" --redis-url="redis://127.0.0.1:$RPORT2/0" >server3.log 2>&1 &
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

# README "Load test", at small N.
step "load test: 200 concurrent polls, 3 messages, 400 connect/disconnect cycles"
serve loadtest-server.log python app.py --port="$PORT" --stats --logging=warning "${SERVER_ARGS[@]}"
wait_http "$BASE/"
LT_ARGS=(--url "$BASE" --server-pid "$SERVER_PID")
if [ "$REDIS" = yes ]; then
  python app.py --port="$PORT2" --stats --logging=warning "${SERVER_ARGS[@]}" >loadtest-server2.log 2>&1 &
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

# Two real browser pages (Debian chromium via playwright; never `playwright install`).
pip_install playwright
step "browser test (see browser_test.py: basic, order, typing, xsrf, stuck, online, restart, favicon)"
BROWSER_ARGS=()
for arg in "${SERVER_ARGS[@]}"; do BROWSER_ARGS+=("--server-arg=$arg"); done
python "$GEN_DIR/chat/browser_test.py" --port "$PORT" "${BROWSER_ARGS[@]}" \
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
  "$SCAFFOLD_BIN" status --exit-code >/dev/null || fail "files differ from what the update wrote"
  pip_install -r requirements.txt
  RPORT=$(free_port)
  start_redis "$RPORT"
  REDIS_URL="redis://127.0.0.1:$RPORT/15" run_pytest
  run_ruff

  step "scaffold update -d backend=memory"
  "$SCAFFOLD_BIN" update --no-input -q --no-backup -d backend=memory || fail "update to memory failed"
  while read -r f; do [ ! -e "$f" ] || fail "update back to memory left $f"; done <<<"$redis_only"
  # Byte for byte what a fresh memory project holds (its own cookie secret aside).
  while read -r f; do
    cmp -s "$f" "$fresh/memory/$f" || grep -q cookie_secret "$f" \
      || fail "after the round trip $f differs from a fresh memory project"
  done < <(cd "$fresh/memory" && find . -type f ! -name .scaffold.toml)
  [ ! -e .scaffold ] || fail "--no-backup left .scaffold/"
  run_pytest
  run_ruff
fi
