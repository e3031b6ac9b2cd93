"""Entries/s by severity over the last minutes: one sparkline row per band."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from staging_tui.model.log_view import LogViewModel

BARS = " ▁▂▃▄▅▆▇█"
BANDS = ((3, "errors", "red"), (2, "warn", "yellow"), (None, "all", "green"))
LABEL = 8


def sparkline(values: list[int], peak: int) -> str:
    if peak <= 0:
        return " " * len(values)
    top = len(BARS) - 1
    return "".join(BARS[min(top, -(-v * top // peak))] for v in values)


class LogRateChart(Static):
    """Three rows (errors, warnings, all) of per-second counts; `show(model)` redraws."""

    DEFAULT_CSS = """
    LogRateChart { height: 3; padding: 0 1; }
    """

    def show(self, model: LogViewModel) -> None:
        width = max(10, self.size.width - LABEL - 12)
        # the current second is still filling: leave it out rather than show a dip
        series = [(label, style, model.sparkline(width + 1, band)[:-1])
                  for band, label, style in BANDS]
        peak = max((max(values, default=0) for _, _, values in series), default=0)
        text = Text(no_wrap=True)
        for i, (label, style, values) in enumerate(series):
            if i:
                text.append("\n")
            text.append(f"{label:<{LABEL}}", style="dim")
            text.append(sparkline(values, peak), style=style)
            text.append(f" {values[-1] if values else 0:>6,}/s", style="dim")
        self.update(text, layout=False)  # fixed height: no need to reflow the screen
