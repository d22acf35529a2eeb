"""Users, roles, browser sessions and API tokens, kept in SQLite with argon2-hashed passwords."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hearth.errors import HearthError

Role = Literal["admin", "adult", "child", "guest"]
ROLES: tuple[Role, ...] = ("admin", "adult", "child", "guest")
SESSION_SECONDS = 14 * 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    person TEXT,
    password TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL
);
"""


class UserError(HearthError):
    """A user operation was refused (bad name, duplicate, wrong password)."""


@dataclass(frozen=True, slots=True)
class User:
    """A person who can log in; `person` links to a person in the home file."""

    name: str
    role: Role
    person: str | None = None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A long-lived API token as listed (the secret itself is shown only once)."""

    label: str
    user: str
    created: float
    prefix: str


def _digest(secret: str) -> str:
    # Tokens are random 256-bit secrets, so a fast hash is enough; passwords use argon2.
    return hashlib.sha256(secret.encode()).hexdigest()


class UserStore:
    """Persistent users with sessions (browser) and tokens (scripts, MCP agents)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys=ON")
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def is_empty(self) -> bool:
        """True until the first user (the admin) exists."""
        count: int = self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        return count == 0

    def add(self, name: str, password: str, role: Role, person: str | None = None) -> User:
        """Create a user; names are unique, passwords at least 8 characters."""
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise UserError("user name must be 1–64 characters without spaces")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise UserError("password must be at least 8 characters")
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users(name, role, person, password, created) VALUES (?,?,?,?,?)",
                    (name, role, person, self._hasher.hash(password), time.time()),
                )
            except sqlite3.IntegrityError:
                raise UserError(f"user {name!r} exists already") from None
        return User(name, role, person)

    def get(self, name: str) -> User | None:
        """Look a user up by name."""
        row = self._db.execute("SELECT name, role, person FROM users WHERE name=?", (name,)).fetchone()
        return User(row[0], row[1], row[2]) if row else None

    def all(self) -> list[User]:
        """Every user."""
        return [User(*r) for r in self._db.execute("SELECT name, role, person FROM users ORDER BY name")]

    def remove(self, name: str) -> bool:
        """Delete a user and their credentials."""
        with self._lock:
            cur = self._db.execute("DELETE FROM users WHERE name=?", (name,))
        return cur.rowcount > 0

    def set_role(self, name: str, role: Role) -> User:
        """Change a user's role."""
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        with self._lock:
            cur = self._db.execute("UPDATE users SET role=? WHERE name=?", (role, name))
        if cur.rowcount == 0:
            raise UserError(f"no user {name!r}")
        user = self.get(name)
        assert user is not None
        return user

    def verify(self, name: str, password: str) -> User | None:
        """Check a password; None when the name or password is wrong."""
        row = self._db.execute("SELECT password FROM users WHERE name=?", (name,)).fetchone()
        if row is None:
            self._hasher.hash(password)  # same cost whether or not the user exists
            return None
        try:
            self._hasher.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return None
        return self.get(name)

    def _issue(self, user: str, kind: str, label: str, expires: float | None) -> str:
        secret = ("hs_" if kind == "session" else "ht_") + secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute(
                "INSERT INTO credentials(digest, user, kind, label, created, expires) VALUES (?,?,?,?,?,?)",
                (_digest(secret), user, kind, label, time.time(), expires),
            )
        return secret

    def new_session(self, user: str) -> str:
        """Start a browser session; returns the cookie value."""
        return self._issue(user, "session", "browser", time.time() + SESSION_SECONDS)

    def new_token(self, user: str, label: str) -> str:
        """Create a long-lived API token; the secret is returned once and stored only as a hash."""
        if self.get(user) is None:
            raise UserError(f"no user {user!r}")
        return self._issue(user, "token", label or "token", None)

    def tokens(self, user: str | None = None) -> list[TokenInfo]:
        """List API tokens (never their secrets)."""
        sql = "SELECT label, user, created, digest FROM credentials WHERE kind='token'"
        rows = self._db.execute(sql + (" AND user=?" if user else ""), (user,) if user else ()).fetchall()
        return [TokenInfo(r[0], r[1], r[2], r[3][:8]) for r in rows]

    def revoke(self, secret: str) -> None:
        """End a session or revoke a token."""
        with self._lock:
            self._db.execute("DELETE FROM credentials WHERE digest=?", (_digest(secret),))

    def revoke_token(self, user: str, prefix: str) -> bool:
        """Revoke a token by the prefix shown in the listing."""
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM credentials WHERE kind='token' AND user=? AND digest LIKE ?", (user, prefix + "%")
            )
        return cur.rowcount > 0

    def authenticate(self, secret: str) -> User | None:
        """Resolve a session cookie or API token to its user."""
        if not secret:
            return None
        row = self._db.execute(
            "SELECT user, expires FROM credentials WHERE digest=?", (_digest(secret),)
        ).fetchone()
        if row is None or (row[1] is not None and row[1] < time.time()):
            return None
        return self.get(row[0])
