"""The Query pane's result store: a result past the profile's memory budget stops
loading with an honest line (never an out-of-memory), and the session stays usable;
the pane's cells, cell viewer and export come from the columnar store."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures_query import grid, open_query, put_sql, run_and_wait, status
from ui_app import make_app, sandbox_profile

from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.sandbox.server import RunningSandbox

WIDE = ("SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS note "
        "FROM generate_series(1, 300000) g")


async def test_a_result_past_the_budget_stops_loading_and_says_so(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox, sandbox_profile(sandbox, query_memory_mb=1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, WIDE)
        await run_and_wait(pilot, screen)
        loaded = grid(screen).row_count
        assert 0 < loaded < 300_000
        assert grid(screen).store.nbytes < 4 * 1024 * 1024
        assert f"first {loaded:,} rows loaded; the rest not fetched" in status(screen)
        assert "query_memory_mb = 1" in status(screen)
        await put_sql(pilot, screen, "SELECT 41 + 1 AS answer")      # the session still works
        await run_and_wait(pilot, screen)
        assert list(grid(screen).rows) == [(42,)]


async def test_the_whole_result_loads_under_the_default_budget(sandbox: RunningSandbox,
                                                               tmp_path: Path) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "SELECT g AS id, g % 2 = 0 AS even, "
                                     "CASE WHEN g % 3 = 0 THEN NULL ELSE 'v' || g END AS v, "
                                     "jsonb_build_object('g', g) AS j, g / 4.0 AS q, "
                                     "timestamptz '2026-01-01 00:00:00+00' AS at "
                                     "FROM generate_series(1, 30000) g")
        await run_and_wait(pilot, screen)
        g = grid(screen)
        assert g.row_count == 30_000 and "rest not fetched" not in status(screen)
        assert g.rows[2] == (3, False, None, {"g": 3}, g.rows[2][4], "2026-01-01 00:00:00+00")
        assert str(g.cell(2, 4)) == "0.75000000000000000000"
        assert write_csv(tmp_path / "r.csv", g.columns, g.store) == 30_000
        lines = (tmp_path / "r.csv").read_text().splitlines()
        assert lines[0] == '"id","even","v","j","q","at"'
        assert lines[3] == '3,false,,"{""g"": 3}",0.75000000000000000000,"2026-01-01 00:00:00+00"'
        assert write_jsonl(tmp_path / "r.jsonl", g.columns, g.store) == 30_000
        rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
        assert rows[2] == {"id": 3, "even": False, "v": None, "j": {"g": 3}, "q": 0.75,
                           "at": "2026-01-01 00:00:00+00"}
        assert len(rows) == 30_000 and rows[-2]["v"] == "v29999"
