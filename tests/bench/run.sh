#!/usr/bin/env bash
# Times scaffold against its floors (issue 21), whole processes, and prints each ratio beside
# its target:
#   new chat                         vs  cp -r of the project it writes        (target <= 1.0x)
#   new of a 1,000-file template     vs  cp -r of the project it writes        (target <= 1.0x)
#   update -d name=renamed of that   vs  its new                               (target <= 2.0x)
#   update with nothing to do        vs  its new                               (target <= 1.0x)
# then `list`, `status` of the 1,000-file project and `new` of every embedded template, for the
# record. A benchmark, not a test: it prints figures and asserts nothing about time.
#
#   tests/bench/run.sh       (needs `perf`, Debian's linux-perf; else `hyperfine`; and python3)
#   SCAFFOLD_BIN=/path/to/scaffold tests/bench/run.sh      (times that binary instead)
#
# With perf: `perf stat -r N`, the output removed between runs outside the timing (--pre);
# repeatable to 1-2% where hyperfine's spread is larger than its means. Figures are the mean
# wall time of a run (and the CPU time it used). BENCH_DIR picks where projects are written:
# by default /dev/shm (tmpfs), so that the tools are timed rather than the disk. RUNS scales
# the number of runs (default 200 for the small runs, 30 for the 1,000-file ones). The
# machine should be idle: `uptime` is printed first. Results also go to target/bench/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if perf stat -r 1 true >/dev/null 2>&1; then
  TOOL=perf
elif command -v hyperfine >/dev/null; then
  TOOL=hyperfine
else
  echo "run.sh needs perf (apt-get install linux-perf) or hyperfine (apt-get install hyperfine)" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "run.sh needs python3" >&2; exit 1; }
# As a user's shell usually has it: a backtrace captured with every error would be timed too.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
# The binary cargo built, wherever the target puts it; or SCAFFOLD_BIN, another build to time
# (main's, say, for a before and after).
BIN=${SCAFFOLD_BIN:-$(cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --message-format=json \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "scaffold" and m.get("executable"):
        print(m["executable"])')}
[ -x "$BIN" ] || { echo "no scaffold binary built" >&2; exit 1; }
OUT="$ROOT/target/bench"
BASE=${BENCH_DIR:-$([ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
WORK=$(mktemp -d "$BASE/scaffold-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
SMALL=${RUNS:-200}
LARGE=$(( (${RUNS:-200} * 3 + 19) / 20 ))

# time NAME RUNS PREPARE COMMAND...: runs COMMAND RUNS times (PREPARE before each, untimed);
# prints "wall_ms cpu_ms" and keeps the tool's report in target/bench/NAME.txt.
time_it() {
  local name=$1 runs=$2 prepare=$3; shift 3
  if [ "$TOOL" = perf ]; then
    # Warm up (caches, the CPU's clock) as hyperfine's --warmup does.
    for _ in 1 2 3 4 5; do sh -c "$prepare"; "$@" >/dev/null; done
    perf stat -r "$runs" --pre "$prepare" "$@" >/dev/null 2>"$OUT/$name.txt"
    python3 - "$OUT/$name.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
wall = float(re.search(r"([\d.]+) \+- [\d.]+ seconds time elapsed", text).group(1)) * 1000
cpu = float(re.search(r"([\d.]+) msec task-clock", text).group(1))
print(f"{wall:.3f} {cpu:.3f}")
EOF
  else
    hyperfine -N --warmup 5 --runs "$runs" --prepare "$prepare" --export-json "$OUT/$name.json" \
      "$(printf '%q ' "$@")" >"$OUT/$name.txt" 2>&1
    python3 - "$OUT/$name.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{r['mean'] * 1000:.3f} {(r['user'] + r['system']) * 1000:.3f}")
EOF
  fi
}

ROWS=()
# row LABEL TARGET WALL_CPU FLOOR_LABEL FLOOR_WALL_CPU
row() {
  ROWS+=("$(python3 - "$@" <<'EOF'
import sys
label, target, (w, c), floor, (fw, fc) = sys.argv[1], float(sys.argv[2]), sys.argv[3].split(), sys.argv[4], sys.argv[5].split()
ratio = float(w) / float(fw)
met = "met" if ratio <= target else "NOT met"
print(f"| {label} | {float(w):.2f} ms ({float(c):.2f} CPU) | {floor} {float(fw):.2f} ms ({float(fc):.2f} CPU) | {ratio:.2f}x | <= {target:.1f}x {met} |")
EOF
)")
}

echo "$(uptime)"
echo "scaffold: $BIN ($(stat -c %s "$BIN") bytes); timing with $TOOL in $WORK"

# new chat, and cp -r of what it writes.
"$BIN" new chat "$WORK/chat-tree" --no-input --quiet
new_chat=$(time_it new-chat "$SMALL" "rm -rf $WORK/chat" "$BIN" new chat "$WORK/chat" --no-input --quiet)
cp_chat=$(time_it cp-chat "$SMALL" "rm -rf $WORK/chat-copy" cp -r "$WORK/chat-tree" "$WORK/chat-copy")
row "\`new chat\`" 1.0 "$new_chat" "\`cp -r\` of its output" "$cp_chat"

# A synthetic template of 1,000 small rendered files (tests/bench/scale_template.py also writes
# the exact expected output: scaffold's output must match it, but for its answers file).
python3 "$ROOT/tests/bench/scale_template.py" 1000 "$WORK/scale" >/dev/null
"$BIN" new "$WORK/scale/scale-bench" "$WORK/scale-tree/demo-app" --no-input --quiet
diff -r -x .scaffold.toml "$WORK/scale/expected/demo-app" "$WORK/scale-tree/demo-app" >/dev/null \
  || { echo "scaffold's output of the 1,000-file template differs from the expected tree" >&2; exit 1; }
mkdir -p "$WORK/scale-out" "$WORK/scale-copy"
new_scale=$(time_it new-scale-1000 "$LARGE" "rm -rf $WORK/scale-out/demo-app" \
  "$BIN" new "$WORK/scale/scale-bench" "$WORK/scale-out/demo-app" --no-input --quiet)
cp_scale=$(time_it cp-scale-1000 "$LARGE" "rm -rf $WORK/scale-copy/demo-app" \
  cp -r "$WORK/scale-tree/demo-app" "$WORK/scale-copy/demo-app")
row "\`new\` of the 1,000-file template" 1.0 "$new_scale" "\`cp -r\` of its output" "$cp_scale"

# update of that unedited project to a new answer: every file renders again, three-way, and is
# rewritten (outside git, with a backup of each); then an update with nothing to do.
update=$(time_it update-scale-1000 "$LARGE" "sh -c 'rm -rf $WORK/upd && cp -r $WORK/scale-tree $WORK/upd'" \
  "$BIN" update "$WORK/upd/demo-app" -d name=renamed --no-input --quiet)
row "\`update -d name=renamed\` of that project" 2.0 "$update" "its \`new\`" "$new_scale"
noop=$(time_it update-noop-scale-1000 "$LARGE" "true" \
  "$BIN" update "$WORK/scale-tree/demo-app" --no-input --quiet)
row "\`update\` with nothing to do" 1.0 "$noop" "its \`new\`" "$new_scale"

# For the record: list, status, and new of every embedded template.
mapfile -t TEMPLATES < <("$BIN" list --json | python3 -c 'import json,sys; [print(t["name"]) for t in json.load(sys.stdin)]')
others=()
others+=("| \`list\` | $(time_it list "$SMALL" true "$BIN" list | awk '{printf "%.2f ms (%.2f CPU)", $1, $2}') |")
others+=("| \`status\` of the 1,000-file project | $(time_it status-scale-1000 "$LARGE" true "$BIN" status "$WORK/scale-tree/demo-app" | awk '{printf "%.2f ms (%.2f CPU)", $1, $2}') |")
for t in "${TEMPLATES[@]}"; do
  others+=("| \`new $t\` | $(time_it "new-$t" "$SMALL" "rm -rf $WORK/$t" "$BIN" new "$t" "$WORK/$t" --no-input --quiet | awk '{printf "%.2f ms (%.2f CPU)", $1, $2}') |")
done

{
  echo
  echo "| what | scaffold | floor | ratio | target |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "| also | scaffold |"
  echo "|---|---|"
  printf '%s\n' "${others[@]}"
} | tee "$OUT/summary.md"
