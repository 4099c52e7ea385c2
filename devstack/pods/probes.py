"""HTTP probes as the kubelet sends them (docs/kubelet.md): a GET to the pod's IP and the
probe's port, HTTPS without verifying the certificate, success for a status from 200 to
399, and the outcome counted against the probe's thresholds."""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass

from devstack.pods.container import Probe

USER_AGENT = "kube-probe/1.36"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str  # the status and the start of the body, or the connection error


def probe_once(probe: Probe, pod_ip: str, port: int) -> Outcome:
    connection: http.client.HTTPConnection
    if probe.http.scheme == "HTTPS":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(pod_ip, port, timeout=probe.timeout,
                                                 context=context)
    else:
        connection = http.client.HTTPConnection(pod_ip, port, timeout=probe.timeout)
    url = f"{probe.http.scheme.lower()}://{pod_ip}:{port}{probe.http.path}"
    try:
        connection.request("GET", probe.http.path, headers={
            "User-Agent": USER_AGENT, "Accept": "*/*", **dict(probe.http.headers)})
        response = connection.getresponse()
        body = response.read(200).decode(errors="replace").strip()
        ok = 200 <= response.status < 400
        return Outcome(ok, f"GET {url}: {response.status} {body}")
    except OSError as exc:
        return Outcome(False, f"GET {url}: {exc}")
    finally:
        connection.close()


@dataclass
class Tracker:
    """One probe of one container: when it is due (its own period, from the container's
    start and initialDelaySeconds), and consecutive successes and failures against its
    thresholds."""

    probe: Probe
    successes: int = 0
    failures: int = 0
    passing: bool = False
    last: Outcome | None = None
    next_at: float = 0.0

    def due(self, now: float, started: float) -> bool:
        return now - started >= self.probe.initial_delay and now >= self.next_at

    def record(self, outcome: Outcome, now: float) -> None:
        self.next_at = now + self.probe.period
        self.last = outcome
        if outcome.ok:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= self.probe.success_threshold:
                self.passing = True
        else:
            self.successes, self.failures = 0, self.failures + 1
            if self.failures >= self.probe.failure_threshold:
                self.passing = False

    @property
    def failed(self) -> bool:
        return self.failures >= self.probe.failure_threshold

    def describe_last(self) -> str:
        return self.last.detail if self.last else "not probed yet"
