"""Stateful view models, without a terminal: what a pane holds between frames (the
log ring and its filter, refresh with back-off and staleness). Screens own one and
read it through methods; no textual here."""
