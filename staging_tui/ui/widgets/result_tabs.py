"""ResultTabs: one tab per statement run, each a ResultGrid, at most MAX_TABS kept
(the oldest go first). Before the first result it shows how to run something."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from staging_tui.db.history import redact
from staging_tui.render.query import ResultInfo, tab_label
from staging_tui.ui.widgets.result_grid import ResultGrid

MAX_TABS = 8
HINT = ("f5 / ctrl+enter runs the statement under the cursor (or the selection), f9 runs "
        "them all; each result gets a tab.\n"
        "\\dt \\dv \\dm \\dn \\df \\dx \\l \\du \\d NAME list the catalog · \\c NAME switches "
        "instance · \\x expanded rows · \\timing\n"
        "tab completes · f3 shows null fraction and distinct values of the table at the "
        "cursor · ctrl+s exports · ctrl+up/down history")


class ResultTabs(Vertical):
    DEFAULT_CSS = """
    ResultTabs { height: 1fr; }
    ResultTabs > TabbedContent { height: 1fr; }
    ResultTabs TabPane { padding: 0; }
    ResultTabs > #results-hint { color: $text-muted; padding: 1 2; }
    ResultTabs.-empty > TabbedContent { display: none; }
    ResultTabs > #results-hint { display: none; }
    ResultTabs.-empty > #results-hint { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-empty")
        self.results: dict[str, ResultInfo] = {}
        # pane id -> its grid, kept here: a pane added a moment ago may not have mounted
        # its grid yet, so it cannot be found by a query
        self._grids: dict[str, ResultGrid] = {}
        self._count = 0

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="results-hint", markup=False)
        yield TabbedContent()

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    def new_result(self, statement: str, *, expanded: bool = False
                   ) -> tuple[ResultGrid, ResultInfo]:
        """Add a tab for `statement`, make it the active one, drop the oldest."""
        self._count += 1
        pane_id = f"result-{self._count}"
        grid = ResultGrid(id=f"grid-{self._count}")
        grid.expanded = expanded
        info = ResultInfo(statement)
        self.results[pane_id] = info
        self._grids[pane_id] = grid
        label = tab_label(self._count, redact(statement))     # no password in a tab title
        self.tabs.add_pane(TabPane(label, grid, id=pane_id))
        self.tabs.active = pane_id
        self.remove_class("-empty")
        for stale in list(self.results)[: max(0, len(self.results) - MAX_TABS)]:
            self._remove(stale)
        return grid, info

    def drop(self, info: ResultInfo) -> None:
        """Remove the tab of a statement that failed before it had any columns."""
        for pane_id, known in list(self.results.items()):
            if known is info:
                self._remove(pane_id)

    def _remove(self, pane_id: str) -> None:
        self.tabs.remove_pane(pane_id)
        del self.results[pane_id]
        self._grids.pop(pane_id, None)
        self.set_class(not self.results, "-empty")

    @property
    def count(self) -> int:
        """How many tabs were ever opened (numbers them, names export files)."""
        return self._count

    def active(self) -> tuple[ResultGrid, ResultInfo] | None:
        pane_id = self.tabs.active
        if not pane_id or pane_id not in self.results:
            return None
        return self._grids[pane_id], self.results[pane_id]

    def set_expanded(self, expanded: bool) -> None:
        for grid in self._grids.values():
            grid.expanded = expanded
