"""The retry schedule: a refused name waits longer after each refusal in a row, leaves once
its changes land or nothing wants it, and names a sync did not cover keep their wait."""

from __future__ import annotations

from dnsgate.backoff import Backoff
from reconciler.retry import RetrySchedule

EVERY = lambda name: True  # noqa: E731 - a sync that covered every name (a resync)


def schedule() -> tuple[RetrySchedule, list[float]]:
    now = [100.0]
    return RetrySchedule(Backoff(base=1.0, cap=60.0, jitter=lambda: 1.0),
                         clock=lambda: now[0]), now


def test_refusals_in_a_row_wait_longer_each_time() -> None:
    retries, _ = schedule()

    waits = []
    for _ in range(4):
        waits.append(retries.settle(EVERY, {"bad.goldentooth.net": 2})[
            "bad.goldentooth.net"].wait)

    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert retries.attempts() == {"bad.goldentooth.net": 4}
    assert retries.next_due() == 108.0 and retries.pending_changes() == 2


def test_a_name_is_due_once_its_wait_is_over() -> None:
    retries, now = schedule()
    retries.settle(EVERY, {"a.goldentooth.net": 2})
    retries.settle(lambda name: name == "b.goldentooth.net", {"b.goldentooth.net": 2})
    retries.settle(lambda name: name == "b.goldentooth.net", {"b.goldentooth.net": 2})

    assert retries.due() == frozenset()
    now[0] += 1.0
    assert retries.due() == {"a.goldentooth.net"}
    now[0] += 1.0
    assert retries.due() == {"a.goldentooth.net", "b.goldentooth.net"}


def test_covered_name_that_was_not_refused_leaves_and_others_keep_their_wait() -> None:
    retries, _ = schedule()
    retries.settle(EVERY, {"a.goldentooth.net": 2, "b.goldentooth.net": 4})

    retries.settle(lambda name: name == "a.goldentooth.net", {})

    assert retries.attempts() == {"b.goldentooth.net": 1}
    assert retries.pending_changes() == 4
