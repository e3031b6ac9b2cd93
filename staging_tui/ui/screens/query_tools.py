"""The Query pane's tools around running SQL: switching instance (`\\c`), write mode,
export, data quality and history. QueryScreen (query.py) subclasses this; it owns the session and the tabs."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.history import History
from staging_tui.db.quality import column_quality
from staging_tui.db.statements import Statement, relation_at
from staging_tui.domain import Column
from staging_tui.errors import ReadOnlyViolation, StagingError
from staging_tui.render.write_access import write_mode_refusal
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.query_dialogs import ConfirmScreen, ExportScreen
from staging_tui.ui.widgets.result_tabs import ResultTabs
from staging_tui.ui.widgets.sql_editor import SqlEditor
from staging_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from staging_tui.db.completion import Catalog
    from staging_tui.db.session import QuerySession

QUALITY_COLUMNS = (Column("column"), Column("null %"), Column("distinct (est.)"),
                   Column("all null"), Column("source"))


class QueryTools(PaneScreen):
    session: QuerySession | None
    catalog: Catalog | None
    instance: str
    running: bool

    def __init__(self) -> None:
        super().__init__()
        self._history: History | None = None
        self._history_pos = 0

    @property
    def editor(self) -> SqlEditor:
        return self.query_one(SqlEditor)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#query-status", StatusLine)

    def _refresh_session_line(self) -> None:
        """Implemented by the screen."""

    def _show_rows(self, statement: str, columns: tuple[Column, ...],
                   rows: list[tuple[object, ...]], status: str, elapsed_s: float = 0.0) -> None:
        """Implemented by the screen."""

    def open_instance(self, name: str) -> None:
        """Implemented by the screen."""

    def _show_error(self, exc: StagingError, statement: Statement) -> None:
        """Implemented by the screen."""

    async def _switch_instance(self, name: str) -> bool:
        """`\\c` lists the profile's instances; `\\c NAME` queries NAME instead."""
        tunnels = await self.backend.tunnels()
        if not name:
            rows: list[tuple[object, ...]] = [
                (st.instance.rsplit(":", 1)[-1], st.instance, st.user, st.database,
                 str(st.status), "◀ current" if st.instance == self.instance else "")
                for st in tunnels.states()]
            self._show_rows("\\c", tuple(Column(n) for n in (
                "name", "connection name", "user", "database", "tunnel", "")), rows,
                "instances of this profile · \\c NAME switches")
            return True
        try:
            instance = tunnels.resolve(name)
        except StagingError as exc:
            self._show_error(exc, Statement(f"\\c {name}", 0, 0))
            return False
        self.open_instance(instance.connection_name)
        return True

    # ------------------------------------------------------------------ write mode
    @work(exclusive=True, group="query-write", exit_on_error=False)
    async def action_write_mode(self) -> None:
        if not self.settings.writable:  # say why, and how to get a profile that allows it
            why, how = write_mode_refusal(self.settings)
            self.status.error(ReadOnlyViolation(why, how), "")
            return
        session = self.session
        if session is None:
            self.status.info("not connected yet: write mode is for a connected session")
            return
        if self.running:
            self.status.info("a statement is running: write mode changes between statements")
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
                        "Destructive statements (DROP, TRUNCATE, DELETE or UPDATE without "
                        "WHERE) still ask again.", yes="Enable writes")):
                    return
                await session.enable_writes()
                self.status.info(f"write mode ON for this session on {env} (f2 turns it off)")
        except StagingError as exc:
            self.status.error(exc, "f2")
        self._refresh_session_line()

    # ------------------------------------------------------------------ export
    @work(exclusive=True, group="query-export", exit_on_error=False)
    async def action_export(self) -> None:
        tabs = self.query_one(ResultTabs)
        active = tabs.active()
        if active is None:
            self.status.info("no result to export")
            return
        grid, _info = active
        path = await self.app.push_screen_wait(ExportScreen(f"query-{tabs.count}.csv"))
        if path is None:
            return
        writer = write_jsonl if path.suffix in (".jsonl", ".json", ".ndjson") else write_csv
        self.status.busy(f"exporting {grid.row_count:,} rows to {path}")
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
        editor = self.editor
        known = set(self.catalog.columns) if self.catalog is not None else set()
        relation = relation_at(editor.text, editor.cursor_offset(), known)
        if not relation:
            self.status.info("put the cursor on a table or view name (or in a SELECT ... FROM)")
            return
        self.status.busy(f"data quality of {relation}")
        try:
            quality = await column_quality(self.session, relation)
        except StagingError as exc:
            self.status.error(exc, "f3")
            return
        finally:  # the connection is idle again: say so now, not at the next tick
            self._refresh_session_line()
        rows: list[tuple[object, ...]] = [
            (q.column, round(q.null_fraction * 100, 1), round(q.distinct), q.all_null, q.source)
            for q in quality]
        nulls = [f"{q.column} {q.null_fraction * 100:.1f} %" for q in quality if q.null_fraction]
        found = (f"NULLs in {len(nulls)} of {len(quality)} columns: " + ", ".join(nulls[:6])
                 if nulls else f"no NULLs in its {len(quality)} columns")
        self._show_rows(f"quality {relation}", QUALITY_COLUMNS, rows,
                        f"data quality of {relation}: {found}")

    # ------------------------------------------------------------------ history
    @property
    def history(self) -> History:
        if self._history is None:
            self._history = History(self.settings.profile)
            self._history_pos = len(self._history.entries)
        return self._history

    def action_history(self, step: int) -> None:
        entries = self.history.entries
        if not entries:
            self.status.info(f"no history yet for profile {self.settings.profile}")
            return
        self._history_pos = max(0, min(self._history_pos + step, len(entries)))
        text = entries[self._history_pos].sql if self._history_pos < len(entries) else ""
        self.editor.load_text(text)
        self.editor.move_cursor((text.count("\n"), len(text.rsplit("\n", 1)[-1])))
        where = (f"{self._history_pos + 1} of {len(entries)}" if text else "new statement")
        self.status.info(f"history: {where} · ctrl+up older · ctrl+down newer")
