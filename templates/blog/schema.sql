-- The blog's database schema. `python web.py --init-db` runs this file; every statement is
-- idempotent (IF NOT EXISTS), so running it again on an existing database changes nothing.
-- Timestamps are UTC, in SQLite's "YYYY-MM-DD HH:MM:SS" form. A database made by an earlier
-- version of the blog is upgraded first (MIGRATIONS in app/objects/dbobject.py), by
-- --init-db or when the server starts.

CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- "scrypt$n$r$p$salt$hash" (see app/objects/user.py); never a plaintext password.
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- One row per login. The cookie carries the token (signed); the table keeps only its SHA-256,
-- in hex. Logging out (or in again) deletes the row, so a copied cookie stops working too.
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);

CREATE TABLE IF NOT EXISTS posts (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    url        TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    author_id  INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
