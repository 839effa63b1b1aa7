#!/usr/bin/env bash
# Generated-project check for the `package` template. Run by tests/generated/run.sh inside the
# generated project, with PYTHON, PIP_CONSTRAINT, INSTALLER, PORT, VARIANT and GEN_DIR set.
# shellcheck disable=SC1091
source "$GEN_DIR/lib.sh"

PROJECT=$(pwd)
# The console script (and package) name, from [project.scripts] in pyproject.toml.
PKG=$(sed -n '/^\[project\.scripts\]$/{n;s/^\([A-Za-z_][A-Za-z0-9_]*\) = .*/\1/p;}' pyproject.toml)
[ -n "$PKG" ] || fail "no console script in [project.scripts] of pyproject.toml"
grep -Fqx "$PKG = \"$PKG.app:main\"" pyproject.toml || fail "the console script is not $PKG.app:main"
[ -f "$PKG/app.py" ] || fail "no package directory $PKG/"

# Run what the README says, word for word (with $PYTHON for python3 and $PORT for the port),
# on the install path $INSTALLER names.
readme_has "uv run $PKG --port=8888"
readme_has "$PKG --port=8888"
readme_has 'pip install .'
[ -x run.py ] || fail "run.py is not executable"
for f in requirements.txt requirements-dev.txt uv.lock; do [ ! -e "$f" ] || fail "$f was generated"; done

# Which options this variant chose, read from the files it produced.
I18N=no; [ -d "$PKG/locale" ] && I18N=yes
for f in Dockerfile compose.yaml .dockerignore; do
  if [ -f Dockerfile ] && [ ! -f "$f" ]; then fail "Dockerfile without $f"; fi
  if [ ! -f Dockerfile ] && [ -f "$f" ]; then fail "$f without a Dockerfile"; fi
done
if [ -f tests/test_i18n.py ] && [ "$I18N" = no ]; then fail "tests/test_i18n.py without $PKG/locale"; fi
if [ "$I18N" = yes ] && [ ! -f tests/test_i18n.py ]; then fail "$PKG/locale without tests/test_i18n.py"; fi
step "variant files: i18n=$I18N docker=$([ -f Dockerfile ] && echo yes || echo no) ci=$([ -f .github/workflows/ci.yml ] && echo yes || echo no) LICENSE=$([ -f LICENSE ] && grep -m 1 . LICENSE | sed 's/^ *//' || echo none)"

# The license: pyproject.toml and LICENSE must agree, and LICENSE must be the full text.
license=$(sed -n 's/^license = "\(.*\)"$/\1/p' pyproject.toml)
case "$license" in
  MIT) grep -Fq 'Permission is hereby granted, free of charge' LICENSE \
         && grep -Fq 'SOFTWARE.' LICENSE || fail "LICENSE is not the MIT text" ;;
  BSD-3-Clause) grep -Fq 'Neither the name of the copyright holder' LICENSE \
         && grep -Fq 'POSSIBILITY OF SUCH DAMAGE.' LICENSE || fail "LICENSE is not the BSD-3-Clause text" ;;
  Apache-2.0) [ "$(grep -c . LICENSE)" -gt 150 ] && grep -Fq 'END OF TERMS AND CONDITIONS' LICENSE \
         || fail "LICENSE is not the full Apache-2.0 text" ;;
  LicenseRef-Proprietary) [ ! -e LICENSE ] || fail "license none, but there is a LICENSE file"
         grep -Fq '"Private :: Do Not Upload"' pyproject.toml || fail "license none, but the package may be uploaded" ;;
  *) fail "unexpected license in pyproject.toml: '$license'" ;;
esac
if [ -f LICENSE ]; then
  grep -Eq "Copyright (\(c\) )?$(date -u +%Y),? " LICENSE || fail "LICENSE has no copyright line with the year"
  if grep -Eq '\[(yyyy|year|fullname|name of copyright owner)\]' LICENSE; then
    fail "LICENSE still has a placeholder"
  fi
fi

# Docker can't run here (no engine): check the files by reading them, with real parsers.
if [ -f Dockerfile ]; then
  grep -Fqx "CMD [\"$PKG\", \"--address=0.0.0.0\", \"--port=8888\", \"--shutdown_grace=8\"]" Dockerfile \
    || fail "Dockerfile does not CMD the console script"
  grep -Fq "urlopen('http://127.0.0.1:8888/healthz', timeout=4)" Dockerfile \
    || fail "Dockerfile: the HEALTHCHECK does not poll /healthz"
  grep -Eq '^FROM python:[0-9.]+-slim$' Dockerfile || fail "Dockerfile: final image is not a slim Python image"
  grep -Eq '^USER [1-9][0-9]*(:[1-9][0-9]*)?$' Dockerfile || fail "Dockerfile: no non-root USER"
  grep -Fqx 'EXPOSE 8888' Dockerfile || fail "Dockerfile: no EXPOSE 8888"
fi

unset COOKIE_SECRET

check_secret_not_committed
DIST=$(mktemp -d)
on_exit 'rm -rf "$DIST"'
check_dist_no_secret "$DIST"
[ ! -f Dockerfile ] || check_dockerignore

install_per_readme
report_versions
check_tornado_floor
test_and_lint_per_readme

step "python run.py --help"
python run.py --help >/dev/null 2>&1 || fail "python run.py --help failed"
check_bad_options "$PKG"
check_bad_options python run.py
check_env_refusal "$PKG"
check_production_ignores_env python run.py

if [ -f Dockerfile ]; then
  # hadolint parses every instruction (an unknown or malformed one is an error) and lints.
  step "hadolint Dockerfile"
  "$(dirname "$(tools_python)")/hadolint" --failure-threshold warning Dockerfile \
    || fail "hadolint found problems in the Dockerfile"
  step "compose.yaml"
  "$(tools_python)" - "$PKG" <<'PY' || fail "compose.yaml is not what the Dockerfile needs"
import sys, yaml
doc = yaml.safe_load(open("compose.yaml", encoding="utf-8"))
web = doc["services"]["web"]
assert web["build"] == ".", web
assert "8888:8888" in web["ports"], web
# The secret comes from the environment (or compose's own .env), and is required.
assert web["environment"]["COOKIE_SECRET"].startswith("${COOKIE_SECRET:?"), web
PY
fi

BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
on_exit 'rm -rf "$WORK"'

# check_site LOG: the pages, static files and error pages of a running server.
check_site() {
  local log=$1 css status
  wait_http "$BASE/"
  fetch "$BASE/" 200 'It works!'
  curl -s -o "$WORK/home.html" "$BASE/" || fail "GET / failed"
  css=$(grep -Eo '/static/css/style\.css\?v=[0-9a-f]+' "$WORK/home.html" | head -n 1)
  [ -n "$css" ] || fail "no static_url()'d stylesheet in the home page"
  fetch "$BASE$css" 200 'font-family'
  fetch "$BASE/robots.txt" 200 'User-agent: \*'
  fetch "$BASE/nope" 404 'Page not found'
  check_favicon "$BASE"
  fetch "$BASE/" 200 "Change this page in $PKG/templates/index\\.html\\."
  fetch "$BASE/healthz" 200 '^\{"status": "ok"\}$'
  headers=$(curl -s -D - -o /dev/null "$BASE/healthz" | tr -d '\r')
  grep -iqx 'cache-control: no-store' <<<"$headers" \
    || fail "/healthz is not Cache-Control: no-store"
  for path in / /healthz "$css" /robots.txt; do check_head "$BASE$path"; done
  for path in / "$css" /robots.txt /nope; do check_security_headers "$BASE$path" csp; done
  check_body_limit "$BASE/"
  status=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$BASE/no/such/page") || true
  step "POST /no/such/page -> $status"
  [ "$status" = 404 ] || fail "POST to an unknown page answered $status, not 404"
  if [ "$I18N" = yes ]; then
    for lang in 'es-MX,es;q=0.9' es-419 es; do
      status=$(curl -s -o "$WORK/es.html" -w '%{http_code}' -H "Accept-Language: $lang" "$BASE/") || true
      step "GET $BASE/ (Accept-Language: $lang) -> $status"
      [ "$status" = 200 ] && grep -Fq '¡Funciona!' "$WORK/es.html" || fail "no Spanish page for Accept-Language: $lang"
    done
    vary=$(curl -s -D - -o /dev/null -H 'Accept-Language: es' "$BASE/" | tr -d '\r' | grep -i '^vary:' | tr '\n' ' ') || true
    step "Vary of the translated page: $vary"
    grep -iq 'accept-language' <<<"$vary" || fail "the translated page has no Vary: Accept-Language"
  fi
  check_stopped
  for line in "listening on http://127.0.0.1:$PORT" "Shutting down" "Stopped"; do
    log_has "$log" "$line"
  done
  log_lacks "$log" Traceback "the server log has a traceback"
}

# 1. The console script of the editable install, as the README runs it.
serve "$WORK/server.log" "$PKG" --port="$PORT"
check_site "$WORK/server.log"
# Behind a proxy, with a front end on another origin: the options the README gives.
serve "$WORK/server-proxy.log" "$PKG" --port="$PORT" --xheaders --trusted_origins=https://front.example
wait_http "$BASE/"
# (No page of the package sets the _xsrf cookie: tests/test_app.py checks it is Secure.)
check_cross_origin "$BASE/" https://front.example -
check_stopped
log_lacks "$WORK/server-proxy.log" Traceback "the server log has a traceback"
# 2. python -m <pkg>.
serve "$WORK/server-m.log" python -m "$PKG" --port="$PORT"
check_site "$WORK/server-m.log"

# Graceful shutdown, for real: the package's main() with one test-only page, SIGTERM from outside.
cat >"$WORK/slow_server.py" <<PY
import asyncio
import logging
import sys

from $PKG import app
from $PKG.handlers.base import BaseHandler


class SlowHandler(BaseHandler):
    async def get(self):
        logging.getLogger("slow").info("slow request started")
        await asyncio.sleep(float(self.get_argument("seconds")))
        self.write("slow done\\n")


make_app = app.make_app
app.make_app = lambda handlers=(), **kw: make_app([(r"/slow", SlowHandler), *handlers], **kw)
app.main(sys.argv)
PY
check_shutdown "$WORK/slow.log" "$BASE" "listening on" python "$WORK/slow_server.py"
deactivate

# 3. A regular (non-editable) install in a second virtualenv: the wheel must carry the
#    templates and static files, and the installed script must find them.
python3 - "$PKG" "$I18N" "$DIST" <<'PY' || fail "the wheel lacks package data"
import glob, sys, zipfile
pkg, i18n, dist = sys.argv[1], sys.argv[2] == "yes", sys.argv[3]
wheels = glob.glob(f"{dist}/*.whl")
assert len(wheels) == 1, wheels
names = set(zipfile.ZipFile(wheels[0]).namelist())
want = [f"{pkg}/{p}" for p in (
    "templates/base.html", "templates/index.html", "templates/404.html", "templates/500.html",
    "templates/error.html", "static/css/style.css", "static/robots.txt", "static/favicon.svg",
    "app.py", "__main__.py", "handlers/base.py")]
if i18n:
    want.append(f"{pkg}/locale/es.csv")
missing = [w for w in want if w not in names]
assert not missing, f"missing from {wheels[0]}: {missing}"
assert not any(n.startswith("tests/") for n in names), "tests/ must not be installed"
print(f"  -> {wheels[0].rsplit('/', 1)[-1]} (uv build): {len(names)} files, templates and static included")
PY

step "second virtualenv for a non-editable install"
"$PYTHON" -m venv "$WORK/venv" || fail "could not create a second virtualenv"
. "$WORK/venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip_install .
cd "$WORK"  # away from the checkout, so only the installed copy can be imported
installed=$(python -c "import $PKG; print($PKG.__file__)") || fail "$PKG is not importable after pip install ."
case "$installed" in
  "$WORK/venv/"*) step "installed at $installed" ;;
  *) fail "$PKG imports from $installed, not from the second virtualenv" ;;
esac
report_versions
# An installed copy has no checkout around it: it reads the secret from the environment only.
check_env_refusal_installed() {
  local rc=0 err
  err=$(env -u COOKIE_SECRET timeout 30 "$PKG" --port="$PORT" 2>&1 >/dev/null) || rc=$?
  step "the installed $PKG without COOKIE_SECRET -> exit $rc: $err"
  [ "$rc" = 2 ] && [ "$err" = "error: COOKIE_SECRET is not set (in the environment)" ] \
    || fail "the installed copy without COOKIE_SECRET answered $rc: $err"
}
check_env_refusal_installed
COOKIE_SECRET=$(cd "$PROJECT" && project_secret)
export COOKIE_SECRET
serve "$WORK/server-wheel.log" "$PKG" --port="$PORT"
check_site "$WORK/server-wheel.log"
cd "$PROJECT"
rm -rf "$WORK"

step "package: all checks passed"
