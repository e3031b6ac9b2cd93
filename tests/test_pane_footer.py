"""PaneFooter: switching panes, moving focus and rebuilding the footer's keys leaves no
removed key alive (Textual's Footer kept every one through its `compact` watchers)."""

from __future__ import annotations

from textual.widgets._footer import FooterKey
from ui_app import make_app
from waiting import until

from staging_tui.sandbox.server import RunningSandbox
from staging_tui.ui.widgets.pane_footer import PaneFooter


async def test_rebuilt_footers_keep_only_their_current_keys(sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test(size=(160, 40)) as pilot:
        for key in "2121212":
            await pilot.press(key)
            await pilot.pause()
        footer = app.screen.query_one(PaneFooter)
        await until(lambda: footer.query(FooterKey), pilot)
        for _ in range(5):
            app.screen.refresh_bindings()        # what a focus move or a run start does
            await pilot.pause(0.05)
        await until(lambda: all(f.query(FooterKey) for f in [footer]), pilot)
        watched = [node for node, _ in getattr(footer, "__watchers", {}).get("compact", [])]
        assert watched and all(node.parent is not None for node in watched)
        assert len(watched) <= len(footer.query(FooterKey))
