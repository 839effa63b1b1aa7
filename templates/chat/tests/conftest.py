"""The app refuses to start without a cookie secret. A fresh clone (CI) has no .env: the tests
run with a secret of their own unless COOKIE_SECRET is set already (subprocesses inherit it)."""

import os
import secrets

os.environ.setdefault("COOKIE_SECRET", "tests-" + secrets.token_hex(16))
