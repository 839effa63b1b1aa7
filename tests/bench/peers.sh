#!/usr/bin/env bash
# Compare scaffold with cookiecutter (Python/Jinja2) and kickstart (Rust/Tera) on identical content.
#
#   tests/bench/peers.sh     # setup (if needed) + check + time; results to $P/results.tsv
#   SCAFFOLD_BIN=/path/to/scaffold tests/bench/peers.sh     (times that binary; default: a
#                            release build of this checkout)
#
# A benchmark, not a test: it installs cookiecutter (PyPI, into a virtualenv under $P) and
# kickstart (crates.io, under $P), prints figures and asserts nothing about time.
#
# Content: tests/bench/scale_template.py N (N = 20 "small", 1000 "scale").
# The scaffold template is converted into a cookiecutter and a kickstart template by
# $P/bin/convert.py (written below), each checked byte-for-byte with `diff -r` against
# expected/demo-app, then timed with `perf stat -e task-clock -r N --pre 'rm -rf OUT'`
# with templates and output on tmpfs (/dev/shm).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=${PEERS_DIR:-$ROOT/target/peers} # work dir (disk)
S=/dev/shm/peers                  # tmpfs: templates + outputs used for timing
SCAFFOLD=${SCAFFOLD_BIN:-$(cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml" --message-format=json \
  | python3 -c 'import json, sys; [print(m["executable"]) for m in map(json.loads, sys.stdin) if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "scaffold" and m.get("executable")]')}
CC=$P/venv/bin/cookiecutter
KS=$P/cargo/bin/kickstart
GEN=$ROOT/tests/bench/scale_template.py
CASES="small:20 scale:1000"
ROUNDS=${ROUNDS:-2}               # the whole timing matrix is run ROUNDS times (machine is loaded)

mkdir -p "$P/bin" "$S"

# ---- tools -----------------------------------------------------------------------------------
[ -x "$CC" ] || { python3 -m venv "$P/venv" && "$P/venv/bin/pip" install -q cookiecutter; }
[ -x "$KS" ] || CARGO_TARGET_DIR=$P/ks-target cargo install kickstart --features=cli --root "$P/cargo"
# keep cookiecutter's replay/cache out of $HOME
printf 'cookiecutters_dir: "%s/cc-home/cookiecutters/"\nreplay_dir: "%s/cc-home/replay/"\n' "$P" "$P" > "$P/cc-config.yaml"

# ---- converter -------------------------------------------------------------------------------
cat > "$P/bin/convert.py" <<'EOF'
#!/usr/bin/env python3
"""convert.py KIND SRC DST: turn a scaffold template (SRC) into a cookiecutter or kickstart template (DST).

Every SRC/**/X.tera becomes DST/<top>/**/X; <top> is `{{cookiecutter.name}}` (cookiecutter) or
`{{name}}` (kickstart).  Variables: name = "demo-app", pkg = "demo_app" (static defaults: what
scaffold derives from the project name `demo-app`).  cookiecutter: `{{ name }}` -> `{{ cookiecutter.name }}`,
`{{ pkg }}` -> `{{ cookiecutter.pkg }}`; kickstart: the Tera text is used unchanged.
"""
import json, os, re, shutil, sys

kind, src, dst = sys.argv[1:4]
shutil.rmtree(dst, ignore_errors=True)
if kind == "cookiecutter":
    root = os.path.join(dst, "{{cookiecutter.name}}")
    os.makedirs(root)
    with open(os.path.join(dst, "cookiecutter.json"), "w") as fh:
        json.dump({"name": "demo-app", "pkg": "demo_app"}, fh, indent=2)
    sub = lambda t: re.sub(r"\{\{ (name|pkg) \}\}", r"{{ cookiecutter.\1 }}", t)
elif kind == "kickstart":
    root = os.path.join(dst, "{{name}}")
    os.makedirs(root)
    with open(os.path.join(dst, "template.toml"), "w") as fh:
        fh.write('name = "scale-bench"\ndescription = "A synthetic template for benchmarks"\n'
                 'kickstart_version = 1\n\n'
                 '[[variables]]\nname = "name"\ndefault = "demo-app"\nprompt = "Name?"\n\n'
                 '[[variables]]\nname = "pkg"\ndefault = "demo_app"\nprompt = "Package?"\n')
    sub = lambda t: t
else:
    sys.exit("KIND: cookiecutter | kickstart")
n = 0
for dirpath, _, names in os.walk(src):
    for f in names:
        if not f.endswith(".tera"):
            continue
        rel = os.path.relpath(os.path.join(dirpath, f), src)[: -len(".tera")]
        out = os.path.join(root, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(os.path.join(dirpath, f), encoding="utf-8", newline="") as fh:
            text = fh.read()
        with open(out, "w", encoding="utf-8", newline="") as fh:
            fh.write(sub(text))
        n += 1
print(f"{dst}: {kind} template, {n} files")
EOF

# ---- commands (OUT is the directory removed before each run) ---------------------------------
cmd() {  # cmd TOOL CASE OUT
  local t=$1 c=$2 o=$3
  case $t in
    scaffold)     echo "$SCAFFOLD new $S/$c/scale-bench $o/demo-app --no-input -q" ;;
    cookiecutter) echo "$CC --config-file $P/cc-config.yaml --no-input -o $o $S/$c/cc" ;;
    kickstart)    echo "$KS $S/$c/ks -o $o --no-input" ;;
  esac
}

# ---- content, conversion, byte-for-byte check -------------------------------------------------
for cn in $CASES; do
  c=${cn%%:*} n=${cn##*:}
  rm -rf "$S/$c"
  python3 "$GEN" "$n" "$S/$c" >/dev/null
  python3 "$P/bin/convert.py" cookiecutter "$S/$c/scale-bench" "$S/$c/cc"
  python3 "$P/bin/convert.py" kickstart "$S/$c/scale-bench" "$S/$c/ks"
  for t in scaffold cookiecutter kickstart; do
    o=$S/out-$t-$c
    rm -rf "$o"
    $(cmd $t $c $o) >/dev/null
    x=(); [ $t = scaffold ] && x=(-x .scaffold.toml)   # scaffold's own record of template + answers
    if d=$(diff -r "${x[@]}" "$S/$c/expected/demo-app" "$o/demo-app"); then
      echo "CHECK $t $c: byte-identical ${x[*]:+(besides the extra .scaffold.toml)}"
    else
      echo "CHECK $t $c: differs:"; echo "$d" | head -5
    fi
  done
done

# ---- timing ------------------------------------------------------------------------------------
res=$P/results.tsv
printf 'round\ttool\tcase\truns\twall_ms\twall_pm\ttask_clock_ms\tcpus\n' > "$res"
for r in $(seq 1 "$ROUNDS"); do
  for cn in $CASES; do
    c=${cn%%:*}
    for t in scaffold kickstart cookiecutter; do
      N=20; [ $t = cookiecutter ] && N=5
      o=$S/out-$t-$c
      rm -rf "$o"; $(cmd $t $c $o) >/dev/null   # warm-up (page cache, Python bytecode), untimed
      perf stat -e task-clock -r $N --pre "rm -rf $o" -o "$P/perf-$t-$c-$r.txt" $(cmd $t $c $o) >/dev/null
      f=$P/perf-$t-$c-$r.txt
      tc=$(awk '/task-clock/ {gsub(",","",$1); print $1; exit}' "$f")
      cpus=$(awk '/task-clock/ {for(i=1;i<=NF;i++) if($i ~ /CPUs/) print $(i-1); exit}' "$f")
      wall=$(awk '/seconds time elapsed/ {print $1*1000; exit}' "$f")
      pm=$(awk '/seconds time elapsed/ {for(i=1;i<=NF;i++) if($i ~ /%/) {print $i; exit}}' "$f")
      printf '%s\t%s\t%s\t%s\t%.2f\t%s\t%.2f\t%s\n' "$r" "$t" "$c" "$N" "$wall" "$pm" "$tc" "$cpus" | tee -a "$res"
    done
  done
done
rm -rf "$S"/out-*
