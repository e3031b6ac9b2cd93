"""The Query pane's connection through the sandbox's Cloud SQL tunnels: `\\c` lists and
switches instances, a stopped tunnel is started again on the next statement (and the
pane says it reconnected), an unreachable instance says why, and a failed statement
leaves no empty result tab."""

from __future__ import annotations

from fixtures_query import error_box, grid, open_query, put_sql, run_and_wait, status
from textual.widgets import Static
from ui_app import make_app
from waiting import until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.result_tabs import ResultTabs


def session_line(screen: object) -> str:
    return str(screen.query_one("#query-session", Static).render())  # type: ignore[attr-defined]


async def test_backslash_c_lists_and_switches_instances(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        assert screen.query_one(ResultTabs).has_class("-empty")      # the hint shows
        await put_sql(pilot, screen, "\\c")
        await run_and_wait(pilot, screen)
        rows = {row[0]: row for row in grid(screen).rows}
        assert set(rows) == {"biocirv-db", "netra-shared", "legacy-reports"}
        assert rows["biocirv-db"][4] == "ready" and rows["biocirv-db"][5] == "◀ current"
        await put_sql(pilot, screen, "\\c netra-shared")
        await run_and_wait(pilot, screen)
        await until(lambda: session_line(screen).startswith(
            "netra@netra via tunnel netra-shared | idle"), pilot)
        assert session_line(screen).startswith("netra@netra via tunnel netra-shared | idle")
        await put_sql(pilot, screen, "SELECT current_user, current_database()")
        await run_and_wait(pilot, screen)
        assert grid(screen).rows == [("netra", "netra")]
        await put_sql(pilot, screen, "\\c nosuch")
        await run_and_wait(pilot, screen)
        assert "unknown Cloud SQL instance 'nosuch'" in error_box(screen)


async def test_unreachable_instance_says_why(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "\\c legacy-reports")
        await run_and_wait(pilot, screen)
        await until(lambda: "cannot connect" in status(screen), pilot)
        assert "cannot connect to legacy-reports through its tunnel" in status(screen)
        assert "unreachable" in status(screen)
        # the session stays on the instance that works
        assert session_line(screen).startswith("biocirv_readonly@biocirv")


async def test_stopped_tunnel_is_restarted_on_the_next_statement(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        tunnels = await app.backend.tunnels()
        await tunnels.stop("biocirv-db", drain_timeout=0)
        await put_sql(pilot, screen, "SELECT 42 AS answer")
        await run_and_wait(pilot, screen)
        assert grid(screen).rows == [(42,)]
        assert "connection was lost; reconnected" in status(screen)
        assert tunnels.get("biocirv-db") is not None                 # started again


async def test_failed_statement_leaves_no_empty_tab(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "SELECT 1 AS one")
        await run_and_wait(pilot, screen)
        await put_sql(pilot, screen, "SELECT nosuch FROM sample")
        await run_and_wait(pilot, screen)
        assert error_box(screen).startswith("ERROR at line 1, column 8")
        assert len(screen.results) == 1 and grid(screen).columns[0].name == "one"
