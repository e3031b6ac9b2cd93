"""Is a statement a read? Decided before it is sent, failing closed.

A statement is a read only when every rule below says so; anything unknown,
unparsable or ambiguous is a write. The server-side `default_transaction_read_only`
is the second wall behind this one (a view may call a writing function; operators
may hide functions), so this guard aims to refuse early with a clear message, and
never to call a write a read.

`destructive` marks what needs a second confirmation in write mode: DROP,
TRUNCATE, and DELETE or UPDATE without a WHERE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from staging_tui.db.read_only_functions import (
    PAREN_KEYWORDS,
    PAREN_KEYWORDS_AFTER,
    READ_ONLY_FUNCTIONS,
    TYPES_WITH_MODIFIERS,
)
from staging_tui.db.sql_lexer import Kind, LexError, Token, significant, tokenize

WRITES_FIX = ("this session is read-only. To allow writes: set read_only = false in the "
              "profile (impossible when protected = true), then turn on write mode "
              "(Query pane: F2, confirmed once per session)")

# words that make any statement a write wherever they appear unquoted
WRITE_WORDS = frozenset([
    "insert", "update", "delete", "merge", "truncate", "copy", "create", "alter", "drop", "grant",
    "revoke", "refresh", "vacuum", "call", "do", "execute", "lock", "into", "share",
])

# first words of statements that can be reads (further checked below)
READ_COMMANDS = frozenset([
    "select", "with", "values", "table", "show", "explain", "fetch", "move", "close", "declare",
    "commit", "rollback", "end", "abort", "savepoint", "release", "begin", "start", "set", "reset",
    "deallocate",
])

TRANSACTION_WORDS = frozenset([
    "begin", "start", "transaction", "work", "isolation", "level", "serializable", "repeatable",
    "read", "committed", "uncommitted", "only", "deferrable", "not", "session", "characteristics",
    "as", "set", "local", "snapshot",
])

SAFE_SETTINGS = frozenset([
    "search_path", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout",
    "timezone", "datestyle", "intervalstyle", "extra_float_digits", "application_name",
    "client_min_messages", "work_mem", "maintenance_work_mem", "temp_buffers", "bytea_output",
    "jit", "random_page_cost", "seq_page_cost", "effective_cache_size",
    "max_parallel_workers_per_gather", "geqo", "default_statistics_target", "plan_cache_mode",
    "from_collapse_limit", "join_collapse_limit", "cursor_tuple_fraction",
])

READ_ONLY_SETTINGS = frozenset({"default_transaction_read_only", "transaction_read_only"})


@dataclass(frozen=True, slots=True)
class Classification:
    read: bool
    reason: str = ""            # why it is a write ("" for reads)
    command: str = ""           # first keyword, upper-case ("SELECT", "DELETE", "")
    destructive: bool = False   # DROP, TRUNCATE, DELETE/UPDATE without WHERE
    streamable: bool = False    # a query a server-side cursor can stream

    @property
    def write(self) -> bool:
        return not self.read


def classify(sql: str, extra_read_functions: Iterable[str] = ()) -> Classification:
    """Classify ONE statement (a trailing semicolon is allowed; two statements in one
    string are a write: run them one by one)."""
    try:
        tokens = significant(tokenize(sql))
    except LexError as exc:
        return Classification(False, f"cannot parse the statement ({exc})")
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    if not tokens:
        return Classification(True, "", "")
    destructive = _destructive(tokens)
    if any(t.kind is Kind.PUNCT and t.text == ";" for t in tokens):
        return Classification(False, "several statements in one string: run them one at a time",
                              "MULTIPLE", destructive)
    lead = 0
    while lead < len(tokens) and tokens[lead].text == "(":
        lead += 1
    first = tokens[lead] if lead < len(tokens) else tokens[0]
    command = first.norm if first.kind is Kind.WORD else ""
    label = command.upper() or first.text[:20]
    if command not in READ_COMMANDS or (lead and command not in ("select", "values", "with",
                                                                 "table")):
        return Classification(False, f"{label} is not a read-only statement", label, destructive)
    reason = (_word_reason(tokens, command) or _command_reason(tokens, command)
              or _function_reason(tokens, frozenset(f.lower() for f in extra_read_functions)))
    if reason:
        return Classification(False, reason, label, destructive)
    streamable = command in ("select", "with", "values", "table")
    return Classification(True, "", label, destructive, streamable)


def _word_reason(tokens: list[Token], command: str) -> str:
    for tok in tokens:
        if tok.kind is not Kind.WORD:
            continue
        if tok.norm in WRITE_WORDS:
            if tok.norm in ("update", "share"):
                return f"{tok.text.upper()} locks or modifies rows"
            return f"{tok.text.upper()} modifies data or schema"
        if tok.norm in ("analyze", "analyse") and command != "explain":
            return "ANALYZE writes statistics"
    return ""


_QUERY_STARTS = frozenset({"select", "with", "values", "table", "("})


def _starts_query(tok: Token | None) -> bool:
    return tok is not None and (tok.norm if tok.kind is Kind.WORD else tok.text) in _QUERY_STARTS


def _inner_query_reason(tokens: list[Token], command: str) -> str:
    """EXPLAIN / DECLARE wrap a query, and a CTE body is a query: each must start
    like one (EXPLAIN RESET ..., WITH x AS (SET ...) are not reads)."""
    if command == "explain":
        i = 1
        if i < len(tokens) and tokens[i].text == "(":
            while i < len(tokens) and tokens[i].text != ")":
                i += 1
            i += 1
        while i < len(tokens) and tokens[i].norm in ("analyze", "analyse", "verbose"):
            i += 1
        if not _starts_query(tokens[i] if i < len(tokens) else None):
            return "EXPLAIN of something other than a query"
    if command == "declare":
        fors = [i for i, t in enumerate(tokens) if t.norm == "for"]
        if not fors or not _starts_query(tokens[fors[0] + 1] if fors[0] + 1 < len(tokens)
                                         else None):
            return "DECLARE of something other than a query"
    for i, tok in enumerate(tokens[:-1]):
        if tok.text == "(" and i and tokens[i - 1].norm in ("as", "materialized") and (
                command == "with" or any(t.norm == "with" for t in tokens[:i])):
            if not _starts_query(tokens[i + 1]):
                return f"{tokens[i + 1].text.upper()} inside WITH is not a query"
    return ""


def _command_reason(tokens: list[Token], command: str) -> str:
    inner = _inner_query_reason(tokens, command)
    if inner:
        return inner
    words = [t.norm for t in tokens if t.kind is Kind.WORD]
    if command in ("begin", "start", "set") and "write" in words:
        return "READ WRITE would leave read-only mode"
    if command in ("begin", "start"):
        odd = [t.text for t in tokens if (t.kind is not Kind.WORD and t.text != ",")
               or (t.kind is Kind.WORD and t.norm not in TRANSACTION_WORDS)]
        return f"BEGIN with {odd[0]!r} is not known to be read-only" if odd else ""
    if command in ("commit", "rollback", "end", "abort") and "prepared" in words:
        return "prepared transactions change server state"
    if command == "set":
        return _set_reason(tokens)
    if command == "reset":
        name = _setting_name(tokens[1:])
        if name not in SAFE_SETTINGS:
            return f"RESET {name or 'ALL'} may change the session's read-only mode"
    return ""


def _set_reason(tokens: list[Token]) -> str:
    rest = tokens[1:]
    if rest and rest[0].norm in ("session", "local") and len(rest) > 1 and (
            rest[1].norm not in ("characteristics", "authorization")):
        rest = rest[1:]
    if not rest:
        return "incomplete SET"
    head = rest[0].norm
    if head in ("transaction", "session"):
        odd = [t.text for t in rest if (t.kind is Kind.WORD and t.norm not in TRANSACTION_WORDS)
               or (t.kind not in (Kind.WORD, Kind.STRING) and t.text != ",")]
        if head == "session" and len(rest) > 1 and rest[1].norm == "authorization":
            return "SET SESSION AUTHORIZATION changes who runs the statements"
        return f"SET {head.upper()} with {odd[0]!r} is not known to be read-only" if odd else ""
    if head == "time" and len(rest) > 1 and rest[1].norm == "zone":
        return ""
    name = _setting_name(rest)
    if name in READ_ONLY_SETTINGS:
        return f"SET {name} would change read-only mode"
    if name not in SAFE_SETTINGS:
        return f"SET {name or head} is not a setting known to be safe"
    return ""


def _setting_name(tokens: list[Token]) -> str:
    """`a.b` or `a` from the start of tokens ("" if none)."""
    parts: list[str] = []
    for tok in tokens:
        if tok.kind in (Kind.WORD, Kind.QUOTED) and (not parts or parts[-1] == "."):
            parts.append(tok.norm)
        elif tok.text == "." and parts and parts[-1] != ".":
            parts.append(".")
        else:
            break
    name = "".join(parts)
    return "" if name == "all" else name


def _function_reason(tokens: list[Token], extra: frozenset[str]) -> str:
    for i, tok in enumerate(tokens[:-1]):
        if tokens[i + 1].text != "(" or tok.kind not in (Kind.WORD, Kind.QUOTED):
            continue
        prev = tokens[i - 1] if i else None
        prev_word = "" if prev is None else (prev.norm if prev.kind is Kind.WORD else prev.text)
        name = tok.norm
        if prev_word in ("as", "with", "recursive", "::"):
            continue              # alias or CTE column list, or a type modifier x::t(3)
        if tok.kind is Kind.WORD and prev_word != ".":
            if name in PAREN_KEYWORDS or prev_word in PAREN_KEYWORDS_AFTER.get(name, ()):
                continue
            if name in TYPES_WITH_MODIFIERS:
                continue          # numeric(10,2)
        if prev_word == ".":
            schema = tokens[i - 2] if i >= 2 else None
            if schema is None or schema.norm != "pg_catalog":
                return f"function {_display(tokens, i)} is not known to be read-only"
        if name not in READ_ONLY_FUNCTIONS and name not in extra:
            return f"function {_display(tokens, i)} is not known to be read-only"
    return ""


def _display(tokens: list[Token], i: int) -> str:
    if i >= 2 and tokens[i - 1].text == ".":
        return f"{tokens[i - 2].text}.{tokens[i].text}()"
    return f"{tokens[i].text}()"


def _destructive(tokens: list[Token]) -> bool:
    depth = 0
    depths = []
    for tok in tokens:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        depths.append(depth)
    for i, tok in enumerate(tokens):
        if tok.kind is not Kind.WORD:
            continue
        if tok.norm in ("drop", "truncate"):
            return True
        prev = tokens[i - 1].norm if i else ""
        if tok.norm in ("delete", "update") and prev not in ("for", "key", "do", "no"):
            if not _has_where(tokens, depths, i):
                return True
    return False


def _has_where(tokens: list[Token], depths: list[int], i: int) -> bool:
    level = depths[i]
    for j in range(i + 1, len(tokens)):
        if depths[j] < level or tokens[j].text == ";":
            return False
        if depths[j] == level and tokens[j].kind is Kind.WORD and tokens[j].norm == "where":
            return True
    return False
