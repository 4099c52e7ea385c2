"""Reports written in the background, so a Service's Events and conditions never hold up DNS
work.

Written inline, the reports of a cold sync of 5,000 Services (a condition patch and an Event
each) kept the controller busy for tens of seconds after the records had landed, and the
next IP change waited behind them (BENCHMARKS.md, sync latency at 5,000 Services). Here each
outcome waits for one writer thread, at most one per Service: a later outcome replaces one
not yet written, so a burst of changes to one Service costs one write, and `forget` replaces
whatever was waiting. Outcomes are written in the order their Services first queued.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Final

from reconciler.report import Outcome, Reporter

log = logging.getLogger("dnsgate.reconcile")

_FORGET: Final = "forget"


class QueuedReporter:
    """A `Reporter` that hands outcomes to `inner` on its own thread (`start`, `close`)."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner
        self._pending: dict[str, Outcome | str] = {}
        self._busy = False
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="reports", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def report(self, outcome: Outcome) -> None:
        self._put(outcome.service, outcome)

    def forget(self, service: str) -> None:
        self._put(service, _FORGET)

    @property
    def waiting(self) -> int:
        """Outcomes queued and not yet handed to `inner`."""
        with self._wake:
            return len(self._pending)

    def drain(self, timeout: float) -> bool:
        """Wait until every queued outcome is written; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def close(self, timeout: float) -> None:
        """Write what is queued (up to `timeout` seconds), then stop the thread."""
        if self._thread.is_alive() and not self.drain(timeout):
            log.warning("%d Service reports not written before stopping", self.waiting)
        with self._wake:
            self._closed = True
            self._wake.notify_all()

    def _put(self, service: str, item: Outcome | str) -> None:
        with self._wake:
            self._pending[service] = item  # a key already waiting keeps its place
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                service = next(iter(self._pending))
                item = self._pending.pop(service)
                self._busy = True
            try:
                if isinstance(item, Outcome):
                    self.inner.report(item)
                else:
                    self.inner.forget(service)
            except Exception:  # one report's failure must not stop the others
                log.exception("could not report on %s", service)
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()
