"""PaneFooter: Textual's Footer without its leak.

The Footer rebuilds its keys on every bindings change (a pane switch, a focus move, a
run starting); each FooterKey is `data_bind`-ed to the footer's `compact`, which
registers a watcher on the footer that Textual drops only when `compact` changes, i.e.
never. So every rebuild kept the removed keys alive (widgets, caches, styles): ~500
FooterKeys a minute and ~10 MB a minute of RSS while panes were switched every few
seconds (bench/startup.py's idle run, docs/performance.md "Idle footprint"). After a
rebuild the watchers of removed keys go, by the rule Textual itself applies when the
value changes (`reactive._check_watchers`: a closing node's watcher goes).
"""

from __future__ import annotations

from textual.widgets import Footer

_WATCHERS = "__watchers"   # where textual.reactive._watch keeps an object's watchers


class PaneFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        self.drop_stale_watchers()

    def drop_stale_watchers(self) -> None:
        watchers: dict[str, list[tuple[object, object]]] = getattr(self, _WATCHERS, {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not getattr(node, "_closing", False)
                          and not getattr(node, "_closed", False)]
