#!/usr/bin/env bash
# Times `scaffold list`, `scaffold new` for every embedded template, and `scaffold new` of a
# synthetic 1,000-file template, each beside `cp -r` of the same output, and `scaffold update`
# of that project to a new answer, with hyperfine.
# A benchmark, not a test: it prints figures and asserts nothing about time.
#
#   tests/bench/run.sh            (needs hyperfine: apt-get install hyperfine)
#
# Results go to stdout and to target/bench/*.md. BENCH_DIR picks where projects are written
# (default: a temp dir); on a VM disk, creating files costs about as much as all the rest, so
# each run also times `cp -r` of the same tree there as the floor for "write these files".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v hyperfine >/dev/null || { echo "hyperfine is required: apt-get install hyperfine" >&2; exit 1; }
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/scaffold"
OUT="$ROOT/target/bench"
WORK=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/scaffold-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
mapfile -t TEMPLATES < <("$BIN" list --json | python3 -c 'import json,sys; [print(t["name"]) for t in json.load(sys.stdin)]')

hyperfine --warmup 20 --min-runs 200 -N --export-markdown "$OUT/list.md" \
  --command-name "scaffold list" "$BIN list"
for t in "${TEMPLATES[@]}"; do
  hyperfine --warmup 20 --min-runs 200 -N --export-markdown "$OUT/new-$t.md" \
    --prepare "rm -rf $WORK/$t-bench" --command-name "scaffold new $t" \
    "$BIN new $t $WORK/$t-bench --no-input --quiet"
  "$BIN" new "$t" "$WORK/$t-tree" --no-input --quiet
  hyperfine --warmup 20 --min-runs 200 -N --export-markdown "$OUT/cp-$t.md" \
    --prepare "rm -rf $WORK/$t-copy" --command-name "cp -r (the $t tree)" \
    "cp -r $WORK/$t-tree $WORK/$t-copy"
done
# A synthetic template of 1,000 small rendered files (tests/bench/scale_template.py also writes
# the exact expected output, which is both the correctness check and the `cp -r` floor; scaffold
# also writes its answers file, .scaffold.toml, which the expected tree does not hold).
python3 "$ROOT/tests/bench/scale_template.py" 1000 "$WORK/scale" >/dev/null
"$BIN" new "$WORK/scale/scale-bench" "$WORK/scale-check/demo-app" --no-input --quiet
diff -r -x .scaffold.toml "$WORK/scale/expected/demo-app" "$WORK/scale-check/demo-app" >/dev/null \
  || { echo "scaffold's output of the 1,000-file template differs from the expected tree" >&2; exit 1; }
mkdir -p "$WORK/scale-out" "$WORK/scale-copy"
hyperfine --warmup 5 --min-runs 50 -N --export-markdown "$OUT/new-scale-1000.md" \
  --prepare "rm -rf $WORK/scale-out/demo-app" --command-name "scaffold new (1,000 files)" \
  "$BIN new $WORK/scale/scale-bench $WORK/scale-out/demo-app --no-input --quiet"
hyperfine --warmup 5 --min-runs 50 -N --export-markdown "$OUT/cp-scale-1000.md" \
  --prepare "rm -rf $WORK/scale-copy/demo-app" --command-name "cp -r (the 1,000-file tree)" \
  "cp -r $WORK/scale/expected/demo-app $WORK/scale-copy/demo-app"
# `update` of that unedited 1,000-file project to a new answer: every file renders again,
# three-way, and is rewritten (outside git, with a backup of each; and without).
"$BIN" new "$WORK/scale/scale-bench" "$WORK/scale-pristine/demo-app" --no-input --quiet
for backup in "" "--no-backup"; do
  hyperfine --warmup 5 --min-runs 50 -N --export-markdown "$OUT/update-scale-1000${backup}.md" \
    --prepare "sh -c 'rm -rf $WORK/upd && cp -r $WORK/scale-pristine $WORK/upd'" \
    --command-name "scaffold update -d name=renamed ${backup} (1,000 files)" \
    "$BIN update $WORK/upd/demo-app -d name=renamed --no-input --quiet $backup"
done
echo
echo "files per template:"
for t in "${TEMPLATES[@]}"; do
  n=$("$BIN" new "$t" "$WORK/$t-count" --no-input --dry-run --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))')
  echo "  $t: $n files"
done
