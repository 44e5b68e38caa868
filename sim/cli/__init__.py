"""The `alliance-sim` command line."""

import os

# Before numpy loads: the commands' large arrays (blocks of runs, image buffers) live briefly, and faulting them in
# as the transparent huge pages numpy asks Linux for cost `compare` a second of system time compacting memory. A
# user's own setting wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
