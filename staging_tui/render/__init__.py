"""Pure functions turning domain objects into rows and text (k9s' `render`).

No textual and no I/O: the TUI and the headless commands share them, and they are
unit-tested without a terminal.
"""
