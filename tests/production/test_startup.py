"""A reconciler whose Route53 does not answer stays alive and says why it is not ready.

Its start-up checks call Route53; if they ran before the health port opened, a liveness probe
would kill a replica that is only waiting (Kubernetes restarts it, and it waits again). Here
Route53 is a port that accepts connections and never answers, so the checks hang for
botocore's 60 s read timeout: /healthz must answer long before that, and /readyz must say the
checks are still running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.controlplane import free_port
from devstack.processes import Supervisor
from tests.production.conftest import DOMAIN, OWNER, Reconciler, wait_for


@pytest.fixture
def silent_route53() -> Iterator[str]:
    """A TCP port that accepts and then says nothing, like a Route53 behind a dropped route."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_health_answers_while_start_up_checks_wait_on_route53(
    stack, supervisor: Supervisor, silent_route53: str, namespace: str  # type: ignore[no-untyped-def]
) -> None:
    port = free_port()
    child = supervisor.start("reconciler-silent-route53", [
        sys.executable, "-m", "dnsgate", "reconcile", f"--domain-filter={DOMAIN}",
        f"--txt-owner-id={OWNER}", f"--namespace={namespace}", f"--health-port={port}",
    ], env={**os.environ, "AWS_ENDPOINT_URL_ROUTE_53": silent_route53,
            "KUBECONFIG": str(stack.kubeconfig)})
    reconciler = Reconciler(child, port)

    wait_for(lambda: reconciler.get("/healthz")[0] == 200, 30, "/healthz while Route53 is silent")
    status, body = reconciler.get("/readyz")
    assert (status, body.strip()) == (503, "start-up checks still running")
    assert child.alive()


def _pid_one(launcher: subprocess.Popen[bytes]) -> int:
    """The host pid of the process `unshare --fork` runs as PID 1 of its new namespace."""
    children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")
    found: list[int] = []
    wait_for(lambda: bool(found.extend(int(p) for p in children.read_text().split()) or found),
             10, "the namespace's PID 1")
    return found[0]


@pytest.mark.parametrize("after", [0.3, 6.0])  # importing; start-up checks waiting on Route53
def test_as_pid_one_sigterm_stops_it_at_any_moment_of_its_start(
    stack, silent_route53: str, namespace: str, after: float, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """As a container's PID 1 (its own PID namespace, as the kubelet runs it), SIGTERM is
    ignored unless handled: the kubelet would wait out the grace period, then kill it."""
    log = (tmp_path / "log").open("wb")
    launcher = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--kill-child", sys.executable, "-m", "dnsgate",
         "reconcile", f"--domain-filter={DOMAIN}", f"--txt-owner-id={OWNER}",
         f"--namespace={namespace}", f"--health-port={free_port()}"],
        env={**os.environ, "AWS_ENDPOINT_URL_ROUTE_53": silent_route53,
             "KUBECONFIG": str(stack.kubeconfig)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        init = _pid_one(launcher)
        time.sleep(after)
        assert launcher.poll() is None, (tmp_path / "log").read_text()
        os.kill(init, signal.SIGTERM)

        assert launcher.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        launcher.kill()
        launcher.wait()
        log.close()
