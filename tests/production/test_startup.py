"""A reconciler whose Route53 does not answer stays alive and says why it is not ready.

Its start-up checks call Route53; if they ran before the health port opened, a liveness probe
would kill a replica that is only waiting (Kubernetes restarts it, and it waits again). Here
Route53 is a port that accepts connections and never answers, so the checks hang for
botocore's 60 s read timeout: /healthz must answer long before that, and /readyz must say the
checks are still running.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Iterator

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
