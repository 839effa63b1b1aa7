#!/usr/bin/env bash
# The update-from-an-earlier-version check, run by tests/generated/run.sh inside a project
# that `scaffold new embedded:<template>@<version>` made, for every version kept before the
# current one (TEMPLATE and PREVIOUS say which), with the variables run.sh exports for check.sh (PYTHON, INSTALLER, UV, PORT,
# VARIANT, GEN_DIR, SCAFFOLD_BIN).
#
# It does what a user does: edits the project (tests/generated/<template>/user_edit.sh
# defines `user_edit`, an edit apart from what the new version changes, and
# `user_edit_survived`; without one, a generic edit), commits it in a git repository of the
# project's own, runs `scaffold update --no-input` (exit 0: the edit merges cleanly; the plan is
# shown), checks that the edit survived and that the project kept its cookie secret, then runs
# the template's own check.sh on the updated project.
# shellcheck disable=SC1091
source "$GEN_DIR/lib.sh"

: "${TEMPLATE:?}" "${PREVIOUS:?}"

# The generic edit, for a template without a user_edit.sh: a file of the user's own and a
# line at the end of .gitignore.
user_edit() {
  printf '# Notes\n\nThe team keeps its notes here.\n' >NOTES.md
  printf '\n# the user'"'"'s own\n*.sqlite3\n' >>.gitignore
  USER_EDITED=".gitignore"
}
user_edit_survived() {
  grep -Fqx 'The team keeps its notes here.' NOTES.md || fail "NOTES.md lost"
  grep -Fqx '*.sqlite3' .gitignore || fail "the user's line in .gitignore was lost"
}
# A template's own edit (user_edit.sh) is written against the files of recent versions; it
# may say the oldest version it fits (USER_EDIT_SINCE). From an older one the same lines would
# also be the template's changes: a true conflict, which is the user's to resolve, not a loss.
# Those versions get the generic edit, which must survive as every edit must.
USER_EDIT_SINCE=0
if [ -f "$GEN_DIR/$TEMPLATE/user_edit.sh" ]; then
  generic_edit=$(declare -f user_edit user_edit_survived)
  source "$GEN_DIR/$TEMPLATE/user_edit.sh"
  if [ "$PREVIOUS" -lt "$USER_EDIT_SINCE" ]; then
    eval "$generic_edit"
    step "version $PREVIOUS is older than the edit in tests/generated/$TEMPLATE/user_edit.sh fits (from $USER_EDIT_SINCE): the generic edit"
  fi
else
  step "no tests/generated/$TEMPLATE/user_edit.sh: the generic edit"
fi

# old_secret: the cookie secret in the files that .scaffold.toml says hold it.
old_secret() {
  python3 - <<'PY'
import re, sys, tomllib
record = tomllib.load(open(".scaffold.toml", "rb"))
secret = record["project"].get("secret")
if not secret:
    sys.exit(".scaffold.toml records no secret")
found = set()
for path in secret["files"]:
    try:
        text = open(path, encoding="utf-8").read()
    except FileNotFoundError:
        continue
    found.update(re.findall(r"(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])", text))
if len(found) != 1:
    sys.exit(f"expected one secret in {secret['files']}, found {len(found)}")
print(found.pop())
PY
}

git_() { git -c user.name="A User" -c user.email=user@example.org -c commit.gpgsign=false "$@"; }

step "scaffold new embedded:$TEMPLATE@$PREVIOUS, committed in a repository of its own"
secret=$(old_secret) || fail "cannot find the previous version's secret"
git_ init -q && git_ add -A && git_ commit -qm "from $TEMPLATE $PREVIOUS" || fail "git commit failed"
user_edit
step "the user's edit: $(git status --porcelain | tr '\n' ' ')"
git_ add -A && git_ commit -qm "the user's edit" || fail "git commit failed"

step "scaffold update --no-input"
rc=0
"$SCAFFOLD_BIN" update --no-input >update.out 2>&1 || rc=$?
sed 's/^/     | /' update.out
rm -f update.out
[ "$rc" = 0 ] || fail "scaffold update exited with $rc, not 0 (the edit should merge cleanly)"
conflicts=$(grep -rl '^<<<<<<< yours' --exclude-dir=.git . || true)
[ -z "$conflicts" ] || fail "conflict markers after a clean update: $conflicts"

user_edit_survived
step "the user's edit survived"
if [ -f .env ]; then
  grep -Fqx "COOKIE_SECRET=$secret" .env || fail ".env does not hold the project's secret"
  step ".env holds the project's secret"
else
  [ "$(old_secret)" = "$secret" ] || fail "the updated project does not hold its secret"
  step "the project's secret is kept in the files that hold it"
fi
git_ add -A && git_ commit -qm "scaffold update" -q || true

export USER_EDITED
step "the template's check on the updated project"
bash "$GEN_DIR/$TEMPLATE/check.sh"
