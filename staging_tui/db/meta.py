"""psql-style meta commands answered from catalog queries.

`\\dt \\dv \\dm \\dn \\df \\dx \\l \\du [PATTERN]`, `\\d [NAME]`, `\\conninfo`,
`\\timing`, `\\x`. A PATTERN is psql's: `*` and `?` wildcards, optionally
`schema.name`. Every answer is a QueryResult (or a message for toggles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.session import QuerySession
from staging_tui.domain import QueryResult
from staging_tui.errors import QueryError, ReadOnlyViolation, UsageError

_USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'"

_RELATIONS = f"""
SELECT n.nspname AS "Schema", c.relname AS "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
    WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
  END AS "Type", pg_catalog.pg_get_userbyid(c.relowner) AS "Owner"
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = ANY(%(kinds)s) AND {_USER_SCHEMAS}
  AND n.nspname LIKE %(schema)s AND c.relname LIKE %(name)s
ORDER BY 1, 2"""

_QUERIES: dict[str, tuple[str, str]] = {
    "dn": ("List of schemas", """
SELECT n.nspname AS "Name", pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND n.nspname LIKE %(name)s
ORDER BY 1"""),
    "df": ("List of functions", f"""
SELECT n.nspname AS "Schema", p.proname AS "Name",
  pg_catalog.pg_get_function_result(p.oid) AS "Result data type",
  pg_catalog.pg_get_function_arguments(p.oid) AS "Argument data types",
  CASE p.prokind WHEN 'a' THEN 'agg' WHEN 'w' THEN 'window' WHEN 'p' THEN 'proc'
    ELSE 'func' END AS "Type"
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE {_USER_SCHEMAS} AND n.nspname LIKE %(schema)s AND p.proname LIKE %(name)s
ORDER BY 1, 2, 4"""),
    "dx": ("List of installed extensions", """
SELECT e.extname AS "Name", e.extversion AS "Version", n.nspname AS "Schema",
  pg_catalog.obj_description(e.oid, 'pg_extension') AS "Description"
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname LIKE %(name)s ORDER BY 1"""),
    "l": ("List of databases", """
SELECT d.datname AS "Name", pg_catalog.pg_get_userbyid(d.datdba) AS "Owner",
  pg_catalog.pg_encoding_to_char(d.encoding) AS "Encoding", d.datcollate AS "Collate"
FROM pg_catalog.pg_database d WHERE d.datname LIKE %(name)s ORDER BY 1"""),
    "du": ("List of roles", """
SELECT r.rolname AS "Role name",
  concat_ws(', ', CASE WHEN r.rolsuper THEN 'Superuser' END,
    CASE WHEN r.rolcreaterole THEN 'Create role' END,
    CASE WHEN r.rolcreatedb THEN 'Create DB' END,
    CASE WHEN NOT r.rolcanlogin THEN 'Cannot login' END,
    CASE WHEN r.rolbypassrls THEN 'Bypass RLS' END) AS "Attributes",
  ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles b ON m.roleid = b.oid WHERE m.member = r.oid
        ORDER BY 1)::text AS "Member of"
FROM pg_catalog.pg_roles r WHERE r.rolname !~ '^pg_' AND r.rolname LIKE %(name)s
ORDER BY 1"""),
}

_RELATION_KINDS = {"dt": ["r", "p"], "dv": ["v"], "dm": ["m"], "d": ["r", "p", "v", "m", "S", "f"]}
_TITLES = {"dt": "List of tables", "dv": "List of views", "dm": "List of materialized views",
           "d": "List of relations"}

_DESCRIBE = """
SELECT a.attname AS "Column", pg_catalog.format_type(a.atttypid, a.atttypmod) AS "Type",
  CASE WHEN a.attnotnull THEN 'not null' ELSE '' END AS "Nullable",
  COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') AS "Default"
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum"""

_INDEXES = """
SELECT i.relname, pg_catalog.pg_get_indexdef(x.indexrelid)
FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = %(oid)s ORDER BY 1"""

COMMANDS = ("\\dt", "\\d", "\\dn", "\\dv", "\\dm", "\\df", "\\dx", "\\l", "\\du", "\\conninfo",
            "\\timing", "\\x", "\\c", "\\copy", "\\e")
# \copy (SELECT ...) TO 'file.csv' [CSV|JSON] [HEADER]  /  \copy TABLE TO file.jsonl
_COPY = re.compile(r"^(?:\((?P<query>.+)\)|(?P<table>[\w.\"]+))\s+(?P<dir>to|from)\s+"
                   r"(?P<path>'[^']*'|\S+)(?P<opts>.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class MetaResult:
    title: str
    result: QueryResult | None = None
    message: str = ""
    footer: tuple[str, ...] = ()


def is_meta(text: str) -> bool:
    return text.lstrip().startswith("\\")


async def run_meta(session: QuerySession, text: str) -> MetaResult:
    """Run one meta command line, e.g. `\\d public.item` or `\\dt app*`."""
    parts = text.strip().rstrip(";").split(None, 1)
    command = parts[0].lstrip("\\").rstrip("+S")
    arg = parts[1].strip() if len(parts) > 1 else ""
    if command == "timing":
        session.timing = _toggle(arg, session.timing)
        return MetaResult("timing", message=f"Timing is {'on' if session.timing else 'off'}.")
    if command == "x":
        session.expanded = _toggle(arg, session.expanded)
        return MetaResult("expanded", message="Expanded display is "
                          f"{'on' if session.expanded else 'off'}.")
    if command == "conninfo":
        st = session.status()
        via = f" via {st.via}" if st.via else ""
        return MetaResult("conninfo", message=(
            f'You are connected to database "{st.database}" as user "{st.user}" on host '
            f'"{st.host}" at port "{st.port}"{via} ({"write mode" if st.write_mode else "read-only"}).'))
    if command == "copy":
        return await copy_to_file(session, arg)
    if command == "e":
        raise UsageError("\\e opens $EDITOR in the Query pane only",
                         "here, write the SQL in a file and pass it as the argument")
    if command in ("c", "connect"):
        raise UsageError("\\c switches instance in the Query pane only",
                         "here, pass --instance NAME (or --dsn URL)")
    if command == "d" and arg:
        return await describe(session, arg)
    schema, name = _pattern(arg)
    if command in _RELATION_KINDS:
        result = await session.fetch(_RELATIONS, {"kinds": _RELATION_KINDS[command],
                                                  "schema": schema, "name": name})
        return MetaResult(_TITLES[command], result)
    if command in _QUERIES:
        title, sql = _QUERIES[command]
        return MetaResult(title, await session.fetch(sql, {"schema": schema, "name": name}))
    raise QueryError(f"unknown meta command \\{command}", "known: " + " ".join(COMMANDS))


async def copy_to_file(session: QuerySession, arg: str) -> MetaResult:
    """`\\copy (SELECT ...) TO 'path' [CSV|JSON]` (psql's client-side copy): run the
    query read-only like any statement and write every row to a file on this machine,
    CSV with a header (or JSON lines for JSON / a .jsonl path)."""
    m = _COPY.match(arg.strip().rstrip(";").strip())
    if m is None:
        raise UsageError(f"\\copy {arg}: not understood",
                         "write \\copy (SELECT ...) TO 'file.csv' [CSV|JSON]")
    if m["dir"].lower() == "from":
        raise ReadOnlyViolation("\\copy ... FROM loads rows into a table: a write",
                                "this console only copies query results out (TO a file)")
    sql = m["query"] or f"SELECT * FROM {m['table']}"
    path = Path(m["path"].strip("'")).expanduser()
    opts = m["opts"].lower().split()
    as_json = "json" in opts or "jsonl" in opts or path.suffix in (".jsonl", ".json")
    result = await session.run(sql, limit=None)
    try:
        count = (write_jsonl if as_json else write_csv)(path, result.columns, result.rows)
    except OSError as exc:
        raise QueryError(f"cannot write {path}: {exc.strerror or exc}",
                         "choose a path in a directory you can write") from None
    return MetaResult("copy", message=f"COPY {count} ({'JSON lines' if as_json else 'CSV'} "
                      f"to {path})")


async def describe(session: QuerySession, name: str) -> MetaResult:
    """`\\d NAME`: the columns of a table, view or materialized view, and its indexes."""
    found = await session.fetch("SELECT pg_catalog.to_regclass(%(n)s)::oid, "
                                "pg_catalog.to_regclass(%(n)s)::text", {"n": name})
    oid = found.rows[0][0] if found.rows else None
    if oid is None:
        raise QueryError(f'Did not find any relation named "{name}".',
                         "list them with \\dt, \\dv or \\dm")
    columns = await session.fetch(_DESCRIBE, {"oid": oid})
    indexes = await session.fetch(_INDEXES, {"oid": oid})
    footer = tuple(f"{row[0]}: {row[1]}" for row in indexes.rows)
    return MetaResult(f'"{found.rows[0][1]}"', columns, footer=footer)


def _toggle(arg: str, current: bool) -> bool:
    if arg.lower() in ("on", "true", "1"):
        return True
    if arg.lower() in ("off", "false", "0"):
        return False
    return not current


def _pattern(arg: str) -> tuple[str, str]:
    """psql pattern -> (schema LIKE, name LIKE)."""
    if not arg:
        return "%", "%"
    schema, _, name = arg.rpartition(".")
    return _like(schema) if schema else "%", _like(name) if name else "%"


def _like(part: str) -> str:
    quoted = part.startswith('"') and part.endswith('"') and len(part) >= 2
    part = part[1:-1] if quoted else part.lower()
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")
