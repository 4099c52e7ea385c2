"""Leader election on a coordination.k8s.io Lease, so two reconciler replicas never both write.

The rules are client-go's leaderelection package, which every Kubernetes controller follows:
- A candidate takes the Lease when it is free, or when the holder has not renewed it for a
  whole `lease_duration` *as observed by this candidate's own clock* (the renewTime written
  by another node is never compared with our clock, so clock skew cannot cause two leaders).
- Updates carry the resourceVersion they read, so of two candidates racing for an expired
  Lease exactly one wins; the other gets 409 Conflict.
- The leader renews every `retry_period`. It counts as leader only while its last successful
  renewal is younger than `renew_deadline`, which is shorter than `lease_duration`: a leader
  cut off from the apiserver stops writing to Route53 before any standby may take over.
- On clean shutdown the leader releases the Lease (empty holder), so a standby takes over at
  its next retry instead of waiting out the lease.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler import metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaderElectionSettings:
    namespace: str
    identity: str
    name: str = "dnsgate-reconciler"
    # client-go's defaults (kube-controller-manager uses the same three numbers).
    lease_duration: float = 15.0  # seconds a standby waits for a silent leader
    renew_deadline: float = 10.0  # seconds a leader may fail to renew before it stops writing
    retry_period: float = 2.0  # seconds between attempts to acquire or renew

    def __post_init__(self) -> None:
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError(
                "leader election needs retry period < renew deadline < lease duration, got "
                f"{self.retry_period}s, {self.renew_deadline}s, {self.lease_duration}s"
            )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LeaderElector:
    """Runs the acquire/renew loop in a thread; `is_leader()` gates every Route53 write."""

    def __init__(
        self,
        coordination: Any,
        settings: LeaderElectionSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[bool], None] = lambda leading: None,
    ) -> None:
        self.api = coordination  # kubernetes.client.CoordinationV1Api
        self.settings = settings
        self.clock = clock
        self.on_change = on_change
        self._renewed_at: float | None = None  # our clock, at our last successful write
        self._observed: tuple[str, str] | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0
        self._leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def is_leader(self) -> bool:
        renewed = self._renewed_at
        return renewed is not None and self.clock() - renewed < self.settings.renew_deadline

    def may_write(self) -> bool:
        """The controller's WriteGate: only the leader writes to Route53."""
        return self.is_leader()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)
        self._thread.start()

    def stop(self, release: bool = True) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.retry_period + 5)
        if release and self.is_leader():
            self._release()
        self._set_leading(False)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.try_acquire_or_renew()
            except Exception as exc:  # apiserver unreachable, conflicts: retry next period
                log.warning("leader election: %s", exc)
            self._set_leading(self.is_leader())
            self._stop.wait(self.settings.retry_period)

    def _set_leading(self, leading: bool) -> None:
        if leading != self._leading:
            self._leading = leading
            metrics.LEADER.set(1 if leading else 0)
            log.info("leader election: %s %s the Lease %s/%s", self.settings.identity,
                     "now holds" if leading else "no longer holds",
                     self.settings.namespace, self.settings.name)
            self.on_change(leading)

    def try_acquire_or_renew(self) -> bool:
        """One attempt; True when this candidate holds the Lease afterwards."""
        from kubernetes import client

        s = self.settings
        now = _now()
        try:
            lease = self.api.read_namespaced_lease(s.name, s.namespace)
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            body = client.V1Lease(
                metadata=client.V1ObjectMeta(name=s.name, namespace=s.namespace),
                spec=self._spec(now, acquire=now, transitions=0),
            )
            self.api.create_namespaced_lease(s.namespace, body)
            self._renewed(now)
            return True

        spec = lease.spec
        holder = spec.holder_identity or ""
        record = (holder, str(spec.renew_time))
        if record != self._observed:
            self._observed, self._observed_at = record, self.clock()
        if holder and holder != s.identity:
            duration = spec.lease_duration_seconds or s.lease_duration
            if self.clock() - self._observed_at < duration:
                return False  # someone else holds a live lease
        ours = holder == s.identity
        lease.spec = self._spec(
            now,
            acquire=spec.acquire_time if ours else now,
            transitions=(spec.lease_transitions or 0) + (0 if ours else 1),
        )
        # replace carries metadata.resourceVersion: a concurrent winner makes this a 409.
        self.api.replace_namespaced_lease(s.name, s.namespace, lease)
        self._renewed(now)
        return True

    def _spec(self, now: dt.datetime, *, acquire: dt.datetime, transitions: int) -> Any:
        from kubernetes import client

        return client.V1LeaseSpec(
            holder_identity=self.settings.identity,
            lease_duration_seconds=int(self.settings.lease_duration),
            acquire_time=acquire,
            renew_time=now,
            lease_transitions=transitions,
        )

    def _renewed(self, now: dt.datetime) -> None:
        self._renewed_at = self.clock()
        self._observed = (self.settings.identity, str(now))
        self._observed_at = self._renewed_at

    def _release(self) -> None:
        s = self.settings
        try:
            lease = self.api.read_namespaced_lease(s.name, s.namespace)
            if lease.spec.holder_identity != s.identity:
                return
            lease.spec.holder_identity = None
            lease.spec.lease_duration_seconds = 1
            self.api.replace_namespaced_lease(s.name, s.namespace, lease)
            self._renewed_at = None
            log.info("leader election: %s released the Lease", s.identity)
        except Exception as exc:  # best effort: the lease expires on its own anyway
            log.warning("leader election: could not release the Lease: %s", exc)
