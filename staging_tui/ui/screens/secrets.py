"""The Secrets pane: every secret with its versions and users, the value box, the audit.

`/` filters, Enter opens the versions view, `v` reveals the latest enabled version
for 15 s, `c` copies it (OSC 52) without showing it, `n`/`a` create a secret / add
a version when the profile is writable. The audit panel lists the required-secrets
audit (✓/✗ with the gcloud fix).

Quota (600 reads/min per project, shared): the names come from one call; versions are
fetched for the secrets services reference and the profile requires (the audit's
needs), progressively, then for the secret under the cursor when it rests there;
never one call per secret of the project. So the pane loads on demand (`r`, a write)
under a `Refresh(0)` schedule: a failed load backs off and retries by itself, the
freshness beside the status line says how old the listing is.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Input, Static

from staging_tui.audit.secrets_audit import (
    audit_input,
    audit_profile,
    needed_secrets,
    own_projects,
    secret_users,
)
from staging_tui.domain import Finding, Level, Secret, Workload
from staging_tui.errors import StagingError
from staging_tui.model.refresh import Refresh
from staging_tui.render.secrets import MARK, audit_summary, filter_secrets
from staging_tui.ui.screens.secret_base import SecretPaneBase
from staging_tui.ui.screens.secret_write import SecretWrite
from staging_tui.ui.widgets.freshness import Freshness, StatusRow
from staging_tui.ui.widgets.secret_value import SecretValue
from staging_tui.ui.widgets.secrets_table import SecretsTable
from staging_tui.ui.widgets.status_line import StatusLine

SELECT_DELAY_S = 0.4  # the cursor rests this long on a secret before its versions load
LEVEL_STYLE = {Level.OK: "green", Level.INFO: "cyan", Level.WARNING: "yellow",
               Level.ERROR: "bold red"}


def audit_text(findings: list[Finding]) -> Text:
    """The audit panel: problems first, then the ✓ lines; each problem with its fix."""
    text = Text()
    text.append(f"Secrets audit — {audit_summary(findings)}\n", style="bold underline")
    order = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2, Level.OK: 3}
    for f in sorted(findings, key=lambda f: order[f.level]):
        text.append(f"{MARK[f.level]} ", style=LEVEL_STYLE[f.level])
        text.append(f"{f.title}\n", style="bold" if f.level is Level.ERROR else "")
        if f.level is not Level.OK:
            if f.evidence:
                text.append(f"    {f.evidence}\n", style="dim")
            if f.fix:
                text.append(f"    fix: {f.fix}\n", style="cyan")
    return text


class SecretsScreen(SecretPaneBase):
    PANE_TITLE = "Secrets"
    DEFAULT_CSS = """
    #secrets-filter { height: 1; border: none; padding: 0 1; margin: 0 1; }
    #secrets-table { height: 1fr; min-height: 4; }
    #secrets-audit { height: 40%; max-height: 14; min-height: 4;
                     border-top: solid $primary 40%; padding: 0 1; }
    """
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="secrets.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="secrets.clear-filter"),
        Binding("r", "reload", "Reload", id="secrets.reload"),
        *SecretPaneBase.VALUE_BINDINGS,
        Binding("n", "new_secret", "New secret", id="secrets.new"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[Secret] = []
        self.services: list[Workload] = []  # services and jobs
        self.users: dict[str, list[str]] = {}
        self.findings: list[Finding] = []
        self.versions_loaded = False
        self._initial_filter = ""
        self._select_timer: Timer | None = None
        self.refresh_schedule = Refresh(0)  # on demand: a load costs quota

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="filter: name, label or service — Esc clears",
                    id="secrets-filter", classes="-hidden")
        yield SecretsTable(id="secrets-table")
        yield SecretValue(self.now, id="secrets-value")
        with VerticalScroll(id="secrets-audit"):
            yield Static(Text("Secrets audit: waiting for data…", style="dim"),
                         id="secrets-audit-text")
        yield StatusRow(StatusLine(id="secrets-status"),
                        Freshness(self.refresh_schedule, self.now, self.load,
                                  id="secrets-freshness"))

    def on_mount(self) -> None:
        table = self.query_one(SecretsTable)
        table.focus()
        self.watch(table, "cursor_row", self._cursor_moved, init=False)
        if self._initial_filter:  # is_mounted is still False here
            self._apply_filter(self._initial_filter)
        self.load()

    # ------------------------------------------------------------------ data

    def reload(self) -> None:
        """Load again now (r, after a write), replacing a load in flight."""
        self.refresh_schedule.cancelled()
        self.load()

    @work(exclusive=True, group="secrets-load", exit_on_error=False)
    async def load(self) -> None:
        """One load under the pane's schedule (never two at once, backing off after
        errors); the error shows in the status line, the last listing stays."""
        error = await self.refresh_schedule.run(self._load_secrets, self.now)
        if error is not None:
            self.query_one(StatusLine).error(error)

    async def _load_secrets(self) -> None:
        status = self.query_one(StatusLine)
        status.busy("loading secrets")
        secrets_api = await self.backend.secrets()
        bare, services = await asyncio.gather(
            secrets_api.list_secrets(with_versions=False),
            self.backend.workloads())  # a secret a job uses is used
        first = not self.secrets
        self.services = services
        self.users = secret_users(self.services, own_projects(self.settings.project, bare))
        self.secrets = bare
        index = {s.name: i for i, s in enumerate(bare)}
        if first:  # show the names while the versions that matter arrive
            self.show_rows(versions_loaded=False)
        s = self.settings
        data = audit_input(s.project, s.secret_suffix, s.required_secrets, self.services,
                           [i.password_secret for i in s.sql_instances if i.password_secret],
                           bare)
        selected = self.query_one(SecretsTable).cursor_key
        wanted = [n for n in dict.fromkeys([selected or "", *needed_secrets(data)])
                  if n in index]
        done = 0

        def arrived(secret: Secret) -> None:
            nonlocal done
            done += 1
            self.secrets[index[secret.name]] = secret
            if done % 25 == 0 or done == len(wanted):  # each update = a layout
                self.show_rows(versions_loaded=False)
                status.busy(f"loading versions of the secrets in use {done}/{len(wanted)}")

        status.busy(f"loading versions of the secrets in use 0/{len(wanted)}")
        await secrets_api.fill_versions([bare[index[n]] for n in wanted], arrived)
        self.versions_loaded = True
        self.findings = audit_profile(self.settings, self.services, self.secrets)
        self.query_one("#secrets-audit-text", Static).update(audit_text(self.findings))
        self.show_rows()

    def _load_selected_soon(self) -> None:
        """Versions of the secret under the cursor, once it rests there (not while the
        user scrolls through thousands of names)."""
        secret = self.selected()
        if secret is None or secret.versions_known or not self.versions_loaded:
            return
        if self._select_timer is not None:
            self._select_timer.stop()
        self._select_timer = self.set_timer(SELECT_DELAY_S,
                                            lambda: self.load_selected(secret.name))

    @work(exclusive=True, group="secrets-selected", exit_on_error=False)
    async def load_selected(self, name: str, then: str = "") -> None:
        """Fetch the versions of `name` (selected), then run action `then` if given."""
        if (self.selected() or Secret("", "")).name != name:
            return
        at = next((i for i, s in enumerate(self.secrets) if s.name == name), None)
        if at is None:
            return
        try:
            api = await self.backend.secrets()
            [secret] = await api.fill_versions([self.secrets[at]])
        except StagingError as exc:
            self.query_one(StatusLine).error(exc)
            return
        if at < len(self.secrets) and self.secrets[at].name == name:
            self.secrets[at] = secret
            self.show_rows()
            if then == "open":
                self._open_versions()
            elif then:
                getattr(self, f"action_{then}")()

    def _needs_versions(self, then: str) -> bool:
        """True (and the versions are on their way) when the selected secret's versions
        were never fetched: `then` runs once they are here."""
        secret = self.selected()
        if secret is None or secret.versions_known or not self.versions_loaded:
            return False
        if self._select_timer is not None:
            self._select_timer.stop()  # its plain load would cancel this one
        self.load_selected(secret.name, then=then)
        return True

    def action_reveal(self) -> None:
        if not self._needs_versions("reveal"):
            super().action_reveal()

    def action_copy_value(self) -> None:
        if not self._needs_versions("copy_value"):
            super().action_copy_value()

    def after_write(self, write: SecretWrite) -> None:
        self.reload()

    # ------------------------------------------------------------------ rendering

    @property
    def filter_text(self) -> str:
        return self.query_one("#secrets-filter", Input).value

    def show_rows(self, versions_loaded: bool = True) -> None:
        shown = filter_secrets(self.secrets, self.filter_text, self.users)
        self.query_one(SecretsTable).show(shown, self.users, self.now(), versions_loaded)
        if not versions_loaded:
            return
        errors = sum(1 for f in self.findings if f.level is Level.ERROR)
        parts = [f"{len(shown)} of {len(self.secrets)} secrets",
                 f"{errors} audit errors" if errors else "audit ok"]
        if self.filter_text:
            parts.append(f"filter: {self.filter_text!r}")
        parts.append("read-only" if not self.settings.writable else "writes enabled")
        self.query_one(StatusLine).info(" · ".join(parts))
        self.point_value_box()

    def selected(self) -> Secret | None:
        key = self.query_one(SecretsTable).cursor_key
        return next((s for s in self.secrets if s.name == key), None) if key else None

    def target(self) -> tuple[str, str]:
        secret = self.selected()
        if secret is None:
            return "", ""
        enabled = secret.latest_enabled
        return secret.name, enabled.version if enabled is not None else ""

    def point_value_box(self) -> None:
        secret = self.selected()
        if self.versions_loaded and (secret is None or secret.versions_known):
            super().point_value_box()
            return
        self.value_box().show_target(secret.name if secret else "", "", "versions loading…")

    def _cursor_moved(self) -> None:
        self.point_value_box()
        self._load_selected_soon()

    # ------------------------------------------------------------------ actions

    def action_reload(self) -> None:
        self.reload()

    def action_filter(self) -> None:
        box = self.query_one("#secrets-filter", Input)
        box.remove_class("-hidden")
        box.focus()

    def show_secret(self, name: str) -> None:
        """Filter the table to one secret (a Doctor finding's jump). Safe before mount.

        The filter is the name without the profile's suffix, so a missing
        `x-staging` shows its unsuffixed twin `x` when that is what exists."""
        suffix = self.settings.secret_suffix
        self._initial_filter = name[: -len(suffix)] if suffix and name.endswith(suffix) else name
        if self.is_mounted:
            self._apply_filter(self._initial_filter)

    def _apply_filter(self, text: str) -> None:
        box = self.query_one("#secrets-filter", Input)
        box.remove_class("-hidden")
        box.value = text
        self.query_one(SecretsTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#secrets-filter", Input)
        box.value = ""
        box.add_class("-hidden")
        self.query_one(SecretsTable).focus()

    @on(Input.Changed, "#secrets-filter")
    def _filter_changed(self) -> None:
        self.show_rows(self.versions_loaded)

    @on(Input.Submitted, "#secrets-filter")
    def _filter_done(self) -> None:
        self.query_one(SecretsTable).focus()

    @on(SecretsTable.RowSelected, "#secrets-table")
    def _open_versions(self) -> None:
        secret = self.selected()
        if secret is None or not self.versions_loaded:
            return
        if self._needs_versions("open"):
            return
        from staging_tui.ui.screens.secret_versions import SecretVersionsScreen

        self.app.push_screen(SecretVersionsScreen(
            secret, self.users.get(secret.name, []), on_change=self.reload,
            loaded_at=self.refresh_schedule.loaded_at))

    def action_new_secret(self) -> None:
        self.ask_write("create", "")

    def action_add_version(self) -> None:
        secret = self.selected()
        if secret is not None:
            self.ask_write("add-version", secret.name)
