#!/usr/bin/env bash
# Check a project generated from the `blog` template, run from inside it (see run.sh).
# Follows the generated README word for word for the install path that $INSTALLER names (uv, or
# venv + pip): install, pytest, ruff, --init-db, --create-user (password from the environment),
# server; then logs in with curl like a browser (cookie jar and the form's _xsrf field), posts a
# link, sees it on /, logs out. Then, on real processes: the cookie secret (.env, git, no
# start without it), the CI workflow, cross-origin POSTs, Secure cookies behind a proxy, login
# throttling under 60 simultaneous logins and against a flood from other addresses, sessions
# stored hashed, a database of the previous version upgraded, and shutdown (grace period, cut
# requests not logged as 500, a second Ctrl-C).
# shellcheck source=../lib.sh
source "$GEN_DIR/lib.sh"

# What each variant of variants.txt must have produced.
case "$VARIANT_ID" in
  default) title="Blog Demo"; title_html="Blog Demo"; title_md="Blog Demo" ;;
  escaped) # an apostrophe may be escaped as &#39; or &#x27;; in Markdown, < and > are
    title="Ada's Links & <Notes>"; title_html="Ada&#(39|x27);s Links &amp; &lt;Notes&gt;"
    title_md="Ada's Links & &lt;Notes&gt;" ;;
  named) title="Team Links"; title_html="Team Links"; title_md="Team Links" ;;
  *) fail "check.sh does not know variant '$VARIANT_ID' (add it to the case list)" ;;
esac
base="http://127.0.0.1:$PORT"
work=$(mktemp -d)
on_exit "rm -rf '$work'"

# --- Blog-only helpers --------------------------------------------------------------------

# run_in_project ARGS...: run a command of the README the way this run's install path does
# (`uv run ARGS` for uv; ARGS in the activated venv for pip).
run_in_project() {
  if [ "$INSTALLER" = uv ]; then
    UV_PYTHON="$PYTHON" "$UV" run --quiet --no-progress "$@"
  else
    "$@"
  fi
}

jar="$work/jar"
# status_of ARGS...: curl with the cookie jar; prints "<status> <redirect target>".
status_of() { curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$jar" -c "$jar" "$@"; }
# xsrf_of URL: the _xsrf field of the form on that page.
xsrf_of() {
  curl -s -b "$jar" -c "$jar" "$1" | sed -n 's/.*name="_xsrf" value="\([^"]*\)".*/\1/p' | head -n 1
}
expect() { # expect WHAT GOT WANT
  step "$1 -> $2"
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
# login_as NAME PASSWORD [CURL ARGS...]: POST the login form with the jar's _xsrf.
login_as() {
  local name=$1 password=$2; shift 2
  status_of "$@" --data-urlencode "_xsrf=$(xsrf_of "$base/login")" --data-urlencode "name=$name" \
    --data-urlencode "password=$password" "$base/login"
}
# start_server LOG ARGS...: the README's run command with ARGS, ready when it says so.
start_server() {
  local log=$1; shift
  : >"$log"
  if [ "$INSTALLER" = uv ]; then
    serve "$log" env UV_PYTHON="$PYTHON" "$UV" run --quiet --no-progress python web.py "$@"
  else
    serve "$log" python web.py "$@"
  fi
  wait_log "$log" "Listening on"
}

# --- Layout and the cookie secret ---------------------------------------------------------
step "layout"
for f in web.py schema.sql app/__init__.py app/handlers/__init__.py app/handlers/base.py \
  app/handlers/home.py app/handlers/post.py app/handlers/login.py app/handlers/logout.py \
  app/handlers/admin.py app/objects/__init__.py app/objects/dbobject.py app/objects/user.py \
  app/objects/post.py app/ratelimit.py templates/wrappers/layout.html templates/pages/home.html \
  templates/pages/post.html templates/pages/login.html templates/pages/admin.html \
  templates/pages/error.html static/css/main.css static/favicon.svg pyproject.toml README.md \
  .gitignore .env .github/workflows/ci.yml tests/__init__.py tests/conftest.py tests/terminal.py; do
  [ -f "$f" ] || fail "missing $f"
done
for f in requirements.txt requirements-dev.txt uv.lock; do
  [ ! -e "$f" ] || fail "$f is generated (dependencies live in pyproject.toml; uv sync writes uv.lock)"
done
[ -x web.py ] || fail "web.py is not executable"
leftovers=$(find . -name '*.tera' -o -name template.toml)
[ -z "$leftovers" ] || fail "template artifacts were copied: $leftovers"
grep -qF "\"site_title\": \"$title\"," web.py || fail "web.py does not carry the site title '$title'"
[ "$(head -n 1 README.md)" = "# $title_md" ] || fail "README.md does not start with the site title '# $title_md'"
secret=$(project_secret)
if grep -rlE '[0-9a-f]{64}' --include='*.py' . >/dev/null; then
  fail "a Python file holds a 64-hex secret: $(grep -rlE '[0-9a-f]{64}' --include='*.py' .)"
fi
step ".env holds the secret; no Python file does"

check_verbatim blog

check_secret_not_committed

# --- README: Install, run, test (the path $INSTALLER names) -------------------------------
if [ "$INSTALLER" = uv ]; then
  readme_has 'uv run python web.py --init-db'
  readme_has 'uv run python web.py --create-user=admin'
  readme_has 'uv run python web.py --port=8888'
else
  readme_has 'python web.py --init-db'
  readme_has 'python web.py --create-user=admin'
  readme_has 'python web.py --port=8888'
fi
install_per_readme
report_versions
check_tornado_floor
# The tests and ruff as the README runs them; on the uv path, the CI workflow's steps in a
# fresh clone (lib.sh), which must leave no file (a blog.db) behind.
test_and_lint_per_readme
check_bad_options python web.py
[ ! -e blog.db ] || fail "the tests left a blog.db behind"

check_dist_no_secret "$work/dist"
step "the wheel holds web.py and app/ only (no tests)"
python - "$work"/dist/*.whl <<'PY' || fail "the wheel holds more than the app's code"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [n for n in z.namelist() if ".dist-info/" not in n]
bad = [n for n in names if n != "web.py" and not n.startswith("app/")]
if bad or "web.py" not in names:
    sys.exit(f"unexpected in the wheel: {bad or names}")
PY

# --- README: Set up the database and an admin ---------------------------------------------
password="check-$RANDOM-$RANDOM passphrase"
readme_has "BLOG_ADMIN_PASSWORD='a long passphrase' python web.py --create-user=admin"
step "web.py --init-db"
run_in_project python web.py --init-db || fail "--init-db failed"
[ -f blog.db ] || fail "--init-db made no blog.db"
[ "$(stat -c %a blog.db)" = 600 ] || fail "blog.db has mode $(stat -c %a blog.db), not 600"
step "BLOG_ADMIN_PASSWORD=... web.py --create-user=admin"
out=$(BLOG_ADMIN_PASSWORD="$password" run_in_project python web.py --create-user=admin 2>&1) \
  || { echo "$out" >&2; fail "--create-user failed"; }
case "$out" in *"$password"*) fail "--create-user printed the password" ;; esac
grep -qF "$password" blog.db && fail "the password is stored in plain text in blog.db"
if BLOG_ADMIN_PASSWORD="$password" python web.py --create-user=admin 2>/dev/null; then
  fail "--create-user accepted a duplicate user"
fi

# --- No cookie secret: no start; production never reads .env ----------------------------
check_env_refusal python web.py
check_production_ignores_env python web.py

# --- README: Run (on the port the harness gave us) ----------------------------------------
log="$work/server.log"
start_server "$log" --port="$PORT"
log_has "$log" "Listening on http://127.0.0.1:$PORT"
fetch "$base/" 200 "<title>$title_html</title>"
fetch "$base/" 200 'No links yet\.'
fetch "$base/" 200 '<link rel="icon" href="/static/favicon\.svg\?v=[0-9a-f]+"'
fetch "$base/login" 200 'name="_xsrf"'
fetch "$base/static/css/main.css" 200 'font-family'
fetch "$base/static/favicon.svg" 200 '<svg'
fetch "$base/post/1" 404 'There is no page at this address'
fetch "$base/no/such/page" 404 'class="site-header"'
fetch "$base/logout" 405 'class="site-header"'
fetch "$base/healthz" 200 '^\{"status": "ok"\}$'
headers=$(curl -s -D - -o /dev/null "$base/healthz" | tr -d '\r')
grep -iq '^content-type: application/json' <<<"$headers" || fail "/healthz is not JSON"
grep -iq '^set-cookie:' <<<"$headers" && fail "/healthz sets a cookie"
location=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$base/favicon.ico")
[[ "$location" == "302 $base/static/favicon.svg?v="* ]] || fail "/favicon.ico -> '$location'"
step "/favicon.ico -> $location"
for path in / /login /static/css/main.css /healthz; do check_head "$base$path"; done
for path in / /login /static/css/main.css /no/such/page /healthz; do check_security_headers "$base$path" csp; done
check_xsrf_samesite "$base/login"
check_body_limit "$base/login"
status=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$base/no/such/page") || true
step "POST /no/such/page -> $status"
[ "$status" = 404 ] || fail "POST to an unknown page answered $status, not 404"
cookie=$(curl -s -D - -o /dev/null "$base/login" | tr -d '\r' | grep -i '^set-cookie: _xsrf=')
grep -iq 'secure' <<<"$cookie" && fail "the _xsrf cookie is Secure over plain HTTP"

expect "GET /admin (visitor)" "$(status_of "$base/admin")" "302 $base/login?next=%2Fadmin"

xsrf=$(xsrf_of "$base/login?next=/admin")
[ -n "$xsrf" ] || fail "no _xsrf field on /login"
expect "POST /login without _xsrf" \
  "$(status_of --data-urlencode name=admin --data-urlencode "password=$password" "$base/login")" "403 "
expect "POST /login, a valid token but from another site (Sec-Fetch-Site: cross-site)" \
  "$(status_of -H 'Sec-Fetch-Site: cross-site' -H 'Origin: https://evil.example' \
     --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password" "$base/login")" "403 "
expect "POST /login, the password in the URL only" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     "$base/login?password=$(python -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$password")")" "403 "
expect "POST /login, wrong password" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password!" "$base/login")" "403 "
expect "POST /login, next=//evil.example" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password" --data-urlencode "next=//evil.example/" "$base/login")" "302 $base/"
cp "$jar" "$work/first-session"
expect "POST /login again (Sec-Fetch-Site: same-origin), next=/admin" \
  "$(status_of -H 'Sec-Fetch-Site: same-origin' --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password" --data-urlencode "next=/admin" "$base/login")" "302 $base/admin"
grep -q "#HttpOnly_127.0.0.1.*[[:space:]]session[[:space:]]" "$jar" || { cat "$jar" >&2; fail "no HttpOnly session cookie"; }
expect "GET /admin (logged in)" "$(status_of "$base/admin")" "200 "
expect "GET /admin with the session cookie from before logging in again" \
  "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$work/first-session" "$base/admin")" \
  "302 $base/login?next=%2Fadmin"
session=$(awk '$6 == "session" { print $7 }' "$jar")
python - "$secret" "$session" <<'PY' || fail "the session token is stored in the clear"
import hashlib, sqlite3, sys
from tornado.web import decode_signed_value
token = decode_signed_value(sys.argv[1], "session", sys.argv[2].strip('"')).decode()
conn = sqlite3.connect("blog.db")
rows = conn.execute("SELECT token_hash FROM sessions").fetchall()
assert rows == [(hashlib.sha256(token.encode()).hexdigest(),)], rows
with open("blog.db", "rb") as f:
    assert token.encode() not in f.read()
PY
step "blog.db holds one session, as the SHA-256 of the cookie's token"
headers=$(curl -s -D - -o /dev/null -b "$jar" "$base/admin" | tr -d '\r')
grep -iqx 'cache-control: no-store' <<<"$headers" \
  || fail "/admin is not sent with Cache-Control: no-store"
expect "HEAD /admin (logged in)" "$(status_of -I "$base/admin")" "200 "
page=$(curl -s -b "$jar" "$base/no/such/page")
grep -Fq "Log out admin" <<<"$page" \
  || fail "a logged-in user's 404 page does not show them logged in"
step "a logged-in user's 404 page shows 'Log out admin'"

xsrf=$(xsrf_of "$base/admin")
[ -n "$xsrf" ] || fail "no _xsrf field on /admin"
link_title="Scaffold check $RANDOM <&>"
link_url="https://example.org/scaffold-check?a=1&b=2"
expect "POST /admin, a javascript: URL" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode "title=bad" \
     --data-urlencode "url=javascript:alert(1)" "$base/admin")" "400 "
expect "POST /admin without _xsrf" \
  "$(status_of --data-urlencode "title=$link_title" --data-urlencode "url=$link_url" "$base/admin")" "403 "
expect "POST /admin, a link" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode "title=$link_title" \
     --data-urlencode "url=$link_url" --data-urlencode "comment=Posted by check.sh" "$base/admin")" "302 $base/admin"

escaped_title=$(printf '%s' "$link_title" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
fetch "$base/" 200 "href=\"https://example.org/scaffold-check\?a=1&amp;b=2\""
fetch "$base/" 200 "$escaped_title"
fetch "$base/post/1" 200 'Posted by check\.sh'

expect "POST /logout" "$(status_of --data-urlencode "_xsrf=$xsrf" "$base/logout")" "302 $base/"
expect "GET /admin (logged out)" "$(status_of "$base/admin")" "302 $base/login?next=%2Fadmin"

# Login throttling: after 10 failed logins for one name from one address (the two above: the
# password in the URL only, and the wrong one; 8 more here), the next login for that name is
# 429 with Retry-After, even with the right password; another name from there is still checked.
for i in $(seq 1 8); do
  got=$(login_as admin "wrong password $i")
  [ "$got" = "403 " ] || fail "failed login $i answered '$got', not 403"
done
step "8 more failed logins for admin -> 403 each"
headers=$(curl -s -D - -o "$work/body" -b "$jar" -c "$jar" --data-urlencode "_xsrf=$(xsrf_of "$base/login")" \
  --data-urlencode name=admin --data-urlencode "password=$password" "$base/login" | tr -d '\r')
head -n 1 <<<"$headers" | grep -q ' 429' || { echo "$headers" >&2; fail "the 11th login was not 429"; }
grep -iq '^retry-after: [1-9]' <<<"$headers" || { echo "$headers" >&2; fail "the 429 has no Retry-After"; }
grep -Fq "Too many failed logins" "$work/body" || fail "the 429 page does not say why"
step "the 11th login for admin (right password) -> 429 with Retry-After"
expect "POST /login for another name from the same address" "$(login_as nobody 'wrong password')" "403 "

check_stopped
for line in "Received SIGTERM" "Shutting down" "Stopped"; do log_has "$log" "$line"; done
log_has "$log" "failed login for 'admin'" "the failed login was not logged"
log_lacks "$log" "$password" "the password appears in the server log"
log_lacks "$log" Traceback "traceback in the server log"

# --- 60 simultaneous wrong logins for one user from one address: at most 10 checked --------
start_server "$log" --port="$PORT"
rm -f "$jar"
xsrf=$(xsrf_of "$base/login")
step "60 wrong logins for admin at the same time"
pids=()
for i in $(seq 1 60); do
  curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" --data-urlencode "_xsrf=$xsrf" \
    --data-urlencode name=admin --data-urlencode "password=wrong $i" "$base/login" >"$work/code.$i" &
  pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$work"/code.* | sort | uniq -c | tr -s ' ' | tr '\n' ',')
checked=$(grep -c "failed login for 'admin'" "$log" || true)
step "answers: $codes passwords checked: $checked"
[ "$(cat "$work"/code.* | wc -l)" = 60 ] || fail "not 60 answers: $codes"
[ "$checked" -le 10 ] || fail "$checked passwords were checked, more than the limit of 10"
[ "$(grep -c '^403$' "$work"/code.* | awk -F: '{ s += $2 } END { print s }')" = "$checked" ] \
  || fail "403 answers and checked passwords differ: $codes"
if grep -vqxE '403|429|503' "$work"/code.*; then fail "answers other than 403, 429, 503: $codes"; fi
rm -f "$work"/code.*
check_stopped
log_lacks_500 "$log"

# --- Behind a proxy (--xheaders): Secure cookies over HTTPS, the client's address, trusted
# origins, and a flood of wrong passwords for admin from elsewhere that does not lock them out.
TRUSTED_ORIGINS=https://app.example.com start_server "$log" --port="$PORT" --xheaders
rm -f "$jar"
check_xsrf_secure "$base/login"
xsrf=$(xsrf_of "$base/login")
expect "POST /login via a proxy (X-Real-Ip: 203.0.113.9), wrong password" \
  "$(status_of -H 'X-Real-Ip: 203.0.113.9' --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=wrong password" "$base/login")" "403 "
log_has "$log" "failed login for 'admin' from 203.0.113.9" "--xheaders: X-Real-Ip not used"
step "24 wrong logins for admin from 3 other addresses"
for a in 1 2 3; do
  pids=()
  for i in $(seq 1 8); do
    curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" -H "X-Real-Ip: 198.51.100.$a" \
      --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
      --data-urlencode "password=wrong $i" "$base/login" >"$work/code.$a.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
done
[ "$(grep -c '^403$' "$work"/code.* | awk -F: '{ s += $2 } END { print s }')" = 24 ] \
  || fail "the wrong logins from elsewhere were not all checked: $(cat "$work"/code.* | sort | uniq -c)"
rm -f "$work"/code.*
headers=$(curl -s -D - -o /dev/null -b "$jar" -c "$jar" -H 'X-Real-Ip: 192.0.2.50' \
  -H 'X-Forwarded-Proto: https' -H 'Sec-Fetch-Site: cross-site' -H 'Origin: https://app.example.com' \
  --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin --data-urlencode "password=$password" \
  "$base/login" | tr -d '\r')
head -n 1 <<<"$headers" | grep -q ' 302' \
  || { echo "$headers" >&2; fail "the admin could not log in from their own address after the flood"; }
grep -i '^set-cookie: session=' <<<"$headers" | grep -q '; Secure' \
  || { echo "$headers" >&2; fail "the session cookie is not Secure over HTTPS behind the proxy"; }
step "then admin logs in from their address, from the trusted origin, over HTTPS -> 302, Secure session"
check_stopped
log_lacks_500 "$log"

# --- A database made by the previous version of the blog keeps its users and posts ---------
step "a blog.db of embedded:blog@3, upgraded by the server"
"$SCAFFOLD_BIN" new embedded:blog@3 "$work/old" --no-input --quiet || fail "scaffold new embedded:blog@3 failed"
old_db="$work/old/blog.db"
(umask 022 && python "$work/old/web.py" --db="$old_db" --init-db >/dev/null) || fail "the old --init-db failed"
BLOG_ADMIN_PASSWORD="old-$password" python "$work/old/web.py" --db="$old_db" --create-user=oldie >/dev/null \
  || fail "the old --create-user failed"
python - "$old_db" <<'PY' || fail "cannot add to the old database"
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
with conn:
    conn.execute("INSERT INTO posts (title, url, author_id) VALUES ('From v3', 'https://v3.example/', 1)")
    conn.execute("INSERT INTO sessions (token, user_id) VALUES ('a-plain-old-token', 1)")
PY
start_server "$log" --port="$PORT" --db="$old_db"
log_has "$log" "Upgraded the database $old_db: sessions keep only a hash of their token"
[ "$(stat -c %a "$old_db")" = 600 ] || fail "the upgraded database has mode $(stat -c %a "$old_db")"
fetch "$base/" 200 'From v3'
rm -f "$jar"
expect "POST /login as the old database's user" "$(login_as oldie "old-$password")" "302 $base/"
expect "GET /admin" "$(status_of "$base/admin")" "200 "
check_stopped
log_lacks_500 "$log"

# --- Graceful shutdown, for real: web.main() with one test-only page, signals from outside -
cat >"$work/slow_server.py" <<'PY'
import asyncio
import logging
import sys

import web
from app.handlers.base import BaseHandler


class SlowHandler(BaseHandler):
    async def get(self):
        logging.getLogger("web").info("slow request started")
        await asyncio.sleep(float(self.get_argument("seconds")))
        self.write("slow done\n")


make_app = web.make_app
web.make_app = lambda handlers=(), **kw: make_app([(r"/slow", SlowHandler), *handlers], **kw)
web.main(sys.argv)
PY
check_shutdown "$log" "$base" "Listening on" env PYTHONPATH="$PWD" python "$work/slow_server.py"

# The last part of check_shutdown was a second Ctrl-C (status 130, no traceback, no 500):
# the blog says so in its own words.
log_has "$log" "Received SIGINT again: exiting at once"
step "ok"
