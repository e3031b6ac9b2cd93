"""The read-only guard on big statements, one run.

    uv run python bench/classifier.py [--mb 10]

Statements of ~1 MB and ~`--mb` MB (a VALUES list, and an IN list: one node per
item, the worst case for a tree walk):
  split     statements.split_statements (PostgreSQL's scanner for big buffers) vs the
            hand lexer it falls back to;
  refuse    classify() at the default limit (max_statement_bytes = 1 MB): refused as
            too large, without parsing;
  classify  classify() with no limit: libpg_query's parse (JSON), json.loads, the walk;
  memory    peak RSS of this process.
Target (issue 11): 10 MB classified in <= 1 s, or refused as too large at once; the
pane never waits on it (it runs in a thread).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from staging_tui.db import statements  # noqa: E402
from staging_tui.db.classifier import classify  # noqa: E402


def values_statement(mb: float) -> str:
    rows, size, i = [], 0, 0
    while size < mb * 1_000_000:
        row = f"({i}, 'site-{i}', {i}.5)"
        rows.append(row)
        size += len(row) + 2
        i += 1
    return "SELECT count(*) FROM (VALUES\n" + ",\n".join(rows) + ") AS v(id, site, x)"


def in_statement(mb: float) -> str:
    items = ",".join(str(i) for i in range(int(mb * 1_000_000 / 8)))
    return f"SELECT * FROM item WHERE id IN ({items})"


def timed(label: str, fn: object, *args: object, **kw: object) -> object:
    started = time.perf_counter()
    result = fn(*args, **kw)  # type: ignore[operator]
    print(f"  {label:<44} {time.perf_counter() - started:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    args = parser.parse_args()
    for shape, make in (("VALUES", values_statement), ("IN list", in_statement)):
        for mb in (1.0, args.mb):
            sql = make(mb)
            print(f"{shape}, {len(sql) / 1e6:.1f} MB")
            timed("split (scanner)", statements.split_statements, sql)
            if mb <= 1.0:
                limit, statements.SCANNER_SPLIT_AT = statements.SCANNER_SPLIT_AT, 10**12
                timed("split (lexer fallback)", statements.split_statements, sql)
                statements.SCANNER_SPLIT_AT = limit
            verdict = timed("classify at the default limit", classify, sql)
            print(f"    -> {verdict.command or 'read'}: {verdict.reason[:60]}")  # type: ignore[attr-defined]
            verdict = timed("classify, no limit", classify, sql, max_bytes=0)
            print(f"    -> read={verdict.read}")  # type: ignore[attr-defined]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
