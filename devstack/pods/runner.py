"""`PodRunner`: run a namespace's workloads as a cluster would, on this machine.

It plays the controllers (pods from Deployments and Jobs, created through the apiserver so
that its admission (ServiceAccount, Pod Security) applies and names them), the kubelet
(`devstack.pods.kubelet`: one sandboxed process per pod, probed as declared), the
EndpointSlice controller (Services select ready pods, which is how kube-apiserver finds the
webhook when started with --enable-aggregator-routing; docs/kubelet.md) and the root-CA
publisher (`kube-root-ca.crt` in each namespace). What it cannot honour it refuses, naming
the field.

Failures are loud: a Job that fails, a Deployment's container that exits or fails its
liveness probe, a pod not ready in time; each message carries the end of the pod's log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from devstack.image import Image
from devstack.pods import controllers, kubelet, probes
from devstack.pods.api import Api, ApiError, namespaced

Address = tuple[str, int]


class PodFailure(RuntimeError):
    """A workload did not do what its manifest promises."""


@dataclass(frozen=True)
class Stopped:
    pod: str
    exit_code: int | None
    graceful: bool  # exited within terminationGracePeriodSeconds of SIGTERM


@dataclass
class PodRunner:
    kubeconfig: Path
    images: Mapping[str, Image]
    state_dir: Path
    outside: Mapping[Address, Address] = field(default_factory=dict)
    progress: Callable[[str], None] = print
    ready_timeout: float = 120.0
    # Seconds between syncs of running pods' Secret and ConfigMap volumes. The kubelet's own
    # period is its sync frequency, a minute (docs/kubelet.md); tests need less.
    volume_sync: float = 2.0
    pods: list[kubelet.RunningPod] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api = Api(self.kubeconfig)
        self.kubelet = kubelet.Kubelet(self.api, self.images, self.state_dir, self.outside)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.monitor = threading.Thread(target=self._monitor, name="pod-monitor", daemon=True)
        self.monitor.start()

    def __enter__(self) -> PodRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- controllers -----------------------------------------------------------------------

    def _publish_root_ca(self, namespace: str) -> None:
        path = namespaced(namespace, "configmaps", "kube-root-ca.crt")
        if self.api.get_or_none(path) is None:
            self.api.create(namespaced(namespace, "configmaps"), {
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "namespace": namespace},
                "data": {"ca.crt": self.api.cluster_ca().decode()}})

    def _start_pods(self, workload: controllers.Workload) -> list[kubelet.RunningPod]:
        self._publish_root_ca(workload.namespace)
        started = []
        for _ in range(workload.replicas):
            try:
                pod = self.api.create(namespaced(workload.namespace, "pods"),
                                      controllers.pod_manifest(workload))
            except ApiError as exc:  # what the ReplicaSet's events would say: FailedCreate
                raise PodFailure(f"{workload.kind} {workload.namespace}/{workload.name}: "
                                 f"FailedCreate: {exc}") from exc
            try:
                running = self.kubelet.start(pod, workload.kind)
            except Exception as exc:
                self.api.delete(namespaced(workload.namespace, "pods", pod["metadata"]["name"]),
                                grace_seconds=0)
                raise PodFailure(f"{workload.kind} {workload.namespace}/{workload.name}: pod "
                                 f"{pod['metadata']['name']}: {exc}") from exc
            self.progress(f"started pod {running.namespace}/{running.name} "
                          f"({running.pod_ip}): {workload.kind} {workload.name}")
            with self.lock:
                self.pods.append(running)
            self._report(running)
            started.append(running)
        return started

    def run_job(self, namespace: str, name: str, timeout: float = 120.0) -> str:
        """Run the Job's pod to completion; its log. A failure raises (a cluster would retry
        up to backoffLimit times; here every run is expected to succeed the first time)."""
        job = controllers.read(self.api.get(namespaced(namespace, "jobs", name, group="batch")))
        (pod,) = self._start_pods(job)
        deadline = time.monotonic() + timeout
        while (code := pod.sandboxed.exit_code()) is None:
            if time.monotonic() > deadline:
                raise PodFailure(f"Job {namespace}/{name}: {pod.describe()} still running after "
                                 f"{timeout:.0f}s; log:\n{pod.tail()}")
            time.sleep(0.2)
        self._forget(pod)
        self._report(pod, exit_code=code)
        if code != 0:
            raise PodFailure(f"Job {namespace}/{name}: container exited with code {code} (a "
                             f"cluster would retry up to backoffLimit={job.backoff_limit} "
                             f"times); log of {pod.name}:\n{pod.tail()}")
        self.progress(f"Job {namespace}/{name} completed")
        return pod.log.read_text(errors="replace")

    def start_deployment(self, namespace: str, name: str) -> list[kubelet.RunningPod]:
        deployment = self.api.get(namespaced(namespace, "deployments", name, group="apps"))
        return self._start_pods(controllers.read(deployment))

    def run_namespace(self, namespace: str) -> None:
        """Every Job to completion (in name order), then every Deployment until ready."""
        for job in self.api.items(namespaced(namespace, "jobs", group="batch")):
            self.run_job(namespace, job["metadata"]["name"])
        for deployment in self.api.items(namespaced(namespace, "deployments", group="apps")):
            self.start_deployment(namespace, deployment["metadata"]["name"])
        self.wait_ready()

    # --- the kubelet's loop ------------------------------------------------------------------

    def _monitor(self) -> None:
        synced = time.monotonic()
        while not self.stopping.wait(0.2):
            with self.lock:
                pods = [pod for pod in self.pods if pod.failure is None]
            sync = time.monotonic() - synced >= self.volume_sync
            for pod in pods:
                try:
                    self._tick(pod)
                    if sync:
                        self._sync_volumes(pod)
                except Exception as exc:  # an API hiccup: said, and tried again next tick
                    self.progress(f"{pod.describe()}: {type(exc).__name__}: {exc}")
            if sync:
                synced = time.monotonic()

    def _sync_volumes(self, pod: kubelet.RunningPod) -> None:
        if pod.sandboxed.exit_code() is None:
            for name in self.kubelet.sync_volumes(pod):
                self.progress(f"{pod.describe()}: volume {name} updated from its source")

    def _tick(self, pod: kubelet.RunningPod) -> None:
        """One turn of the kubelet's prober for `pod`, each probe on its own period: no
        liveness or readiness probe before the startup probe has succeeded; a failed startup
        or liveness probe, or an exit, is what a cluster would restart the container for,
        and fails the run here."""
        code = pod.sandboxed.exit_code()
        if code is not None:
            if pod.kind == "Deployment" and not self.stopping.is_set():
                pod.failure = (f"{pod.describe()}: container exited with code {code} (a cluster "
                               f"would restart it: CrashLoopBackOff); log:\n{pod.tail()}")
                self._set_ready(pod, False)
            return
        now = time.monotonic()
        if not pod.started_up:
            if pod.startup is None:
                pod.started_up = True
            elif pod.startup.due(now, pod.started):
                self._probe(pod, pod.startup, now)
                pod.started_up = pod.startup.passing
                if pod.startup.failed:
                    self._fail(pod, "startup", pod.startup)
            if not pod.started_up:
                return
        if pod.readiness is None:
            self._set_ready(pod, True)
        elif pod.readiness.due(now, pod.started):
            self._probe(pod, pod.readiness, now)
            self._set_ready(pod, pod.readiness.passing)
        if pod.liveness is not None and pod.liveness.due(now, pod.started):
            self._probe(pod, pod.liveness, now)
            if pod.liveness.failed:
                self._fail(pod, "liveness", pod.liveness)

    @staticmethod
    def _probe(pod: kubelet.RunningPod, tracker: probes.Tracker, now: float) -> None:
        port = pod.port(tracker.probe.http.port)
        tracker.record(probes.probe_once(tracker.probe, pod.pod_ip, port), now)

    def _fail(self, pod: kubelet.RunningPod, kind: str, tracker: probes.Tracker) -> None:
        pod.failure = (f"{pod.describe()}: {kind} probe failed {tracker.failures} times, "
                       f"{tracker.probe.period}s apart, last: {tracker.describe_last()} (a "
                       f"cluster would restart the container); log:\n{pod.tail()}")
        self._set_ready(pod, False)

    def _set_ready(self, pod: kubelet.RunningPod, ready: bool) -> None:
        if ready != pod.ready:
            pod.ready = ready
            self._report(pod)

    def _report(self, pod: kubelet.RunningPod, exit_code: int | None = None) -> None:
        """The pod's status (as the kubelet reports it, so `kubectl get pods` reads right)
        and the EndpointSlices of the Services that select it (as the EndpointSlice
        controller keeps them)."""
        ready = "True" if pod.ready else "False"
        state: dict[str, Any] = {"running": {}}
        phase = "Running"
        if exit_code is not None:
            state = {"terminated": {"exitCode": exit_code}}
            phase = "Succeeded" if exit_code == 0 else "Failed"
        container = pod.spec.container
        self.api.merge_patch(namespaced(pod.namespace, "pods", pod.name) + "/status", {
            "status": {"phase": phase, "podIP": pod.pod_ip, "podIPs": [{"ip": pod.pod_ip}],
                       "conditions": [{"type": "Ready", "status": ready},
                                      {"type": "ContainersReady", "status": ready}],
                       "containerStatuses": [{
                           "name": container.name, "image": container.image, "imageID": "",
                           "ready": pod.ready, "restartCount": 0, "started": True,
                           "state": state}]}})
        with self.lock:
            endpoints = [controllers.Endpoint(
                p.name, p.pod_ip, p.labels, dict(p.spec.container.ports), p.ready,
                terminating=self.stopping.is_set()) for p in self.pods
                if p.namespace == pod.namespace and p.kind == "Deployment"]
        for service in self.api.items(namespaced(pod.namespace, "services")):
            if controllers.selects(service, pod.labels):
                body = controllers.endpoint_slice(service, endpoints)
                path = namespaced(pod.namespace, "endpointslices", body["metadata"]["name"],
                                  group="discovery.k8s.io")
                self.api.request("PATCH", path, body, content_type="application/apply-patch+yaml",
                                 query={"fieldManager": controllers.MANAGED_BY, "force": "true"})

    def _forget(self, pod: kubelet.RunningPod) -> None:
        with self.lock:
            if pod in self.pods:
                self.pods.remove(pod)
        for relay in pod.relays:
            relay.close()

    # --- what tests ask ----------------------------------------------------------------------

    def check(self) -> None:
        """Raise if any pod has failed since it started."""
        with self.lock:
            failures = [pod.failure for pod in self.pods if pod.failure]
        if failures:
            raise PodFailure("\n\n".join(failures))

    def wait_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        while True:
            self.check()
            with self.lock:
                waiting = [pod for pod in self.pods if pod.kind == "Deployment" and not pod.ready]
            if not waiting:
                return
            if time.monotonic() > deadline:
                pod = waiting[0]
                last = pod.readiness.describe_last() if pod.readiness else ""
                raise PodFailure(f"{pod.describe()} not ready after "
                                 f"{timeout or self.ready_timeout:.0f}s; readiness probe: "
                                 f"{last}; log:\n{pod.tail()}")
            time.sleep(0.2)

    def stop(self, grace_cap: float | None = None) -> list[Stopped]:
        """SIGTERM every container, SIGKILL what outlives its terminationGracePeriodSeconds
        (or `grace_cap`, when a test has no use for the wait), delete the pods.

        As in a pod, the container's process is PID 1 of its namespace: a SIGTERM that
        arrives before it has installed a handler is ignored, and only SIGKILL ends it."""
        self.stopping.set()
        with self.lock:
            pods = list(self.pods)
        if pods:
            self.progress(f"stopping {len(pods)} pods")
        for pod in pods:
            with contextlib.suppress(Exception):
                self._report(pod)  # terminating: out of the EndpointSlices first
        for pod in pods:
            with contextlib.suppress(ProcessLookupError):
                if pod.sandboxed.pid is not None:
                    os.kill(pod.sandboxed.pid, signal.SIGTERM)
        sent = time.monotonic()
        results = []
        for pod in pods:
            grace = pod.spec.grace_seconds if grace_cap is None else min(
                grace_cap, pod.spec.grace_seconds)
            graceful = True
            try:
                pod.sandboxed.helper.wait(max(0.0, sent + grace - time.monotonic()))
            except subprocess.TimeoutExpired:
                graceful = False
                pod.sandboxed.kill()
            results.append(Stopped(pod.name, pod.sandboxed.exit_code(), graceful))
            self._forget(pod)
            with contextlib.suppress(Exception):
                self.api.delete(namespaced(pod.namespace, "pods", pod.name), grace_seconds=0)
        if pods:
            self.progress("stopped: " + ", ".join(
                f"{r.pod} exit {r.exit_code}{'' if r.graceful else ' (killed)'}"
                for r in results))
        return results
