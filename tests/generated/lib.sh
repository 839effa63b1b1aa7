# Helpers for the per-template checks in tests/generated/<template>/check.sh.
# Sourced, not run. Every function fails loudly (non-zero exit, message on stderr);
# nothing here skips a step.
#
# The caller (run.sh) exports:
#   PYTHON          the interpreter to build the project's virtualenv with
#   PIP_CONSTRAINT  pins Tornado for the "lowest supported" run (empty for newest)
#   PORT            a free loopback port for this project's server
#   VARIANT         the variant id from variants.txt (for messages)
#   GEN_DIR         this directory (tests/generated)

set -euo pipefail

fail() { echo "FAIL [${VARIANT:-?}]: $*" >&2; exit 1; }
step() { echo "  -> $*"; }

# make_venv: create .venv in the current directory with $PYTHON and activate it.
make_venv() {
  step "python -m venv .venv ($("$PYTHON" --version 2>&1))"
  "$PYTHON" -m venv .venv || fail "could not create a virtualenv with $PYTHON"
  # shellcheck disable=SC1091
  . .venv/bin/activate
  # The venv's own pip, as a user following the README gets it (no upgrade).
  export PIP_DISABLE_PIP_VERSION_CHECK=1
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

# run_pytest ARGS...: pytest must run at least one test and pass.
run_pytest() {
  step "pytest $*"
  local out
  out=$(mktemp)
  if ! python -m pytest -q -p no:cacheprovider "$@" >"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"; fail "pytest failed"
  fi
  tail -n 1 "$out"
  grep -Eq '[0-9]+ passed' "$out" || { cat "$out" >&2; rm -f "$out"; fail "pytest ran no test"; }
  if grep -Eq '[0-9]+ skipped' "$out"; then cat "$out" >&2; rm -f "$out"; fail "pytest skipped tests"; fi
  rm -f "$out"
}

# run_ruff: ruff check and ruff format --check must both be clean with the project's own
# configuration.
run_ruff() {
  step "ruff check ."
  ruff check --no-cache . || fail "ruff check found problems"
  step "ruff format --check ."
  ruff format --check --no-cache . || fail "ruff format --check: files would be reformatted"
}

# serve LOGFILE CMD...: start a server in the background; its pid goes to SERVER_PID.
# stop_server is registered to run on exit.
SERVER_PID=""
serve() {
  local log=$1; shift
  step "start: $*"
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  trap stop_server EXIT
}

stop_server() {
  if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
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

# check_stopped: SIGTERM the server and require a clean, prompt exit (status 0).
check_stopped() {
  step "SIGTERM the server"
  kill -TERM "$SERVER_PID" || fail "server already gone"
  local i
  for i in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "server did not stop within 5 s of SIGTERM"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  [ "$rc" = 0 ] || fail "server exited with status $rc after SIGTERM"
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
    cmp -s "$file" "$out" || fail "$out differs from the template's $rel"
    n=$((n + 1))
  done < <(find "$src" -type f -print0)
  step "$n verbatim files identical to the template"
}
