"""The doctor inside the reconciler: run once at start (every line in the log, failures at
error with their fix), then again every `recheck` seconds while any check fails, so a fixed
Role, IAM policy or Secret turns the replica ready without a restart. /readyz answers 503
with the failing checks while there are any.

Once everything passes it stops asking: a steady reconciler spends no calls on it, and later
trouble shows in the sync itself (/readyz's last-successful-sync rule, the Service Events).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from reconciler.doctor import Report

log = logging.getLogger("dnsgate.doctor")

RECHECK = 30.0  # seconds between checks while one fails: a few calls each, well under 5/s


class Checkup:
    def __init__(self, examine: Callable[[], Report], recheck: float = RECHECK) -> None:
        self._examine = examine
        self._recheck = recheck
        self._report: Report | None = None
        self._thread: threading.Thread | None = None

    def run(self) -> Report:
        """Check now and log what changed since the last check (everything, the first time)."""
        previous = self._report
        report = self._examine()
        self._report = report
        before = {r.line() for r in previous.results} if previous else set()
        for result in report.results:
            if result.line() in before:
                continue
            level = {"ok": logging.INFO, "skip": logging.WARNING}.get(result.status,
                                                                    logging.ERROR)
            log.log(level, "doctor: %s", result.line(), extra={
                "check": result.check, "status": result.status})
        if previous is not None and report.ok and not previous.ok:
            log.info("doctor: every check passes now")
        return report

    def start(self, stop: threading.Event) -> None:
        """Re-check in the background while a check fails, until `stop`."""
        def loop() -> None:
            while not stop.wait(self._recheck):
                if self._report is not None and self._report.ok:
                    return
                try:
                    self.run()
                except Exception:  # a doctor bug must not take the reconciler down
                    log.exception("doctor: the checks themselves failed")

        self._thread = threading.Thread(target=loop, name="doctor", daemon=True)
        self._thread.start()

    def ready(self) -> tuple[bool, str]:
        """For /readyz: False with the failing checks, one per line."""
        if self._report is None:
            return False, "start-up checks still running"
        if self._report.ok:
            return True, "ok"
        return False, "\n".join(r.line() for r in self._report.failures)
