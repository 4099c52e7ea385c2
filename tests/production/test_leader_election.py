"""Leader election on a real Lease: one leader at a time, fast takeover, and a leader that
loses the apiserver stops writing before anyone else may start."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from reconciler.leader import LeaderElectionSettings, LeaderElector

pytestmark = pytest.mark.e2e

FAST = {"lease_duration": 3.0, "renew_deadline": 2.0, "retry_period": 0.25}


@pytest.fixture
def coordination(stack, namespace: str):  # type: ignore[no-untyped-def]
    from kubernetes import client, config

    return client.CoordinationV1Api(config.new_client_from_config(str(stack.kubeconfig)))


@pytest.fixture
def electors(coordination, namespace: str) -> Iterator[list[LeaderElector]]:  # type: ignore[no-untyped-def]
    started: list[LeaderElector] = []
    for identity in ("replica-a", "replica-b"):
        elector = LeaderElector(
            coordination, LeaderElectionSettings(namespace=namespace, identity=identity, **FAST)
        )
        elector.start()
        started.append(elector)
    yield started
    for elector in started:
        elector.stop(release=False)


def _wait_for(condition, timeout: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "condition not reached in time"
        time.sleep(0.05)
    return time.monotonic() - started


def _leaders(electors: list[LeaderElector]) -> list[str]:
    return [e.settings.identity for e in electors if e.is_leader()]


def test_exactly_one_replica_leads(electors: list[LeaderElector]) -> None:
    _wait_for(lambda: len(_leaders(electors)) == 1, timeout=5)
    samples = []
    for _ in range(20):
        samples.append(_leaders(electors))
        time.sleep(0.1)
    assert all(len(leaders) == 1 for leaders in samples)
    assert len({leaders[0] for leaders in samples}) == 1  # and it stays the same one


def test_standby_takes_over_within_lease_duration_when_leader_dies(
    electors: list[LeaderElector], coordination, namespace: str
) -> None:
    _wait_for(lambda: len(_leaders(electors)) == 1, timeout=5)
    leader = next(e for e in electors if e.is_leader())
    standby = next(e for e in electors if e is not leader)

    leader.stop(release=False)  # a dead process renews nothing and releases nothing
    waited = _wait_for(standby.is_leader, timeout=10)

    assert waited <= FAST["lease_duration"] + 2 * FAST["retry_period"] + 0.5
    lease = coordination.read_namespaced_lease("dnsgate-reconciler", namespace)
    assert lease.spec.holder_identity == standby.settings.identity
    assert lease.spec.lease_transitions == 1


def test_released_lease_is_taken_at_the_next_retry(
    electors: list[LeaderElector],
) -> None:
    _wait_for(lambda: len(_leaders(electors)) == 1, timeout=5)
    leader = next(e for e in electors if e.is_leader())
    standby = next(e for e in electors if e is not leader)

    leader.stop(release=True)
    waited = _wait_for(standby.is_leader, timeout=5)

    assert waited < FAST["lease_duration"]


class _Unreachable:
    """An apiserver that answered once and then went away."""

    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.real = real
        self.down = False

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if self.down:
            raise ConnectionError("apiserver unreachable")
        return getattr(self.real, name)


def test_leader_cut_off_stops_leading_before_the_lease_can_expire(
    coordination, namespace: str
) -> None:
    api = _Unreachable(coordination)
    settings = LeaderElectionSettings(namespace=namespace, identity="cut-off", **FAST)
    elector = LeaderElector(api, settings)
    assert elector.try_acquire_or_renew()
    renewed = time.monotonic()
    elector.start()
    try:
        api.down = True
        _wait_for(lambda: not elector.is_leader(), timeout=5)
        stopped_after = time.monotonic() - renewed
    finally:
        elector.stop(release=False)

    assert stopped_after < settings.lease_duration
    assert stopped_after >= settings.renew_deadline - FAST["retry_period"] - 0.1


def test_inconsistent_timings_are_refused() -> None:
    with pytest.raises(ValueError, match="retry period < renew deadline < lease duration"):
        LeaderElectionSettings(namespace="dnsgate", identity="x", lease_duration=10,
                               renew_deadline=10, retry_period=2)
