"""The `alliance-sim` command line."""

import ctypes
import os
import sys

# Before numpy loads: the commands' large arrays (blocks of runs, image buffers) live briefly, and faulting them in
# as the transparent huge pages numpy asks Linux for cost `compare` a second of system time compacting memory. A
# user's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

#: glibc's mallopt settings: arrays up to MMAP_BYTES come from the heap, and up to TRIM_BYTES of freed heap is kept.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_BYTES, TRIM_BYTES = 32 << 20, 512 << 20


def _reuse_freed_memory() -> None:
    """Let the process reuse the memory of arrays it freed: a fit's thousands of engine calls each allocate the same
    few MB of trajectories, which glibc would otherwise map afresh and hand back every time (faulting them in cost
    the baseline fit 7 of its 50 CPU-seconds). Only where the C library is glibc."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)
    mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)


_reuse_freed_memory()
