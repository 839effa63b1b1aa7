"""Users, their passwords and their login sessions.

Passwords are stored as ``scrypt$n$r$p$salt$hash``: hashlib.scrypt over the password with a
random 16-byte salt per user, compared with hmac.compare_digest. The cost is OWASP's minimum for
scrypt (N=2^17, r=8, p=1): about 128 MiB of memory and a few tenths of a second per hash, on
purpose. The cost parameters live in the stored string, so raising SCRYPT_N later keeps old
hashes verifiable (each is checked with its own parameters and the memory they need), and new
hashes get the new cost. The server hashes on a small thread pool of its own, off the event loop
(see app/handlers/login.py).

A login session is a random token: the session cookie carries it (signed), and the database
keeps only its SHA-256 (``session_hash``), so whoever reads the database or a backup of it
cannot use the sessions found there. A slow hash is not needed for 256 random bits.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import sqlite3
from typing import ClassVar

from app.objects.dbobject import DBObject

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# A stored hash that would need more memory than this is refused rather than computed.
MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024

MAX_NAME = 40
NAME_RE = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_NAME}}}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


class UserError(ValueError):
    """A user could not be created; the message says why, for people."""


def scrypt_memory(n: int, r: int, p: int) -> int:
    """The bytes of memory scrypt needs for these parameters (OpenSSL's own count)."""
    return 128 * r * (n + p + 2)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # OpenSSL refuses to use more than 32 MiB unless maxmem says otherwise: N=2^17 needs 128 MiB.
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=scrypt_memory(n, r, p) + 1024 * 1024,
    )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (False for anything malformed)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt" or scrypt_memory(int(n), int(r), int(p)) > MAX_SCRYPT_MEMORY:
            return False
        expected = bytes.fromhex(digest_hex)
        candidate = _scrypt(
            password, bytes.fromhex(salt_hex), int(n), int(r), int(p), len(expected)
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate, expected)


@functools.lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked when a login names no user, so that answer takes as long as a wrong password.
    Made once per process; ``web.make_app()`` has it made on a hashing thread at start-up, so
    that the first login for an unknown name does not pay for it (and stand out)."""
    return hash_password(secrets.token_urlsafe(16))


def session_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_login(user: User | None, password: str) -> bool:
    """Whether ``password`` logs ``user`` in; None (no such user) costs the same and fails."""
    if user is None:
        check_password(password, dummy_hash())
        return False
    return check_password(password, user.password_hash)


class User(DBObject):
    columns = ("id", "name", "password_hash", "created_at")
    secret_columns = ("password_hash",)
    select = "SELECT id, name, password_hash, created_at FROM users"

    id: int
    name: str
    password_hash: str
    created_at: str

    session_select: ClassVar[str] = (
        "SELECT u.id, u.name, u.password_hash, u.created_at"
        " FROM sessions s JOIN users u ON u.id = s.user_id"
    )

    @staticmethod
    def name_problem(name: str) -> str | None:
        """What is wrong with ``name`` as a new user name, for people (None: nothing)."""
        if not NAME_RE.fullmatch(name):
            return f"A user name is 1 to {MAX_NAME} letters, digits, dots, dashes or underscores."
        return None

    @staticmethod
    def password_problem(password: str) -> str | None:
        """What is wrong with ``password`` as a new password, for people (None: nothing)."""
        if len(password) < MIN_PASSWORD:
            return f"The password must be at least {MIN_PASSWORD} characters long."
        if len(password) > MAX_PASSWORD:
            return f"The password must be at most {MAX_PASSWORD} characters long."
        return None

    @classmethod
    def validate(cls, name: str, password: str) -> None:
        problem = cls.name_problem(name) or cls.password_problem(password)
        if problem:
            raise UserError(problem)

    @classmethod
    def create(cls, conn: sqlite3.Connection, name: str, password: str) -> User:
        """Add a user (name compared case-insensitively); UserError if invalid or taken."""
        cls.validate(name, password)
        if cls.by_name(conn, name) is not None:
            raise UserError(f"There is already a user called {name!r}.")
        cursor = conn.execute(
            "INSERT INTO users (name, password_hash) VALUES (?, ?)", (name, hash_password(password))
        )
        return cls.get(conn, cursor.lastrowid)

    @classmethod
    def by_name(cls, conn: sqlite3.Connection, name: str) -> User | None:
        return cls.query_one(conn, "name = ?", (name,))

    @classmethod
    def by_session(cls, conn: sqlite3.Connection, token: str, max_age_days: int) -> User | None:
        """The user logged in with this session token, if the session is younger than allowed."""
        row = conn.execute(
            f"{cls.session_select} WHERE s.token_hash = ? AND s.created_at > datetime('now', ?)",
            (session_hash(token), f"-{int(max_age_days)} days"),
        ).fetchone()
        return cls.from_row(row)

    @classmethod
    def start_session(
        cls,
        conn: sqlite3.Connection,
        user_id: int,
        max_age_days: int,
        replaces: str | None = None,
    ) -> str:
        """Record a new login of ``user_id``; returns its random token (only its hash is stored).

        ``replaces`` is the token of the session the browser had until now, if any: it ends.
        Expired sessions (of anyone) are deleted on the way, so the table stays small.
        """
        cls.purge_sessions(conn, max_age_days)
        if replaces:
            cls.end_session(conn, replaces)
        token = secrets.token_urlsafe(32)
        conn.execute(
            "INSERT INTO sessions (token_hash, user_id) VALUES (?, ?)",
            (session_hash(token), user_id),
        )
        return token

    @staticmethod
    def end_session(conn: sqlite3.Connection, token: str) -> None:
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (session_hash(token),))

    @staticmethod
    def purge_sessions(conn: sqlite3.Connection, max_age_days: int) -> int:
        """Delete expired sessions; returns how many."""
        cursor = conn.execute(
            "DELETE FROM sessions WHERE created_at <= datetime('now', ?)",
            (f"-{int(max_age_days)} days",),
        )
        return cursor.rowcount
