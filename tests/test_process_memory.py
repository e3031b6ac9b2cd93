"""process_memory: start-up objects frozen out of GC scans once the panes are
prewarmed, free heap pages handed back, and an app that ends leaves nothing frozen."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys

from ui_app import make_app
from waiting import until

from staging_tui.process_memory import freeze_start_up, release_free_memory, thaw
from staging_tui.sandbox.server import RunningSandbox


def test_freeze_once_then_thaw() -> None:
    assert gc.get_freeze_count() == 0
    try:
        assert freeze_start_up()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert not freeze_start_up()            # already frozen: nothing more
        # (not ==: a frozen object that another thread of this worker drops leaves it)
        assert gc.get_freeze_count() <= frozen
    finally:
        thaw()
    assert gc.get_freeze_count() == 0


def test_free_heap_pages_go_back() -> None:
    # every other 64 KB block freed: holes in the heap that free() alone keeps
    blocks = [bytearray(64 * 1024) for _ in range(400)]
    del blocks[::2]
    released = release_free_memory()
    del blocks
    if platform.libc_ver()[0] == "glibc":
        assert released
    else:                                   # no malloc_trim: a no-op, never an error
        assert not released


async def test_the_app_freezes_start_up_after_prewarming_and_thaws_when_it_ends(
        sandbox: RunningSandbox) -> None:
    app = make_app(sandbox)
    async with app.run_test() as pilot:
        # prewarm starts a second after the first frame; its end settles the process
        await until(lambda: gc.get_freeze_count() > 0, pilot, timeout=60,
                    what="start-up frozen after the panes were prewarmed")
    assert gc.get_freeze_count() == 0


def test_the_console_never_imports_pyarrow() -> None:
    """pyarrow was measured and rejected for results (docs/performance.md "Query"):
    importing it alone costs ~60 MB of RSS. No pane, the CLI or the sandbox pulls it in."""
    code = ("import sys, importlib\n"
            "import staging_tui.cli, staging_tui.compose, staging_tui.ui.app\n"
            "from staging_tui.ui.panes import PANES\n"
            "for pane in PANES: pane.screen_type()\n"
            "import staging_tui.sandbox.server, staging_tui.db.export\n"
            "print('pyarrow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300)
    assert done.stdout.strip() == "False"
