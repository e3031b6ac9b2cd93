"""Is a statement a read? Decided on PostgreSQL's own parse tree, before it is sent.

The statement is parsed by libpg_query (the server's parser as a library, through
pglast), so quoting, `U&"..." UESCAPE`, comments, schema qualification and field
notation are decoded exactly as the server decodes them. A statement is a read only
when every node in its tree is one a read is made of (an allowlist: unknown node
kinds are writes), every function call, operator, type cast and sampling method is
on the read-only allowlist, no SELECT locks rows or creates a table, and SET/RESET
touch only settings known to be safe. Anything unparsable is refused with the
parser's message (the server would reject it too).

Field notation (`s.f` meaning `f(s)`) cannot be told from a column without the
catalog: `field_names` lists the names a read uses that way which are not on the
allowlist, and the session refuses the statement when one of them names a function
(a catalog look-up, before the statement is sent).

The server-side `default_transaction_read_only` stays the second wall (a view may
call a writing function), and a read-only login role the third.

`destructive` marks what needs a second confirmation in write mode: DROP, TRUNCATE,
ALTER ... DROP, and DELETE or UPDATE without a WHERE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import parser as pg_parser

from staging_tui.db.read_only_functions import (
    READ_ONLY_FUNCTIONS,
    READ_ONLY_OPERATORS,
    READ_ONLY_SAMPLING,
    READ_ONLY_TYPES,
)

WRITES_FIX = ("this session is read-only. To allow writes: set read_only = false in the "
              "profile (impossible when protected = true), then turn on write mode "
              "(Query pane: F2, confirmed once per session)")

DEFAULT_MAX_STATEMENT_BYTES = 1_000_000

SAFE_SETTINGS = frozenset([
    "search_path", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
    "timezone", "datestyle", "intervalstyle", "extra_float_digits", "application_name",
    "client_min_messages", "work_mem", "maintenance_work_mem", "temp_buffers", "bytea_output",
    "jit", "random_page_cost", "seq_page_cost", "effective_cache_size",
    "max_parallel_workers_per_gather", "geqo", "default_statistics_target", "plan_cache_mode",
    "from_collapse_limit", "join_collapse_limit", "cursor_tuple_fraction",
])

# the nodes a read is made of (wrapped nodes in libpg_query's JSON); anything else
# (InsertStmt inside a CTE, a new node kind of a future grammar ...) is a write
_READ_NODES = """
SelectStmt ResTarget ColumnRef A_Star A_Const Integer Float String Boolean BitString List
FuncCall A_Expr BoolExpr SubLink TypeCast TypeName CollateClause CaseExpr CaseWhen
CoalesceExpr MinMaxExpr NullTest BooleanTest RowExpr A_ArrayExpr A_Indirection A_Indices
SQLValueFunction GroupingFunc GroupingSet WindowDef SortBy RangeVar Alias RangeSubselect
RangeFunction JoinExpr WithClause CommonTableExpr CTESearchClause CTECycleClause ColumnDef
RangeTableSample ParamRef XmlExpr XmlSerialize RangeTableFunc RangeTableFuncCol
JsonFuncExpr JsonParseExpr JsonScalarExpr JsonSerializeExpr JsonObjectConstructor
JsonArrayConstructor JsonArrayQueryConstructor JsonObjectAgg JsonArrayAgg JsonAggConstructor
JsonKeyValue JsonValueExpr JsonOutput JsonReturning JsonFormat JsonIsPredicate JsonArgument
JsonBehavior JsonTable JsonTablePathSpec JsonTableColumn DefElem
"""
READ_NODES = frozenset(_READ_NODES.split())

# statements whose kind is enough to call them writes, named for the message
_KIND_REASONS = {
    "DoStmt": "DO runs code", "CallStmt": "CALL runs a procedure",
    "CopyStmt": "COPY reads or writes files and tables", "LockStmt": "LOCK takes table locks",
    "NotifyStmt": "NOTIFY signals other sessions", "ListenStmt": "LISTEN changes session state",
    "UnlistenStmt": "UNLISTEN changes session state",
    "PrepareStmt": "PREPARE stores a statement that EXECUTE runs unchecked",
    "ExecuteStmt": "EXECUTE runs a prepared statement the guard never saw",
    "LoadStmt": "LOAD loads a shared library", "DiscardStmt": "DISCARD changes session state",
    "CheckPointStmt": "CHECKPOINT is a server operation",
    "VacuumStmt": "VACUUM / ANALYZE writes to the database",
}

_STMT_COMMANDS = {
    "SelectStmt": "SELECT", "InsertStmt": "INSERT", "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE", "MergeStmt": "MERGE", "ExplainStmt": "EXPLAIN",
    "VariableShowStmt": "SHOW", "VariableSetStmt": "SET", "TransactionStmt": "",
    "DeclareCursorStmt": "DECLARE", "FetchStmt": "FETCH", "ClosePortalStmt": "CLOSE",
    "DeallocateStmt": "DEALLOCATE", "TruncateStmt": "TRUNCATE", "DoStmt": "DO",
    "CallStmt": "CALL", "CopyStmt": "COPY", "LockStmt": "LOCK", "NotifyStmt": "NOTIFY",
    "ListenStmt": "LISTEN", "PrepareStmt": "PREPARE", "ExecuteStmt": "EXECUTE",
    "VacuumStmt": "VACUUM", "CreateTableAsStmt": "CREATE",
}

_TRANSACTION_COMMANDS = {
    "TRANS_STMT_BEGIN": "BEGIN", "TRANS_STMT_START": "START", "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK", "TRANS_STMT_SAVEPOINT": "SAVEPOINT",
    "TRANS_STMT_RELEASE": "RELEASE", "TRANS_STMT_ROLLBACK_TO": "ROLLBACK",
}

_TRANSACTION_OPTIONS = frozenset({"transaction_isolation", "transaction_read_only",
                                  "transaction_deferrable"})


@dataclass(frozen=True, slots=True)
class Classification:
    read: bool
    reason: str = ""            # why it is a write ("" for reads)
    command: str = ""           # the statement's kind, upper-case ("SELECT", "DELETE", "")
    destructive: bool = False   # DROP, TRUNCATE, DELETE/UPDATE without WHERE
    streamable: bool = False    # a query a server-side cursor can stream
    # names a read uses in field notation (`s.f`) that are not on the allowlist: the
    # session refuses the statement when one names a function
    field_names: frozenset[str] = field(default_factory=frozenset)
    # the statement as the parser delimits it: without trailing semicolons (and
    # without trailing comments after one); "" when not parsed
    text: str = ""

    @property
    def write(self) -> bool:
        return not self.read


class _Refused(Exception):
    """A node that makes the statement a write (the message says which)."""


def classify(sql: str, extra_read_functions: Iterable[str] = (), *,
             max_bytes: int = DEFAULT_MAX_STATEMENT_BYTES) -> Classification:
    """Classify ONE statement (a trailing semicolon is allowed; two statements in one
    string are refused: run them one by one). Statements over `max_bytes` (UTF-8) are
    refused as too large without being parsed (0 = no limit)."""
    size = len(sql.encode("utf-8", "surrogatepass"))
    if max_bytes and size > max_bytes:
        return Classification(False, f"the statement is too large to check ({_mb(size)}; the "
                              f"limit is {_mb(max_bytes)}: raise max_statement_bytes in the "
                              "profile, or split it)", "TOO LARGE")
    try:
        tree = json.loads(pg_parser.parse_sql_json(sql))
    except pg_parser.ParseError as exc:
        return Classification(False, f"cannot parse the statement: {exc.args[0]}")
    except ValueError as exc:         # NUL bytes, invalid encoding
        return Classification(False, f"cannot parse the statement: {exc}")
    raw = tree.get("stmts", [])
    stmts = [s.get("stmt", {}) for s in raw]
    if not stmts:
        return Classification(True, "", "")
    destructive = any(_destructive(s) for s in stmts)
    if len(stmts) > 1:
        return Classification(False, "several statements in one string: run them one at a time",
                              "MULTIPLE", destructive)
    kind, body = _only(stmts[0])
    command = _command(kind, body)
    walker = _ReadWalker(frozenset(READ_ONLY_FUNCTIONS) | frozenset(
        f.lower() for f in extra_read_functions))
    try:
        walker.statement(kind, body)
    except _Refused as exc:
        return Classification(False, str(exc), command, destructive,
                              text=_statement_text(sql, raw[0]))
    streamable = kind == "SelectStmt"
    return Classification(True, "", command, destructive, streamable,
                          frozenset(walker.field_names), _statement_text(sql, raw[0]))


def _statement_text(sql: str, raw: dict[str, Any]) -> str:
    """The statement's own text (the parser's offsets are in UTF-8 bytes)."""
    length = int(raw.get("stmt_len", 0))
    if not length:
        return sql.strip()
    start = int(raw.get("stmt_location", 0))
    return sql.encode("utf-8", "surrogatepass")[start:start + length].decode(
        "utf-8", "surrogatepass").strip()


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"


def _only(node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((kind, body),) = node.items()
    return kind, body


def _command(kind: str, body: dict[str, Any]) -> str:
    if kind == "TransactionStmt":
        return _TRANSACTION_COMMANDS.get(body.get("kind", ""), "TRANSACTION")
    if kind == "SelectStmt" and body.get("valuesLists"):
        return "VALUES"
    if kind == "VariableSetStmt" and str(body.get("kind", "")).startswith("VAR_RESET"):
        return "RESET"
    known = _STMT_COMMANDS.get(kind)
    if known is not None:
        return known
    words = kind.removesuffix("Stmt")
    for prefix in ("Create", "Alter", "Drop", "Grant", "Comment", "Refresh", "Reindex",
                   "Cluster", "Rename"):
        if words.startswith(prefix):
            return prefix.upper()
    return words.upper()


def _names(items: list[Any] | None) -> list[str]:
    out = []
    for item in items or ():
        text = item.get("String", {}).get("sval") if isinstance(item, dict) else None
        out.append(text if isinstance(text, str) else "*")
    return out


def _const_text(node: Any) -> str:
    """The text of an A_Const (string, number or boolean), "" otherwise."""
    const = node.get("A_Const") if isinstance(node, dict) else None
    if not isinstance(const, dict):
        return ""
    for key, sub in (("sval", "sval"), ("ival", "ival"), ("fval", "fval"),
                     ("boolval", "boolval")):
        if key in const:
            return str(const[key].get(sub, 0 if key == "ival" else ""))
    return ""


class _ReadWalker:
    """Walks a statement that should be a read; raises _Refused at the first node
    that is not."""

    def __init__(self, functions: frozenset[str]) -> None:
        self.functions = functions
        self.field_names: set[str] = set()

    # ------------------------------------------------------------------ statements
    def statement(self, kind: str, body: dict[str, Any]) -> None:
        if kind in _KIND_REASONS:
            raise _Refused(_KIND_REASONS[kind])
        if kind == "SelectStmt":
            self.walk(body, "SelectStmt")
        elif kind == "ExplainStmt":
            inner_kind, inner = _only(body.get("query", {}))
            if inner_kind != "SelectStmt":
                raise _Refused(f"EXPLAIN of {_command(inner_kind, inner)} (EXPLAIN ANALYZE "
                               "runs it)")
            self.walk(inner, "SelectStmt")
        elif kind == "DeclareCursorStmt":
            inner_kind, inner = _only(body.get("query", {}))
            if inner_kind != "SelectStmt":
                raise _Refused(f"DECLARE of {_command(inner_kind, inner)} is not a query")
            self.walk(inner, "SelectStmt")
        elif kind in ("VariableShowStmt", "FetchStmt", "ClosePortalStmt", "DeallocateStmt"):
            return
        elif kind == "TransactionStmt":
            self._transaction(body)
        elif kind == "VariableSetStmt":
            self._setting(body)
        else:
            raise _Refused(f"{_command(kind, body)} is not a read-only statement")

    def _transaction(self, body: dict[str, Any]) -> None:
        what = body.get("kind", "")
        if what not in _TRANSACTION_COMMANDS:
            raise _Refused("prepared transactions change server state")
        self._transaction_options(body.get("options"))

    def _transaction_options(self, options: list[Any] | None) -> None:
        for option in options or ():
            elem = option.get("DefElem", {})
            name = elem.get("defname", "")
            if name not in _TRANSACTION_OPTIONS:
                raise _Refused(f"transaction option {name!r} is not known to be read-only")
            if name == "transaction_read_only" and _const_text(elem.get("arg")) != "1":
                raise _Refused("READ WRITE would leave read-only mode")

    def _setting(self, body: dict[str, Any]) -> None:
        kind, name = body.get("kind", ""), str(body.get("name", ""))
        if kind == "VAR_RESET_ALL":
            raise _Refused("RESET ALL may change the session's read-only mode")
        if kind == "VAR_SET_MULTI":
            if name in ("TRANSACTION", "SESSION CHARACTERISTICS"):
                self._transaction_options(body.get("args"))
                return
            raise _Refused(f"SET {name} is not known to be read-only")
        if name in ("default_transaction_read_only", "transaction_read_only"):
            raise _Refused(f"SET {name} would change read-only mode")
        if name not in SAFE_SETTINGS:
            verb = "RESET" if kind == "VAR_RESET" else "SET"
            raise _Refused(f"{verb} {name} is not a setting known to be safe")
        if name == "search_path" and kind == "VAR_SET_VALUE":
            schemas = [_const_text(arg) for arg in body.get("args") or ()]
            if "pg_catalog" in schemas and schemas[0] != "pg_catalog":
                raise _Refused("a search_path with schemas before pg_catalog lets them "
                               "shadow the read-only functions: put pg_catalog first")

    # ------------------------------------------------------------------ the tree
    def walk(self, node: Any, kind: str = "") -> None:
        """Check a wrapped node's body (`kind` given) or any JSON value below it."""
        stack: list[tuple[str, Any]] = [(kind, node)]
        while stack:
            kind, value = stack.pop()
            if isinstance(value, list):
                stack.extend(("", v) for v in value)
                continue
            if not isinstance(value, dict):
                continue
            if kind:
                self._check(kind, value)
            for key, sub in value.items():
                if key[:1].isupper() and isinstance(sub, dict):      # a wrapped node
                    if key not in READ_NODES:
                        raise _Refused(self._unknown(key, sub))
                    if key not in ("A_Const", "String", "Integer", "Float", "Boolean"):
                        stack.append((key, sub))
                elif key == "typeName" and isinstance(sub, dict):
                    self._type(sub)
                    stack.append(("", sub))
                elif key in ("intoClause", "lockingClause"):
                    if sub:
                        raise _Refused("SELECT INTO creates a table" if key == "intoClause"
                                       else "SELECT ... FOR UPDATE/SHARE locks rows")
                elif isinstance(sub, (dict, list)):
                    stack.append(("", sub))

    def _unknown(self, key: str, body: dict[str, Any]) -> str:
        if key in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"):
            return f"{_command(key, body)} inside the statement modifies data"
        if key.endswith("Stmt"):
            return f"{_command(key, body)} inside the statement is not a read"
        return f"{key} is not known to be read-only"

    def _check(self, kind: str, body: dict[str, Any]) -> None:
        if kind == "FuncCall":
            self._function(_names(body.get("funcname")))
        elif kind == "A_Expr":
            self._operator(_names(body.get("name")))
        elif kind == "SortBy" and body.get("useOp"):
            self._operator(_names(body.get("useOp")))
        elif kind == "TypeName":
            self._type(body)
        elif kind == "RangeTableSample":
            method = _names(body.get("method"))
            if len(method) != 1 or method[0] not in READ_ONLY_SAMPLING:
                raise _Refused(f"TABLESAMPLE {'.'.join(method)} is not known to be read-only")
        elif kind == "ColumnRef":
            fields = _names(body.get("fields"))
            if len(fields) > 1:
                self._field(fields[-1])
        elif kind == "A_Indirection":
            for name in _names(body.get("indirection")):
                self._field(name)

    def _field(self, name: str) -> None:
        if name != "*" and name not in self.functions:
            self.field_names.add(name)

    def _function(self, names: list[str]) -> None:
        if _qualified_ok(names) and names[-1] in self.functions:
            return
        raise _Refused(f"function {'.'.join(names)}() is not known to be read-only")

    def _operator(self, names: list[str]) -> None:
        if _qualified_ok(names) and names[-1] in READ_ONLY_OPERATORS:
            return
        raise _Refused(f"operator {'.'.join(names)} is not known to be read-only")

    def _type(self, body: dict[str, Any]) -> None:
        names = _names(body.get("names"))
        if body.get("pct_type"):
            raise _Refused("%TYPE is not known to be read-only")
        if _qualified_ok(names) and names and names[-1] in READ_ONLY_TYPES:
            return
        raise _Refused(f"type {'.'.join(names)} is not known to be read-only (a cast calls "
                       "the type's input function)")


def _qualified_ok(names: list[str]) -> bool:
    return len(names) == 1 or (len(names) == 2 and names[0] == "pg_catalog")


# ---------------------------------------------------------------------- destructive

def _destructive(stmt: dict[str, Any]) -> bool:
    for kind, body in _nodes(stmt):
        if kind in ("TruncateStmt",) or kind.startswith("Drop"):
            return True
        if kind in ("DeleteStmt", "UpdateStmt") and not body.get("whereClause"):
            return True
        if kind == "AlterTableCmd" and str(body.get("subtype", "")).startswith("AT_Drop"):
            return True
    return False


def _nodes(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every wrapped statement-level node (the kinds _destructive looks at)."""
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, sub in value.items():
                if isinstance(sub, dict) and key[:1].isupper():
                    if key.endswith("Stmt") or key == "AlterTableCmd":
                        yield key, sub
                    if key in ("A_Const", "String", "ColumnRef", "Integer"):
                        continue
                if isinstance(sub, (dict, list)):
                    stack.append(sub)
