"""ui/panes.py prewarm: pane modules are imported one at a time, only in quiet moments."""

from __future__ import annotations

from staging_tui.ui.panes import PANES, prewarm


def test_prewarm_waits_for_a_quiet_moment_then_imports_every_pane() -> None:
    answers = iter([False, False, *[True] * len(PANES)])
    asked = 0

    def quiet() -> bool:
        nonlocal asked
        asked += 1
        return next(answers)

    assert prewarm(quiet, lambda: False, poll=0.001) == len(PANES)
    assert asked == len(PANES) + 2  # it waited through the two busy answers


def test_prewarm_gives_up_when_cancelled_while_the_user_types() -> None:
    assert prewarm(lambda: False, lambda: True, poll=0.001) == 0
