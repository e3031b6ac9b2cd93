"""The Query pane: a SQL editor over a read-only session through the Cloud SQL tunnel.

The editor runs the statement under the cursor (or the selection) with f5 /
ctrl+enter, or every statement with f9. Each statement gets a result tab whose rows
stream in from a server-side cursor. Writes are refused unless write mode is on (f2:
only when the profile allows writes, confirmed once); destructive statements ask
again, naming the environment. ctrl+c cancels on the server; the connection stays.
`\\c NAME` switches to another instance of the profile. Export, data quality and
history live in `query_tools.py` (QueryTools, composed: `self.tools`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import aclosing, suppress

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static, TabbedContent

from staging_tui.db.completion import Catalog
from staging_tui.db.meta import run_meta
from staging_tui.db.session import INLINE_PARSE_CHARS, DestructiveStatement, QuerySession
from staging_tui.db.statements import Statement, split_statements, statement_at
from staging_tui.domain import CAN_WRITE_NOTE, Column
from staging_tui.errors import QueryError, StagingError
from staging_tui.process_memory import release_free_memory
from staging_tui.render.query import ResultInfo
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.query_dialogs import CellScreen, ConfirmScreen
from staging_tui.ui.screens.query_tools import QueryTools
from staging_tui.ui.widgets.result_grid import RESIZE_EVERY_S, ResultGrid
from staging_tui.ui.widgets.result_tabs import ResultTabs
from staging_tui.ui.widgets.sql_editor import SqlEditor
from staging_tui.ui.widgets.sql_error import SqlErrorBox
from staging_tui.ui.widgets.status_line import StatusLine

ROW_LIMIT = 1_000_000
CANCEL_HINT_AFTER_S = 0.3   # the footer's ctrl+c hint, after the first rows
FIRST_FRAME_WAIT_S = 0.1   # the next batch waits that long at most for the first rows' frame
_TRANSACTION_WORDS = ("set", "reset", "begin", "commit", "rollback", "end", "abort", "start")


class QueryScreen(PaneScreen):
    PANE_TITLE = "Query"
    DEFAULT_CSS = """
    #query-session { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    #query-session.-write { background: $error 40%; color: $text; }
    #query-popup { height: auto; max-height: 6; margin: 0 4; border: none;
                   background: $boost; }
    """
    BINDINGS = [
        Binding("f5,ctrl+enter", "run", "Run", id="query.run"),
        Binding("f9", "run_all", "Run all", id="query.run-all"),
        Binding("ctrl+r", "search_history", "History search", show=False,
                id="query.history-search"),
        Binding("ctrl+c", "cancel", "Cancel", priority=True, id="query.cancel"),
        Binding("f2", "write_mode", "Write mode", id="query.write-mode"),
        Binding("f3", "quality", "Quality", id="query.quality"),
        Binding("f4", "focus_results", "Results", id="query.focus-results"),
        Binding("escape", "focus_editor", "Editor ⇄ results", show=False,
                id="query.focus-editor"),
        Binding("ctrl+s", "export", "Export", id="query.export"),
        Binding("ctrl+up", "history(-1)", "History", show=False, id="query.history-back"),
        Binding("ctrl+down", "history(1)", "History", show=False, id="query.history-forward"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.session: QuerySession | None = None
        self.catalog: Catalog | None = None
        self.instance = ""
        self.running = False
        self._started = 0.0
        self._session_line = ""
        self._role_warned: set[tuple[str, str]] = set()
        self._dropped_error = ""  # a failed statement's error while its tab is removed
        self._popup: list[str] = []  # the completion popup's candidates
        self._popup_word = ""
        self.tools = QueryTools(self)

    def compose_body(self) -> ComposeResult:
        yield SqlEditor("", id="query-editor")
        yield OptionList(id="query-popup", classes="-hidden")
        yield SqlErrorBox(id="query-error")
        yield ResultTabs(id="query-results")
        yield StatusLine("", id="query-status")
        yield Static("not connected", id="query-session", markup=False)

    @property
    def editor(self) -> SqlEditor:
        return self.query_one(SqlEditor)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#query-status", StatusLine)

    @property
    def results(self) -> dict[str, ResultInfo]:
        return self.query_one(ResultTabs).results

    def on_mount(self) -> None:
        self.query_one("#query-popup", OptionList).can_focus = False  # the editor keeps it
        self.editor.focus()
        self.editor.move_cursor((0, len(self.editor.text)))
        if self.settings.sql_instances:
            self.open_instance(self.settings.sql_instances[0].connection_name)
        else:
            self.status.info("no Cloud SQL instance in this profile: add [[profiles.NAME.sql]]")
        self.set_interval(0.5, self._tick)

    # ------------------------------------------------------------------ connecting
    def open_instance(self, name: str) -> None:
        """Query `name` (a profile instance) through its tunnel (`\\c NAME`, or a
        hook for other panes)."""
        self.instance = name
        self._connect()

    def use_session(self, session: QuerySession) -> None:
        """Query through a session someone else opened (tests, a DSN from the CLI)."""
        self.session = session
        self._load_catalog()

    @work(exclusive=True, group="query-connect", exit_on_error=False)
    async def _connect(self) -> None:
        name = self.instance
        short = name.rsplit(":", 1)[-1]
        self.status.busy(f"opening the tunnel to {short}")
        try:
            session = await self.backend.query_session(name, pane=True)
            await session.connect()
            # the third wall: could this role write if the read-only session fell?
            privileges = await _write_privileges(session) if not session.allow_writes else ()
        except StagingError as error:
            self.status.error(await self._why_not(name, error), f"\\c {short}")
            return
        old, self.session = self.session, session
        if old is not None:
            session.timing, session.expanded = old.timing, old.expanded
            await old.close()
        self.status.info(f"connected to {short}: f5 runs the statement under the cursor")
        self.refresh_session_line()
        self._load_catalog()
        user = session.status().user
        if privileges and (short, user) not in self._role_warned:   # say it once
            self._role_warned.add((short, user))
            self.notify(f"{user} on {short}: {CAN_WRITE_NOTE} "
                        f"({', '.join(privileges[:2])})",
                        title="Read-only by staging-tui only", severity="warning", timeout=10)

    async def _why_not(self, name: str, error: StagingError) -> StagingError:
        """The tunnel's own last error when it has one (it knows why), else `error`."""
        try:
            tunnel = (await self.backend.tunnels()).get(name)
        except StagingError:
            return error
        if tunnel is None or not tunnel.state.last_error:
            return error
        return QueryError(f"cannot connect to {name.rsplit(':', 1)[-1]} through its tunnel: "
                          f"{tunnel.state.last_error}",
                          "the Database pane (4) shows the tunnel; r retries it there")

    @work(exclusive=True, group="query-catalog", exit_on_error=False)
    async def _load_catalog(self) -> None:
        if self.session is None:
            return
        try:
            self.catalog = await Catalog.load(self.session)
        except StagingError:
            return
        self.editor.completer = self.catalog.complete
        release_free_memory()   # what connecting and loading the catalog freed

    def _tick(self) -> None:
        self.refresh_session_line()
        if self.running:
            active = self.query_one(ResultTabs).active()
            if active is not None and not active[1].done and not active[1].error:
                active[1].elapsed_s = time.perf_counter() - self._started
                self._show_info(active[1])

    def refresh_session_line(self) -> None:
        """The line under the results: instance, user, transaction, write mode."""
        if self.session is None:
            return
        st = self.session.status()
        line = st.line()
        if line != self._session_line:
            self._session_line = line
            widget = self.query_one("#query-session", Static)
            widget.update(line)
            widget.set_class(st.write_mode, "-write")

    # ------------------------------------------------------------------ running
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running
        return True  # F2 in a read-only profile explains why (action_write_mode)

    def action_run(self) -> None:
        editor = self.editor
        selected = editor.selected_text
        if selected.strip():
            start = editor.offset_of(min(editor.selection.start, editor.selection.end))

            def pick() -> list[Statement]:
                return [Statement(s.text, s.start + start, s.end + start)
                        for s in split_statements(selected)]
            size = len(selected)
        else:
            text, offset = editor.text, editor.cursor_offset()

            def pick() -> list[Statement]:
                current = statement_at(text, offset)
                return [current] if current else []
            size = len(text)
        self._run(pick, size)

    def action_run_all(self) -> None:
        text = self.editor.text
        self._run(lambda: split_statements(text), len(text))

    def _run(self, pick: Callable[[], list[Statement]], size: int) -> None:
        """Run what `pick` finds (it splits the `size` characters of the buffer: in a
        thread when they are many, as a pasted 10 MB statement takes a while to split;
        a few KB split faster than a hop to a thread and back)."""
        if self.running:
            self.status.info("a statement is running: ctrl+c cancels it")
            return
        if self.session is None:
            self.status.info("not connected yet")
            if self.instance:
                self._connect()
            return
        self.query_one(SqlErrorBox).hide()
        self.running = True
        # ctrl+c works from now on (check_action); the footer shows it a moment later:
        # rebuilding the footer costs tens of ms that the first rows would wait for
        self.set_timer(CANCEL_HINT_AFTER_S, self._show_cancel_hint)
        self.run_statements(pick, size)

    def _show_cancel_hint(self) -> None:
        if self.running:
            self.refresh_bindings()

    @work(exclusive=True, group="query-run", exit_on_error=False)
    async def run_statements(self, pick: Callable[[], list[Statement]], size: int) -> None:
        try:
            statements = (pick() if size <= INLINE_PARSE_CHARS
                          else await asyncio.to_thread(pick))
            if not statements:
                self.status.info("nothing to run: type a statement, then f5")
                return
            for statement in statements:
                self.tools.add_to_history(statement.text)
                if not await self._run_one(statement):
                    break
        finally:
            self.running = False
            self.refresh_bindings()
            self.refresh_session_line()

    async def _run_one(self, statement: Statement) -> bool:
        session = self.session
        assert session is not None
        if statement.is_meta:
            return await self._run_meta(statement)
        confirm = False
        try:
            await session.vet(statement.text)       # parsed in a thread: the pane stays live
        except DestructiveStatement as exc:
            if not await self._confirm_destructive(exc, statement):
                self.status.info("not run: the destructive statement was not confirmed")
                return False
            confirm = True
        except StagingError as exc:
            self.show_error(exc, statement)
            return False
        grid, info = self.query_one(ResultTabs).new_result(statement.text,
                                                           expanded=session.expanded)
        self._started = time.perf_counter()
        self.status.busy("running · ctrl+c cancels")
        try:
            budget = self.settings.query_memory_mb * 1024 * 1024
            stream = session.stream(statement.text, limit=ROW_LIMIT,
                                    confirm_destructive=confirm, as_text=True)
            first, shown_at = True, 0.0
            async with aclosing(stream):
                async for chunk in stream:
                    if not grid.columns and chunk.columns:
                        grid.set_columns(chunk.columns)
                    grid.append_text_rows(chunk.rows)  # type: ignore[arg-type]
                    info.rows = grid.row_count
                    info.elapsed_s = time.perf_counter() - self._started
                    if chunk.done:
                        info.done, info.truncated = True, chunk.truncated
                        info.elapsed_s, info.status, info.notice = (chunk.elapsed_s, chunk.status,
                                                                    chunk.notice)
                    elif budget and grid.store.nbytes > budget:
                        # leaving the loop closes the stream: cursor closed, transaction ended
                        info.done, info.elapsed_s = True, time.perf_counter() - self._started
                        info.notice = (f"first {info.rows:,} rows loaded; the rest not fetched "
                                       f"(query_memory_mb = {self.settings.query_memory_mb})")
                        self._show_info(info)
                        break
                    now = time.perf_counter()
                    if chunk.done or first or now - shown_at >= RESIZE_EVERY_S:
                        shown_at = now      # the tab's line: as often as the grid's size
                        self._show_info(info)
                    if first and chunk.rows and not chunk.done:
                        # the first page is drawn before the next batch is fetched and
                        # appended (that batch's work would hold the frame back)
                        first = False
                        await _drawn(grid)
            grid.flush()
        except StagingError as exc:
            grid.flush()
            info.error = f"✗ {exc.message}"
            if not grid.columns:  # no result: its tab goes, and the one shown is older
                self._dropped_error = info.error
                self.query_one(ResultTabs).drop(info)
            self.show_error(exc, statement)
            return False
        if statement.text.split(None, 1)[0].lower() in _TRANSACTION_WORDS:
            self.refresh_session_line()
        return True

    async def _confirm_destructive(self, exc: StagingError, statement: Statement) -> bool:
        env, project = self.settings.environment, self.settings.project
        question = f"{exc.message}.\n\n{statement.text[:300]}\n\nRun it on {env} ({project})?"
        answer: bool = await self.app.push_screen_wait(ConfirmScreen(
            f"Destructive statement on {env}", question, yes=f"Run on {env}"))
        return answer

    async def _run_meta(self, statement: Statement) -> bool:
        assert self.session is not None
        command, _, arg = statement.text.rstrip(";").partition(" ")
        if command in ("\\c", "\\connect"):
            return await self.tools.switch_instance(arg.strip())
        if command == "\\e":
            return await self.tools.edit_in_editor(statement)
        try:
            meta = await run_meta(self.session, statement.text)
        except StagingError as exc:
            self.show_error(exc, statement)
            return False
        if meta.result is None:
            self.query_one(ResultTabs).set_expanded(self.session.expanded)
            self.status.info(meta.message)
            return True
        self.show_rows(statement.text, meta.result.columns, list(meta.result.rows),
                        meta.title + "".join(f" · {line}" for line in meta.footer),
                        meta.result.elapsed_s)
        return True

    def show_rows(self, statement: str, columns: tuple[Column, ...],
                   rows: list[tuple[object, ...]], status: str, elapsed_s: float = 0.0) -> None:
        """A result of our own (meta command, data quality, instances) in a new tab."""
        grid, info = self.query_one(ResultTabs).new_result(
            statement, expanded=bool(self.session and self.session.expanded))
        grid.set_columns(columns)
        grid.append_rows(rows)
        info.rows, info.done, info.status, info.elapsed_s = grid.row_count, True, status, elapsed_s
        self._show_info(info)

    def _show_info(self, info: ResultInfo) -> None:
        timing = self.session.timing if self.session else True
        self.status.info(info.summary(timing))

    def show_error(self, exc: StagingError, statement: Statement) -> None:
        position = exc.position if isinstance(exc, QueryError) else None
        location = None
        if position:
            location = self.editor.location_of(statement.start + position - 1)
            self.editor.move_cursor(location)
        self.query_one(SqlErrorBox).show_error(exc, location)
        self.status.info(Text(f"✗ {exc.message}", style="bold"))

    # ------------------------------------------------------------------ tools
    def action_write_mode(self) -> None:
        self.run_worker(self.tools.write_mode(), exclusive=True, group="query-write",
                        exit_on_error=False)

    def action_export(self) -> None:
        self.run_worker(self.tools.export(), exclusive=True, group="query-export",
                        exit_on_error=False)

    def action_quality(self) -> None:
        self.run_worker(self.tools.quality(), exclusive=True, group="query-quality",
                        exit_on_error=False)

    @on(SqlEditor.RunRequested)
    def _enter_runs(self) -> None:
        self.action_run()

    def action_search_history(self) -> None:
        """ctrl+r (pgcli, readline): search the profile's history; Enter puts the chosen
        statement in the editor."""
        from staging_tui.ui.screens.history_search import HistorySearchScreen

        def chosen(sql: str | None) -> None:
            if sql:
                self.editor.load_text(sql)
                self.editor.move_cursor((sql.count("\n"), len(sql.rsplit("\n", 1)[-1])))
                self.editor.focus()

        self.app.push_screen(HistorySearchScreen(self.tools.history), callback=chosen)

    def action_history(self, step: int) -> None:
        self.tools.step_history(step)

    def action_cancel(self) -> None:
        if self.session is not None and self.running:
            self.run_worker(self.session.cancel(), group="query-cancel", exit_on_error=False)
            self.status.busy("cancelling on the server")

    # ------------------------------------------------------------------ results
    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        active = self.query_one(ResultTabs).active()
        dropped, self._dropped_error = self._dropped_error, ""
        if active is None:
            return
        if dropped:  # never let an older tab's "12 rows · 25 ms" read as the failed one's
            self.status.info(Text(f"{dropped} · no result · the tab shown is an earlier "
                                  f"statement's ({active[1].summary(self._timing())})",
                                  style="bold"))
            return
        self._show_info(active[1])

    def _timing(self) -> bool:
        return self.session.timing if self.session else True

    @on(ResultGrid.CellSelected)
    def _view_cell(self, event: ResultGrid.CellSelected) -> None:
        column = event.grid.columns[event.col]
        self.app.push_screen(CellScreen(column.name, column.type_name,
                                        event.grid.cell(event.row, event.col)))

    @on(SqlEditor.Suggest)
    def _suggest(self, event: SqlEditor.Suggest) -> None:
        popup = self.query_one("#query-popup", OptionList)
        self._popup_word = event.word
        self._popup = event.candidates
        popup.clear_options()
        if event.candidates:
            popup.add_options(event.candidates)
            popup.highlighted = 0
        popup.set_class(not event.candidates, "-hidden")
        self.editor.popup_open = bool(event.candidates)

    @on(SqlEditor.Popup)
    def _popup_key(self, event: SqlEditor.Popup) -> None:
        popup = self.query_one("#query-popup", OptionList)
        if event.what == "move" and self._popup:
            popup.highlighted = ((popup.highlighted or 0) + event.step) % len(self._popup)
            return
        if event.what == "accept" and self._popup:
            self.editor.accept(self._popup_word, self._popup[popup.highlighted or 0])
        popup.add_class("-hidden")
        self._popup = []
        self.editor.popup_open = False

    @on(SqlEditor.Completions)
    def _completions(self, event: SqlEditor.Completions) -> None:
        shown = ", ".join(event.candidates[:12])
        more = len(event.candidates) - 12
        self.status.info(f"completions: {shown}{f' (+{more})' if more > 0 else ''}")

    def action_focus_results(self) -> None:
        active = self.query_one(ResultTabs).active()
        if active is not None:
            active[0].focus()

    def action_focus_editor(self) -> None:
        """Esc toggles: results (or nothing) <-> editor, so number keys can leave the pane."""
        if not self.editor.has_focus:
            self.editor.focus()
            return
        active = self.query_one(ResultTabs).active()
        if active is not None:
            active[0].focus()
        else:
            self.set_focus(None)

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.close()


async def _drawn(grid: ResultGrid) -> None:
    """Until the screen was refreshed with what `grid` holds now (FIRST_FRAME_WAIT_S at
    most: a pane in the background is not refreshed)."""
    drawn = asyncio.Event()
    if grid.call_after_refresh(drawn.set):
        with suppress(TimeoutError):
            await asyncio.wait_for(drawn.wait(), FIRST_FRAME_WAIT_S)


async def _write_privileges(session: QuerySession) -> tuple[str, ...]:
    """What the login role could write ((): nothing, or the check itself failed)."""
    try:
        return await session.write_privileges()
    except StagingError:
        return ()
