"""Names whose changes Route53 refused, each waiting out its own backoff before its next try.

A refused change group (a record and its ownership TXT) fails only its own name; every other
change lands. The name is planned again once its wait is over (and at every resync, which
plans every name); each refusal in a row lengthens the wait (`dnsgate.backoff`). A name
whose changes land, or that no Service wants any more, leaves the schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dnsgate.backoff import Backoff


@dataclass(frozen=True)
class Retry:
    attempts: int
    """Refusals in a row."""
    due: float
    """Clock time of the next try."""
    wait: float
    """Seconds from the refusal to `due`."""
    changes: int
    """Changes waiting (dnsgate_reconciler_pending_changes)."""


class RetrySchedule:
    """Refused names and when each is tried next. Used by the loop's thread alone."""

    def __init__(self, backoff: Backoff, clock: Callable[[], float] = time.monotonic) -> None:
        self.backoff = backoff
        self.clock = clock
        self._retries: dict[str, Retry] = {}

    def settle(self, covered: Callable[[str], bool],
               refused: Mapping[str, int]) -> dict[str, Retry]:
        """Record a sync's outcome: of the names it `covered`, those `refused` (name ->
        changes) wait one step longer than before, the rest are done. Returns the new waits."""
        now = self.clock()
        scheduled: dict[str, Retry] = {}
        for name, changes in refused.items():
            previous = self._retries.get(name)
            attempts = previous.attempts + 1 if previous else 1
            wait = self.backoff.delay(attempts)
            scheduled[name] = Retry(attempts, now + wait, wait, changes)
        kept = {name: r for name, r in self._retries.items() if not covered(name)}
        self._retries = kept | scheduled
        return scheduled

    def clear(self) -> None:
        self._retries = {}

    def due(self) -> frozenset[str]:
        """Names whose wait is over."""
        now = self.clock()
        return frozenset(name for name, r in self._retries.items() if r.due <= now)

    def next_due(self) -> float | None:
        """Clock time of the earliest try; None when nothing waits."""
        return min((r.due for r in self._retries.values()), default=None)

    def attempts(self) -> dict[str, int]:
        return {name: r.attempts for name, r in self._retries.items()}

    def pending_changes(self) -> int:
        return sum(r.changes for r in self._retries.values())
