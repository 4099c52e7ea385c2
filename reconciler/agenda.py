"""When the loop works next, and on what: the one place it waits, the one way in from other
threads.

Work falls due at deadlines, all kept here:
- a resync, every `interval`; sooner after a sync that failed as a whole (on the shared
  backoff), and at once when asked (a replica that has just become leader: whoever led
  before may have written meanwhile);
- Service events from the watch thread, coalesced: due `coalesce` seconds after the last
  event of a burst, and at most MAX_SETTLE after its first, so a burst becomes one plan and
  one batch and still reaches Route53 within a second;
- names waiting out a refusal, whose earliest due time the loop passes in
  (`retry.RetrySchedule`).
`next` blocks on one condition until the earliest deadline or a call from another thread
(an event, a resync request, `stop`) and returns the work due, a resync first: it covers
every Service and every name.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from dnsgate.backoff import Backoff

MAX_SETTLE = 0.6  # seconds: a steady stream of events still reaches Route53 within a second


@dataclass(frozen=True)
class Work:
    kind: Literal["resync", "services", "retries"]
    services: frozenset[str] = frozenset()
    """For "services": the Services ("namespace/name") whose events arrived."""


RESYNC = Work("resync")
RETRIES = Work("retries")


class Agenda:
    def __init__(self, interval: float, coalesce: float, backoff: Backoff,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.coalesce = coalesce
        self.backoff = backoff
        self.clock = clock
        self.stopped = threading.Event()
        # Reentrant: `stop` runs in a signal handler, which may interrupt `next` holding it.
        self._changed = threading.Condition(threading.RLock())
        self._resync_at = clock()  # the first work is a full sync
        self._failures = 0
        self._services: set[str] = set()
        self._first_event = self._last_event = 0.0

    # ---- from any thread ----------------------------------------------------------------

    def services_changed(self, services: Iterable[str]) -> None:
        with self._changed:
            now = self.clock()
            if not self._services:
                self._first_event = now
            self._services.update(services)
            self._last_event = now
            self._changed.notify()

    def resync_now(self) -> None:
        with self._changed:
            self._resync_at = min(self._resync_at, self.clock())
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self.stopped.set()
            self._changed.notify()

    # ---- from the loop ------------------------------------------------------------------

    def next(self, retries_due: float | None = None) -> Work | None:
        """Wait until work is due and return it; None once stopped."""
        with self._changed:
            while not self.stopped.is_set():
                work = self.due(retries_due)
                if work is not None:
                    return work
                deadline = min(self._resync_at,
                               self._settled_at() if self._services else math.inf,
                               math.inf if retries_due is None else retries_due)
                self._changed.wait(deadline - self.clock())
            return None

    def due(self, retries_due: float | None = None) -> Work | None:
        """The work due now, taken off the agenda; None when nothing is due yet."""
        with self._changed:
            now = self.clock()
            if now >= self._resync_at:
                self._resync_at = now + self.interval
                self._services.clear()
                return RESYNC
            if self._services and now >= self._settled_at():
                services = frozenset(self._services)
                self._services.clear()
                return Work("services", services)
            if retries_due is not None and now >= retries_due:
                return RETRIES
            return None

    def sync_failed(self) -> None:
        """Route53 failed as a whole: resync sooner, later after each failure in a row."""
        with self._changed:
            self._failures += 1
            retry_at = self.clock() + self.backoff.delay(self._failures)
            self._resync_at = min(self._resync_at, retry_at)

    def sync_succeeded(self) -> None:
        with self._changed:
            self._failures = 0

    def _settled_at(self) -> float:
        return min(self._last_event + self.coalesce, self._first_event + MAX_SETTLE)
