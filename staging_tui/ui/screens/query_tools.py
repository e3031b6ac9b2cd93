"""The Query pane's tools around running SQL: switching instance (`\\c`), write mode,
export, data quality and history. Composed into QueryScreen (query.py), which owns the
session, the editor and the tabs: the tools work through the screen's public methods
(`show_rows`, `show_error`, `refresh_session_line`, `open_instance`), and the screen's
actions run the tools' coroutines in its workers."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from staging_tui.db.export import write_csv, write_jsonl
from staging_tui.db.history import History
from staging_tui.db.quality import column_quality
from staging_tui.db.statements import Statement, relation_at
from staging_tui.domain import Column
from staging_tui.errors import ReadOnlyViolation, StagingError
from staging_tui.private_files import export_path
from staging_tui.render.write_access import write_mode_refusal
from staging_tui.ui.screens.query_dialogs import ConfirmScreen, ExportScreen
from staging_tui.ui.widgets.result_tabs import ResultTabs
from staging_tui.ui.widgets.sql_editor import SqlEditor
from staging_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from staging_tui.ui.screens.query import QueryScreen

QUALITY_COLUMNS = (Column("column"), Column("null %"), Column("distinct (est.)"),
                   Column("all null"), Column("source"))


class QueryTools:
    def __init__(self, screen: QueryScreen) -> None:
        self.screen = screen
        self._history: History | None = None
        self._history_pos = 0

    @property
    def editor(self) -> SqlEditor:
        return self.screen.editor

    @property
    def status(self) -> StatusLine:
        return self.screen.status

    async def switch_instance(self, name: str) -> bool:
        """`\\c` lists the profile's instances; `\\c NAME` queries NAME instead."""
        tunnels = await self.screen.backend.tunnels()
        if not name:
            rows: list[tuple[object, ...]] = [
                (st.instance.rsplit(":", 1)[-1], st.instance, st.user, st.database,
                 str(st.status), "◀ current" if st.instance == self.screen.instance else "")
                for st in tunnels.states()]
            self.screen.show_rows("\\c", tuple(Column(n) for n in (
                "name", "connection name", "user", "database", "tunnel", "")), rows,
                "instances of this profile · \\c NAME switches")
            return True
        try:
            instance = tunnels.resolve(name)
        except StagingError as exc:
            self.screen.show_error(exc, Statement(f"\\c {name}", 0, 0))
            return False
        self.screen.open_instance(instance.connection_name)
        return True

    # ------------------------------------------------------------------ write mode
    async def write_mode(self) -> None:
        """f2: write mode on (confirmed) or off, between statements; in a profile that
        does not allow it, say why and how to get one that does."""
        screen = self.screen
        if not screen.settings.writable:
            why, how = write_mode_refusal(screen.settings)
            self.status.error(ReadOnlyViolation(why, how), "")
            return
        session = screen.session
        if session is None:
            self.status.info("not connected yet: write mode is for a connected session")
            return
        if screen.running:
            self.status.info("a statement is running: write mode changes between statements")
            return
        try:
            if session.write_mode:
                await session.disable_writes()
                self.status.info("write mode off: the session is read-only again")
            else:
                session.check_writes_allowed()
                env, project = screen.settings.environment, screen.settings.project
                if not await self.screen.app.push_screen_wait(ConfirmScreen(
                        f"Write mode on {env}",
                        f"Statements in this session may change data in {env} ({project}).\n"
                        "Destructive statements (DROP, TRUNCATE, DELETE or UPDATE without "
                        "WHERE) still ask again.", yes="Enable writes")):
                    return
                await session.enable_writes()
                self.status.info(f"write mode ON for this session on {env} (f2 turns it off)")
        except StagingError as exc:
            self.status.error(exc, "f2")
        self.screen.refresh_session_line()

    # ------------------------------------------------------------------ \\e
    async def edit_in_editor(self, statement: Statement) -> bool:
        """`\\e` (psql, pgcli): the editor's text (without the `\\e`) in $VISUAL / $EDITOR,
        the console suspended meanwhile; what the editor saved comes back to the pane."""
        editor = self.editor
        text = (editor.text[:statement.start] + editor.text[statement.end:]).strip()
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        fd, name = tempfile.mkstemp(prefix="staging-tui-", suffix=".sql")
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text + "\n" if text else "")
            argv = [*shlex.split(command), str(path)]
            try:
                with self.screen.app.suspend():
                    done = subprocess.run(argv, check=False)
            except SuspendNotSupported:  # no terminal to hand over (tests, some drivers)
                done = await asyncio.to_thread(subprocess.run, argv, check=False)
            except OSError as exc:
                self.status.error(StagingError(f"cannot run the editor {command!r}: {exc}",
                                               "set $EDITOR (or $VISUAL) to an editor"), "")
                return False
            edited = path.read_text(encoding="utf-8").rstrip("\n")
        finally:
            path.unlink(missing_ok=True)
        editor.load_text(edited)
        editor.move_cursor((edited.count("\n"), len(edited.rsplit("\n", 1)[-1])))
        editor.focus()
        self.status.info(f"back from {command.split()[0]} (exit {done.returncode}): "
                         "Enter after a ; runs it")
        return True

    # ------------------------------------------------------------------ export
    async def export(self) -> None:
        """ctrl+s: the active result tab to CSV or JSON lines."""
        tabs = self.screen.query_one(ResultTabs)
        active = tabs.active()
        if active is None:
            self.status.info("no result to export")
            return
        grid, _info = active
        exports = self.screen.settings.exports
        default = export_path(exports, f"query-{tabs.count}.csv")
        answer = await self.screen.app.push_screen_wait(ExportScreen(str(default)))
        if answer is None:
            return
        path = export_path(exports, answer)
        writer = write_jsonl if path.suffix in (".jsonl", ".json", ".ndjson") else write_csv
        self.status.busy(f"exporting {grid.row_count:,} rows to {path}")
        try:
            count = await asyncio.to_thread(writer, path, grid.columns, grid.store)
        except OSError as exc:
            self.status.error(StagingError(f"cannot write {path}: {exc.strerror}",
                                           "choose another path"), "ctrl+s")
            return
        self.status.info(f"exported {count:,} rows to {path}")

    # ------------------------------------------------------------------ quality
    async def quality(self) -> None:
        """f3: NULLs and distinct values per column of the table under the cursor."""
        screen = self.screen
        session = screen.session
        if session is None:
            return
        editor = self.editor
        known = set(screen.catalog.columns) if screen.catalog is not None else set()
        relation = relation_at(editor.text, editor.cursor_offset(), known)
        if not relation:
            self.status.info("put the cursor on a table or view name (or in a SELECT ... FROM)")
            return
        self.status.busy(f"data quality of {relation}")
        try:
            quality = await column_quality(session, relation)
        except StagingError as exc:
            self.status.error(exc, "f3")
            return
        finally:  # the connection is idle again: say so now, not at the next tick
            self.screen.refresh_session_line()
        rows: list[tuple[object, ...]] = [
            (q.column, round(q.null_fraction * 100, 1), round(q.distinct), q.all_null, q.source)
            for q in quality]
        nulls = [f"{q.column} {q.null_fraction * 100:.1f} %" for q in quality if q.null_fraction]
        found = (f"NULLs in {len(nulls)} of {len(quality)} columns: " + ", ".join(nulls[:6])
                 if nulls else f"no NULLs in its {len(quality)} columns")
        self.screen.show_rows(f"quality {relation}", QUALITY_COLUMNS, rows,
                        f"data quality of {relation}: {found}")

    # ------------------------------------------------------------------ history
    @property
    def history(self) -> History:
        if self._history is None:
            self._history = History(self.screen.settings.profile)
            self._history_pos = len(self._history.entries)
        return self._history

    def add_to_history(self, sql: str) -> None:
        """A statement run: remembered, and ctrl+up starts again from the newest."""
        self.history.add(sql)
        self._history_pos = len(self.history.entries)

    def step_history(self, step: int) -> None:
        """ctrl+up / ctrl+down: an older / newer statement into the editor."""
        entries = self.history.entries
        if not entries:
            self.status.info(f"no history yet for profile {self.screen.settings.profile}")
            return
        self._history_pos = max(0, min(self._history_pos + step, len(entries)))
        text = entries[self._history_pos].sql if self._history_pos < len(entries) else ""
        self.editor.load_text(text)
        self.editor.move_cursor((text.count("\n"), len(text.rsplit("\n", 1)[-1])))
        where = (f"{self._history_pos + 1} of {len(entries)}" if text else "new statement")
        self.status.info(f"history: {where} · ctrl+up older · ctrl+down newer")
