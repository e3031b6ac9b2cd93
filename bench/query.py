"""Query pane on a big result, one run, beside psql on the same query and tunnel.

    uv run python bench/query.py [--rows 1000000]

A sandbox (Cloud SQL emulation in front of a real PostgreSQL) serves one instance
seeded with a table of `--rows` rows x 6 columns (int, text, float8, timestamptz,
bool, nullable text). Through the real tunnel (gcp/cloudsql.py):
  psql      `psql -c 'SELECT * FROM big' > /dev/null` (text protocol, C client);
  harlequin harlequin-postgres's adapter: connect, execute, fetchall (no limit), when
            importable here, or with --harlequin in a throwaway environment
            (`uv run --isolated --no-project --with harlequin-postgres`);
  session   QuerySession.stream() alone: first chunk, all rows (server-side cursor);
  pane      the app headless (Pilot, 120x40): F5 in the Query pane, time until the
            first rows are in the grid and drawn, until all rows are loaded,
            then the `end` keypress that scrolls to the last row;
  memory    peak RSS of this process (the server runs elsewhere), before/after.
Targets: first rows <= 0.3 s; all rows <= 2 x psql; memory <= 600 MB; end <= 50 ms.
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
sys.path.insert(0, str(ROOT))

from staging_tui.db.session import QuerySession  # noqa: E402
from staging_tui.gcp.endpoints import Endpoints  # noqa: E402
from staging_tui.gcp.query_target import tunnel_target  # noqa: E402
from staging_tui.gcp.tunnels import Tunnels  # noqa: E402
from staging_tui.sandbox.scenario import scenario_from_dict  # noqa: E402
from staging_tui.sandbox.server import SandboxThread  # noqa: E402
from staging_tui.sandbox.sql_scenario import sql_instances  # noqa: E402

QUERY = "SELECT * FROM big"


def scenario(rows: int) -> dict[str, Any]:
    return {
        "project": {"id": "bench-query", "region": "us-central1", "seed": 1},
        "sql": [{
            "name": "big-db", "database_version": "POSTGRES_15", "ip_types": ["PUBLIC"],
            "databases": ["bench"], "user": "bench", "password_secret": "bench-db-password",
            "seed": f"""
                CREATE TABLE big AS SELECT g AS id, 'name ' || g AS name, g * 1.5 AS value,
                  timestamptz '2026-01-01' + g * interval '1 second' AS created,
                  g % 2 = 0 AS flag,
                  CASE WHEN g % 10 = 0 THEN NULL ELSE md5(g::text) END AS note
                FROM generate_series(1, {rows}) g;
                ANALYZE big;
            """,
        }],
    }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_psql(dsn: str, query: str = QUERY) -> float | None:
    psql = shutil.which("psql") or next(iter(sorted(Path("/usr/lib/postgresql").glob(
        "*/bin/psql"), reverse=True)), None)
    if psql is None:
        return None
    started = time.perf_counter()
    with open(os.devnull, "w") as null:
        subprocess.run([str(psql), dsn, "-X", "-q", "-c", query], stdout=null, check=True,
                       timeout=300, env={**os.environ, "PGCONNECT_TIMEOUT": "20"})
    return time.perf_counter() - started


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


async def run_pane(sandbox: Any, rows: int) -> dict[str, float]:
    from staging_tui.compose import make_app, sandbox_profile
    from staging_tui.ui.screens.query import QueryScreen
    from staging_tui.ui.widgets.result_grid import ResultGrid

    app = make_app(sandbox_profile(sandbox.scenario), Endpoints.for_sandbox(sandbox.endpoints))
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, QueryScreen)
        await _until(lambda: screen.session is not None and screen.catalog is not None,
                     lambda: f"connecting: {screen.status.render()}", 0.02)
        screen.editor.load_text(QUERY)
        await pilot.pause()
        gc.collect()
        before = rss_mb()
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
        assert grid.row_count == rows, grid.row_count
        out["rss_before_mb"], out["rss_peak_mb"] = before, rss_mb()
        grid.focus()
        await pilot.pause()
        out["end_key_s"] = await _key(app, grid, "end", rows - 1)
        out["home_key_s"] = await _key(app, grid, "home", 0)
        started = time.perf_counter()
        await pilot.press("end")
        out["end_pilot_s"] = time.perf_counter() - started
        await app.action_quit()
    return out


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


async def _harlequin_fresh_tunnel(sandbox: Any, isolated: bool) -> dict[str, float] | None:
    scen = sandbox.scenario
    tunnels = Tunnels(Endpoints.for_sandbox(sandbox.endpoints), scen.project,
                      sql_instances(scen))
    try:
        target = await tunnel_target(tunnels, "big-db")
        return await asyncio.to_thread(run_harlequin, target.dsn, isolated)
    finally:
        await tunnels.close(drain_timeout=0)


async def _psql_fresh_tunnel(sandbox: Any, query: str) -> float | None:
    scen = sandbox.scenario
    tunnels = Tunnels(Endpoints.for_sandbox(sandbox.endpoints), scen.project,
                      sql_instances(scen))
    try:
        target = await tunnel_target(tunnels, "big-db")
        return await asyncio.to_thread(run_psql, target.dsn, query)
    finally:
        await tunnels.close(drain_timeout=0)


async def main_async(rows: int, harlequin: bool) -> None:
    thread = SandboxThread(scenario_from_dict(scenario(rows), source="<bench query>"))
    print(f"seeding {rows:,} rows x 6 columns in the sandbox ...", flush=True)
    sandbox = thread.start()
    try:
        scen = sandbox.scenario
        tunnels = Tunnels(Endpoints.for_sandbox(sandbox.endpoints), scen.project,
                          sql_instances(scen))
        target = await tunnel_target(tunnels, "big-db")
        first, session_s, total = await run_session(target.dsn)
        await tunnels.close()
        print("session done; the pane ...", flush=True)
        pane = await run_pane(sandbox, rows)
        print("pane done; psql ...", flush=True)
        # psql last, each run on a fresh tunnel: after a psql client disconnects, the
        # next client through the same tunnel stalls (reported to the tunnel's owner)
        psql_connect = await _psql_fresh_tunnel(sandbox, "SELECT 1")
        psql_s = await _psql_fresh_tunnel(sandbox, QUERY)
        print("psql done; harlequin ...", flush=True)
        harl = await _harlequin_fresh_tunnel(sandbox, harlequin)
    finally:
        thread.stop()
    psql_best = psql_s
    print(f"\nSELECT * FROM big: {total:,} rows x 6 columns through the tunnel")
    if psql_best:
        print(f"  psql -c ... > /dev/null          {psql_best:7.2f} s   (of which connecting "
              f"~{psql_connect or 0:.2f} s: psql -c 'SELECT 1')")
    else:
        print("  psql                             not found")
    if harl:
        print(f"  harlequin-postgres fetchall      {harl['fetch_s']:7.2f} s"
              + (f"   ({harl['fetch_s'] / psql_best:.2f} x psql)" if psql_best else "")
              + f"   (+ connect {harl['connect_s']:.2f} s; {int(harl['rows']):,} rows)")
    else:
        print("  harlequin-postgres adapter       not installed (--harlequin fetches it)")
    print(f"  session: first chunk             {first * 1000:7.0f} ms")
    print(f"  session: all rows                {session_s:7.2f} s"
          + (f"   ({session_s / psql_best:.2f} x psql)" if psql_best else ""))
    print(f"  pane: first rows on screen       {pane['first_rows_s'] * 1000:7.0f} ms"
          "   (target <= 300 ms)")
    print(f"  pane: all rows loaded            {pane['all_rows_s']:7.2f} s"
          + (f"   ({pane['all_rows_s'] / psql_best:.2f} x psql, target <= 2 x)"
             if psql_best else ""))
    print(f"  pane: `end` keypress             {pane['end_key_s'] * 1000:7.1f} ms"
          "   (target <= 50 ms)")
    print(f"  pane: `home` keypress            {pane['home_key_s'] * 1000:7.1f} ms")
    print(f"  pane: `end` via Pilot.press      {pane['end_pilot_s'] * 1000:7.1f} ms"
          "   (includes Pilot's wait for idle)")
    print(f"  peak RSS                         {pane['rss_peak_mb']:7.0f} MB"
          f"   (before the query {pane['rss_before_mb']:.0f} MB; target <= 600 MB)")


def main() -> None:
    import faulthandler
    faulthandler.dump_traceback_later(900, exit=True)   # a hung run dumps, then ends
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--harlequin", action="store_true",
                        help="measure harlequin-postgres in a throwaway uv environment")
    args = parser.parse_args()
    os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="bench-query-"))
    asyncio.run(main_async(args.rows, args.harlequin))


if __name__ == "__main__":
    main()
