"""The model layer's foundation: SQLite connections, the schema, and the DBObject base class.

How the database is used without blocking the event loop
--------------------------------------------------------
sqlite3 calls block. The server therefore never calls them on the event loop: ``Database.run(fn,
*args)`` runs ``fn(connection, *args)`` on a single worker thread that owns the one connection,
and the handler awaits the result. One thread means queries run one after another (SQLite allows
one writer at a time anyway) and the connection is only ever used by the thread that opened it.
Each call is one transaction: committed when ``fn`` returns, rolled back if it raises.

Model methods (``User.by_name``, ``Post.create``, ...) are plain functions of a connection, so the
command line (``web.py --init-db`` / ``--create-user``) and the tests call them directly on a
connection from ``connect()``; the server calls the very same functions through ``Database.run``.

Every value reaches SQL as a ``?`` parameter. The only text formatted into SQL is table and
column names written in this package's source, never anything from a request.

The database file holds password hashes: it is created readable and writable by its owner only
(0600), and SQLite gives its journal the same permissions. ``PRAGMA user_version`` records the
schema's version; ``create_schema()`` upgrades a database made by an earlier version of the blog
(``MIGRATIONS``), keeping its users and posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_PATH = os.path.join(ROOT, "schema.sql")
TABLES = ("users", "sessions", "posts")

# The user_version of a database with schema.sql's tables.
SCHEMA_VERSION = 1
# How a database of an earlier version is brought up to date, before schema.sql runs:
# (the version it gives, what changes for people, SQL).
MIGRATIONS = [
    (
        1,
        "sessions keep only a hash of their token now: everyone logs in again once",
        # schema.sql creates the table anew, with token_hash instead of token. The tokens
        # stored in the clear until now are not carried over: a copy of the database could
        # hold them.
        "DROP TABLE IF EXISTS sessions",
    ),
]

T = TypeVar("T")


class SchemaError(Exception):
    """The database cannot be used by this version of the blog; the message says why."""


def _create_owner_only(path: str) -> None:
    """Create an empty database file that only its owner may read or write."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def open_connection(path: str) -> sqlite3.Connection:
    """A connection with rows addressable by column name and foreign keys enforced.

    A database file that does not exist yet is created with mode 0600 first.
    """
    if path != ":memory:" and not os.path.exists(path):
        _create_owner_only(path)
    conn = sqlite3.connect(path, timeout=5)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextlib.contextmanager
def connect(path: str) -> Iterator[sqlite3.Connection]:
    """For scripts and tests: one transaction on a fresh connection, closed afterwards."""
    conn = open_connection(path)
    try:
        with conn:  # commit on success, roll back on an exception
            yield conn
    finally:
        conn.close()


def _statements(script: str) -> Iterator[str]:
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if any(line.strip() and not line.strip().startswith("--") for line in statement.splitlines()):
        yield statement  # no closing semicolon: let SQLite say what is wrong


def create_schema(path: str, schema_path: str = SCHEMA_PATH) -> list[str]:
    """Create the tables of ``schema.sql`` in the database at ``path``, upgrading a database
    made by an earlier version of the blog first; idempotent. All in one transaction.

    Returns what the upgrade changed, for people (empty for a new or current database).
    Raises SchemaError for a database made by a newer version.
    """
    with open(schema_path, encoding="utf-8") as f:
        statements = list(_statements(f.read()))
    conn = open_connection(path)
    conn.isolation_level = None  # the transaction is ours: BEGIN ... COMMIT below
    changes = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise SchemaError(
                    f"{path} was made by a newer version of the blog (schema version {version};"
                    f" this one knows up to {SCHEMA_VERSION})"
                )
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            made_before = tables.fetchone()[0] > 0
            for target, change, sql in MIGRATIONS:
                if version < target:
                    conn.execute(sql)
                    if made_before:
                        changes.append(change)
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    if changes:
        # Earlier versions left the file as the umask made it (often readable by everyone).
        mode = os.stat(path).st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o600)
            changes.append(f"the file is readable by its owner only now (mode 600, was {mode:o})")
    return changes


def has_schema(path: str) -> bool:
    """Whether the database at ``path`` exists and has every table (without creating it)."""
    if not os.path.isfile(path):
        return False
    conn = open_connection(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return set(TABLES) <= {row["name"] for row in rows}


class Database:
    """The server's database: one connection, used only from one worker thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None  # opened lazily, in the worker thread
        self._closed = False
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in one transaction on the worker thread; await it."""
        if self._closed:
            raise RuntimeError("the database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple) -> T:
        if self._conn is None:
            self._conn = open_connection(self.path)
        with self._conn:
            return fn(self._conn, *args)

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        """Close the connection (on its own thread) and stop the worker. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._executor.submit(self._close_connection).result()
        self._executor.shutdown(wait=True)


class DBObject:
    """Base of the model classes: one row of ``select`` as an object, one attribute per column.

    A subclass sets ``columns`` (the attribute names, in order), ``select`` (a query without a
    WHERE clause that returns those columns), ``id_column`` (how ``select`` names the id) and,
    optionally, ``secret_columns`` that ``repr()`` leaves out.
    """

    columns: ClassVar[tuple[str, ...]] = ()
    secret_columns: ClassVar[tuple[str, ...]] = ()
    select: ClassVar[str] = ""
    id_column: ClassVar[str] = "id"

    def __init__(self, **fields: Any) -> None:
        if set(fields) != set(self.columns):
            raise TypeError(f"{type(self).__name__} takes exactly the fields {self.columns}")
        for name in self.columns:
            setattr(self, name, fields[name])

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, c) == getattr(other, c) for c in self.columns)

    __hash__ = None  # type: ignore[assignment]  # compared by value, and mutable

    def __repr__(self) -> str:
        shown = [c for c in self.columns if c not in self.secret_columns]
        return f"{type(self).__name__}({', '.join(f'{c}={getattr(self, c)!r}' for c in shown)})"

    @classmethod
    def from_row(cls, row: sqlite3.Row | None) -> Any:
        if row is None:
            return None
        return cls(**{name: row[name] for name in cls.columns})

    @classmethod
    def query_one(cls, conn: sqlite3.Connection, where: str, params: tuple) -> Any:
        """The first object of ``select WHERE <where>``, or None."""
        return cls.from_row(conn.execute(f"{cls.select} WHERE {where}", params).fetchone())

    @classmethod
    def query_all(cls, conn: sqlite3.Connection, tail: str, params: tuple) -> list:
        """Every object of ``select <tail>`` (tail: WHERE / ORDER BY / LIMIT clauses)."""
        return [cls.from_row(row) for row in conn.execute(f"{cls.select} {tail}", params)]

    @classmethod
    def get(cls, conn: sqlite3.Connection, object_id: int) -> Any:
        """The object with this id, or None (also for ids too large for SQLite)."""
        if not -(2**63) <= object_id < 2**63:
            return None
        return cls.query_one(conn, f"{cls.id_column} = ?", (object_id,))
