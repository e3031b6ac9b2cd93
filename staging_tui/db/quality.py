"""Data quality of a table or view: per column, the fraction of NULLs and an
estimate of distinct values. From pg_stats when the relation has statistics,
else from a bounded sample (the first SAMPLE_ROWS rows)."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from staging_tui.db.session import QuerySession
from staging_tui.errors import QueryError

SAMPLE_ROWS = 10_000

_STATS = """
SELECT a.attname, s.null_frac, s.n_distinct, c.reltuples
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_stats s
  ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum"""


@dataclass(frozen=True, slots=True)
class ColumnQuality:
    column: str
    null_fraction: float
    distinct: float          # estimated number of distinct non-null values
    source: str              # "pg_stats" or "sample of N rows"

    @property
    def all_null(self) -> bool:
        return self.null_fraction >= 1.0


async def column_quality(session: QuerySession, relation: str) -> tuple[ColumnQuality, ...]:
    found = await session.fetch("SELECT pg_catalog.to_regclass(%(n)s)::oid", {"n": relation})
    oid = found.rows[0][0] if found.rows else None
    if oid is None:
        raise QueryError(f"no table or view named {relation!r}", "check the name with \\dt / \\dv")
    stats = await session.fetch(_STATS, {"oid": oid})
    if stats.rows and all(row[1] is not None for row in stats.rows):
        out = []
        for name, null_frac, n_distinct, reltuples in stats.rows:
            rows = max(float(str(reltuples)), 0.0)
            nd = float(str(n_distinct))
            distinct = -nd * rows * (1 - float(str(null_frac))) if nd < 0 else nd
            out.append(ColumnQuality(str(name), float(str(null_frac)), round(distinct, 1),
                                     "pg_stats"))
        return tuple(out)
    return await _sampled(session, int(str(oid)), [str(r[0]) for r in stats.rows])


async def _sampled(session: QuerySession, oid: int, columns: list[str]
                   ) -> tuple[ColumnQuality, ...]:
    if not columns:
        return ()
    name = await session.fetch("SELECT %(oid)s::oid::regclass::text", {"oid": oid})
    rel = sql.SQL(str(name.rows[0][0]))   # regclass text is already quoted as needed
    parts: list[sql.Composable] = [sql.SQL("count(*)")]
    for col in columns:
        ident = sql.Identifier(col)
        parts += [sql.SQL("count({})").format(ident),
                  sql.SQL("count(DISTINCT {}::text)").format(ident)]
    query = sql.SQL("SELECT {} FROM (SELECT * FROM {} LIMIT {}) AS sample").format(
        sql.SQL(", ").join(parts), rel, sql.Literal(SAMPLE_ROWS))
    result = await session.fetch(query.as_string(None))
    row = result.rows[0]
    total = int(str(row[0]))
    source = f"sample of {total} rows"
    out = []
    for i, col in enumerate(columns):
        non_null, distinct = int(str(row[1 + 2 * i])), int(str(row[2 + 2 * i]))
        null_fraction = 0.0 if total == 0 else 1 - non_null / total
        out.append(ColumnQuality(col, null_fraction, float(distinct), source))
    return tuple(out)
