"""The Query pane driven by Pilot: type SQL, run it through the sandbox's Cloud SQL
tunnel to a real PostgreSQL, and check what the pane shows."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from fixtures_query import (
    error_box,
    grid,
    instances_admin_dsn,
    open_query,
    put_sql,
    run_and_wait,
    sleeping_on_the_server,
    status,
    type_sql,
)
from textual.app import Notify
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Label, Static
from ui_app import make_app, sandbox_profile
from waiting import settled, until, workers_done

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.query import QueryScreen
from staging_tui.ui.screens.query_dialogs import CellScreen, ConfirmScreen


async def test_select_shows_rows_types_and_nulls(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "SELECT id, site, NULL::text AS a, 'NULL' AS b "
                                     "FROM sample ORDER BY id LIMIT 3")
        await run_and_wait(pilot, screen)
        g = grid(screen)
        assert [c.name for c in g.columns] == ["id", "site", "a", "b"]
        assert [c.type_name for c in g.columns] == ["int4", "text", "text", "text"]
        assert g.row_count == 3 and g.rows[0][2] is None and g.rows[0][3] == "NULL"
        assert status(screen).startswith("3 rows")
        # what is drawn: NULL as ∅, the string as NULL
        g.focus()
        await pilot.pause()
        line = "".join(seg.text for seg in g.render_line(1))
        assert "∅" in line and "NULL" in line
        session_line = str(screen.query_one("#query-session", Static).render())
        assert session_line.startswith("biocirv_readonly@biocirv via tunnel biocirv-db | idle | "
                                       "read-only")


async def test_several_statements_cursor_selection_and_run_all(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        screen.editor.load_text("SELECT 1 AS one;\nSELECT 2 AS two;\nSELECT 3 AS three")
        screen.editor.move_cursor((1, 3))
        await run_and_wait(pilot, screen, "ctrl+enter")
        assert grid(screen).columns[0].name == "two"
        assert screen.editor.text.count("\n") == 2             # ctrl+enter added no line
        screen.editor.select_all()
        await run_and_wait(pilot, screen)
        assert grid(screen).columns[0].name == "three"
        assert len(screen.results) == 4
        await run_and_wait(pilot, screen, "f9")
        assert len(screen.results) == 7 and list(grid(screen).rows) == [(3,)]


async def test_writes_refused_and_errors_point_at_the_position(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "DELETE FROM sample")
        await run_and_wait(pilot, screen)
        assert error_box(screen).startswith("REFUSED: DELETE")
        assert "read_only = false" in error_box(screen)
        screen.editor.load_text("SELECT 1;\nSELECT nosuch\n  FROM sample")
        screen.editor.move_cursor((1, 2))
        await run_and_wait(pilot, screen)
        assert error_box(screen).startswith("ERROR at line 2, column 8: column \"nosuch\"")
        assert screen.editor.cursor_location == (1, 7)
        assert not await _write_mode_available(pilot, screen)


async def _write_mode_available(pilot: Pilot[Any], screen: QueryScreen) -> bool:
    await pilot.press("f2")
    await until(lambda: isinstance(pilot.app.screen, ConfirmScreen) or not any(
        w.group == "query-write" and w.is_running for w in pilot.app.workers), pilot,
        what="f2 to ask, or to end without asking")
    return isinstance(pilot.app.screen, ConfirmScreen)


async def test_write_mode_and_destructive_confirmations(sandbox: RunningSandbox) -> None:
    settings = sandbox_profile(sandbox, read_only=False, environment="sandbox-env")
    app = make_app(sandbox, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await pilot.press("f2")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "sandbox-env" in str(confirm.query_one(".title", Label).render())
        await pilot.press("y")
        await workers_done(pilot, "query-write")
        assert screen.session is not None and screen.session.write_mode
        assert "WRITE" in str(screen.query_one("#query-session", Static).render())
        await put_sql(pilot, screen, "CREATE TEMP TABLE scratch AS SELECT 1 AS a")
        await run_and_wait(pilot, screen)
        screen.editor.load_text("DELETE FROM scratch")
        await pilot.press("f5")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot)  # vetted in a thread
        assert "sandbox-env" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.press("n")
        await run_and_wait(pilot, screen, "f13")
        assert "not confirmed" in status(screen)
        await pilot.press("f5")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot)
        await pilot.press("y")
        await run_and_wait(pilot, screen, "f13")
        assert status(screen).startswith("DELETE 1")



async def test_meta_commands_quality_cell_viewer_and_export(sandbox: RunningSandbox,
                                                            tmp_path: Path) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "\\dm")
        await run_and_wait(pilot, screen)
        assert grid(screen).rows[0][1] == "analysis_average_view"
        await put_sql(pilot, screen, "SELECT * FROM analysis_average_view")
        await pilot.press("f3")
        await until(lambda: "quality" in status(screen), pilot)
        await settled(pilot)
        quality = {row[0]: row for row in grid(screen).rows}
        assert quality["average_value"][1] > 0          # the NULLs seed 000 found
        await put_sql(pilot, screen, "SELECT jsonb_build_object('site', 'x', 'n', 2) AS doc")
        await run_and_wait(pilot, screen)
        await pilot.press("f4")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CellScreen), pilot)
        assert '"site": "x"' in str(app.screen.query_one("#cell-value", Static).render())
        await pilot.press("escape")
        target = tmp_path / "out.jsonl"
        await pilot.press("ctrl+s")
        await until(lambda: app.screen.query("#export-path"), pilot)
        field = app.screen.query_one("#export-path")
        field.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(lambda: f"exported 1 rows to {target}" in status(screen), pilot)
        assert target.read_text() == '{"doc": {"n": 2, "site": "x"}}\n'
        assert target.stat().st_mode & 0o777 == 0o600
        assert f"exported 1 rows to {target}" in status(screen)


async def test_completion_history_and_cancel(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await type_sql(pilot, screen, "SELECT * FROM analysis_av")
        await pilot.press("tab")
        assert screen.editor.text == "SELECT * FROM analysis_average_view"
        await put_sql(pilot, screen, "SELECT pg_sleep(20)")
        await pilot.press("f5")
        await sleeping_on_the_server(instances_admin_dsn(sandbox))
        await pilot.press("ctrl+c")
        await run_and_wait(pilot, screen, "f13")
        assert "query cancelled" in error_box(screen)
        await put_sql(pilot, screen, "SELECT 7 AS seven")
        await run_and_wait(pilot, screen)
        assert list(grid(screen).rows) == [(7,)]
        screen.editor.load_text("")
        await pilot.press("ctrl+up")
        assert screen.editor.text == "SELECT 7 AS seven"
        await pilot.press("ctrl+up")
        assert screen.editor.text == "SELECT pg_sleep(20)"


def test_protected_profile_never_offers_write_mode(sandbox: RunningSandbox) -> None:
    settings = replace(sandbox_profile(sandbox), read_only=False, protected=True)
    assert not settings.writable


async def test_expanded_display(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await put_sql(pilot, screen, "\\x")
        await run_and_wait(pilot, screen)
        assert "Expanded display is on" in status(screen)
        await put_sql(pilot, screen, "SELECT 1 AS a, NULL AS b")
        await run_and_wait(pilot, screen)
        g = grid(screen)
        assert g.expanded
        lines = ["".join(s.text for s in g.render_line(y)) for y in range(3)]
        assert lines[0].startswith("-[ RECORD 1 ]")
        assert lines[1].startswith("a | 1") and lines[2].startswith("b | ∅")
    await asyncio.sleep(0)


async def test_escape_leaves_the_editor_so_number_keys_switch_panes(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        await type_sql(pilot, screen, "select 1")
        assert screen.editor.text == "select 1"  # digits typed in the editor stay there
        await pilot.press("escape")
        assert not screen.editor.has_focus
        await pilot.press("1")
        assert app.current_mode == "services"
        await pilot.press("5")
        assert screen.editor.has_focus  # back in the pane, typing goes to the editor
        await pilot.press("escape", "escape")  # out, and back in
        assert screen.editor.has_focus


async def test_issue_bypasses_are_refused_in_the_pane(sandbox: RunningSandbox) -> None:
    """Issue 11's bypass through the pane, logged in as a role that can write (no
    read_only_user): refused, the server's read-only mode and the sequence untouched,
    and the pane says once that only staging-tui keeps the session read-only."""
    settings = sandbox_profile(sandbox)
    settings = replace(settings, sql_instances=tuple(
        replace(i, read_only_user="") for i in settings.sql_instances))
    app = make_app(sandbox, settings)
    notes: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification.message)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = await open_query(pilot)
        await until(lambda: notes, pilot, what="the can-write note")
        assert len(notes) == 1 and "biocirv_app on biocirv-db: this role can write" in notes[0]
        await put_sql(pilot, screen, "SELECT last_value FROM sample_id_seq")
        await run_and_wait(pilot, screen)
        await until(lambda: list(grid(screen).rows), pilot)
        before = list(grid(screen).rows)
        await put_sql(pilot, screen,
                      "SELECT U&\"!0073et_config\" UESCAPE '!' "
                      "('default_transaction_read_only','off',false);\n"
                      "SELECT U&\"!0073etval\" UESCAPE '!' ('sample_id_seq', 99999)")
        await run_and_wait(pilot, screen, "f9")
        assert error_box(screen).startswith("REFUSED: function set_config()")
        await put_sql(pilot, screen, "SELECT U&\"!0073etval\" UESCAPE '!' ('sample_id_seq', 9)")
        await run_and_wait(pilot, screen)
        assert error_box(screen).startswith("REFUSED: function setval()")
        await put_sql(pilot, screen, "SHOW default_transaction_read_only")
        await run_and_wait(pilot, screen)
        await until(lambda: list(grid(screen).rows) == [("on",)], pilot)
        await put_sql(pilot, screen, "SELECT last_value FROM sample_id_seq")
        await run_and_wait(pilot, screen)
        await until(lambda: list(grid(screen).rows) == before, pilot)
        assert "read-only" in str(screen.query_one("#query-session", Static).render())


async def test_a_large_statement_never_freezes_the_pane(sandbox: RunningSandbox) -> None:
    """Split and vetted in threads: while the pane parses a pasted 1.3 MB statement,
    keys are still handled; over max_statement_bytes it is refused as too large.
    (10 MB: bench/classifier.py; Textual's TextArea itself takes long to load that
    much text, so the test uses less.)"""
    app = make_app(sandbox)
    during: list[str] = []     # messages the app handled while the statement was vetted

    def hook(message: Message) -> None:
        screen = app.screen_stack[-1] if app.screen_stack else None
        # until the statement is vetted, the status line still shows the last refusal
        if isinstance(screen, QueryScreen) and screen.running and (
                "too large" in status(screen)):
            during.append(type(message).__name__)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = await open_query(pilot)
        rows = ",\n".join(f"({i}, 'site-{i}', {i}.5)" for i in range(40_000))
        huge = f"SELECT count(*) FROM (VALUES\n{rows}) AS v(id, site, x)"
        assert len(huge) > 1_000_000
        screen.editor.language = None       # highlighting 1 MB is not what is tested
        screen.editor.load_text(huge)
        await run_and_wait(pilot, screen)
        assert "too large to check" in error_box(screen)
        assert "max_statement_bytes" in error_box(screen)
        assert screen.session is not None
        screen.session.max_statement_bytes = 0                # no limit: really parse it
        await pilot.press("f5")
        while screen.running:
            await pilot.press("ctrl+c")
        # messages (keys, timers, repaints) were handled while the classifier parsed
        assert during, "the app handled nothing while the statement was vetted"


async def test_the_cancel_key_shows_in_the_footer_while_a_statement_runs(
        sandbox: RunningSandbox) -> None:
    """ctrl+c works as soon as the run starts; its footer hint comes a moment later (the
    footer's rebuild no longer holds back the first rows) and goes when the run ends."""
    from textual.widgets._footer import FooterKey

    def cancel_shown() -> bool:
        return any(key.action == "cancel" for key in app.screen.query(FooterKey))

    app = make_app(sandbox)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_query(pilot)
        assert not cancel_shown()
        await put_sql(pilot, screen, "SELECT pg_sleep(20)")
        await pilot.press("f5")
        await until(cancel_shown, pilot, what="ctrl+c in the footer while running")
        await pilot.press("ctrl+c")
        await until(lambda: not screen.running, pilot)
        assert "query cancelled" in error_box(screen)
        await until(lambda: not cancel_shown(), pilot, what="no ctrl+c once it ended")
