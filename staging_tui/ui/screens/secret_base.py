"""What the Secrets pane and its versions view share: reveal, copy, writes, the trail.

Values are fetched only on `v` (reveal, into the SecretValue widget, masked again
after 15 s) or `c` (copy: straight to the clipboard with OSC 52, never rendered).
Each reveal, copy and write is recorded in the local audit trail (never the value).
Writes exist only when the profile is writable, and go through a confirmation modal.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from textual import work
from textual.binding import Binding

from staging_tui.audit_trail import AuditTrail
from staging_tui.errors import ReadOnlyViolation, StagingError
from staging_tui.render.secrets import is_text
from staging_tui.ui.screens.base import PaneScreen
from staging_tui.ui.screens.secret_write import SecretWrite, SecretWriteModal
from staging_tui.ui.widgets.secret_value import SecretValue
from staging_tui.ui.widgets.status_line import StatusLine

WRITE_ACTIONS = {"new_secret", "add_version", "enable_version", "disable_version"}


class SecretPaneBase(PaneScreen):
    """Subclasses compose a SecretValue and a StatusLine and implement `target()`."""

    VALUE_BINDINGS = [
        Binding("v", "reveal", "Reveal 15s", id="secrets.reveal"),
        Binding("c", "copy_value", "Copy", id="secrets.copy"),
        Binding("a", "add_version", "Add version", id="secrets.add-version"),
    ]

    def target(self) -> tuple[str, str]:
        """(secret, version) the value box points at; version "" if there is none."""
        raise NotImplementedError

    def after_write(self, write: SecretWrite) -> None:
        """Reload what the write changed."""

    # ------------------------------------------------------------------ plumbing

    @property
    def trail(self) -> AuditTrail:
        return self.console.audit_trail

    def record(self, action: str, secret: str, version: str, outcome: str = "ok") -> None:
        s = self.settings
        self.trail.record(action, secret, version, profile=s.profile, project=s.project,
                          environment=s.environment, outcome=outcome)
        if self.trail.last_error:
            self.notify(self.trail.last_error, severity="warning")

    def value_box(self) -> SecretValue:
        return self.query_one(SecretValue)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in WRITE_ACTIONS or self.settings.writable

    def on_screen_suspend(self) -> None:
        """Switching pane (or opening another screen) masks at once."""
        self.workers.cancel_group(self, "secrets-value")
        self.value_box().mask()

    def point_value_box(self) -> None:
        self.workers.cancel_group(self, "secrets-value")
        secret, version = self.target()
        self.value_box().show_target(secret, version)

    # ------------------------------------------------------------------ reveal / copy

    def action_reveal(self) -> None:
        box = self.value_box()
        if box.revealed:
            box.mask()
            return
        secret, version = self.target()
        if secret and version:
            self._fetch(secret, version, "reveal")

    def action_copy_value(self) -> None:
        secret, version = self.target()
        if secret and version:
            self._fetch(secret, version, "copy")

    @work(exclusive=True, group="secrets-value", exit_on_error=False)
    async def _fetch(self, secret: str, version: str, purpose: str) -> None:
        status = self.query_one(StatusLine)
        try:
            api = await self.backend.secrets()
            payload = await api.access(secret, version)
        except StagingError as exc:
            self.record(purpose, secret, version, outcome=getattr(exc, "code", "error"))
            status.error(exc, retry_key=purpose[0])
            return
        if self.target() != (secret, version):
            return  # the cursor moved while the value was on its way
        self.record(purpose, secret, version)
        if purpose == "reveal":
            self.value_box().reveal(payload)
            return
        binary = not is_text(payload.data)
        self.app.copy_to_clipboard(base64.b64encode(payload.data).decode() if binary
                                   else payload.data.decode())
        status.info(f"copied {secret}@{version} to the clipboard"
                    f"{' (binary, as base64)' if binary else ''} — not shown")

    # ------------------------------------------------------------------ writes

    def ask_write(self, action: str, secret: str, version: str = "") -> None:
        if not self.settings.writable:  # bindings are hidden too; this is the backstop
            self.query_one(StatusLine).error(ReadOnlyViolation(
                "this profile is read-only or protected: secrets cannot be changed",
                "set read_only = false (and protected = false) in the profile"))
            return
        s = self.settings
        modal = SecretWriteModal(action, secret, s.environment, s.project, version)
        self.app.push_screen(modal, self._written_callback())

    def _written_callback(self) -> Callable[[SecretWrite | None], None]:
        def done(write: SecretWrite | None) -> None:
            if write is not None:
                self._write(write)
        return done

    @work(exclusive=True, group="secrets-write", exit_on_error=False)
    async def _write(self, write: SecretWrite) -> None:
        status = self.query_one(StatusLine)
        status.busy(f"{write.action} {write.secret}")
        version = write.version
        try:
            api = await self.backend.secrets()
            if write.action == "create":
                created = await api.create_secret(write.secret, write.value or None)
                version = created.versions[0].version if created.versions else ""
            elif write.action == "add-version":
                version = (await api.add_version(write.secret, write.value)).version
            elif write.action == "enable":
                await api.enable_version(write.secret, write.version)
            elif write.action == "disable":
                await api.disable_version(write.secret, write.version)
        except StagingError as exc:
            self.record(write.action, write.secret, version, outcome=getattr(exc, "code", "error"))
            status.error(exc, retry_key="r")
            return
        self.record(write.action, write.secret, version)
        status.info(f"{write.action}: {write.secret}{'@' + version if version else ''} "
                    f"in {self.settings.environment} — done")
        self.after_write(write)
