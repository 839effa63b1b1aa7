"""The model layer on its own: password hashing, users, sessions, the Database worker."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading

import pytest

from app.objects import dbobject, user
from app.objects.post import Post
from app.objects.user import (
    User,
    UserError,
    check_login,
    check_password,
    hash_password,
    session_hash,
)
from tests.support import REAL_SCRYPT_N

# The schema of the blog's versions 1 to 3, whose sessions table kept tokens in the clear.
OLD_SCHEMA = """
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE sessions (
    token      TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    url        TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    author_id  INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


def make_old_database(path: str) -> None:
    """A database as version 3 of the blog left it: a user, a post, a session, mode 0644."""
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO users (name, password_hash) VALUES (?, ?)",
            ("grace", hash_password("hopper-1906")),
        )
        conn.execute(
            "INSERT INTO posts (title, url, author_id) VALUES ('Old', 'https://old.example/', 1)"
        )
        conn.execute("INSERT INTO sessions (token, user_id) VALUES ('old-plain-token', 1)")
    conn.close()
    os.chmod(path, 0o644)


@pytest.fixture
def db_path(tmp_path):
    path = str(tmp_path / "models.db")
    dbobject.create_schema(path)
    return path


def test_password_hash_is_salted_scrypt():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second  # a new random salt each time
    assert first.startswith("scrypt$")
    assert "s3cret-pass" not in first
    assert check_password("s3cret-pass", first)
    assert check_password("s3cret-pass", second)
    assert not check_password("s3cret-pasS", first)
    assert not check_password("s3cret-pass", "garbage")
    assert not check_password("s3cret-pass", "md5$x$y$z$00$00")


def test_the_real_cost_is_owasps_minimum(monkeypatch):
    # OWASP's password storage cheat sheet: scrypt with N=2^17, r=8, p=1 at least.
    assert (REAL_SCRYPT_N, user.SCRYPT_R, user.SCRYPT_P) == (2**17, 8, 1)
    monkeypatch.setattr(user, "SCRYPT_N", REAL_SCRYPT_N)
    stored = hash_password("s3cret-pass")  # needs 128 MiB: maxmem is passed
    assert stored.startswith("scrypt$131072$8$1$")
    assert check_password("s3cret-pass", stored)
    assert not check_password("s3cret-pasS", stored)


def test_a_hash_made_with_the_old_cost_verifies_after_the_cost_is_raised(monkeypatch):
    monkeypatch.setattr(user, "SCRYPT_N", 2**14)  # what this template used to store
    old = hash_password("s3cret-pass")
    monkeypatch.setattr(user, "SCRYPT_N", REAL_SCRYPT_N)
    assert old.startswith("scrypt$16384$")
    assert check_password("s3cret-pass", old)
    assert not check_password("wrong-pass", old)
    # And today's hashes keep verifying once SCRYPT_N is raised again (2^18: 256 MiB).
    current = hash_password("s3cret-pass")
    monkeypatch.setattr(user, "SCRYPT_N", 2**18)
    assert check_password("s3cret-pass", current)
    assert hash_password("x" * 8).startswith("scrypt$262144$")


def test_hashes_needing_too_much_memory_are_refused():
    # 2^24 would need 16 GiB: refused instead of tried.
    assert user.scrypt_memory(2**24, 8, 1) > user.MAX_SCRYPT_MEMORY
    assert not check_password("x", "scrypt$16777216$8$1$00$00")
    assert not check_password("x", "scrypt$1000$8$1$00$00")  # not a power of 2


def test_create_user_and_check_login(db_path):
    with dbobject.connect(db_path) as conn:
        user = User.create(conn, "grace", "hopper-1906")
        assert User.by_name(conn, "GRACE") == user
    assert check_login(user, "hopper-1906")
    assert not check_login(user, "hopper-1907")
    assert not check_login(None, "hopper-1906")
    assert "hopper" not in repr(user) and "password_hash" not in repr(user)


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("", "long enough", "user name"),
        ("with space", "long enough", "user name"),
        ("x" * 41, "long enough", "user name"),
        ("ok", "short", "at least 8"),
    ],
)
def test_invalid_users_are_refused(db_path, name, password, message):
    with pytest.raises(UserError, match=message), dbobject.connect(db_path) as conn:
        User.create(conn, name, password)


def test_duplicate_user_is_refused(db_path):
    with dbobject.connect(db_path) as conn:
        User.create(conn, "grace", "hopper-1906")
    with pytest.raises(UserError, match="already"), dbobject.connect(db_path) as conn:
        User.create(conn, "Grace", "another-one")


def test_sessions_start_end_and_expire(db_path):
    with dbobject.connect(db_path) as conn:
        user = User.create(conn, "grace", "hopper-1906")
        token = User.start_session(conn, user.id, 14)
        assert User.by_session(conn, token, 14) == user
        assert User.by_session(conn, token + "x", 14) is None
        conn.execute("UPDATE sessions SET created_at = datetime('now', '-15 days')")
        assert User.by_session(conn, token, 14) is None
        assert User.purge_sessions(conn, 14) == 1
        token = User.start_session(conn, user.id, 14)
        User.end_session(conn, token)
        assert User.by_session(conn, token, 14) is None
        # Starting a session clears out the expired ones.
        old = User.start_session(conn, user.id, 14)
        conn.execute("UPDATE sessions SET created_at = datetime('now', '-15 days')")
        fresh = User.start_session(conn, user.id, 14)
        hashes = [row[0] for row in conn.execute("SELECT token_hash FROM sessions")]
        assert hashes == [session_hash(fresh)] and old != fresh


def test_only_a_hash_of_the_session_token_is_stored(db_path):
    with dbobject.connect(db_path) as conn:
        user = User.create(conn, "grace", "hopper-1906")
        token = User.start_session(conn, user.id, 14)
        rows = [tuple(row) for row in conn.execute("SELECT * FROM sessions")]
    assert len(rows) == 1 and token not in repr(rows)
    assert rows[0][0] == session_hash(token) != token
    assert len(session_hash(token)) == 64  # SHA-256, hex


def test_a_new_session_can_replace_the_old_one(db_path):
    with dbobject.connect(db_path) as conn:
        grace = User.create(conn, "grace", "hopper-1906")
        ada = User.create(conn, "ada", "lovelace-1815")
        other = User.start_session(conn, ada.id, 14)
        old = User.start_session(conn, grace.id, 14)
        new = User.start_session(conn, grace.id, 14, replaces=old)
        assert User.by_session(conn, old, 14) is None
        assert User.by_session(conn, new, 14) == grace
        assert User.by_session(conn, other, 14) == ada  # nobody else's session ends


def test_a_new_database_file_and_its_journal_are_owner_only(tmp_path):
    path = str(tmp_path / "private.db")
    umask = os.umask(0o022)  # what most systems use: files readable by everyone
    try:
        dbobject.create_schema(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        conn = dbobject.open_connection(path)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO users (name, password_hash) VALUES ('x', 'y')")
        journal = path + "-journal"  # exists while the transaction is open
        assert stat.S_IMODE(os.stat(journal).st_mode) == 0o600
        conn.rollback()
        conn.close()
        served = str(tmp_path / "served.db")  # opened first by the server's Database
        db = dbobject.Database(served)
        asyncio.run(db.run(lambda c: c.execute("SELECT 1").fetchone()))
        db.close()
        assert stat.S_IMODE(os.stat(served).st_mode) == 0o600
    finally:
        os.umask(umask)


def test_a_database_of_version_3_is_upgraded_keeping_users_and_posts(tmp_path):
    path = str(tmp_path / "old.db")
    make_old_database(path)
    assert dbobject.has_schema(path)
    changes = dbobject.create_schema(path)
    assert len(changes) == 2, changes
    assert "everyone logs in again once" in changes[0]
    assert "mode 600, was 644" in changes[1]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with dbobject.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == dbobject.SCHEMA_VERSION
        columns = [row["name"] for row in conn.execute("PRAGMA table_info(sessions)")]
        assert columns == ["token_hash", "user_id", "created_at"]
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
        grace = User.by_name(conn, "grace")
        assert check_login(grace, "hopper-1906")
        assert [p.title for p in Post.recent(conn)] == ["Old"]
        token = User.start_session(conn, grace.id, 14)
        assert User.by_session(conn, token, 14) == grace
    assert dbobject.create_schema(path) == []  # once is enough
    with dbobject.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


def test_a_new_database_reports_no_upgrade(tmp_path):
    assert dbobject.create_schema(str(tmp_path / "new.db")) == []


def test_a_database_of_a_newer_version_is_refused(db_path):
    with dbobject.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(dbobject.SchemaError, match="newer version"):
        dbobject.create_schema(db_path)


def test_schema_is_idempotent(db_path):
    with dbobject.connect(db_path) as conn:
        User.create(conn, "grace", "hopper-1906")
    dbobject.create_schema(db_path)
    assert dbobject.has_schema(db_path)
    with dbobject.connect(db_path) as conn:
        assert User.by_name(conn, "grace") is not None


def test_has_schema_does_not_create_a_file(tmp_path):
    path = str(tmp_path / "absent.db")
    assert not dbobject.has_schema(path)
    assert not os.path.exists(path)


def test_database_runs_queries_on_one_worker_thread(db_path):
    db = dbobject.Database(db_path)
    seen = []

    def which_thread(conn: sqlite3.Connection) -> int:
        seen.append(threading.get_ident())
        return conn.execute("SELECT count(*) FROM users").fetchone()[0]

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO users (name, password_hash) VALUES ('x', 'y')")
        raise RuntimeError("roll me back")

    async def scenario():
        assert await db.run(which_thread) == 0
        with pytest.raises(RuntimeError):
            await db.run(fail)
        assert await db.run(which_thread) == 0  # the failed call was rolled back

    try:
        asyncio.run(scenario())
    finally:
        db.close()
        db.close()  # idempotent
    assert len(set(seen)) == 1 and seen[0] != threading.get_ident()
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(db.run(which_thread))
