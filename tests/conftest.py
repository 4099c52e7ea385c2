"""Session fixtures for the real parts: one local stack (etcd, kube-apiserver, Route53 server)
for the whole run, started through the same `Stack` that `python -m devstack` uses, with the
Gateway API's CRDs installed (devstack.gatewayapi) so the Gateway sources have their resources.

The stack's environment (KUBECONFIG, AWS_ENDPOINT_URL_ROUTE_53, dummy credentials) is put
into os.environ for the session, so code under test finds both APIs exactly as it would in a
cluster: through the standard variables, not through test-only parameters.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from devstack import gatewayapi
from devstack import kubectl as kubectl_cli
from devstack import route53 as route53_server
from devstack.processes import Supervisor
from devstack.stack import Stack

Kubectl = Callable[..., subprocess.CompletedProcess[str]]

# CI (CI=true) runs the same generated cases every time, so a run's verdict is about the
# change it tests; a developer's run draws new ones, which is how new cases are found. A case
# found that way is kept as an explicit `@example`.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


def _progress(line: str) -> None:
    # Past pytest's capture: a first build takes minutes and must not look like a hang.
    sys.__stderr__.write(f"[dnsgate stack] {line}\n")
    sys.__stderr__.flush()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    saved = dict(os.environ)
    with Stack(tmp_path_factory.mktemp("stack"), progress=_progress) as running:
        gatewayapi.install(running.kubeconfig, _progress)
        os.environ.update(running.env())
        try:
            yield running
        finally:
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture(scope="session")
def kubeconfig(stack: Stack) -> Path:
    return stack.kubeconfig


@pytest.fixture(scope="session")
def kubectl(kubeconfig: Path) -> Kubectl:
    def run(*args: str, input: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return kubectl_cli.run(kubeconfig, *args, input=input, check=check, timeout=timeout)

    return run


_namespaces = itertools.count(1)
CLEANED = ",".join(("services", "ingresses", *(f"{resource}.{gatewayapi.GROUP}" for resource in (
    "gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"))))


@pytest.fixture
def namespace(kubectl: Kubectl, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test; its Services, Ingresses, Gateways and routes are deleted
    afterwards so that watchers (webhook index, reconciler) never see one test's objects in
    the next."""
    name = f"t{next(_namespaces)}-{request.node.name.lower()[:40]}"
    name = "".join(c if c.isalnum() else "-" for c in name).strip("-")[:63]
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", CLEANED, "--all", "-n", name, "--wait=true", check=False)


@pytest.fixture
def route53(stack: Stack):  # type: ignore[no-untyped-def]
    """A boto3 Route53 client built the way users build one: from the environment only."""
    import boto3

    return boto3.client("route53")


@pytest.fixture
def zone_id(stack: Stack) -> str:
    """A clean Route53: moto reset, and the seed's zone goldentooth.net created anew."""
    assert stack.route53 is not None
    route53_server.reset(stack.route53.url)
    return route53_server.create_zone(stack.route53.url, route53_server.DEFAULT_ZONE)


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    """Processes a test starts, each stopped at its end (logs under the test's tmp_path)."""
    running = Supervisor(tmp_path / "logs")
    yield running
    running.stop_all()
