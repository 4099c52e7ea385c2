"""Fixtures for `dnsgate doctor`, the credentials file the reconciler follows, and the metrics
ExternalDNS users alert on.

- `iam_route53`: moto with IAM enforced (devstack.iam_route53), one server for the package;
  keys must exist and policies must allow each call, as on AWS.
- `dnsgate(...)`: the CLI as a process, with an environment holding no AWS_* variable
  but those the test passes: credentials come only from where the test puts them.
- `service_account(rules)`: a kubeconfig that is a ServiceAccount's TokenRequest token and
  nothing else, bound to a ClusterRole holding exactly `rules`.
- `start_reconciler(env, *args)`: `dnsgate reconcile` as a process in that environment, its
  /metrics and /readyz on a free port; `load_balancer(...)`: a Service as MetalLB leaves it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import iam_route53 as iam_route53_server
from devstack.controlplane import free_port
from devstack.iam_route53 import IamRoute53
from devstack.processes import Supervisor
from devstack.serviceaccounts import token_kubeconfig
from tests.production.conftest import HOSTNAME, OWNER, Reconciler, wait_for

RBAC = Path(__file__).resolve().parents[2] / "manifests" / "base" / "rbac-reconciler.yaml"
DOMAIN = "goldentooth.net"


@pytest.fixture(scope="package")
def iam_route53(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamRoute53]:  # type: ignore[no-untyped-def]
    supervisor = Supervisor(tmp_path_factory.mktemp("iam-route53") / "logs")
    try:
        _, running = iam_route53_server.start(supervisor)
        yield running
    finally:
        supervisor.stop_all()


def clean_env(**extra: str) -> dict[str, str]:
    """The session's environment without any AWS_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    return env


def dnsgate(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dnsgate", *args], env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def lines(output: str) -> dict[str, str]:
    """check -> its whole line, for the doctor's `STATUS  check: detail` lines."""
    found = {}
    for line in output.splitlines():
        status, _, rest = line.partition("  ")
        if status.strip() in ("ok", "FAIL", "skip"):
            found[rest.split(":", 1)[0].strip() if ": " in rest else rest.strip()] = line
    return found


def manifest_rules() -> list[dict[str, Any]]:
    """The reconciler's ClusterRole rules, as the manifest writes them."""
    for document in yaml.safe_load_all(RBAC.read_text()):
        if document["kind"] == "ClusterRole":
            return list(document["rules"])
    raise AssertionError("no ClusterRole in the reconciler's RBAC manifest")


def without(rules: list[dict[str, Any]], resource: str, verb: str) -> list[dict[str, Any]]:
    """`rules` with one verb on one resource taken away."""
    changed = []
    for rule in rules:
        if resource in rule["resources"] and verb in rule["verbs"]:
            rule = {**rule, "verbs": [v for v in rule["verbs"] if v != verb]}
        if rule["verbs"]:  # the apiserver refuses a rule with no verb
            changed.append(rule)
    return changed


@pytest.fixture
def service_account(stack, kubectl, namespace: str, tmp_path: Path  # type: ignore[no-untyped-def]
                    ) -> Iterator[Callable[[list[dict[str, Any]]], Path]]:
    made: list[str] = []

    def make(rules: list[dict[str, Any]]) -> Path:
        name = f"doctor-{namespace}"[:63]
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": name}, "rules": rules}
        binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": name},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                               "name": name},
                   "subjects": [{"kind": "ServiceAccount", "name": "dnsgate-reconciler",
                                 "namespace": namespace}]}
        kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                      "items": [role, binding]}))
        made.append(name)
        return token_kubeconfig(stack.kubeconfig, namespace, "dnsgate-reconciler",
                                tmp_path / "sa-kubeconfig")

    yield make
    for name in made:
        kubectl("delete", "clusterrole,clusterrolebinding", name, "--ignore-not-found",
                check=False)


@pytest.fixture
def start_reconciler(stack, supervisor: Supervisor, namespace: str  # type: ignore[no-untyped-def]
                     ) -> Callable[..., Reconciler]:
    """`dnsgate reconcile` for the test's namespace as a process, in the environment given."""
    def start(env: dict[str, str], *extra: str) -> Reconciler:
        port = free_port()
        child = supervisor.start(f"reconciler-{port}", [
            sys.executable, "-m", "dnsgate", "reconcile", f"--domain-filter={DOMAIN}",
            f"--txt-owner-id={OWNER}", f"--namespace={namespace}", f"--health-port={port}",
            *extra], env=env)
        running = Reconciler(child, port)
        wait_for(lambda: running.get("/healthz")[0] == 200 or not child.alive(), 30,
                 "reconciler /healthz")
        assert child.alive(), running.log()
        return running

    return start


@pytest.fixture
def load_balancer(stack, namespace: str) -> Callable[[str, str, str], None]:  # type: ignore[no-untyped-def]
    """`load_balancer(name, hostname, ip)`: an annotated Service with its ingress IP set, as
    MetalLB would set it."""
    from kubernetes import client, config

    from devstack import metallb

    core = client.CoreV1Api(config.new_client_from_config(str(stack.kubeconfig)))

    def create(name: str, hostname: str, ip: str) -> None:
        core.create_namespaced_service(namespace, metallb.service_manifest(
            namespace, name, {HOSTNAME: hostname}))
        core.patch_namespaced_service_status(
            name, namespace, {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}})

    return create
