"""Charts of one service's golden signals (textual-plotext), deploys marked."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from staging_tui.domain import GoldenSignals, Revision
from staging_tui.render.golden_signals import deploy_marks, minutes_axis, summary_line


class SignalCharts(Vertical):
    """Requests and 5xx, latency p50/p95, instances with CPU and memory."""

    DEFAULT_CSS = """
    SignalCharts { height: auto; }
    SignalCharts PlotextPlot { height: 12; }
    SignalCharts #signals-summary { padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("golden signals: loading…", id="signals-summary")
        yield PlotextPlot(id="chart-traffic")
        yield PlotextPlot(id="chart-latency")
        yield PlotextPlot(id="chart-saturation")

    def show(self, signals: GoldenSignals | None, revisions: Sequence[Revision],
             window: str) -> None:
        summary = self.query_one("#signals-summary", Static)
        if signals is None or not signals.times:
            summary.update(f"golden signals ({window}): no Cloud Monitoring data")
            return
        summary.update(f"golden signals ({window}, │ = deploy): {summary_line(signals)}")
        x = minutes_axis(signals)
        marks = deploy_marks(revisions, signals)
        charts = (
            ("chart-traffic", "requests/s and 5xx %",
             (("req/s", signals.requests_per_s),
              ("5xx %", [r * 100 for r in signals.error_ratio]))),
            ("chart-latency", "latency (ms)", (("p50", signals.p50_ms), ("p95", signals.p95_ms))),
            ("chart-saturation", "instances, CPU % and memory %",
             (("instances", signals.instances), ("CPU %", [c * 100 for c in signals.cpu]),
              ("mem %", [m * 100 for m in signals.memory]))),
        )
        for chart_id, title, lines in charts:
            widget = self.query_one(f"#{chart_id}", PlotextPlot)
            plt = widget.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            plt.xlabel("minutes")
            for label, values in lines:
                plt.plot(x, list(values), label=label, marker="braille")
            for mark in marks:
                plt.vline(mark.minute, "red")
            widget.refresh()
