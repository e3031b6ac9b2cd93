"""glibc malloc's policy for big buffers, decided for the whole process like the GC's.

A Logs tail under a flood receives ~0.5 MB responses and frees them a moment later.
glibc serves such sizes by mmap, but raises its mmap threshold to the size of the
first such chunk freed: from then on they come from the heap, interleaved with small
objects that outlive them, and the freed holes stay in the process's RSS (about 30 MB
in bench/logs.py --flood). A fixed threshold keeps big buffers mmapped: freed, they go
back to the system at once. Elsewhere (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 256 * 1024  # glibc's default start is 128 KiB; it then grows to 32 MiB


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Set a fixed mmap threshold; True if this libc took it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no mallopt (musl): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
