"""QueuedReporter: DNS work hands outcomes over and goes on; one writer thread writes the
latest outcome of each Service, in the order the Services queued, and `forget` wins over a
report still waiting (fake inner Reporter)."""

from __future__ import annotations

import threading

from reconciler.report import Outcome
from reconciler.reportqueue import QueuedReporter


class Recorder:
    """Records what reaches it; holds its first call until `release` is set."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def report(self, outcome: Outcome) -> None:
        self.entered.set()
        self.release.wait(10)
        self.calls.append(("report", outcome.service, outcome.status))

    def forget(self, service: str) -> None:
        self.calls.append(("forget", service, None))


def test_a_slow_report_does_not_hold_up_the_caller() -> None:
    inner = Recorder()
    queued = QueuedReporter(inner)
    queued.start()
    try:
        queued.report(Outcome("apps/web", "synced"))
        assert inner.entered.wait(5)  # the writer is inside the slow report ...
        queued.report(Outcome("apps/api", "synced"))  # ... and this returns at once
        assert queued.waiting == 1
    finally:
        inner.release.set()
        queued.close(timeout=5)
    assert inner.calls == [("report", "apps/web", "synced"), ("report", "apps/api", "synced")]


def test_only_the_latest_outcome_of_a_service_is_written_in_queue_order() -> None:
    inner = Recorder()
    queued = QueuedReporter(inner)
    queued.start()
    queued.report(Outcome("apps/first", "synced"))
    assert inner.entered.wait(5)
    queued.report(Outcome("apps/web", "failed"))
    queued.report(Outcome("apps/db", "synced"))
    queued.report(Outcome("apps/web", "synced"))  # replaces "failed", keeps web's place
    inner.release.set()
    assert queued.drain(timeout=5)
    queued.close(timeout=5)
    assert inner.calls == [("report", "apps/first", "synced"), ("report", "apps/web", "synced"),
                           ("report", "apps/db", "synced")]


def test_forget_replaces_a_report_still_waiting() -> None:
    inner = Recorder()
    queued = QueuedReporter(inner)
    queued.start()
    queued.report(Outcome("apps/first", "synced"))
    assert inner.entered.wait(5)
    queued.report(Outcome("apps/gone", "synced"))
    queued.forget("apps/gone")
    inner.release.set()
    queued.close(timeout=5)
    assert inner.calls == [("report", "apps/first", "synced"), ("forget", "apps/gone", None)]


def test_close_writes_what_is_queued_and_a_failing_report_does_not_stop_the_rest() -> None:
    written: list[str] = []

    class Flaky:
        def report(self, outcome: Outcome) -> None:
            if outcome.service == "apps/bad":
                raise RuntimeError("apiserver said no")
            written.append(outcome.service)

        def forget(self, service: str) -> None:
            pass

    queued = QueuedReporter(Flaky())
    for name in ("a", "bad", "b"):
        queued.report(Outcome(f"apps/{name}", "synced"))
    queued.start()
    queued.close(timeout=5)
    assert written == ["apps/a", "apps/b"]
