"""The process's resident memory while it idles: start-up objects kept out of the
collector's way, freed heap pages handed back to the system.

Both the console and the sandbox child call these (docs/performance.md "Idle
footprint"); nothing here changes what the program does, only what its RSS holds.

- `freeze_start_up()`: after start-up (every pane's module imported), the objects alive
  then (modules, classes, protobuf descriptors: ~1.5M GC-tracked objects) move to the
  collector's permanent generation (`gc.freeze`), so a full collection later scans what
  the session made, not the imports: shorter pauses (a key waits for one) and no
  pages of start-up objects touched again by every full collection.
- `release_free_memory()`: glibc keeps memory freed by `free()` (a pane's first load,
  a finished RPC's buffers, thread arenas) in its arenas; `malloc_trim(0)` returns the
  free pages to the system. A few ms; called when the user has been idle a while.
- `fix_mmap_threshold()`: glibc serves big blocks by mmap, but raises its threshold to
  the size of the first such block freed; from then on the Logs tail's ~0.5 MB
  responses came from the heap, between small objects that outlive them, and their
  holes stayed in the RSS (~30 MB under a 20k/s flood, bench/logs.py). A fixed
  threshold keeps them mmapped: freed, they go back to the system at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

TRIM_EVERY_S = 30.0   # how often an idle process hands free heap pages back
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 256 * 1024  # glibc starts at 128 KiB, then grows it up to 32 MiB


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):   # not glibc (musl, macOS): nothing to trim
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Blocks of `threshold` bytes and more always by mmap; False where there is no
    `mallopt` (not glibc) or it refused."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))


def release_free_memory() -> bool:
    """Hand the C heap's free pages back to the system; False where there is no
    `malloc_trim` (not glibc) or nothing could be released."""
    trim = _malloc_trim()
    return bool(trim is not None and trim(0))


def freeze_start_up() -> bool:
    """Collect once, then move every object alive now out of later collections. Returns
    False (and does nothing) when already frozen: `thaw()` undoes it."""
    if gc.get_freeze_count():
        return False
    gc.collect()
    gc.freeze()
    return True


def thaw() -> None:
    """Undo `freeze_start_up` (an app ending inside a longer process: the tests)."""
    gc.unfreeze()
