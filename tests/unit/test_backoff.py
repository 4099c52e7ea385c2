"""The one backoff every retry uses: exponential and capped, each wait in [step/2, step]."""

from __future__ import annotations

import pytest

from dnsgate.backoff import Backoff

ROUTE53_LIKE = Backoff(base=0.2, cap=10.0)


@pytest.mark.parametrize(("failures", "step"), [
    (1, 0.2), (2, 0.4), (3, 0.8), (6, 6.4), (7, 10.0), (40, 10.0),
])
def test_step_doubles_with_each_failure_up_to_the_cap(failures: int, step: float) -> None:
    assert ROUTE53_LIKE.step(failures) == pytest.approx(step)


@pytest.mark.parametrize(("jitter", "wait"), [(0.0, 0.4), (0.5, 0.6), (0.999, 0.7996)])
def test_jitter_spreads_the_wait_over_the_upper_half_of_the_step(
        jitter: float, wait: float) -> None:
    backoff = Backoff(base=0.2, cap=10.0, jitter=lambda: jitter)

    assert backoff.delay(3) == pytest.approx(wait)  # step 0.8


def test_every_wait_lies_in_the_upper_half_of_its_step() -> None:
    for failures in range(1, 12):
        step = ROUTE53_LIKE.step(failures)
        assert all(step / 2 <= ROUTE53_LIKE.delay(failures) <= step for _ in range(200))


def test_below_the_cap_no_wait_is_shorter_than_any_wait_before_it() -> None:
    """What full jitter (uniform in [0, step]) lacks: a refused record is never tried again
    sooner than the time before, so the waits an operator reads in the log only grow."""
    shortest = Backoff(base=0.2, cap=10.0, jitter=lambda: 0.0)
    longest = Backoff(base=0.2, cap=10.0, jitter=lambda: 1.0)
    for failures in range(2, 7):  # steps 0.4 to 6.4 s, under the cap
        assert shortest.delay(failures) >= longest.delay(failures - 1)
