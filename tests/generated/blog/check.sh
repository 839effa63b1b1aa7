#!/usr/bin/env bash
# Check a project generated from the `blog` template, run from inside it (see run.sh).
# Follows the generated README word for word: venv, install, pytest, ruff, --init-db,
# --create-user (password from the environment), server; then logs in with curl like a browser
# (cookie jar and the form's _xsrf field), posts a link, sees it on /, logs out, and stops.
# shellcheck source=../lib.sh
source "$GEN_DIR/lib.sh"

# What each variant of variants.txt must have produced.
case "$VARIANT_ID" in
  default) title="Blog Demo"; title_html="Blog Demo" ;;
  escaped) # an apostrophe may be escaped as &#39; or &#x27;
    title="Ada's Links & <Notes>"; title_html="Ada&#(39|x27);s Links &amp; &lt;Notes&gt;" ;;
  named) title="Team Links"; title_html="Team Links" ;;
  *) fail "check.sh does not know variant '$VARIANT_ID' (add it to the case list)" ;;
esac
base="http://127.0.0.1:$PORT"

step "layout"
for f in web.py schema.sql app/__init__.py app/handlers/__init__.py app/handlers/base.py \
  app/handlers/home.py app/handlers/post.py app/handlers/login.py app/handlers/logout.py \
  app/handlers/admin.py app/objects/__init__.py app/objects/dbobject.py app/objects/user.py \
  app/objects/post.py app/ratelimit.py templates/wrappers/layout.html templates/pages/home.html \
  templates/pages/post.html templates/pages/login.html templates/pages/admin.html \
  templates/pages/error.html static/css/main.css requirements.txt requirements-dev.txt \
  pyproject.toml README.md .gitignore tests/__init__.py tests/conftest.py tests/terminal.py; do
  [ -f "$f" ] || fail "missing $f"
done
[ -x web.py ] || fail "web.py is not executable"
leftovers=$(find . -name '*.tera' -o -name template.toml)
[ -z "$leftovers" ] || fail "template artifacts were copied: $leftovers"
grep -qF "\"site_title\": \"$title\"," web.py || fail "web.py does not carry the site title '$title'"
grep -qF "# $title" README.md || fail "README.md does not start with the site title '$title'"
grep -Eq '"[0-9a-f]{64}"' web.py || fail "web.py has no generated 64-hex cookie secret"

check_verbatim blog

# README: Install
make_venv
pip_install -r requirements-dev.txt
report_versions
check_tornado_floor -r requirements.txt

# README: Test and lint
readme_has 'python -m pytest'
readme_has 'ruff check .'
readme_has 'ruff format --check .'
run_pytest
run_ruff
check_bad_options python web.py
[ ! -e blog.db ] || fail "the tests left a blog.db behind"

# README: Set up the database and an admin (the scripted form, password from the environment)
password="check-$RANDOM-$RANDOM passphrase"
readme_has 'python web.py --init-db'
readme_has 'python web.py --create-user=admin'
readme_has "BLOG_ADMIN_PASSWORD='a long passphrase' python web.py --create-user=admin"
step "python web.py --init-db"
python web.py --init-db || fail "--init-db failed"
[ -f blog.db ] || fail "--init-db made no blog.db"
step "BLOG_ADMIN_PASSWORD=... python web.py --create-user=admin"
out=$(BLOG_ADMIN_PASSWORD="$password" python web.py --create-user=admin 2>&1) || { echo "$out" >&2; fail "--create-user failed"; }
case "$out" in *"$password"*) fail "--create-user printed the password" ;; esac
grep -qF "$password" blog.db && fail "the password is stored in plain text in blog.db"
if BLOG_ADMIN_PASSWORD="$password" python web.py --create-user=admin 2>/dev/null; then
  fail "--create-user accepted a duplicate user"
fi

# README: Run (on the port the harness gave us)
log=$(mktemp)
serve "$log" python web.py --port="$PORT"
wait_http "$base/"
log_has "$log" "Listening on http://127.0.0.1:$PORT"
fetch "$base/" 200 "<title>$title_html</title>"
fetch "$base/" 200 'No links yet\.'
fetch "$base/login" 200 'name="_xsrf"'
fetch "$base/static/css/main.css" 200 'font-family'
fetch "$base/post/1" 404 'There is no page at this address'
fetch "$base/no/such/page" 404
for path in / /login /static/css/main.css; do check_head "$base$path"; done
for path in / /login /static/css/main.css /no/such/page; do check_security_headers "$base$path" csp; done
check_xsrf_samesite "$base/login"
check_body_limit "$base/login"
status=$(curl -s -o /dev/null -w '%{http_code}' -d x=1 "$base/no/such/page") || true
step "POST /no/such/page -> $status"
[ "$status" = 404 ] || fail "POST to an unknown page answered $status, not 404"

jar=$(mktemp)
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

expect "GET /admin (visitor)" "$(status_of "$base/admin")" "302 $base/login?next=%2Fadmin"

xsrf=$(xsrf_of "$base/login?next=/admin")
[ -n "$xsrf" ] || fail "no _xsrf field on /login"
expect "POST /login without _xsrf" \
  "$(status_of --data-urlencode name=admin --data-urlencode "password=$password" "$base/login")" "403 "
expect "POST /login, wrong password" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password!" "$base/login")" "403 "
expect "POST /login, next=//evil.example" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password" --data-urlencode "next=//evil.example/" "$base/login")" "302 $base/"
expect "POST /login, next=/admin" \
  "$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=$password" --data-urlencode "next=/admin" "$base/login")" "302 $base/admin"
grep -q "#HttpOnly_127.0.0.1.*[[:space:]]session[[:space:]]" "$jar" || { cat "$jar" >&2; fail "no HttpOnly session cookie"; }
expect "GET /admin (logged in)" "$(status_of "$base/admin")" "200 "
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

expect "GET /logout" "$(status_of "$base/logout")" "405 "
expect "POST /logout" "$(status_of --data-urlencode "_xsrf=$xsrf" "$base/logout")" "302 $base/"
expect "GET /admin (logged out)" "$(status_of "$base/admin")" "302 $base/login?next=%2Fadmin"

# Login throttling: after 10 failed logins from one address (the wrong password above and 9
# more here), the next login is 429 with Retry-After, even with the right password.
xsrf=$(xsrf_of "$base/login")
for i in $(seq 1 9); do
  got=$(status_of --data-urlencode "_xsrf=$xsrf" --data-urlencode "name=nobody$i" \
    --data-urlencode "password=wrong password" "$base/login")
  [ "$got" = "403 " ] || fail "failed login $i answered '$got', not 403"
done
step "9 more failed logins -> 403 each"
headers=$(curl -s -D - -o "$jar.body" -b "$jar" -c "$jar" --data-urlencode "_xsrf=$xsrf" \
  --data-urlencode name=admin --data-urlencode "password=$password" "$base/login" | tr -d '\r')
head -n 1 <<<"$headers" | grep -q ' 429' || { echo "$headers" >&2; fail "the 11th login was not 429"; }
grep -iq '^retry-after: [1-9]' <<<"$headers" || { echo "$headers" >&2; fail "the 429 has no Retry-After"; }
grep -Fq "Too many failed logins" "$jar.body" || fail "the 429 page does not say why"
step "the 11th login (right password) -> 429 with Retry-After"
rm -f "$jar" "$jar.body"

check_stopped
for line in "Received SIGTERM" "Shutting down" "Stopped"; do log_has "$log" "$line"; done
log_has "$log" "failed login for 'admin'" "the failed login was not logged"
log_lacks "$log" "$password" "the password appears in the server log"
log_lacks "$log" Traceback "traceback in the server log"

# --xheaders: the client address comes from the proxy's X-Real-Ip.
: >"$log"
serve "$log" python web.py --port="$PORT" --xheaders
wait_log "$log" "Listening on"
jar=$(mktemp)
xsrf=$(xsrf_of "$base/login")
expect "POST /login via a proxy (X-Real-Ip: 203.0.113.9), wrong password" \
  "$(status_of -H 'X-Real-Ip: 203.0.113.9' --data-urlencode "_xsrf=$xsrf" --data-urlencode name=admin \
     --data-urlencode "password=wrong password" "$base/login")" "403 "
log_has "$log" "failed login for 'admin' from 203.0.113.9" "--xheaders: X-Real-Ip not used"
rm -f "$jar"
check_stopped

# Graceful shutdown, for real: web.main() with one test-only page, SIGTERM from outside.
work=$(mktemp -d)
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
rm -rf "$work" "$log"
step "ok"
