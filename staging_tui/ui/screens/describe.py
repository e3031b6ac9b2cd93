"""The describe view of a Cloud Run service (k9s' `d`): its whole v2 resource as YAML,
`j` / `y` switch to JSON / YAML, `c` copies, Esc goes back. Opened by `d` in Services
or `:describe SERVICE`."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from staging_tui.errors import StagingError
from staging_tui.render.describe import as_json, as_yaml
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.widgets.status_line import StatusLine


class DescribeScreen(PaneScreen):
    PANE_TITLE = "Services"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="describe.back"),
        Binding("y", "format('yaml')", "YAML", id="describe.yaml"),
        Binding("j", "format('json')", "JSON", id="describe.json"),
        Binding("c", "copy", "Copy", id="describe.copy"),
    ]
    DEFAULT_CSS = """
    DescribeScreen #describe-body { height: 1fr; padding: 0 1; }
    """

    def __init__(self, service: str, region: str = "") -> None:
        super().__init__()
        self.service, self.service_region = service, region
        self.resource: dict[str, object] | None = None
        self.format = "yaml"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="describe-body"):
            yield Static("", id="describe-text", markup=False)
        yield StatusLine(id="describe-status")

    def on_mount(self) -> None:
        self.query_one("#describe-body").focus()
        self.load()

    @work(exclusive=True, group="describe-load", exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one(StatusLine)
        status.busy(f"reading {self.service}")
        try:
            self.resource = await (await self.backend.run()).describe_service(
                self.service, self.service_region)
        except StagingError as exc:
            status.error(exc)
            return
        self.show()

    def show(self) -> None:
        if self.resource is None:
            return
        text = as_yaml(self.resource) if self.format == "yaml" else as_json(self.resource)
        self.query_one("#describe-text", Static).update(text)
        self.query_one(StatusLine).info(
            f"{self.service} · {self.format.upper()} · [y] YAML · [j] JSON · [c] copy · "
            "[Esc] back")

    def action_format(self, fmt: str) -> None:
        self.format = fmt
        self.show()

    def action_copy(self) -> None:
        if self.resource is not None:
            self.app.copy_to_clipboard(as_yaml(self.resource) if self.format == "yaml"
                                       else as_json(self.resource))
            self.notify(f"copied {self.service} as {self.format.upper()}")
