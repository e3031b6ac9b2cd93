"""PostgreSQL errors -> our errors, with the position of the error in the statement
the user wrote (not in the DECLARE ... CURSOR FOR wrapper the server saw)."""

from __future__ import annotations

import psycopg
from psycopg import errors

from staging_tui.db.classifier import WRITES_FIX
from staging_tui.errors import QueryError, ReadOnlyViolation


def primary_message(exc: psycopg.Error) -> str:
    """The server's one-line message (or the client's first line)."""
    text = str(exc).strip()
    if exc.diag.message_primary:
        return exc.diag.message_primary
    return text.splitlines()[0] if text else type(exc).__name__


def query_error(exc: psycopg.Error, text: str, offset: int = 0) -> QueryError | ReadOnlyViolation:
    """The user-facing error for a failed statement `text`; `offset` is how many
    characters the server's copy of the statement had before it."""
    primary = primary_message(exc)
    if isinstance(exc, errors.QueryCanceled):
        if "timeout" in primary:
            return QueryError(primary, "raise statement_timeout (profile key statement_timeout, "
                              "--timeout, or `SET statement_timeout = '5min'`) or narrow the "
                              "query")
        return QueryError("query cancelled on the server (the connection is still open)")
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return ReadOnlyViolation(f"refused by the server: {primary}", WRITES_FIX)
    hint = exc.diag.message_hint or ""
    return QueryError(primary, hint, position=_position(exc, text, offset))


def _position(exc: psycopg.Error, text: str, offset: int) -> int | None:
    """The error's 1-based character position in `text` (the server counts in the
    statement it got, which for a server-side cursor starts with `offset` chars)."""
    raw = exc.diag.statement_position
    if not raw:
        return None
    pos = int(raw) - offset
    return pos if 0 < pos <= len(text) + 1 else None
