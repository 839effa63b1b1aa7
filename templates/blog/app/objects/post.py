"""Posts: a link (title and http/https URL) with an optional comment, by one user."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from app.objects.dbobject import DBObject

MAX_TITLE = 200
MAX_URL = 2000
MAX_COMMENT = 2000


def validate(title: str, url: str, comment: str) -> list[str]:
    """What is wrong with a new post, as messages for people (empty: nothing)."""
    errors = []
    if not title:
        errors.append("A title is required.")
    elif len(title) > MAX_TITLE:
        errors.append(f"The title is longer than {MAX_TITLE} characters.")
    if not url:
        errors.append("A URL is required.")
    elif len(url) > MAX_URL:
        errors.append(f"The URL is longer than {MAX_URL} characters.")
    elif not is_web_url(url):
        errors.append("The URL must be an http:// or https:// address with a host name.")
    if len(comment) > MAX_COMMENT:
        errors.append(f"The comment is longer than {MAX_COMMENT} characters.")
    return errors


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no spaces or control characters."""
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


class Post(DBObject):
    columns = ("id", "title", "url", "comment", "author", "created_at")
    select = (
        "SELECT p.id, p.title, p.url, p.comment, u.name AS author, p.created_at"
        " FROM posts p JOIN users u ON u.id = p.author_id"
    )
    id_column = "p.id"

    id: int
    title: str
    url: str
    comment: str
    author: str
    created_at: str

    @property
    def host(self) -> str:
        """The link's host name, shown next to the title."""
        return urlsplit(self.url).hostname or ""

    @classmethod
    def create(
        cls, conn: sqlite3.Connection, title: str, url: str, comment: str, author_id: int
    ) -> Post:
        """Store a post; the caller has validated it with validate()."""
        cursor = conn.execute(
            "INSERT INTO posts (title, url, comment, author_id) VALUES (?, ?, ?, ?)",
            (title, url, comment, author_id),
        )
        return cls.get(conn, cursor.lastrowid)

    @classmethod
    def recent(cls, conn: sqlite3.Connection, limit: int = 50) -> list[Post]:
        """The newest posts first."""
        return cls.query_all(conn, "ORDER BY p.id DESC LIMIT ?", (limit,))

    @staticmethod
    def delete(conn: sqlite3.Connection, post_id: int) -> bool:
        """Delete a post; False if there was none with this id."""
        if not -(2**63) <= post_id < 2**63:
            return False
        return conn.execute("DELETE FROM posts WHERE id = ?", (post_id,)).rowcount > 0
