#!/usr/bin/env bash
# Times `scaffold list` and `scaffold new` for every embedded template with hyperfine.
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
echo
echo "files per template:"
for t in "${TEMPLATES[@]}"; do
  n=$("$BIN" new "$t" "$WORK/$t-count" --no-input --dry-run --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))')
  echo "  $t: $n files"
done
