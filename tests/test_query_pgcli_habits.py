"""pgcli habits in the Query pane: Enter runs a statement ending with `;` (ctrl+j / alt+enter
for a new line), completion pops up while typing (tables, columns of the tables named,
functions, keywords), `\\e` opens $EDITOR, `\\copy` writes a result to a file, ctrl+r
searches the history (run all moved to f9)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fixtures_query import open_query
from textual.widgets import OptionList
from ui_app import make_app
from waiting import until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.screens.history_search import HistorySearchScreen
from staging_tui.ui.widgets.result_tabs import ResultTabs


async def test_enter_runs_after_a_semicolon_and_ctrl_j_breaks_the_line(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        screen.editor.load_text("")
        await pilot.press(*"SELECT", "ctrl+j", *"1 AS a", "enter")  # no ';': a new line
        assert screen.editor.text == "SELECT\n1 AS a\n" and not screen.results
        await pilot.press("backspace", "semicolon", "enter")
        await until(lambda: screen.results and not screen.running, pilot)
        assert screen.editor.text == "SELECT\n1 AS a;"  # Enter ran it, added nothing
        assert str(screen.status.render()).startswith("1 row")
        screen.editor.load_text("")
        await pilot.press(*"SELECT 2 AS b;", "enter")
        await until(lambda: len(screen.results) == 2 and not screen.running, pilot)
        # ctrl+r: the history, searched
        screen.editor.load_text("")
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, HistorySearchScreen)
        await pilot.press(*"AS a", "enter")
        assert screen.editor.text == "SELECT\n1 AS a"  # the statement, as history keeps it


async def test_completion_pops_up_while_typing(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        popup = screen.query_one("#query-popup", OptionList)
        screen.editor.load_text("")
        await pilot.press(*"SELECT * FROM samp")
        await until(lambda: popup.display and popup.option_count, pilot)
        assert str(popup.get_option_at_index(0).prompt) == "sample"
        await pilot.press("tab")
        assert screen.editor.text == "SELECT * FROM sample" and not popup.display
        await pilot.press(*" WHERE si")  # a column of the table named in FROM
        await until(lambda: popup.display, pilot)
        assert "site" in [str(popup.get_option_at_index(i).prompt)
                          for i in range(popup.option_count)]
        await pilot.press("escape")
        assert not popup.display
        screen.editor.load_text("")
        await pilot.press(*"SELECT coal")  # a function
        await until(lambda: popup.display, pilot)
        await pilot.press("enter")  # Enter accepts while the popup is open
        assert screen.editor.text == "SELECT coalesce"


async def test_copy_writes_a_result_to_a_file(sandbox: RunningSandbox, tmp_path: Path) -> None:
    target = tmp_path / "sites.csv"
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        screen.editor.load_text(f"\\copy (SELECT DISTINCT site FROM sample ORDER BY site) TO "
                                f"'{target}' CSV HEADER")
        screen.editor.move_cursor((0, len(screen.editor.text)))
        await pilot.press("enter")  # a \\ line runs on Enter
        await until(lambda: target.exists() and not screen.running, pilot)
        lines = target.read_text().splitlines()
        assert lines[0].strip('"') == "site" and lines[1].strip('"') == "site-0"
        assert "COPY" in str(screen.status.render())
        assert not screen.query_one(ResultTabs).results  # a file, not a tab


async def test_backslash_e_opens_the_editor(sandbox: RunningSandbox, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\ngrep -q "SELECT 1" "$1" && echo "SELECT 42 AS answer;" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(editor))  # a real program, as $EDITOR always is
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_query(pilot)
        screen.editor.load_text("SELECT 1\n\\e")
        screen.editor.move_cursor((1, 2))
        await pilot.press("enter")
        await until(lambda: "answer" in screen.editor.text, pilot)
        assert screen.editor.text == "SELECT 42 AS answer;"
