r"""Query pane on a big result, one run, beside psql on the same query and tunnel.

    uv run python bench/query.py [--rows 1000000] [--skip-wide] [--harlequin]

A sandbox in its own process (`staging-tui sandbox serve`, as `--sandbox` runs it:
Cloud SQL emulation in front of a real PostgreSQL) serves one instance seeded with
`big`, `--rows` rows x 6 columns (int, text, float8, timestamptz, bool, nullable
text), and `wide`, `--rows` rows x 20 mixed columns (text, numeric, timestamptz,
jsonb, int, float8, bool, NULLs). Each pane case runs in a fresh child process, so its
peak RSS is its own. Through the real tunnel (gcp/cloudsql.py):
  psql      `psql -c 'SELECT * FROM big' > /dev/null` (text protocol, C client);
  harlequin harlequin-postgres's adapter: connect, execute, fetchall (no limit), when
            importable here, or with --harlequin in a throwaway environment
            (`uv run --isolated --no-project --with harlequin-postgres`);
  session   QuerySession.stream() alone: first chunk, all rows (server-side cursor);
  pane      the app headless (Pilot, 120x40): F5 in the Query pane, time until the
            first rows are in the grid and drawn, until all rows are loaded,
            then the `end` keypress that scrolls to the last row;
  memory    peak RSS of the pane's process (the server runs elsewhere), before/after;
  export    the loaded result written to CSV and JSON lines from the pane's store
            (db/export.py), beside `psql -c "\copy (SELECT ...) TO file CSV HEADER"`
            and `\copy (SELECT row_to_json(t) FROM ... t) TO file`;
  stores    `--stores`: 1M x 6 streamed into the ResultStore (text mode) vs into
            pyarrow arrays built from psycopg's typed rows, each in a fresh process.
Targets (issue 18): first rows <= 100 ms; all rows <= 1.0 x psql; end <= 20 ms;
peak RSS <= 250 MB (big) and <= 600 MB (wide); export <= 2 x psql's \copy.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)   # not bench/: bench/secrets.py would shadow the stdlib

from staging_tui.db.session import QuerySession  # noqa: E402
from staging_tui.gcp.endpoints import Endpoints  # noqa: E402
from staging_tui.gcp.query_target import tunnel_target  # noqa: E402
from staging_tui.gcp.tunnels import Tunnels  # noqa: E402
from staging_tui.sandbox.sql_scenario import sql_instances  # noqa: E402

QUERY = "SELECT * FROM big"


WIDE_QUERY = "SELECT * FROM wide"


def seed(rows: int, wide: bool) -> str:
    sql = f"""
        CREATE TABLE big AS SELECT g AS id, 'name ' || g AS name, g * 1.5 AS value,
          timestamptz '2026-01-01' + g * interval '1 second' AS created,
          g % 2 = 0 AS flag,
          CASE WHEN g % 10 = 0 THEN NULL ELSE md5(g::text) END AS note
        FROM generate_series(1, {rows}) g;
        ANALYZE big;
    """
    if wide:
        sql += f"""
        CREATE TABLE wide AS SELECT g AS id, 'customer ' || g AS name,
          (g * 3.25)::numeric(12,2) AS amount,
          timestamptz '2026-01-01' + g * interval '1 second' AS created,
          timestamptz '2026-01-01' + g * interval '2 second' AS updated,
          jsonb_build_object('id', g, 'tags', jsonb_build_array('a', g % 7)) AS doc,
          CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || (g % 1000) END AS note,
          g % 2 = 0 AS flag, g * 0.5::float8 AS ratio, g % 100 AS bucket,
          md5(g::text) AS hash, CASE WHEN g % 5 = 0 THEN NULL ELSE g * 7 END AS ref,
          (g % 50)::numeric AS qty, 'status-' || (g % 4) AS status,
          CASE WHEN g % 4 = 0 THEN NULL ELSE
            timestamptz '2025-06-01' + g * interval '1 minute' END AS seen,
          g::text AS code, 'eu-' || (g % 3) AS region,
          CASE WHEN g % 7 = 0 THEN NULL ELSE jsonb_build_object('k', g % 10) END AS meta,
          g % 3 = 0 AS active, left(md5((g + 1)::text), 12) AS short
        FROM generate_series(1, {rows}) g;
        ANALYZE wide;
        """
    return sql


def scenario_toml(rows: int, wide: bool) -> str:
    return f"""
[project]
id = "bench-query"
region = "us-central1"
seed = 1

[[sql]]
name = "big-db"
database_version = "POSTGRES_15"
ip_types = ["PUBLIC"]
databases = ["bench"]
user = "bench"
password_secret = "bench-db-password"
seed = \"\"\"{seed(rows, wide)}\"\"\"
"""


def rss_mb() -> float:
    """Peak RSS of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _psql_binary() -> str | None:
    psql = shutil.which("psql") or next(iter(sorted(Path("/usr/lib/postgresql").glob(
        "*/bin/psql"), reverse=True)), None)
    return None if psql is None else str(psql)


def run_psql(dsn: str, query: str = QUERY) -> float | None:
    psql = _psql_binary()
    if psql is None:
        return None
    started = time.perf_counter()
    with open(os.devnull, "w") as null:
        subprocess.run([psql, dsn, "-X", "-q", "-c", query], stdout=null, check=True,
                       timeout=600, env={**os.environ, "PGCONNECT_TIMEOUT": "20"})
    return time.perf_counter() - started


async def wait_seeded(dsn: str) -> None:
    """The instance seeds on its first connection: wait for it (minutes for 1M x 20)."""
    from psycopg import conninfo

    session = QuerySession(conninfo.make_conninfo(dsn, connect_timeout=1800))
    await session.connect()
    await session.close()


async def run_session(dsn: str) -> tuple[float, float, int]:
    # The first connection starts the sandbox's PostgreSQL and seeds the rows (lazily):
    # on a busy machine that takes longer than the session's default 10 s connect timeout.
    session = QuerySession(dsn + "?connect_timeout=300", statement_timeout_s=600)
    await session.connect()
    started = time.perf_counter()
    first = 0.0
    total = 0
    async for chunk in session.stream(QUERY):
        if not first and chunk.rows:
            first = time.perf_counter() - started
        total += len(chunk.rows)
    elapsed = time.perf_counter() - started
    await session.close()
    return first, elapsed, total


async def run_pane(scenario_path: str, endpoints: dict[str, str], query: str, rows: int
                   ) -> dict[str, float]:
    """In a fresh process (`--pane`): the app, the query, the keys, then the export."""
    from staging_tui.compose import make_app, sandbox_profile
    from staging_tui.db.export import write_csv, write_jsonl
    from staging_tui.sandbox.scenario import load_scenario
    from staging_tui.ui.screens.query import QueryScreen
    from staging_tui.ui.widgets.result_grid import ResultGrid

    app = make_app(sandbox_profile(load_scenario(scenario_path)),
                   Endpoints.for_sandbox(endpoints))
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, QueryScreen)
        await _until(lambda: screen.session is not None and screen.catalog is not None,
                     lambda: f"connecting: {screen.status.render()}", 0.02)
        screen.editor.load_text(query)
        await pilot.pause()
        gc.collect()
        before = rss_mb()
        out["rss_now_before_mb"] = current_rss_mb()
        started = time.perf_counter()
        screen.action_run()           # what F5 does (pilot.press would wait for idle)

        def first_rows_drawn() -> bool:
            grids = screen.query(ResultGrid)
            return bool(grids) and bool(grids.last()._cache)     # a row line was rendered

        await _until(first_rows_drawn, lambda: f"first rows: {screen.status.render()}", 0.001)
        out["first_rows_s"] = time.perf_counter() - started
        grid = screen.query(ResultGrid).last()
        await _until(lambda: not screen.running, lambda: f"loading: {screen.status.render()}",
                     0.005)
        out["all_rows_s"] = time.perf_counter() - started
        assert grid.row_count == rows, (grid.row_count, str(screen.status.render()))
        out["rss_before_mb"], out["rss_peak_mb"] = before, rss_mb()
        out["store_mb"] = grid.store.nbytes / 2**20
        grid.focus()
        await pilot.pause()
        out["end_key_s"] = await _key(app, grid, "end", rows - 1)
        out["home_key_s"] = await _key(app, grid, "home", 0)
        started = time.perf_counter()
        await pilot.press("end")
        out["end_pilot_s"] = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            for name, writer in (("csv", write_csv), ("jsonl", write_jsonl)):
                started = time.perf_counter()
                writer(Path(tmp) / f"r.{name}", grid.columns, grid.store)
                out[f"export_{name}_s"] = time.perf_counter() - started
                out[f"export_{name}_mb"] = (Path(tmp) / f"r.{name}").stat().st_size / 2**20
        out["rss_after_export_mb"] = rss_mb()
        await app.action_quit()
    return out


def run_psql_copy(dsn: str, table: str) -> dict[str, float]:
    """psql's \\copy of the same rows to a CSV file and to JSON lines (row_to_json)."""
    psql = _psql_binary()
    out: dict[str, float] = {}
    if psql is None:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in (
                ("csv", f"\\copy (SELECT * FROM {table}) TO '{tmp}/r.csv' WITH CSV HEADER"),
                ("jsonl", f"\\copy (SELECT row_to_json(t) FROM {table} t) TO '{tmp}/r.jsonl'")):
            started = time.perf_counter()
            subprocess.run([psql, dsn, "-X", "-q", "-c", command], check=True, timeout=600,
                           stdout=subprocess.DEVNULL,
                           env={**os.environ, "PGCONNECT_TIMEOUT": "20"})
            out[f"copy_{name}_s"] = time.perf_counter() - started
    return out


async def run_store(kind: str, dsn: str) -> dict[str, float]:
    """In a fresh process (`--store`): 1M x 6 streamed into one kind of store."""
    import array as _array  # noqa: F401  (both kinds pay their imports inside the timing)

    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    session = QuerySession(dsn, statement_timeout_s=600)
    await session.connect()
    if kind == "text":
        from staging_tui.db.result_store import ResultStore
        store: Any = None
        async for chunk in session.stream(QUERY, as_text=True):
            if store is None:
                store = ResultStore(chunk.columns)
            store.append(chunk.rows)  # type: ignore[arg-type]
        count = len(store)
        held = store.nbytes
    else:
        import pyarrow as pa
        chunks: list[Any] = []
        async for chunk in session.stream(QUERY):
            if chunk.rows:
                chunks.append([pa.array(list(col)) for col in zip(*chunk.rows, strict=True)])
        count = sum(len(c[0]) for c in chunks)
        held = sum(a.nbytes for c in chunks for a in c)
    elapsed = time.perf_counter() - started
    await session.close()
    return {"s": elapsed, "rows": count, "held_mb": held / 2**20, "before_mb": before,
            "peak_mb": rss_mb()}


async def _until(condition: Any, what: Any, poll: float, timeout: float = 600.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"gave up waiting: {what()}")
        await asyncio.sleep(poll)


async def _key(app: Any, grid: Any, key: str, row: int) -> float:
    """Keypress to frame: the key goes to the app as the terminal driver sends it
    (bindings, focus); timed until the grid's cursor is on `row` and its visible
    lines were rendered again."""
    from textual import events

    grid._cache.clear()
    started = time.perf_counter()
    app.post_message(events.Key(key, None))
    await _until(lambda: grid.cursor_row == row and bool(grid._cache),
                 lambda: f"{key}: cursor {grid.cursor_row}", 0.0005, timeout=10)
    return time.perf_counter() - started


HARLEQUIN = """
import json, sys, time
from harlequin_postgres.adapter import HarlequinPostgresAdapter
started = time.perf_counter()
conn = HarlequinPostgresAdapter(conn_str=(sys.argv[1],)).connect()
connected = time.perf_counter()
cur = conn.execute(sys.argv[2])
rows = cur.fetchall()
print(json.dumps({"connect_s": connected - started,
                  "fetch_s": time.perf_counter() - connected, "rows": len(rows)}))
"""


def run_harlequin(dsn: str, isolated: bool) -> dict[str, float] | None:
    """harlequin-postgres's adapter fetching everything, in a child process."""
    import importlib.util
    import json

    if importlib.util.find_spec("harlequin_postgres") is not None:
        command = [sys.executable, "-c", HARLEQUIN, dsn, QUERY]
    elif isolated and shutil.which("uv"):
        command = ["uv", "run", "--quiet", "--isolated", "--no-project", "--with",
                   "harlequin-postgres", "python", "-c", HARLEQUIN, dsn, QUERY]
    else:
        return None
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        print("harlequin failed:", done.stderr.strip().splitlines()[-1:], flush=True)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result

async def _fresh_tunnel(endpoints: dict[str, str], scenario_path: str, work: Any) -> Any:
    from staging_tui.sandbox.scenario import load_scenario

    scen = load_scenario(scenario_path)
    tunnels = Tunnels(Endpoints.for_sandbox(endpoints), scen.project, sql_instances(scen))
    try:
        target = await tunnel_target(tunnels, "big-db")
        return await work(target.dsn)
    finally:
        await tunnels.close(drain_timeout=0)


def _child(*args: str) -> dict[str, float]:
    """This script in a fresh process; its last stdout line is a JSON dict."""
    import json

    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          timeout=1200, check=False)
    if done.returncode != 0:
        print(done.stderr[-3000:], flush=True)
        raise SystemExit(f"child {args[:2]} failed")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _ratio(a: float, b: float | None) -> str:
    return f"   ({a / b:.2f} x psql)" if b else ""


def _pane_lines(title: str, pane: dict[str, float], psql_s: float | None,
                copy: dict[str, float], peak_target: int) -> None:
    print(f"  {title}")
    print(f"    first rows on screen           {pane['first_rows_s'] * 1000:7.0f} ms"
          "   (target <= 100 ms)")
    print(f"    all rows loaded                {pane['all_rows_s']:7.2f} s"
          + _ratio(pane["all_rows_s"], psql_s) + "   (target <= 1.0 x)")
    print(f"    `end` keypress                 {pane['end_key_s'] * 1000:7.1f} ms"
          "   (target <= 20 ms)")
    print(f"    `home` keypress                {pane['home_key_s'] * 1000:7.1f} ms")
    print(f"    `end` via Pilot.press          {pane['end_pilot_s'] * 1000:7.1f} ms"
          "   (includes Pilot's wait for idle)")
    print(f"    peak RSS                       {pane['rss_peak_mb']:7.0f} MB"
          f"   (before the query: peak {pane['rss_before_mb']:.0f} MB, current "
          f"{pane['rss_now_before_mb']:.0f} MB; store "
          f"{pane['store_mb']:.0f} MB; target <= {peak_target} MB)")
    for name in ("csv", "jsonl"):
        ours, theirs = pane[f"export_{name}_s"], copy.get(f"copy_{name}_s")
        print(f"    export {name:5}                   {ours:7.2f} s"
              + (f"   (psql \\copy {theirs:.2f} s: {ours / theirs:.2f} x; target <= 2 x)"
                 if theirs else "") + f"   {pane[f'export_{name}_mb']:.0f} MB")
    print(f"    peak RSS after the export      {pane['rss_after_export_mb']:7.0f} MB")


async def main_async(rows: int, harlequin: bool, wide: bool, stores: bool) -> None:
    from staging_tui.sandbox.process import SandboxProcess

    tmp = Path(tempfile.mkdtemp(prefix="bench-query-"))
    scenario_path = tmp / "scenario.toml"
    scenario_path.write_text(scenario_toml(rows, wide))
    print(f"seeding {rows:,} rows x 6 columns" + (" and x 20 columns" if wide else "")
          + " in a sandbox process ...", flush=True)
    sandbox = SandboxProcess(scenario_path)
    endpoints = await asyncio.to_thread(sandbox.wait, 1800.0)
    ep, sp = json_arg(endpoints), str(scenario_path)
    try:
        started = time.perf_counter()
        await _fresh_tunnel(endpoints, sp, wait_seeded)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        first, session_s, total = await _fresh_tunnel(endpoints, sp, run_session)
        print("session done; the pane ...", flush=True)
        pane = _child("--pane", "big", "--endpoints", ep, "--scenario", sp, "--rows", str(rows))
        wide_pane = (_child("--pane", "wide", "--endpoints", ep, "--scenario", sp, "--rows",
                            str(rows)) if wide else None)
        print("pane done; psql ...", flush=True)
        psql_connect = await _fresh_tunnel(
            endpoints, sp, lambda dsn: asyncio.to_thread(run_psql, dsn, "SELECT 1"))
        psql_s = await _fresh_tunnel(endpoints, sp,
                                     lambda dsn: asyncio.to_thread(run_psql, dsn, QUERY))
        wide_psql = (await _fresh_tunnel(endpoints, sp, lambda dsn: asyncio.to_thread(
            run_psql, dsn, WIDE_QUERY)) if wide else None)
        copy = await _fresh_tunnel(endpoints, sp,
                                   lambda dsn: asyncio.to_thread(run_psql_copy, dsn, "big"))
        wide_copy = (await _fresh_tunnel(endpoints, sp, lambda dsn: asyncio.to_thread(
            run_psql_copy, dsn, "wide")) if wide else {})
        store_runs = {kind: _child("--store", kind, "--endpoints", ep, "--scenario", sp)
                      for kind in ("text", "pyarrow")} if stores else {}
        print("psql done; harlequin ...", flush=True)
        harl = await _fresh_tunnel(
            endpoints, sp, lambda dsn: asyncio.to_thread(run_harlequin, dsn, harlequin))
    finally:
        sandbox.stop()
    print(f"\nSELECT * FROM big: {total:,} rows x 6 columns through the tunnel")
    if psql_s:
        print(f"  psql -c ... > /dev/null          {psql_s:7.2f} s   (of which connecting "
              f"~{psql_connect or 0:.2f} s: psql -c 'SELECT 1')")
    else:
        print("  psql                             not found")
    if harl:
        print(f"  harlequin-postgres fetchall      {harl['fetch_s']:7.2f} s"
              + _ratio(harl["fetch_s"], psql_s)
              + f"   (+ connect {harl['connect_s']:.2f} s; {int(harl['rows']):,} rows)")
    else:
        print("  harlequin-postgres adapter       not installed (--harlequin fetches it)")
    print(f"  session: first chunk             {first * 1000:7.0f} ms")
    print(f"  session: all rows                {session_s:7.2f} s" + _ratio(session_s, psql_s))
    _pane_lines("pane, 1M x 6 (big):", pane, psql_s, copy, 250)
    if wide_pane is not None:
        print(f"\nSELECT * FROM wide: {rows:,} rows x 20 mixed columns; psql "
              f"{wide_psql or 0:.2f} s")
        _pane_lines("pane, 1M x 20 (wide):", wide_pane, wide_psql, wide_copy, 600)
    for kind, run in store_runs.items():
        print(f"  store {kind:8} 1M x 6: {run['s']:6.2f} s, holds {run['held_mb']:5.0f} MB, "
              f"peak RSS {run['peak_mb']:5.0f} MB (before {run['before_mb']:.0f} MB)")


def json_arg(value: Any) -> str:
    import json

    return json.dumps(value)


def main() -> None:
    import faulthandler
    import json

    faulthandler.dump_traceback_later(1800, exit=True)   # a hung run dumps, then ends
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--harlequin", action="store_true",
                        help="measure harlequin-postgres in a throwaway uv environment")
    parser.add_argument("--skip-wide", action="store_true", help="only the 6-column table")
    parser.add_argument("--stores", action="store_true",
                        help="also compare the text store with pyarrow arrays")
    parser.add_argument("--pane", choices=("big", "wide"), help=argparse.SUPPRESS)
    parser.add_argument("--store", choices=("text", "pyarrow"), help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="bench-query-"))
    if args.pane:
        query = QUERY if args.pane == "big" else WIDE_QUERY
        result = asyncio.run(run_pane(args.scenario, json.loads(args.endpoints), query,
                                      args.rows))
        print(json.dumps(result))
    elif args.store:
        result = asyncio.run(_fresh_tunnel(json.loads(args.endpoints), args.scenario,
                                           lambda dsn: run_store(args.store, dsn)))
        print(json.dumps(result))
    else:
        asyncio.run(main_async(args.rows, args.harlequin, not args.skip_wide, args.stores))


if __name__ == "__main__":
    main()
