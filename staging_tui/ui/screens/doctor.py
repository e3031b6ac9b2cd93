"""The Doctor pane: the staging checks, run concurrently with progress, grouped by area
with ✓ / ⚠ / ✗; Enter shows evidence and fix, `g` goes to the place, `r` re-runs.

A run costs quota (every check's calls), so the pane runs on demand under a
`Refresh(0)` schedule: a run that could not gather an area (an API error, a spent
quota) counts as a failed load and is retried by itself after a back-off (from
RETRY_S, doubling); the freshness beside the status line says when the checks ran."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from staging_tui.audit.checks.registry import AREAS, exit_code, worst
from staging_tui.audit.runner import AreaProgress, DoctorRun
from staging_tui.domain import Finding, Level, Service, Severity
from staging_tui.errors import StagingError
from staging_tui.exit_codes import FINDINGS, OK
from staging_tui.model.refresh import Refresh
from staging_tui.render.doctor import (
    STYLE,
    SYMBOL,
    checklist_rows,
    finding_detail_text,
    summary_line,
)
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.widgets.freshness import Freshness, StatusRow
from staging_tui.ui.widgets.nav_table import NavTable
from staging_tui.ui.widgets.status_line import StatusLine

RETRY_S = 60.0  # a run whose areas could not be gathered: first retry (then doubling)


def incomplete_run(findings: list[Finding]) -> StagingError | None:
    """The run could not gather some areas (their `.gather` findings say why): an
    error naming them, with the first one's fix; None when every area was read."""
    failed = [f for f in findings if f.check_id.endswith(".gather")]
    if not failed:
        return None
    names = ", ".join(f.area for f in failed)
    return StagingError(f"could not gather {names}: {failed[0].evidence}",
                        failed[0].fix or "see the area's finding (Enter)")


class DoctorScreen(PaneScreen):
    PANE_TITLE = "Doctor"
    DEFAULT_CSS = """
    #doctor-progress { height: 1; padding: 0 1; color: $text-muted; }
    #doctor-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "details", "Details", id="doctor.details"),
        Binding("g", "goto", "Go to", id="doctor.goto"),
        Binding("r", "rerun", "Re-run", id="doctor.rerun"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[Finding] = []
        self.running: set[str] = set()
        self.services: list[Service] = []
        self.finding_rows: list[Finding | None] = []  # per table row; None: an area header
        self.progress_events = 0
        self.refresh_schedule = Refresh(0, retry_s=RETRY_S)  # on demand: a run costs quota

    def compose_body(self) -> ComposeResult:
        yield Static("", id="doctor-progress")
        yield NavTable(id="doctor-table", show_header=False, zebra_stripes=False,
                       skip=lambda row: (0 <= row < len(self.finding_rows)
                                         and self.finding_rows[row] is None))
        yield StatusRow(StatusLine(id="doctor-status"),
                        Freshness(self.refresh_schedule, self.now, self.run_checks,
                                  id="doctor-freshness"))

    def on_mount(self) -> None:
        table = self.query_one("#doctor-table", DataTable)
        table.add_column("check", key="check")
        table.focus()
        self.run_checks()

    # ------------------------------------------------------------------ running

    @work(exclusive=True, group="doctor-run", exit_on_error=False)
    async def run_checks(self) -> None:
        """One run under the pane's schedule (never two at once; an incomplete run
        backs off and retries); the findings stay, the status line says what failed."""
        error = await self.refresh_schedule.run(self._run_once, self.now)
        if error is not None:
            self.query_one(StatusLine).error(error)

    async def _run_once(self) -> None:
        self.findings = []
        self.running = set(AREAS)
        self.query_one("#doctor-table", NavTable).user_moved = False
        self.show_rows()
        self.query_one(StatusLine).busy("running the checks")
        run = DoctorRun(self.backend, on_progress=self._progress)
        findings = await run.run()  # gather errors are findings
        self.services = run.listed_services
        self.findings = findings
        self.running.clear()
        self.show_rows()
        if self.selected_finding() is None:  # start on the first problem, if any
            first = next((i for i, f in enumerate(self.finding_rows)
                          if f is not None and f.level in (Level.ERROR, Level.WARNING)), None)
            if first is not None:
                self.query_one("#doctor-table", DataTable).move_cursor(row=first)
        code = exit_code(findings)
        verdict = {OK: "all pass", FINDINGS: "warnings"}.get(code, "errors")
        self.query_one(StatusLine).info(Text(
            f"{verdict}: {summary_line(findings)} · [Enter] details · [g] go to · [r] re-run"))
        error = incomplete_run(findings)
        if error is not None:
            raise error

    def _progress(self, progress: AreaProgress) -> None:
        self.progress_events += 1
        if progress.state == "done":
            self.running.discard(progress.area)
            self.findings.extend(progress.findings)
        else:
            self.running.add(progress.area)
        self.show_rows()

    def show_rows(self) -> None:
        parts = Text()
        done = {f.area for f in self.findings}
        for area in AREAS:
            if area in self.running:
                parts.append(f"⟳ {area}  ", style="italic")
            elif area in done:
                level = worst([f for f in self.findings if f.area == area])
                level = level if level in (Level.ERROR, Level.WARNING) else Level.OK
                parts.append(f"{SYMBOL[level]} {area}  ", style=STYLE[level])
        self.query_one("#doctor-progress", Static).update(parts)
        table = self.query_one("#doctor-table", NavTable)
        selected = self.selected_finding()
        table.clear()
        self.finding_rows = []
        for i, (text, finding, style) in enumerate(
                checklist_rows(self.findings, self.running, AREAS)):
            table.add_row(Text(text, style=style), key=f"row-{i}")
            self.finding_rows.append(finding)
            if selected is not None and finding == selected:
                table.move_cursor(row=i)
        if not table.user_moved:  # until a key moves it: on the first problem, not a header
            problem = next((i for i, f in enumerate(self.finding_rows)
                            if f is not None and f.level in (Level.ERROR, Level.WARNING)), None)
            if problem is not None:
                table.move_cursor(row=problem)
        table.settle()

    # ------------------------------------------------------------------ actions

    def selected_finding(self) -> Finding | None:
        table = self.query_one("#doctor-table", DataTable)
        row = table.cursor_row
        return self.finding_rows[row] if 0 <= row < len(self.finding_rows) else None

    @on(DataTable.RowSelected, "#doctor-table")
    def _row_selected(self) -> None:
        self.action_details()

    def action_details(self) -> None:
        finding = self.selected_finding()
        if finding is not None:
            self.app.push_screen(DoctorFindingScreen(finding, self))

    def action_goto(self) -> None:
        finding = self.selected_finding()
        if finding is not None:
            self.go_to(finding)

    def action_rerun(self) -> None:
        self.refresh_schedule.cancelled()  # r replaces a run in flight
        self.run_checks()

    def go_to(self, finding: Finding) -> None:
        """Show the finding's place: the service detail, the secret, the logs, the DB."""
        area, target = finding.area, finding.target
        service_name = target.split("/", 1)[0]
        if area in ("services", "health") and service_name:
            service = next((s for s in self.services if s.name == service_name), None)
            if service is None:
                self.notify(f"{service_name}: not in the last listing", severity="warning")
                return
            from staging_tui.ui.screens.service_detail import ServiceDetailScreen

            self.app.switch_mode("services")
            self.app.push_screen(ServiceDetailScreen(service))
            return
        if area == "logs" and service_name:
            service = next((s for s in self.services if s.name == service_name), None)
            self.console.open_logs(service=service_name, severity=Severity.ERROR,
                                   region=service.region if service is not None else "")
            return
        if area == "secrets" and target:
            self.console.show_secret(target)
            return
        if area == "database" and target:
            self.console.show_instance(target)
            return
        fix = f" — fix: {finding.fix}" if finding.fix else ""
        self.notify(f"{finding.title}{fix}", title="No pane shows this",
                    severity="information", timeout=8)


class DoctorFindingScreen(PaneScreen):
    """One finding: where, what was seen, and the fix."""

    PANE_TITLE = "Doctor"
    DEFAULT_CSS = """
    #doctor-detail { padding: 1 2; }
    """
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="doctor.back"),
        Binding("g", "goto", "Go to", id="doctor.detail-goto"),
    ]

    def __init__(self, finding: Finding, pane: DoctorScreen) -> None:
        super().__init__()
        self.finding = finding
        self.pane = pane

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="doctor-detail"):
            yield Static(self.detail_text(), id="doctor-detail-text")
        yield StatusLine(Text("[g] go to the place · [Esc] back"), id="doctor-detail-status")

    def detail_text(self) -> Text:
        lines = finding_detail_text(self.finding).splitlines()
        text = Text()
        text.append(lines[0], style=f"bold {STYLE[self.finding.level]}")
        for line in lines[1:]:
            text.append("\n")
            text.append(line, style="bold underline" if line in ("evidence", "fix") else "")
        return text

    def action_goto(self) -> None:
        self.app.pop_screen()
        self.pane.go_to(self.finding)
