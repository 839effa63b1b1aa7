#!/usr/bin/env bash
# Check a project generated from the `blog` template, run from inside it (see run.sh).
# Follows the generated README word for word: venv, install, pytest, ruff, --init-db,
# --create-user (password from the environment), server; then logs in with curl like a browser
# (cookie jar and the form's _xsrf field), posts a link, sees it on /, logs out, and stops.
# shellcheck source=../lib.sh
source "$GEN_DIR/lib.sh"

# What each variant of variants.txt must have produced. run.sh passes VARIANT as
# "blog/<id>@<combo>"; a bare "<id>" works too.
id=${VARIANT#*/}
id=${id%@*}
case "$id" in
  default) title="Blog Demo"; title_html="Blog Demo" ;;
  escaped) # an apostrophe may be escaped as &#39; or &#x27;
    title="Ada's Links & <Notes>"; title_html="Ada&#(39|x27);s Links &amp; &lt;Notes&gt;" ;;
  named) title="Team Links"; title_html="Team Links" ;;
  *) fail "check.sh does not know variant '$id' (add it to the case list)" ;;
esac
base="http://127.0.0.1:$PORT"

step "layout"
for f in web.py schema.sql app/__init__.py app/handlers/__init__.py app/handlers/base.py \
  app/handlers/home.py app/handlers/post.py app/handlers/login.py app/handlers/logout.py \
  app/handlers/admin.py app/objects/__init__.py app/objects/dbobject.py app/objects/user.py \
  app/objects/post.py templates/wrappers/layout.html templates/pages/home.html \
  templates/pages/post.html templates/pages/login.html templates/pages/admin.html \
  templates/pages/error.html static/css/main.css requirements.txt requirements-dev.txt \
  pyproject.toml README.md .gitignore tests/__init__.py; do
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

# README: Test and lint
run_pytest
run_ruff
[ ! -e blog.db ] || fail "the tests left a blog.db behind"

# README: Set up the database and an admin (the scripted form, password from the environment)
password="check-$RANDOM-$RANDOM passphrase"
step "python web.py --init-db"
python web.py --init-db || fail "--init-db failed"
[ -f blog.db ] || fail "--init-db made no blog.db"
step "BLOG_ADMIN_PASSWORD=... python web.py --create-user admin"
out=$(BLOG_ADMIN_PASSWORD="$password" python web.py --create-user admin 2>&1) || { echo "$out" >&2; fail "--create-user failed"; }
case "$out" in *"$password"*) fail "--create-user printed the password" ;; esac
grep -qF "$password" blog.db && fail "the password is stored in plain text in blog.db"
if BLOG_ADMIN_PASSWORD="$password" python web.py --create-user admin 2>/dev/null; then
  fail "--create-user accepted a duplicate user"
fi

# README: Run (on the port the harness gave us)
log=$(mktemp)
serve "$log" python web.py --port "$PORT"
wait_http "$base/"
grep -q "Listening on http://127.0.0.1:$PORT" "$log" || { cat "$log" >&2; fail "no 'Listening on http://127.0.0.1:$PORT' line"; }
fetch "$base/" 200 "<title>$title_html</title>"
fetch "$base/" 200 'No links yet\.'
fetch "$base/login" 200 'name="_xsrf"'
fetch "$base/static/css/main.css" 200 'font-family'
fetch "$base/post/1" 404 'There is no page at this address'
fetch "$base/no/such/page" 404

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
rm -f "$jar"

check_stopped
grep -q "Received SIGTERM, stopping server" "$log" || { cat "$log" >&2; fail "no stop line after SIGTERM"; }
grep -q "Server stopped" "$log" || { cat "$log" >&2; fail "no 'Server stopped' line"; }
grep -q "failed login for 'admin'" "$log" || { cat "$log" >&2; fail "the failed login was not logged"; }
grep -qF "$password" "$log" && { cat "$log" >&2; fail "the password appears in the server log"; }
grep -q Traceback "$log" && { cat "$log" >&2; fail "traceback in the server log"; }
rm -f "$log"
step "ok"
