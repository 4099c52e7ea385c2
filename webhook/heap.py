"""Keep the garbage collector's full passes off the claims a worker holds.

A worker's heap is mostly its index and watch cache: with 20,000 claims, some 140,000 or
more tracked objects. CPython's cyclic collector walks every one of them on each full
(generation 2) pass, holding the GIL while every request in flight waits: 28 ms for a
20,000-claim index measured in one process, 0 ms once frozen (BENCHMARKS.md, "Admission
at 20,000 claims", which also says what this did not fix).

`settle` collects once and then freezes what is left (`gc.freeze`): the objects alive at that
moment move to a permanent generation that later passes do not walk. Frozen objects are
still freed by reference counting when they are dropped; only a reference cycle among them
would outlive its last reference, and the index and the cache hold none.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect now, then leave every surviving object out of later collections."""
    gc.collect()
    gc.freeze()
