"""Checks that a template's variants.txt gives every value of every choice and bool variable.

Reads `scaffold info TEMPLATE --json` on stdin; the argument is the variants.txt path.
A variable's default counts as covered by the `default` line.
"""
import json
import shlex
import sys

info = json.load(sys.stdin)
seen = {}
lines = [l.strip() for l in open(sys.argv[1], encoding="utf-8")]
lines = [l for l in lines if l and not l.startswith("#")]
if not lines or lines[0].split()[0] != "default" or len(lines[0].split()) != 1:
    sys.exit(f"{sys.argv[1]}: the first line must be `default` with no arguments")
ids = [l.split()[0] for l in lines]
if len(set(ids)) != len(ids):
    sys.exit(f"{sys.argv[1]}: variant ids must be unique")
for line in lines:
    words = shlex.split(line)[1:]
    for i, w in enumerate(words):
        if w in ("-d", "--define") and i + 1 < len(words):
            key, _, value = words[i + 1].partition("=")
            seen.setdefault(key, set()).add(value.lower())
missing = []
for var in info["variables"]:
    name, kind = var["name"], var["type"]
    values = {str(var["default"]).lower()} | seen.get(name, set())
    if kind == "bool":
        values = {"true" if v in ("true", "yes", "y", "1", "on") else "false" for v in values}
        wanted = {"true", "false"}
    elif kind == "choice":
        wanted = {c.lower() for c in var["choices"]}
    else:
        continue
    for w in sorted(wanted - values):
        missing.append(f"{name}={w}")
if missing:
    sys.exit(f"{sys.argv[1]}: no variant sets " + ", ".join(missing))
