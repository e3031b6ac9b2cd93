"""`staging-tui query [--dsn DSN | --instance NAME] "SQL" [...]`: run statements
read-only and print the results (psql-like text, or --json / --csv / --jsonl lines).

With --instance the Cloud SQL tunnel is started for the run (password from the
profile's Secret Manager secret); with --dsn any PostgreSQL is used directly.
Meta commands (\\dt, \\d NAME, \\dx ...) work too. Exit code 1 on the first error.
The command is always read-only: write mode exists only in the Query pane.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING, TextIO

from staging_tui.backend import Backend
from staging_tui.commands import Subparsers
from staging_tui.domain import CAN_WRITE_NOTE, QueryResult
from staging_tui.errors import QueryError, ReadOnlyViolation, StagingError
from staging_tui.exit_codes import OK, USAGE, for_error
from staging_tui.render.query import expanded_lines, row_count_text, table_lines

if TYPE_CHECKING:
    from staging_tui.db.session import QuerySession

READ_ONLY_FIX = ("`staging-tui query` is always read-only; writes need the Query pane's write "
                 "mode (F2) in a profile with read_only = false")


def row_limit(text: str) -> int:
    """--limit: a whole number >= 0, checked when the arguments are parsed."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a row limit: use a whole number >= 0 (0 = all rows)")
    return value


def timeout_seconds(text: str) -> float:
    """--timeout: seconds >= 0 (PostgreSQL's statement_timeout takes 0 .. 2147483 s)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 2_147_483:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a timeout: use seconds >= 0, e.g. 30 (0 = no limit)")
    return value


_URL_PASSWORD = re.compile(r"(://[^:/@?#]*:)[^/?#]*@")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def mask_dsn(text: str) -> str:
    """A DSN (URL or key=value conninfo) with its password, if any, masked."""
    text = _URL_PASSWORD.sub(r"\1********@", text)
    return _KV_PASSWORD.sub(r"\1********", text)


def dsn_argument(text: str) -> str:
    """--dsn: parsed by libpq now, so a malformed one is a one-line error (never a
    traceback, and never the password: libpq's own message quotes the whole DSN)."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(text)
    except ProgrammingError as exc:
        reason = str(exc).split(": \"", 1)[0].split(" in URI", 1)[0].strip()
        for secret in {text, *text.split()}:
            reason = reason.replace(secret, mask_dsn(secret))
        raise argparse.ArgumentTypeError(
            f"{mask_dsn(text)!r} is not a PostgreSQL URL or conninfo ({reason}); write e.g. "
            "postgresql://USER@HOST:5432/DB or 'host=H dbname=DB user=U'") from None
    port = str(params.get("port", "") or "")
    if port and not all(p.isdigit() and 0 < int(p) <= 65535 for p in port.split(",")):
        raise argparse.ArgumentTypeError(
            f"{mask_dsn(text)!r}: port {port!r} is not a TCP port; use 1-65535, e.g. 5432")
    return text


def add_parser(sub: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "query", parents=parents, help="run SQL read-only (through the tunnel or a DSN)",
        description="Run SQL statements read-only and print the results. Writes are refused "
        "before they are sent, and the session is read-only on the server too.")
    p.add_argument("sql", nargs="+", help="SQL (several statements separated by ;) or \\dt ...")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dsn", type=dsn_argument, default="",
                       help="connect to this PostgreSQL URL / conninfo")
    where.add_argument("--instance", default="",
                       help="Cloud SQL instance (short or full name): tunnel to it for the run")
    p.add_argument("--limit", type=row_limit, default=500,
                   help="print at most N rows per statement (0 = all; default 500)")
    p.add_argument("--timeout", type=timeout_seconds, default=None,
                   help="statement_timeout in seconds (default: the profile's "
                   "statement_timeout, 30)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per statement")
    fmt.add_argument("--csv", action="store_true",
                     help="CSV with a header per statement (NULL = empty field)")
    fmt.add_argument("--jsonl", action="store_true",
                     help="one JSON object per row, keyed by column name")
    fmt.add_argument("--expanded", "-x", action="store_true", help="one block per row (\\x)")
    p.set_defaults(run=run)


async def run(args: argparse.Namespace, backend: Backend, out: TextIO | None = None) -> int:
    # psycopg is imported here, not at module level: every CLI start (the TUI's too)
    # registers this command, and must not pay for it.
    from staging_tui.db.meta import run_meta
    from staging_tui.db.statements import split_statements

    out = out or sys.stdout
    sql = " ".join(args.sql)
    try:
        session = await backend.query_session(args.instance, dsn=args.dsn,
                                              statement_timeout=args.timeout)
    except StagingError as exc:
        print(f"staging-tui query: {exc}", file=sys.stderr)
        return for_error(exc)
    session.timing, session.expanded = False, bool(args.expanded)   # psql's defaults
    try:
        await _note_if_role_can_write(session)
        for n, statement in enumerate(split_statements(sql)):
            if n and not (args.json or args.csv or args.jsonl):
                out.write("\n")
            try:
                if statement.is_meta:
                    meta = await run_meta(session, statement.text)
                    if meta.result is None:
                        out.write(meta.message + "\n")
                        args.expanded = session.expanded
                        continue
                    result, footer = meta.result, list(meta.footer)
                else:
                    result = await session.run(statement.text, limit=args.limit or None)
                    footer = []
                _print(out, args, statement.text, result, footer)
                if session.timing and not (args.json or args.csv or args.jsonl):
                    out.write(f"Time: {result.elapsed_s * 1000:.3f} ms\n")
            except ReadOnlyViolation as exc:
                print(f"ERROR: {exc.message}\n  fix: {READ_ONLY_FIX}", file=sys.stderr)
                return USAGE  # a write given to a read-only command
            except StagingError as exc:
                position = exc.position if isinstance(exc, QueryError) else None
                where = f" (at character {position})" if position else ""
                print(f"ERROR{where}: {exc}", file=sys.stderr)
                return for_error(exc)  # a failed statement: 4; \\c here: 2
        return OK
    finally:
        await session.close()


async def _note_if_role_can_write(session: QuerySession) -> None:
    """The third wall: say once, on stderr, when the login role could write."""
    try:
        privileges = await session.write_privileges()
    except StagingError:
        return                   # the statements will say why the session cannot connect
    if privileges:
        print(f"staging-tui query: note: {CAN_WRITE_NOTE} ({', '.join(privileges[:2])})",
              file=sys.stderr)


def _print(out: TextIO, args: argparse.Namespace, sql: str, result: QueryResult,
           footer: list[str]) -> None:
    from staging_tui.db.export import jsonable, write_csv, write_jsonl

    if args.csv or args.jsonl:
        if result.columns:
            (write_csv if args.csv else write_jsonl)(out, result.columns, result.rows)
        if result.truncated:
            print(f"staging-tui query: {row_count_text(len(result.rows), True)} "
                  "(--limit 0 prints all)", file=sys.stderr)
        return
    if args.json:
        out.write(json.dumps({
            "statement": sql, "columns": [[c.name, c.type_name] for c in result.columns],
            "rows": [[jsonable(v) for v in row] for row in result.rows],
            "truncated": result.truncated, "status": result.status,
            "notice": result.notice}, ensure_ascii=False) + "\n")
        return
    if result.notice:
        out.write(f"-- {result.notice}\n")
    if result.columns:
        lines = (expanded_lines if args.expanded else table_lines)(result.columns, result.rows)
        out.write("\n".join(lines) + "\n")
        out.write(f"({row_count_text(len(result.rows), result.truncated)})\n")
    else:
        out.write(result.status + "\n")
    for line in footer:
        out.write(line + "\n")
