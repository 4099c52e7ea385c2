"""How long to wait before trying again: the one rule behind every retry dnsgate makes.

The Service watch re-connecting to the apiserver, a Route53 call that was throttled or got a
5xx, a change group Route53 refused, and a resync after Route53 failed as a whole all wait
`Backoff.delay(failures)`: exponential in the failures so far, capped, with "equal jitter"
(the name the AWS Architecture Blog's "Exponential Backoff And Jitter" gives it): after the
n-th failure in a row the step is `min(cap, base * 2**(n-1))` and the wait is drawn
uniformly from [step/2, step].

Why equal jitter rather than none or full jitter (uniform in [0, step]): the random half
spreads apart callers that failed together (two reconciler replicas, every webhook worker
after an apiserver restart), so they do not come back in lockstep; the fixed half keeps
each wait at least half its step, so waits grow with every failure and never collapse to
zero. A refused record is tried ever less often instead of in a hot loop, which is what the
operator reading "retry 3 in 4s" expects. Full jitter does the least total work when many
clients contend for one server; dnsgate writes to Route53 from one replica per account, so
the floor is worth more than that.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Backoff:
    base: float
    """Seconds: the step after the first failure; it doubles with each failure after."""
    cap: float
    """Seconds: no step grows beyond this."""
    jitter: Callable[[], float] = field(default=random.random, compare=False, repr=False)
    """Uniform in [0, 1); a test passes a constant to pin the wait."""

    def step(self, failures: int) -> float:
        """The longest wait after `failures` failures in a row (1 for the first)."""
        return min(self.cap, self.base * 2.0 ** max(0, failures - 1))

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row: in [step/2, step]."""
        step = self.step(failures)
        return step / 2 + self.jitter() * step / 2
