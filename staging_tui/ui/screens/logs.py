"""The Logs pane: a live tail that keeps up and says what it could not show.

A worker feeds `LogsAdapter.tail_compact()` batches (compact blocks, decoded when
shown) into the LogViewModel; a timer redraws
at most FPS times a second (a flood never queues frames). `show_service()` is what
the Services pane's `l` reaches (through `StagingApp.open_logs`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import aclosing
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from staging_tui.domain import LogMarker, MarkerKind, Severity
from staging_tui.durations import parse_since
from staging_tui.errors import InvalidArgument, StagingError
from staging_tui.gcp.log_query import build_filter, filter_problem
from staging_tui.model.log_view import FindJob, LogViewModel, run_find
from staging_tui.private_files import export_path, open_private
from staging_tui.process_memory import release_free_memory
from staging_tui.render.log_lines import (
    SINCE_PRESETS,
    save_lines,
)
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.log_dialogs import LogEntryScreen, PickerScreen, SaveLogsScreen
from staging_tui.ui.widgets.log_rate_chart import LogRateChart
from staging_tui.ui.widgets.log_view import LogView
from staging_tui.ui.widgets.status_line import StatusLine

FIND_ON_THREAD = 5_000  # entries held from which a find runs on a thread (~5 ms and up)
FPS = 6  # data-driven redraws a second; keys redraw at once. Each frame costs ~20-40 ms
_COLUMN = re.compile(r"at column (\d+)")
FLOORS = (Severity.DEFAULT, Severity.DEBUG, Severity.INFO, Severity.NOTICE, Severity.WARNING,
          Severity.ERROR, Severity.CRITICAL)


class LogsScreen(PaneScreen):
    PANE_TITLE = "Logs"
    DEFAULT_CSS = """
    #logs-bar { height: 1; margin: 0 1; }
    #logs-bar > .label { width: auto; color: $text-muted; padding: 0 1 0 0; }
    #logs-query { width: 1fr; height: 1; border: none; padding: 0; }
    #logs-query-error { width: auto; max-width: 60%; color: $error; padding: 0 0 0 1; }
    #logs-quick { height: 1; border: none; margin: 0 1; padding: 0; }
    """
    BINDINGS = [
        Binding("e", "edit_query", "Query", id="logs.query"),
        Binding("slash", "quick_filter", "Find", id="logs.quick-filter"),
        Binding("exclamation_mark", "invert", "Invert", show=False, id="logs.invert"),
        Binding("escape", "clear_quick", "Clear find", show=False, id="logs.clear-quick"),
        Binding("greater_than_sign", "floor(1)", "Sev+", id="logs.severity-up"),
        Binding("less_than_sign", "floor(-1)", "Sev-", show=False, id="logs.severity-down"),
        Binding("s", "pick_service", "Service", id="logs.service"),
        Binding("p", "cycle_since", "Since", id="logs.since"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap"),
        Binding("u", "toggle_utc", "UTC", show=False, id="logs.utc"),
        Binding("m", "mark", "Mark", id="logs.mark"),
        Binding("c", "clear", "Clear", show=False, id="logs.clear"),
        Binding("ctrl+s", "save", "Save", id="logs.save"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.model = LogViewModel(self.settings_capacity(),
                                  clock=lambda: self.now().timestamp())
        self.service = ""
        self.service_region = ""
        self.job = ""
        self.execution = ""
        self.revision = ""
        self.extra = ""
        self.since = "15m"
        self._dirty = False
        self._marks = 0
        self._frames = 0
        self._last_status = ""
        self._running_query = ""
        # called on the find's thread every few thousand entries (tests hold a find there)
        self.find_checkpoint: Callable[[FindJob], None] | None = None

    def settings_capacity(self) -> int:
        try:
            return int(self.app.settings.log_buffer)  # type: ignore[attr-defined]
        except Exception:  # not mounted in an app yet (constructed by a mode factory)
            return 100_000

    @property
    def running_query(self) -> str:
        """The query the view shows entries of (not what is being typed)."""
        return self._running_query

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="logs-bar"):
            yield Static("query", classes="label")
            yield Input(self.query_text, id="logs-query", select_on_focus=False,
                        placeholder='Logging query, e.g. severity>=WARNING textPayload:"timeout"')
            yield Static("", id="logs-query-error", markup=False)
        yield Input(placeholder="find: a regex on the text and source (Enter keeps it, "
                    "! inverts, Esc clears)",
                    id="logs-quick", classes="-hidden")
        yield LogRateChart(id="logs-chart")
        yield LogView(self.model, id="logs-view")
        yield StatusLine(id="logs-status")

    def on_mount(self) -> None:
        self.model = self.query_one(LogView).model
        self.query_one(LogView).focus()
        self.set_interval(1 / FPS, self._frame)
        self.set_interval(1.0, self.update_chart)
        self.restart()

    # ------------------------------------------------------------------ the tail

    @property
    def query_text(self) -> str:
        """The server-side query: service / revision plus what the user typed."""
        return build_filter(self.service, self.revision, None, self.extra, self.service_region,
                            self.job, self.execution)

    def show_service(self, service: str = "", revision: str = "",
                     severity: Severity | None = None, region: str = "") -> None:
        """Show the logs of one service (or revision); "" means all; `severity` sets the
        view's severity floor; `region` keeps same-named services apart. Safe before mount."""
        self.service, self.revision, self.extra = service, revision, ""
        self.service_region = region if service else ""
        self.job = self.execution = ""
        if severity is not None:  # (mounted, the restart below drops what is held)
            job = self.model.begin_find(severity_floor=severity)
            if job is not None and not self.is_mounted:
                self.model.finish_find(job, run_find(job) or [])
        if self.is_mounted:
            self.query_one("#logs-query", Input).value = self.query_text
            self.restart()

    def show_job(self, job: str, region: str = "", execution: str = "") -> None:
        """Show the logs of a Cloud Run job (or one execution). Safe before mount."""
        self.service = self.revision = self.extra = ""
        self.job, self.execution, self.service_region = job, execution, region
        if self.is_mounted:
            self.query_one("#logs-query", Input).value = self.query_text
            self.restart()

    def restart(self) -> None:
        """A new tail of the query in the input: what the old one buffered and counted goes."""
        self.model.reset()
        self.query_one(LogView).data_changed()
        self._last_status = ""
        self.query_one("#logs-query-error", Static).update("")
        self.query_one(StatusLine).busy(f"loading the last {self.since} and tailing")
        self._running_query = self.query_one("#logs-query", Input).value
        problem = filter_problem(self._running_query)
        if problem:  # never sent: a clear error instead of a parser's RecursionError
            self.query_one("#logs-query-error", Static).update(f"✗ {problem}")
            self.query_one(StatusLine).info("the query was not sent: fix it and press enter")
            return
        self.tail_logs(self._running_query, self.since)

    @work(exclusive=True, group="logs-tail", exit_on_error=False)
    async def tail_logs(self, query: str, since: str) -> None:
        start = self.now() - parse_since(since)
        try:
            logs = await self.backend.logs()
            async with aclosing(logs.tail_compact(query, since=start)) as batches:
                async for batch in batches:
                    self.model.add_batch(batch)
                    self._dirty = True
                    await asyncio.sleep(0)  # a stream with data ready never yields: let keys in
        except InvalidArgument as exc:
            # the server counts columns in the whole request, our timestamp clause
            # included: say where in what the user typed instead
            self._query_rejected(await self._own_error(query, exc))
        except StagingError as exc:
            self.query_one(StatusLine).error(exc, "p")

    async def _own_error(self, query: str, exc: InvalidArgument) -> InvalidArgument:
        """The server's verdict on `query` alone (no clause of ours), else `exc`."""
        try:
            await (await self.backend.logs()).check_filter(query)
        except InvalidArgument as own:
            return own
        except StagingError:
            pass
        return exc

    def _query_rejected(self, exc: InvalidArgument, kept: bool = False) -> None:
        self.query_one("#logs-query-error", Static).update(f"✗ {exc.message}")
        if kept:
            exc = InvalidArgument(exc.message, "fix the query (Enter runs it; Esc goes back to "
                                  f"the running one) · still showing: {self._running_query}")
        self.query_one(StatusLine).error(exc, "e")
        self._point_at_error(exc.message)

    @work(exclusive=True, group="logs-check", exit_on_error=False)
    async def check_then_restart(self, query: str) -> None:
        """A new query replaces the tail only once the server accepts it: a typo keeps the
        entries (and the tail) of the running query."""
        self.query_one(StatusLine).busy("checking the query")
        try:
            await (await self.backend.logs()).check_filter(query)
        except InvalidArgument as exc:
            self._query_rejected(exc, kept=True)
            return
        except StagingError:
            pass  # not the query's fault: the tail reports it
        if self.query_one("#logs-query", Input).value == query:  # still what the user wants?
            self.restart()

    def _frame(self) -> None:
        """At most FPS redraws a second, however fast entries arrive."""
        if self.model.finding is not None:
            self._status()  # "finding… N of M"
        if not self._dirty:
            return
        self._dirty = False
        self.query_one(LogView).data_changed()
        self._frames += 1
        if self._frames % (FPS // 2) == 0:  # the status twice a second is plenty
            self._status()

    def update_chart(self) -> None:
        self.query_one(LogRateChart).show(self.model)
        self._status()

    def _status(self) -> None:
        status = self.query_one(StatusLine)
        if status.has_class("-error"):
            return
        parts = [self.model.status(), f"since {self.since}"]
        if self.model.severity_floor > Severity.DEFAULT:
            parts.append(f"≥ {self.model.severity_floor.name}")
        if self.model.pattern:
            parts.append(f"find {'!' if self.model.inverse else ''}/{self.model.pattern}/")
        text = " · ".join(parts)
        if text == self._last_status:
            return
        if self._last_status:  # same one-line shape: skip the screen reflow of info()
            status.update(text, layout=False)
        else:
            status.info(text)
        self._last_status = text

    # ------------------------------------------------------------------ actions

    def action_edit_query(self) -> None:
        box = self.query_one("#logs-query", Input)
        box.focus()
        box.cursor_position = len(box.value)

    def _point_at_error(self, message: str) -> None:
        """Back to the query, the cursor where the server says the problem is."""
        box = self.query_one("#logs-query", Input)
        box.focus()
        found = _COLUMN.search(message)
        column = int(found.group(1)) if found else 0
        box.cursor_position = column - 1 if 0 < column <= len(box.value) + 1 else len(box.value)

    @on(Input.Submitted, "#logs-query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        self.query_one(LogView).focus()
        problem = filter_problem(event.value)
        if problem:  # never sent; the running query and its entries stay
            self.query_one("#logs-query-error", Static).update(f"✗ {problem}")
            self.query_one(StatusLine).info("the query was not sent: fix it and press enter "
                                            f"· still showing: {self._running_query}")
            return
        self.check_then_restart(event.value)

    def action_quick_filter(self) -> None:
        box = self.query_one("#logs-quick", Input)
        box.remove_class("-hidden")
        box.focus()

    @on(Input.Changed, "#logs-quick")
    def _quick_changed(self, event: Input.Changed) -> None:
        self._apply_quick(event.value)

    @on(Input.Submitted, "#logs-quick")
    def _quick_done(self) -> None:
        self.query_one(LogView).focus()

    def _apply_quick(self, pattern: str | None, inverse: bool | None = None) -> None:
        try:
            job = self.model.begin_find(pattern, inverse=inverse)
        except re.error as exc:
            self.query_one(StatusLine).info(f"find: not a regex ({exc})")
            return
        view = self.query_one(LogView)
        pattern = self.model.pattern
        view.highlight = (re.compile(pattern, re.IGNORECASE)
                          if pattern and not self.model.inverse else None)
        view.settings_changed()  # rows render again with (or without) the highlight
        self._find(job)

    def _find(self, job: FindJob | None) -> None:
        """Index the entries held for the filter just set: here if few, else on a thread
        (the pane keeps handling keys and following; a newer find cancels this one)."""
        if job is not None and job.size < FIND_ON_THREAD:
            self.model.finish_find(job, run_find(job) or [])
        elif job is not None:
            self.find_on_thread(job)
        self.query_one(LogView).data_changed()
        self._status()

    @work(thread=True, exclusive=True, group="logs-find", exit_on_error=False)
    def find_on_thread(self, job: FindJob) -> None:
        found = run_find(job, self.find_checkpoint)
        release_free_memory()  # the parsed responses it freed sit in this thread's arena
        if found is not None and not job.cancelled:
            self.app.call_from_thread(self._found, job, found)

    def _found(self, job: FindJob, found: list[int]) -> None:
        if self.model.finish_find(job, found):
            self.query_one(LogView).data_changed()
            self._status()

    def action_invert(self) -> None:
        self._apply_quick(None, inverse=not self.model.inverse)

    def action_clear_quick(self) -> None:
        query = self.query_one("#logs-query", Input)
        if query.has_focus:  # Esc while editing the query: back to the running one
            query.value = self._running_query
            self.query_one(LogView).focus()
            return
        box = self.query_one("#logs-quick", Input)
        with box.prevent(Input.Changed):
            box.value = ""
        box.add_class("-hidden")
        self._apply_quick("", inverse=False)
        self.query_one(LogView).focus()

    def action_floor(self, step: int) -> None:
        index = FLOORS.index(self.model.severity_floor) if (
            self.model.severity_floor in FLOORS) else 0
        self._find(self.model.begin_find(
            severity_floor=FLOORS[max(0, min(len(FLOORS) - 1, index + step))]))

    def action_cycle_since(self) -> None:
        presets = SINCE_PRESETS
        self.since = presets[(presets.index(self.since) + 1) % len(presets)] if (
            self.since in presets) else presets[0]
        self.restart()

    def action_toggle_wrap(self) -> None:
        view = self.query_one(LogView)
        view.wrap = not view.wrap
        view.settings_changed()

    def action_toggle_utc(self) -> None:
        view = self.query_one(LogView)
        view.utc = not view.utc
        view.settings_changed()

    def action_mark(self) -> None:
        self._marks += 1
        self.model.add_batch([LogMarker(MarkerKind.MARK, self.now(), 0, f"mark {self._marks}")])
        self.query_one(LogView).data_changed()

    def action_clear(self) -> None:
        self.model.clear()
        self.query_one(LogView).data_changed()

    @on(LogView.Expand)
    def _expand(self, event: LogView.Expand) -> None:
        self.app.push_screen(LogEntryScreen(event.entry, self.query_one(LogView).utc))

    @on(LogView.FollowChanged)
    def _follow_changed(self) -> None:
        self._status()

    # ------------------------------------------------------------------ pickers, save

    @work(exclusive=True, group="logs-picker", exit_on_error=False)
    async def action_pick_service(self) -> None:
        try:
            run = await self.backend.run()
            services = await run.list_services()
        except StagingError as exc:
            self.query_one(StatusLine).error(exc, "s")
            return
        regions = {s.region for s in services}
        options = [("all services", "")] + [
            (s.name if len(regions) == 1 else f"{s.name}  ({s.region})", s.key)
            for s in services]
        picked_key = await self.app.push_screen_wait(PickerScreen("Logs of which service?",
                                                                  options))
        if picked_key is None:
            return
        region, _, service = picked_key.rpartition("/")
        revision = ""
        if service:
            try:
                revisions = await run.list_revisions(service, region)
            except StagingError as exc:
                self.query_one(StatusLine).error(exc, "s")
                return
            picked = await self.app.push_screen_wait(PickerScreen(
                f"Which revision of {service}?",
                [("every revision", "")] + [(f"{r.name}  {r.readiness.value}", r.name)
                                            for r in revisions]))
            if picked is None:
                return
            revision = picked
        self.show_service(service, revision, region=region)

    @work(exclusive=True, group="logs-save", exit_on_error=False)
    async def action_save(self) -> None:
        exports = self.settings.exports
        default = export_path(exports, f"staging-logs-{datetime.now():%Y%m%d-%H%M%S}.log")
        answer = await self.app.push_screen_wait(SaveLogsScreen(str(default)))
        if answer is None:
            return
        path, everything = export_path(exports, answer[0]), answer[1]
        items = self.model.buffered(everything)
        as_json = path.suffix in (".jsonl", ".json")
        try:
            with open_private(path) as out:
                for line in save_lines(items, as_json, utc=True):
                    out.write(line + "\n")
        except OSError as exc:
            self.notify(f"could not save to {path}: {exc.strerror}", severity="error")
            return
        self.notify(f"saved {len(items):,} entries to {path}")
