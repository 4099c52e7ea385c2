"""Keep the garbage collector's full passes off the claims a worker holds.

A worker's heap is mostly its index and watch cache: with 20,000 claims, some 300,000
tracked objects. CPython's cyclic collector walks every one of them on each full
(generation 2) pass, holding the GIL for tens of milliseconds, and every request in flight
waits. Right after a list is loaded those objects are young, and several full passes fall
in the first minute of serving: at 20,000 claims they put the fixed-rate p99 of the first
body measured at 66 to 132 ms against 1.7 ms for the bodies measured later
(BENCHMARKS.md, "Admission at 20,000 claims").

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
