"""The Query pane: a SQL editor over a read-only session through the Cloud SQL tunnel.

The editor runs the statement under the cursor (or the selection) with ctrl+enter /
F5, or every statement with F9. Each statement gets a result tab whose rows stream in
from a server-side cursor. Writes are refused unless write mode is on (F2: only when
the profile allows writes, confirmed once); destructive statements ask again, naming
the environment. Ctrl+C cancels on the server; the connection stays.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TabbedContent, TabPane

from staging_tui.db.completion import Catalog
from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.history import History
from staging_tui.db.meta import run_meta
from staging_tui.db.quality import column_quality
from staging_tui.db.session import DestructiveStatement, QuerySession
from staging_tui.db.statements import Statement, split_statements, statement_at
from staging_tui.domain import Column
from staging_tui.errors import QueryError, ReadOnlyViolation, StagingError
from staging_tui.render.query import row_count_text
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.query_dialogs import CellScreen, ConfirmScreen, ExportScreen
from staging_tui.ui.widgets.result_grid import ResultGrid
from staging_tui.ui.widgets.sql_editor import SqlEditor
from staging_tui.ui.widgets.status_line import StatusLine

ROW_LIMIT = 1_000_000
MAX_TABS = 8
_FROM = re.compile(r"\b(?:from|join|table)\s+((?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))?)",
                   re.IGNORECASE)


@dataclass
class ResultInfo:
    statement: str
    rows: int = 0
    done: bool = False
    truncated: bool = False
    elapsed_s: float = 0.0
    status: str = ""
    notice: str = ""
    error: str = ""

    def summary(self, timing: bool) -> str:
        if self.error:
            return self.error
        parts = [row_count_text(self.rows, self.truncated, self.done)]
        if self.done and self.status and not self.status.startswith("SELECT"):
            parts = [self.status]
        if self.done and timing:
            parts.append(f"{self.elapsed_s * 1000:.0f} ms")
        if self.notice:
            parts.append(self.notice)
        return " · ".join(parts)


class QueryScreen(PaneScreen):
    PANE_TITLE = "Query"
    DEFAULT_CSS = """
    #query-error { height: auto; max-height: 3; color: $error; padding: 0 1; display: none; }
    #query-error.-shown { display: block; }
    #query-results { height: 1fr; }
    #query-results TabPane { padding: 0; }
    #query-session { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    #query-session.-write { background: $error 40%; color: $text; }
    """
    BINDINGS = [
        Binding("ctrl+enter,f5", "run", "Run", priority=True, id="query.run"),
        Binding("f9,ctrl+r", "run_all", "Run all", priority=True, id="query.run-all"),
        Binding("ctrl+c", "cancel", "Cancel", priority=True, id="query.cancel"),
        Binding("f2", "write_mode", "Write mode", id="query.write-mode"),
        Binding("f3", "quality", "Quality", id="query.quality"),
        Binding("f4", "focus_results", "Results", id="query.focus-results"),
        Binding("escape", "focus_editor", "Editor", show=False, id="query.focus-editor"),
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
        self.results: dict[str, ResultInfo] = {}
        self._tab_count = 0
        self._history: History | None = None
        self._history_pos = 0

    def compose_body(self) -> ComposeResult:
        yield SqlEditor("SELECT * FROM ", id="query-editor")
        yield Static("", id="query-error")
        yield TabbedContent(id="query-results")
        yield StatusLine("", id="query-status")
        yield Static("not connected", id="query-session")

    @property
    def editor(self) -> SqlEditor:
        return self.query_one(SqlEditor)

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = History(self.settings.profile)
            self._history_pos = len(self._history.entries)
        return self._history

    def on_mount(self) -> None:
        self.editor.focus()
        self.editor.move_cursor((0, len(self.editor.text)))
        if self.settings.sql_instances:
            self.open_instance(self.settings.sql_instances[0].connection_name)
        else:
            self.status.info("no Cloud SQL instance in this profile: add [[profiles.NAME.sql]]")
        self.set_interval(0.5, self._refresh_session_line)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#query-status", StatusLine)

    # ------------------------------------------------------------------ connecting
    def open_instance(self, name: str) -> None:
        """Query `name` (a profile instance) through its tunnel (the Database pane's hook)."""
        self.instance = name
        self._connect()

    def use_session(self, session: QuerySession) -> None:
        """Query through a session someone else opened (tests, a DSN from the CLI)."""
        self.session = session
        self._load_catalog()

    @work(exclusive=True, group="query-connect", exit_on_error=False)
    async def _connect(self) -> None:
        from staging_tui.gcp.query_target import tunnel_target

        self.status.busy(f"opening the tunnel to {self.instance}")
        try:
            target = await tunnel_target(await self.backend.tunnels(), self.instance)
            session = QuerySession(target.dsn, environment=self.settings.environment,
                                   allow_writes=self.settings.writable,
                                   protected=self.settings.protected, via=target.via)
            await session.connect()
        except StagingError as exc:
            self.status.error(exc, "F5")
            return
        old, self.session = self.session, session
        if old is not None:
            await old.close()
        self.status.info(f"connected: {session.status().line()}")
        self._refresh_session_line()
        self._load_catalog()

    @work(exclusive=True, group="query-catalog", exit_on_error=False)
    async def _load_catalog(self) -> None:
        if self.session is None:
            return
        try:
            self.catalog = await Catalog.load(self.session)
        except StagingError:
            return
        self.editor.completer = self.catalog.complete

    def _refresh_session_line(self) -> None:
        line = self.query_one("#query-session", Static)
        if self.session is None:
            return
        st = self.session.status()
        line.update(st.line())
        line.set_class(st.write_mode, "-write")

    # ------------------------------------------------------------------ running
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running
        if action == "write_mode" and not self.settings.writable:
            return None
        return True

    def action_run(self) -> None:
        editor = self.editor
        selected = editor.selected_text
        if selected.strip():
            start = editor.offset_of(min(editor.selection.start, editor.selection.end))
            statements = [Statement(s.text, s.start + start, s.end + start)
                          for s in split_statements(selected)]
        else:
            current = statement_at(editor.text, editor.cursor_offset())
            statements = [current] if current else []
        self._run(statements)

    def action_run_all(self) -> None:
        self._run(split_statements(self.editor.text))

    def _run(self, statements: list[Statement]) -> None:
        if not statements:
            self.status.info("nothing to run")
            return
        if self.session is None:
            self.status.info("not connected yet")
            if self.instance:
                self._connect()
            return
        self._hide_error()
        self.run_statements(statements)

    @work(exclusive=True, group="query-run", exit_on_error=False)
    async def run_statements(self, statements: list[Statement]) -> None:
        assert self.session is not None
        self.running = True
        self.refresh_bindings()
        try:
            for statement in statements:
                self.history.add(statement.text)
                self._history_pos = len(self.history.entries)
                if not await self._run_one(statement):
                    break
        finally:
            self.running = False
            self.refresh_bindings()
            self._refresh_session_line()

    async def _run_one(self, statement: Statement) -> bool:
        session = self.session
        assert session is not None
        if statement.is_meta:
            return await self._run_meta(statement)
        confirm = False
        try:
            session.check(statement.text)
        except DestructiveStatement as exc:
            question = (f"{exc.message}.\n\n{statement.text[:300]}\n\nRun it on "
                        f"{self.settings.environment} ({self.settings.project})?")
            if not await self.app.push_screen_wait(
                    ConfirmScreen(f"Destructive statement on {self.settings.environment}",
                                  question, yes=f"Run on {self.settings.environment}")):
                self.status.info("not run: the destructive statement was not confirmed")
                return False
            confirm = True
        except StagingError as exc:
            self._show_error(exc, statement)
            return False
        grid, info = self._new_result(statement.text)
        self.status.busy("running")
        try:
            async for chunk in session.stream(statement.text, limit=ROW_LIMIT,
                                              confirm_destructive=confirm):
                if not grid.columns and chunk.columns:
                    grid.set_columns(chunk.columns)
                grid.append_rows(chunk.rows)
                info.rows = grid.row_count
                if chunk.done:
                    info.done, info.truncated = True, chunk.truncated
                    info.elapsed_s, info.status, info.notice = (chunk.elapsed_s, chunk.status,
                                                                chunk.notice)
                self._show_info(info)
        except StagingError as exc:
            info.error = f"✗ {exc.message}"
            self._show_error(exc, statement)
            return False
        if statement.text.split(None, 1)[0].lower() in ("set", "reset", "begin", "commit",
                                                        "rollback", "end", "abort", "start"):
            self._refresh_session_line()
        return True

    async def _run_meta(self, statement: Statement) -> bool:
        assert self.session is not None
        try:
            meta = await run_meta(self.session, statement.text)
        except StagingError as exc:
            self._show_error(exc, statement)
            return False
        if meta.result is None:
            for grid in self.query(ResultGrid):
                grid.expanded = self.session.expanded
            self.status.info(meta.message)
            return True
        grid, info = self._new_result(statement.text, title=meta.title)
        grid.set_columns(meta.result.columns)
        grid.append_rows(list(meta.result.rows))
        info.rows, info.done, info.status = grid.row_count, True, ""
        info.elapsed_s = meta.result.elapsed_s
        info.notice = "; ".join(meta.footer)
        self._show_info(info)
        return True

    def _new_result(self, statement: str, title: str = "") -> tuple[ResultGrid, ResultInfo]:
        tabs = self.query_one(TabbedContent)
        self._tab_count += 1
        pane_id = f"result-{self._tab_count}"
        label = title or " ".join(statement.split())
        label = f"{self._tab_count}: {label[:24]}{'…' if len(label) > 24 else ''}"
        grid = ResultGrid(id=f"grid-{self._tab_count}")
        grid.expanded = bool(self.session and self.session.expanded)
        info = ResultInfo(statement)
        self.results[pane_id] = info
        tabs.add_pane(TabPane(label, grid, id=pane_id))
        tabs.active = pane_id
        old = [p for p in self.results if p != pane_id][: max(0, len(self.results) - MAX_TABS)]
        for stale in old:
            tabs.remove_pane(stale)
            del self.results[stale]
        return grid, info

    def _show_info(self, info: ResultInfo) -> None:
        timing = self.session.timing if self.session else True
        self.status.info(info.summary(timing))

    def _show_error(self, exc: StagingError, statement: Statement) -> None:
        box = self.query_one("#query-error", Static)
        text = Text()
        position = exc.position if isinstance(exc, QueryError) else None
        if position:
            offset = statement.start + position - 1
            row, col = self.editor.location_of(offset)
            text.append(f"ERROR at line {row + 1}, column {col + 1}: ", style="bold")
            self.editor.move_cursor((row, col))
        elif isinstance(exc, ReadOnlyViolation):
            text.append("REFUSED: ", style="bold")
        else:
            text.append("ERROR: ", style="bold")
        text.append(exc.message)
        if exc.fix:
            text.append(f"\n  fix: {exc.fix}", style="italic")
        box.update(text)
        box.add_class("-shown")
        self.status.info(Text(f"✗ {exc.message}", style="bold"))

    def _hide_error(self) -> None:
        self.query_one("#query-error", Static).remove_class("-shown")

    def action_cancel(self) -> None:
        if self.session is not None and self.running:
            self.run_worker(self.session.cancel(), group="query-cancel", exit_on_error=False)
            self.status.busy("cancelling on the server")

    # ------------------------------------------------------------------ write mode
    @work(exclusive=True, group="query-write", exit_on_error=False)
    async def action_write_mode(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            if session.write_mode:
                await session.disable_writes()
                self.status.info("write mode off: the session is read-only again")
            else:
                session.check_writes_allowed()
                env, project = self.settings.environment, self.settings.project
                if not await self.app.push_screen_wait(ConfirmScreen(
                        f"Write mode on {env}",
                        f"Statements in this session may change data in {env} ({project}).\n"
                        "Destructive statements still ask again.", yes="Enable writes")):
                    return
                await session.enable_writes()
                self.status.info(f"write mode ON for this session on {env}")
        except StagingError as exc:
            self.status.error(exc, "F2")
        self._refresh_session_line()

    # ------------------------------------------------------------------ results
    def _active(self) -> tuple[ResultGrid, ResultInfo] | None:
        tabs = self.query_one(TabbedContent)
        pane_id = tabs.active
        if not pane_id or pane_id not in self.results:
            return None
        return tabs.get_pane(pane_id).query_one(ResultGrid), self.results[pane_id]

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        active = self._active()
        if active is not None:
            self._show_info(active[1])

    @on(ResultGrid.CellSelected)
    def _view_cell(self, event: ResultGrid.CellSelected) -> None:
        column = event.grid.columns[event.col]
        self.app.push_screen(CellScreen(column.name, column.type_name,
                                        event.grid.cell(event.row, event.col)))

    @on(SqlEditor.Completions)
    def _completions(self, event: SqlEditor.Completions) -> None:
        shown = ", ".join(event.candidates[:12])
        more = len(event.candidates) - 12
        self.status.info(f"completions: {shown}{f' (+{more})' if more > 0 else ''}")

    def action_focus_results(self) -> None:
        active = self._active()
        if active is not None:
            active[0].focus()

    def action_focus_editor(self) -> None:
        self.editor.focus()

    @work(exclusive=True, group="query-export", exit_on_error=False)
    async def action_export(self) -> None:
        active = self._active()
        if active is None:
            self.status.info("no result to export")
            return
        grid, _info = active
        path = await self.app.push_screen_wait(ExportScreen(f"query-{self._tab_count}.csv"))
        if path is None:
            return
        writer = write_jsonl if path.suffix in (".jsonl", ".json", ".ndjson") else write_csv
        try:
            count = await asyncio.to_thread(writer, path, grid.columns, list(grid.rows))
        except OSError as exc:
            self.status.error(StagingError(f"cannot write {path}: {exc.strerror}",
                                           "choose another path"), "ctrl+s")
            return
        self.status.info(f"exported {count:,} rows to {path}")

    # ------------------------------------------------------------------ quality
    @work(exclusive=True, group="query-quality", exit_on_error=False)
    async def action_quality(self) -> None:
        if self.session is None:
            return
        relation = self._relation_at_cursor()
        if not relation:
            self.status.info("put the cursor on a table or view name (or in a SELECT ... FROM)")
            return
        self.status.busy(f"data quality of {relation}")
        try:
            quality = await column_quality(self.session, relation)
        except StagingError as exc:
            self.status.error(exc, "F3")
            return
        grid, info = self._new_result(f"quality {relation}", title=f"quality {relation}")
        grid.set_columns([Column("column", "name"), Column("null %", "float8"),
                          Column("distinct (est.)", "float8"), Column("all null", "bool"),
                          Column("source", "text")])
        grid.append_rows([(q.column, round(q.null_fraction * 100, 1), q.distinct, q.all_null,
                           q.source) for q in quality])
        info.rows, info.done, info.status = grid.row_count, True, f"quality of {relation}"
        self._show_info(info)

    def _relation_at_cursor(self) -> str:
        editor = self.editor
        before = editor.text_before_cursor()
        after = editor.text[len(before):]
        word = (re.search(r'[\w."$]*$', before).group()  # type: ignore[union-attr]
                + re.match(r'[\w"$]*', after).group())  # type: ignore[union-attr]
        if word and self.catalog is not None:
            bare = word.split(".")[-1].strip('"')
            if bare in self.catalog.columns:
                return word
        current = statement_at(editor.text, len(before))
        found = _FROM.search(current.text) if current else None
        return found.group(1) if found else ""

    # ------------------------------------------------------------------ history
    def action_history(self, step: int) -> None:
        entries = self.history.entries
        if not entries:
            return
        self._history_pos = max(0, min(self._history_pos + step, len(entries)))
        text = entries[self._history_pos].sql if self._history_pos < len(entries) else ""
        self.editor.load_text(text)
        self.editor.move_cursor((text.count("\n"), len(text.rsplit("\n", 1)[-1])))

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.close()

