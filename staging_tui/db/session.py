"""A SQL session over psycopg (async): read-only by default, streaming, cancellable.

Walls keep a read-only session read-only: the classifier (PostgreSQL's own parser,
run in a thread so a huge statement never blocks the event loop) refuses writes
before they are sent, and the connection starts with `default_transaction_read_only
= on` (plus `standard_conforming_strings = on`, which the statement splitter relies
on). The third wall is the login role: `write_privileges()` says whether it could
write if the first two fell.
Write mode exists only when the profile allows writes and is never available on a
protected profile; the UI confirms it once per session and confirms each
destructive statement naming the environment (`confirm_destructive=True`).

Queries a server-side cursor can run are streamed in growing batches, so the first
rows arrive before the query ends. A dropped connection is reopened on the next
statement (a read outside a transaction is retried once) and the result says so.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass

import psycopg
from psycopg import conninfo, postgres
from psycopg.pq import TransactionStatus
from psycopg.types.string import TextLoader

from staging_tui.db.classifier import (
    DEFAULT_MAX_STATEMENT_BYTES,
    WRITES_FIX,
    Classification,
    classify,
)
from staging_tui.db.server_errors import primary_message, query_error
from staging_tui.db.statements import strip_trailing_semicolons
from staging_tui.domain import WRITE_PRIVILEGES_SQL, Column, QueryResult
from staging_tui.errors import QueryError, ReadOnlyViolation

FIRST_BATCH = 200
INLINE_PARSE_CHARS = 4096   # vet() parses shorter statements on the loop
MAX_BATCH = 20_000
MAX_TEXT_BATCH = 10_000   # text mode: a batch's Python strings are transient, keep them few
_names = itertools.count(1)


class DestructiveStatement(ReadOnlyViolation):
    """A destructive statement needs a second confirmation naming the environment."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One step of a streamed result: the columns (always), the new rows, and when
    `done`, the final status, whether a limit cut the rows and the timing."""

    columns: tuple[Column, ...]
    rows: list[tuple[object, ...]]
    done: bool = False
    status: str = ""
    truncated: bool = False
    elapsed_s: float = 0.0
    notice: str = ""


@dataclass(frozen=True, slots=True)
class SessionStatus:
    user: str
    database: str
    host: str
    port: int
    via: str
    connected: bool
    transaction: str        # idle / in transaction / failed transaction / running / closed
    write_mode: bool
    elapsed_s: float | None
    rows: int | None

    def line(self) -> str:
        where = f"{self.user}@{self.database}" + (f" via {self.via}" if self.via else "")
        parts = [where, self.transaction, "WRITE" if self.write_mode else "read-only"]
        if self.elapsed_s is not None:
            parts.append(f"{self.elapsed_s * 1000:.0f} ms")
        if self.rows is not None:
            parts.append(f"{self.rows:,} row{'s' if self.rows != 1 else ''}")
        return " | ".join(parts)


class QuerySession:
    def __init__(self, dsn: str, *, environment: str = "staging", allow_writes: bool = False,
                 protected: bool = False, statement_timeout_s: float = 30.0, via: str = "",
                 read_only_functions: Iterable[str] = (),
                 max_statement_bytes: int = DEFAULT_MAX_STATEMENT_BYTES,
                 dsn_provider: Callable[[], Awaitable[str]] | None = None) -> None:
        """`dsn_provider`, when given, is asked for the DSN before each (re)connection:
        the tunnel behind it may have been stopped or moved to another port."""
        self._dsn = dsn
        self._dsn_provider = dsn_provider
        self.environment = environment
        self.allow_writes = allow_writes and not protected
        self.protected = protected
        self.statement_timeout_s = statement_timeout_s
        self.via = via
        self.read_only_functions = tuple(read_only_functions)
        self.max_statement_bytes = max_statement_bytes
        self._classified: tuple[tuple[str, int], Classification] | None = None
        self.write_mode = False
        self.timing = True
        self.expanded = False
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._lost = False
        self._running = False
        self._lock = asyncio.Lock()
        self._last_elapsed: float | None = None
        self._last_rows: int | None = None
        self._declare_offset = 0

    # ------------------------------------------------------------------ connection
    async def connect(self) -> None:
        if self._dsn_provider is not None:
            self._dsn = await self._dsn_provider()
        params = conninfo.conninfo_to_dict(self._dsn)
        timeout_ms = int(self.statement_timeout_s * 1000)
        options = " ".join(filter(None, [
            str(params.pop("options", "") or ""),
            "-c default_transaction_read_only=on", "-c standard_conforming_strings=on",
            f"-c statement_timeout={timeout_ms}",
        ]))
        params.setdefault("application_name", "staging-tui")
        params.setdefault("connect_timeout", 10)
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                conninfo.make_conninfo("", **params), autocommit=True, options=options)
        except psycopg.Error as exc:
            # A server that says what to do (the sandbox's "seed SQL failed ...; fix: ...")
            # keeps its own fix rather than a generic one that would mislead.
            reason, own, fix = primary_message(exc).partition("; fix: ")
            raise QueryError(f"cannot connect: {reason}", fix if own else
                             "check the tunnel is running and the user/password") from None
        self._lost = False
        if self.write_mode:
            await self._conn.execute("SET default_transaction_read_only = off")

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.closed and not self._conn.broken

    async def _ensure(self) -> str:
        """Connect if needed; returns a notice when this was a reconnection."""
        if self.connected:
            return ""
        was_lost = self._lost or self._conn is not None
        await self.connect()
        return "connection was lost; reconnected" if was_lost else ""

    def status(self) -> SessionStatus:
        conn = self._conn
        info = conn.info if conn is not None and not conn.closed else None
        if info is None:
            state = "closed"
        elif self._running:
            state = "running"
        else:
            state = {TransactionStatus.IDLE: "idle", TransactionStatus.ACTIVE: "running",
                     TransactionStatus.INTRANS: "in transaction",
                     TransactionStatus.INERROR: "failed transaction"}.get(
                         info.transaction_status, "unknown")
        params = conninfo.conninfo_to_dict(self._dsn)
        return SessionStatus(
            user=info.user if info else str(params.get("user", "")),
            database=info.dbname if info else str(params.get("dbname", "")),
            host=info.host if info else str(params.get("host", "")),
            port=int(info.port) if info else int(params.get("port", 5432) or 5432),
            via=self.via, connected=info is not None and not self._lost, transaction=state,
            write_mode=self.write_mode, elapsed_s=self._last_elapsed if self.timing else None,
            rows=self._last_rows)

    # ------------------------------------------------------------------ write mode
    def classify(self, sql: str) -> Classification:
        """Blocking (parses the statement): call `vet` from the event loop. The last
        verdict is kept, so vetting then running a statement parses it once."""
        key = (sql, self.max_statement_bytes)
        last = self._classified
        if last is not None and last[0] == key:
            return last[1]
        verdict = classify(sql, self.read_only_functions, max_bytes=self.max_statement_bytes)
        self._classified = (key, verdict)
        return verdict

    async def vet(self, sql: str, *, confirm_destructive: bool = False) -> Classification:
        """`check` in a worker thread: a 1 MB statement takes a parse, never the loop. A
        statement already classified (vetted, then run) or short (a parse of a few KB
        takes well under a millisecond) is checked right here: the hop to a thread and
        back costs more than that on a loaded machine, and the first rows wait for it."""
        last = self._classified
        if len(sql) <= INLINE_PARSE_CHARS or (
                last is not None and last[0] == (sql, self.max_statement_bytes)):
            return self.check(sql, confirm_destructive=confirm_destructive)
        return await asyncio.to_thread(self.check, sql, confirm_destructive=confirm_destructive)

    async def _refuse_field_functions(self, verdict: Classification) -> None:
        """`s.f` is `f(s)` when `s` has no column `f`: refuse a read using, in field
        notation, a name that any function has (lock held, connected)."""
        if self.write_mode or not verdict.read or not verdict.field_names:
            return
        assert self._conn is not None
        cur = await self._conn.execute(
            "SELECT DISTINCT proname::text FROM pg_catalog.pg_proc WHERE proname = ANY(%s) "
            "ORDER BY 1", (sorted(verdict.field_names),))
        functions = [str(r[0]) for r in await cur.fetchall()]
        if functions:
            raise ReadOnlyViolation(
                f"refused: .{functions[0]} names a function that field notation would call "
                f"({functions[0]}() is not known to be read-only)", WRITES_FIX)

    async def write_privileges(self) -> tuple[str, ...]:
        """What the login role could write if the read-only session fell ("" = none):
        role attributes, CREATE, ownership, INSERT/UPDATE/DELETE, sequences."""
        result = await self.fetch(WRITE_PRIVILEGES_SQL)
        return tuple(str(r[0]) for r in result.rows)

    def check_writes_allowed(self) -> None:
        if self.protected:
            raise ReadOnlyViolation(f"{self.environment} is a protected profile: writes are "
                                    "never allowed", "use another profile for writes")
        if not self.allow_writes:
            raise ReadOnlyViolation("writes are off for this profile",
                                    "set read_only = false in the profile to allow write mode")

    async def enable_writes(self) -> None:
        """Turn on write mode (the caller has confirmed it with the user)."""
        self.check_writes_allowed()
        async with self._lock:
            await self._ensure()
            self._between_transactions()
            assert self._conn is not None
            await self._conn.execute("SET default_transaction_read_only = off")
            self.write_mode = True

    async def disable_writes(self) -> None:
        async with self._lock:
            if self.connected:
                self._between_transactions()
                assert self._conn is not None
                await self._conn.execute("SET default_transaction_read_only = on")
            self.write_mode = False

    def _between_transactions(self) -> None:
        """A SET inside a transaction is undone by its ROLLBACK: switching there could
        leave the server read-write under a session that says read-only."""
        assert self._conn is not None
        if self._conn.info.transaction_status != TransactionStatus.IDLE:
            raise QueryError("a transaction is open: COMMIT or ROLLBACK it first",
                             "write mode changes only between transactions")

    def check(self, sql: str, *, confirm_destructive: bool = False) -> Classification:
        """Raise ReadOnlyViolation / DestructiveStatement unless `sql` may run now."""
        verdict = self.classify(sql)
        if verdict.command == "TOO LARGE":
            raise QueryError(verdict.reason, "statements over max_statement_bytes are never sent")
        if verdict.command == "MULTIPLE":
            raise QueryError(verdict.reason, "select one statement, or run all (each is checked)")
        if verdict.write and not self.write_mode:
            raise ReadOnlyViolation(f"refused: {verdict.reason}", WRITES_FIX)
        if verdict.destructive and not confirm_destructive:
            raise DestructiveStatement(
                f"{verdict.command} is destructive on {self.environment}",
                f"confirm it naming {self.environment!r}")
        return verdict

    # ------------------------------------------------------------------ running
    async def cancel(self) -> None:
        """Cancel the running statement on the server; the connection stays usable."""
        if self._conn is not None and self._running:
            await self._conn.cancel_safe()

    async def run(self, sql: str, *, limit: int | None = None,
                  confirm_destructive: bool = False) -> QueryResult:
        """Run one statement and collect its rows (at most `limit`)."""
        rows: list[tuple[object, ...]] = []
        final: Chunk | None = None
        async for chunk in self.stream(sql, limit=limit, confirm_destructive=confirm_destructive):
            rows.extend(chunk.rows)
            final = chunk
        assert final is not None
        return QueryResult(final.columns, tuple(rows), final.status, final.truncated,
                           final.elapsed_s, final.notice)

    async def stream(self, sql: str, *, limit: int | None = None,
                     confirm_destructive: bool = False, as_text: bool = False
                     ) -> AsyncGenerator[Chunk, None]:
        """Run one statement, yielding chunks of rows as they arrive; the last chunk
        has `done` set. `limit` rows at most (one more is fetched to say "more than").
        `as_text`: every value as PostgreSQL's text (str) or None, loaded in C without a
        Python int/datetime/dict per cell (the Query pane's ResultStore keeps those)."""
        verdict = await self.vet(sql, confirm_destructive=confirm_destructive)
        text = verdict.text or strip_trailing_semicolons(sql)   # a write: the server decides
        async with self._lock:
            notice = await self._ensure()
            try:
                await self._refuse_field_functions(verdict)
            except psycopg.Error as exc:
                raise query_error(exc, text) from None
            retry = verdict.read
            while True:
                assert self._conn is not None
                idle = self._conn.info.transaction_status == TransactionStatus.IDLE
                started = time.perf_counter()
                self._running = True
                # the last statement's rows and time belong to it: a cancelled or failed
                # one must not leave them on the session line
                self._last_elapsed = self._last_rows = None
                produced = False
                try:
                    async for chunk in self._stream(self._conn, text, verdict, limit, started,
                                                    notice, as_text):
                        produced = True
                        yield chunk
                    return
                except psycopg.Error as exc:
                    if self._conn.broken or self._conn.closed:
                        self._lost = True
                        if retry and idle and not produced:
                            retry = False
                            await self.connect()
                            notice = "connection was lost; reconnected"
                            continue
                        raise QueryError("connection lost: " + primary_message(exc),
                                         "run the statement again: the session reconnects"
                                         ) from None
                    raise query_error(exc, text, self._declare_offset) from None
                finally:
                    self._running = False

    async def _stream(self, conn: psycopg.AsyncConnection[tuple[object, ...]], text: str,
                      verdict: Classification, limit: int | None, started: float,
                      notice: str, as_text: bool = False) -> AsyncIterator[Chunk]:
        want = None if limit is None else limit + 1
        self._declare_offset = 0
        if not verdict.streamable:
            cur = conn.cursor()
            if as_text:
                _load_as_text(cur)
            await cur.execute(text)
            columns = _columns(cur.description)
            rows = (await cur.fetchall()) if cur.description is not None else []
            cut = want is not None and len(rows) >= want
            rows = rows[:limit] if cut else rows
            yield self._done(columns, rows, cur.statusmessage or "", cut, started, notice)
            return
        owns_transaction = conn.info.transaction_status == TransactionStatus.IDLE
        if owns_transaction:
            await conn.execute("BEGIN")
        try:
            name = f"staging_tui_{next(_names)}"
            async with conn.cursor(name=name) as cur:
                if as_text:
                    _load_as_text(cur)
                self._declare_offset = len(f'DECLARE "{name}" CURSOR FOR ')
                await cur.execute(text)
                columns = _columns(cur.description)
                total, batch = 0, FIRST_BATCH
                while True:
                    size = batch if want is None else min(batch, want - total)
                    rows = await cur.fetchmany(size) if size > 0 else []
                    total += len(rows)
                    cut = want is not None and total >= want
                    if cut:
                        rows = rows[: len(rows) - 1]
                        total -= 1
                    if cut or len(rows) < size or size == 0:
                        if owns_transaction:
                            await cur.close()
                            await conn.execute("COMMIT")
                            owns_transaction = False
                        yield self._done(columns, rows, f"SELECT {total}", cut, started, notice,
                                         total)
                        return
                    yield Chunk(columns, rows)
                    batch = min(batch * 4, MAX_TEXT_BATCH if as_text else MAX_BATCH)
        finally:
            if owns_transaction and not conn.broken and not conn.closed:
                await conn.execute("ROLLBACK")

    def _done(self, columns: tuple[Column, ...], rows: list[tuple[object, ...]], status: str,
              truncated: bool, started: float, notice: str, total: int | None = None) -> Chunk:
        elapsed = time.perf_counter() - started
        self._last_elapsed = elapsed
        self._last_rows = len(rows) if total is None else total
        return Chunk(columns, rows, True, status, truncated, elapsed, notice)

    async def fetch(self, sql: str, params: tuple[object, ...] | dict[str, object] = ()
                    ) -> QueryResult:
        """Run one of OUR catalog queries (meta commands, completion, data quality).
        Never give it user text: it skips the classifier (the server stays read-only)."""
        async with self._lock:
            notice = await self._ensure()
            assert self._conn is not None
            started = time.perf_counter()
            try:
                cur = await self._conn.execute(sql, params or None)
                rows = await cur.fetchall() if cur.description is not None else []
            except psycopg.Error as exc:
                if self._conn.broken:
                    self._lost = True
                raise query_error(exc, sql) from None
            return QueryResult(_columns(cur.description), tuple(rows), cur.statusmessage or "",
                               False, time.perf_counter() - started, notice)


def _load_as_text(cur: psycopg.AsyncCursor[tuple[object, ...]]
                  | psycopg.AsyncServerCursor[tuple[object, ...]]) -> None:
    """Every built-in type (and its array) loads as its text; types psycopg does not
    know load as text already."""
    adapters = cur.adapters
    for info in postgres.types:
        adapters.register_loader(info.oid, TextLoader)
        if info.array_oid:
            adapters.register_loader(info.array_oid, TextLoader)


def _columns(description: list[psycopg.Column] | None) -> tuple[Column, ...]:
    return tuple(Column(c.name, c.type_display) for c in description or ())
