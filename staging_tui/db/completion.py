"""Completion for the SQL editor: keywords, schemas, tables and columns.

`Catalog.load(session)` reads the names once (one query); `complete(text_before_cursor)`
is pure and fast, so the editor can call it on every keystroke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from staging_tui.db.meta import COMMANDS
from staging_tui.db.session import QuerySession

KEYWORDS = (
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "AS", "ON", "JOIN", "LEFT",
    "RIGHT", "INNER", "FULL", "OUTER", "CROSS", "USING", "GROUP", "BY", "ORDER", "HAVING", "LIMIT",
    "OFFSET", "DISTINCT", "UNION", "ALL", "INTERSECT", "EXCEPT", "WITH", "RECURSIVE", "CASE",
    "WHEN", "THEN", "ELSE", "END", "ASC", "DESC", "NULLS", "FIRST", "LAST", "EXISTS", "BETWEEN",
    "LIKE", "ILIKE", "VALUES", "TABLE", "EXPLAIN", "ANALYZE", "SHOW", "BEGIN", "COMMIT",
    "ROLLBACK", "INSERT", "INTO", "UPDATE", "SET", "DELETE", "CREATE", "ALTER", "DROP", "COUNT",
    "SUM", "AVG", "MIN", "MAX", "COALESCE", "CAST", "FILTER", "OVER", "PARTITION", "WINDOW",
    "LATERAL", "TRUE", "FALSE",
)

_CATALOG = """
SELECT n.nspname, c.relname, a.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
  ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
ORDER BY 1, 2, a.attnum"""

_FUNCTIONS = """
SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
ORDER BY 1 LIMIT 2000"""

# built-in functions people type (pg_catalog has ~3,000: these are the everyday ones)
BUILTIN_FUNCTIONS = (
    "abs", "array_agg", "avg", "bool_and", "bool_or", "ceil", "coalesce", "concat", "count",
    "current_date", "current_timestamp", "date_part", "date_trunc", "extract", "floor",
    "generate_series", "greatest", "json_agg", "json_build_object", "jsonb_agg",
    "jsonb_build_object", "lag", "lead", "least", "left", "length", "lower", "max", "md5",
    "min", "now", "nullif", "percentile_cont", "pg_size_pretty", "pg_total_relation_size",
    "rank", "regexp_replace", "replace", "right", "round", "row_number", "split_part",
    "string_agg", "substring", "sum", "to_char", "to_date", "to_timestamp", "trim",
    "upper",
)

_WORD_BEFORE = re.compile(r'([A-Za-z_][\w$]*\.)?([A-Za-z_\\][\w$]*)?$')


@dataclass
class Catalog:
    schemas: set[str] = field(default_factory=set)
    tables: dict[str, set[str]] = field(default_factory=dict)        # schema -> tables
    columns: dict[str, list[str]] = field(default_factory=dict)      # table -> columns
    functions: list[str] = field(default_factory=lambda: list(BUILTIN_FUNCTIONS))

    @classmethod
    async def load(cls, session: QuerySession) -> Catalog:
        result = await session.fetch(_CATALOG)
        catalog = cls()
        for schema, table, column in result.rows:
            s, t = str(schema), str(table)
            catalog.schemas.add(s)
            catalog.tables.setdefault(s, set()).add(t)
            cols = catalog.columns.setdefault(t, [])
            if column is not None and str(column) not in cols:
                cols.append(str(column))
        own = await session.fetch(_FUNCTIONS)
        catalog.functions = sorted({str(r[0]) for r in own.rows} | set(BUILTIN_FUNCTIONS))
        return catalog

    def complete(self, before_cursor: str, limit: int = 50) -> list[str]:
        """Candidates for the word ending at the cursor: after `x.` the tables of
        schema x or the columns of table x; else keywords, schemas, tables and the
        columns of tables named in the text."""
        m = _WORD_BEFORE.search(before_cursor)
        qualifier = (m.group(1) or "")[:-1] if m else ""
        prefix = (m.group(2) or "") if m else ""
        low = prefix.lower()
        if prefix.startswith("\\"):
            return [c for c in COMMANDS if c.startswith(prefix)][:limit]
        if qualifier:
            pool = sorted(self.tables.get(qualifier, set())) + self.columns.get(qualifier, [])
            return [p for p in pool if p.lower().startswith(low)][:limit]
        mentioned = [t for t in self.columns if re.search(rf"\b{re.escape(t)}\b", before_cursor)]
        pool_cols = [c for t in mentioned for c in self.columns[t]]
        tables = sorted({t for ts in self.tables.values() for t in ts})
        keywords = [k for k in KEYWORDS if k.lower().startswith(low)]
        names = [n for n in [*pool_cols, *tables, *sorted(self.schemas), *self.functions]
                 if n.lower().startswith(low)]
        out: list[str] = []
        for cand in [*names, *keywords] if low else [*names]:
            if cand not in out and cand != prefix:
                out.append(cand)
        return out[:limit]
