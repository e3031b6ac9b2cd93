"""SecretValue: the one place a secret value is ever rendered, and only for a while.

Masked by default. `reveal(payload)` shows it until `reveal_s` seconds have passed on
the app's clock (controllable in tests), then it masks itself; `mask()` forgets the
payload at once (the screen calls it when the cursor moves or the pane changes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from staging_tui.domain import SecretPayload
from staging_tui.render.secrets import MASK, payload_text

REVEAL_S = 15.0


class SecretValue(Static):
    DEFAULT_CSS = """
    SecretValue { height: auto; max-height: 8; padding: 0 1; border: round $primary 50%; }
    SecretValue.-revealed { border: round $warning; }
    """

    class Masked(Message):
        """The revealed value was masked again (timeout, cursor move, pane switch)."""

    def __init__(self, clock: Callable[[], datetime], reveal_s: float = REVEAL_S, *,
                 id: str | None = None) -> None:
        super().__init__("", id=id)
        self._clock = clock
        self.reveal_s = reveal_s
        self.secret = ""
        self.version = ""
        self.note = ""
        self._payload: SecretPayload | None = None
        self._revealed_at: datetime | None = None

    def on_mount(self) -> None:
        self.set_interval(0.2, self.tick)
        self._draw()

    @property
    def revealed(self) -> bool:
        return self._payload is not None

    def show_target(self, secret: str, version: str, note: str = "") -> None:
        """Point at another secret/version: anything revealed is masked first."""
        self.mask()
        self.secret, self.version, self.note = secret, version, note
        self._draw()

    def reveal(self, payload: SecretPayload) -> None:
        if (payload.secret, payload.version) != (self.secret, self.version):
            return  # the user moved on while it was fetched
        self._payload = payload
        self._revealed_at = self._clock()
        self.add_class("-revealed")
        self._draw()

    def mask(self) -> None:
        was = self._payload is not None
        self._payload = None
        self._revealed_at = None
        self.remove_class("-revealed")
        self._draw()
        if was:
            self.post_message(self.Masked())

    def seconds_left(self) -> float:
        if self._revealed_at is None:
            return 0.0
        return max(0.0, self.reveal_s - (self._clock() - self._revealed_at).total_seconds())

    def tick(self) -> None:
        if self._payload is None:
            return
        if self.seconds_left() <= 0:
            self.mask()
        else:
            self._draw()

    def _draw(self) -> None:
        if not self.secret:
            self.update(Text("no version to show", style="dim"))
            return
        head = Text()
        head.append(self.secret, style="bold")
        head.append(f" @ version {self.version}" if self.version else " (no enabled version)")
        if self._payload is None:
            head.append(f"   {MASK}", style="bold")
            if self.version:
                head.append(f"   v reveal {self.reveal_s:.0f} s · c copy", style="dim")
            if self.note:
                head.append(f"   {self.note}", style="dim")
            self.update(head)
            return
        head.append(f"   revealed, masks in {self.seconds_left():.0f} s", style="bold yellow")
        head.append("\n")
        head.append(payload_text(self._payload))
        self.update(head)
