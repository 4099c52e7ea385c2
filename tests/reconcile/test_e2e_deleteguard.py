"""The mass-delete guard as users meet it (docs/deletes.md): `dnsgate reconcile` against the
real API server and moto. A restart with other filters, an API that times out and a
ServiceAccount that lost `list services` delete nothing; a namespace's 500 Services deleted
at once are held past --max-deletes, reported, and go once the held plan is confirmed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from devstack import metallb
from devstack.controlplane import free_port
from devstack.processes import Supervisor, wait_until
from devstack.serviceaccounts import token_kubeconfig
from tests.reconcile.conftest import ALPHA, OWNER, wait_for, zone_records

pytestmark = pytest.mark.e2e


def reconcile(namespace: str, *flags: str, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`dnsgate reconcile --once` with the seed's owner id, over `namespace` unless `flags`
    name another, under --domain-filter=goldentooth.net unless `flags` name another."""
    defaults = [f"--namespace={namespace}"] * (not any(f.startswith("--namespace") for f in flags))
    defaults += ["--domain-filter=goldentooth.net"] * (
        not any(f.startswith("--domain-filter") for f in flags))
    return subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", f"--txt-owner-id={OWNER}",
         *defaults, *flags],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def create(namespace: str, name: str, hostnames: str, address: str, *,
           labels: dict[str, str] | None = None) -> None:
    """A LoadBalancer Service whose spec.externalIPs are its targets (no status to patch)."""
    from kubernetes import client

    manifest: dict[str, Any] = metallb.service_manifest(
        namespace, name, {ALPHA + "hostname": hostnames}, spec={"externalIPs": [address]})
    manifest["metadata"]["labels"] = labels or {}
    client.CoreV1Api().create_namespaced_service(namespace, manifest)


def published(route53: Any, zone_id: str) -> set[str]:
    return {name for name, kind, _ in zone_records(route53, zone_id) if kind == "A"}


@pytest.fixture
def api(kubeconfig: Path) -> None:
    from kubernetes import config

    config.load_kube_config(config_file=str(kubeconfig))


@pytest.fixture
def three(api: None, namespace: str, route53: Any, zone_id: str) -> str:
    """Three Services labelled team=web, published by a first run."""
    for i in range(3):
        create(namespace, f"web{i}", f"web{i}.goldentooth.net", f"10.4.12.{i + 1}",
               labels={"team": "web"})
    first = reconcile(namespace, "--label-filter=team=web")
    assert first.returncode == 0, first.stderr
    assert published(route53, zone_id) == {f"web{i}.goldentooth.net" for i in range(3)}
    return namespace


@pytest.mark.parametrize("flags", [
    ("--label-filter=team=shop",),
    ("--label-filter=team=web", "--annotation-prefix=external-dns.kubernetes.io/"),
    ("--label-filter=team=web", "--namespace=kube-public"),
], ids=["label-filter", "annotation-prefix", "namespace"])
def test_restart_with_other_filters_deletes_nothing(three: str, route53: Any, zone_id: str,
                                                    flags: tuple[str, ...]) -> None:
    result = reconcile(three, *flags)

    assert result.returncode == 0, result.stderr
    assert published(route53, zone_id) == {f"web{i}.goldentooth.net" for i in range(3)}


def test_restart_with_a_label_filter_the_services_left_holds_and_says_why(
        three: str, route53: Any, zone_id: str) -> None:
    result = reconcile(three, "--label-filter=team=shop")

    assert "holding 3 deletes of record sets dnsgate owns (3 without a reason dnsgate saw)" in (
        result.stderr)
    assert (f"web0.goldentooth.net A: Service {three}/web0 exists but is outside what dnsgate "
            "watches (--namespace, --label-filter)") in result.stderr


def test_restart_with_a_narrower_domain_filter_keeps_a_name_still_inside_it(
        api: None, namespace: str, route53: Any, zone_id: str) -> None:
    """The Service's other name is outside the new filter, so its annotation is refused and
    it asks for nothing now; the name still inside the filter stays."""
    create(namespace, "both", "both.goldentooth.net,both.other.goldentooth.net", "10.4.12.9")
    assert reconcile(namespace).returncode == 0
    assert published(route53, zone_id) == {"both.goldentooth.net", "both.other.goldentooth.net"}

    result = reconcile(namespace, "--once", "--txt-owner-id", OWNER,
                       "--domain-filter=other.goldentooth.net")

    assert published(route53, zone_id) == {"both.goldentooth.net", "both.other.goldentooth.net"}
    assert (f"Service {namespace}/both no longer publishes it under the current settings"
            in result.stderr)


def test_a_service_deleted_while_dnsgate_was_down_goes_at_the_restart(
        three: str, route53: Any, zone_id: str) -> None:
    from kubernetes import client

    client.CoreV1Api().delete_namespaced_service("web0", three)

    result = reconcile(three, "--label-filter=team=web")

    assert result.returncode == 0, result.stderr
    assert published(route53, zone_id) == {"web1.goldentooth.net", "web2.goldentooth.net"}
    assert "holding" not in result.stderr


class BlackHole:
    """A TCP listener that accepts and never answers: an API server that times out."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.server.close()
        for held in self.held:
            held.close()


def test_an_api_server_that_times_out_deletes_nothing(three: str, route53: Any,
                                                      zone_id: str) -> None:
    hole = BlackHole()
    try:
        result = reconcile(three, "--label-filter=team=web",
                           f"--server=https://127.0.0.1:{hole.port}", timeout=120)
    finally:
        hole.close()

    assert result.returncode != 0
    assert "timed out" in result.stderr.lower()
    assert published(route53, zone_id) == {f"web{i}.goldentooth.net" for i in range(3)}


def test_a_service_account_that_lost_list_services_deletes_nothing(
        three: str, kubeconfig: Path, tmp_path: Path, route53: Any, zone_id: str) -> None:
    """It may still get and watch Services, and read everything else it needs."""
    from kubernetes import client

    rbac = client.RbacAuthorizationV1Api()
    rbac.create_namespaced_role(three, {
        "metadata": {"name": "reconciler"},
        "rules": [{"apiGroups": [""], "resources": ["services"], "verbs": ["get", "watch"]},
                  {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}]})
    rbac.create_namespaced_role_binding(three, {
        "metadata": {"name": "reconciler"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                    "name": "reconciler"},
        "subjects": [{"kind": "ServiceAccount", "name": "reconciler", "namespace": three}]})
    token = token_kubeconfig(kubeconfig, three, "reconciler", tmp_path / "sa.kubeconfig")

    result = reconcile(three, "--label-filter=team=web",
                       env={"KUBECONFIG": str(token)})

    assert result.returncode != 0
    assert "403" in result.stderr and "list" in result.stderr
    assert published(route53, zone_id) == {f"web{i}.goldentooth.net" for i in range(3)}


BULK = 500
THRESHOLD = BULK // 4  # --max-deletes-percent=25 of what is owned, above --max-deletes=20


def start(supervisor: Supervisor, namespace: str, port: int) -> None:
    """`dnsgate reconcile` following the namespace, its health server on `port`."""
    child = supervisor.start(f"reconciler-{len(supervisor.children)}", [
        sys.executable, "-m", "dnsgate", "reconcile", "--namespace", namespace,
        "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER,
        f"--health-port={port}", "--interval=10m",
        f"--confirm-deletes={namespace}/dnsgate-confirm-deletes"], env=dict(os.environ))
    wait_until(child, lambda: readyz(port)[0] == 200, timeout=180, what="ready")


def readyz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def held(port: int) -> str:
    """The held plan's hash, as /readyz reports it; "" when nothing is held."""
    status, body = readyz(port)
    assert status == 200, body
    return body.split("to let held plan ", 1)[1].split()[0] if "held plan" in body else ""


def metric(port: int, line: str) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return line in answer.read().decode().splitlines()


def test_a_namespace_of_500_services_deleted_is_held_past_the_threshold_until_confirmed(
        api: None, namespace: str, supervisor: Supervisor, kubectl: Any, route53: Any,
        zone_id: str) -> None:
    from kubernetes import client

    port = free_port()
    start(supervisor, namespace, port)
    for i in range(BULK):
        create(namespace, f"app{i}", f"app{i}.goldentooth.net", f"10.5.{i // 250}.{i % 250 + 1}")
    wait_for(lambda: len(published(route53, zone_id)) == BULK, timeout=600, interval=2)

    # What the namespace controller does to a namespace being deleted: each kind's
    # collection deleted (this stack runs no controller-manager).
    client.CoreV1Api().delete_collection_namespaced_service(namespace)

    # Held once every delete is planned: each sync of the burst that adds to the held plan
    # renames it.
    wait_for(lambda: not client.CoreV1Api().list_namespaced_service(namespace).items,
             timeout=300, interval=1)
    wait_for(lambda: f"holding {len(published(route53, zone_id))} deletes" in readyz(port)[1],
             timeout=120, interval=1)
    plan = held(port)
    _, body = readyz(port)
    left = len(published(route53, zone_id))
    assert BULK - THRESHOLD <= left <= BULK, left  # what went stayed within the threshold
    assert body.startswith(f"degraded: holding {left} deletes of record sets dnsgate owns "
                           f"({left} over the threshold")
    assert "--max-deletes=20 and --max-deletes-percent=25" in body
    assert metric(port, f'dnsgate_reconciler_deletes_held{{reason="threshold"}} {left}.0')
    events = wait_for(lambda: [e for e in json.loads(kubectl(
        "get", "events", "-n", namespace, "-o", "json").stdout)["items"]
        if e["reason"] == "DNSDeletesHeld" and f"--from-literal=plan={plan}" in e["message"]],
        timeout=30)
    assert events[0]["involvedObject"]["name"] == "dnsgate-confirm-deletes"

    # Another plan's hash releases nothing, and neither does a restart.
    kubectl("-n", namespace, "create", "configmap", "dnsgate-confirm-deletes",
            "--from-literal=plan=0123456789ab")
    supervisor.stop_all()
    start(supervisor, namespace, port)
    assert wait_for(lambda: held(port), timeout=120, interval=1) == plan
    assert len(published(route53, zone_id)) == left

    # The confirmation, as the message says to write it.
    kubectl("-n", namespace, "patch", "configmap", "dnsgate-confirm-deletes",
            "-p", json.dumps({"data": {"plan": plan}}))

    wait_for(lambda: not published(route53, zone_id), timeout=120, interval=1)
    assert wait_for(lambda: readyz(port) == (200, "ok\n"), timeout=30)
    assert metric(port, 'dnsgate_reconciler_deletes_held{reason="threshold"} 0.0')


def test_a_service_relabelled_out_of_the_label_filter_loses_its_record(
        api: None, namespace: str, supervisor: Supervisor, kubectl: Any, route53: Any,
        zone_id: str) -> None:
    """The API server's watch sends DELETED for an object that stops matching its label
    selector: a change seen, so the record goes (and a restart would have held it)."""
    for i in range(2):
        create(namespace, f"web{i}", f"web{i}.goldentooth.net", f"10.4.12.{i + 1}",
               labels={"team": "web"})
    port = free_port()
    child = supervisor.start("reconciler", [
        sys.executable, "-m", "dnsgate", "reconcile", "--namespace", namespace,
        "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER,
        "--label-filter=team=web", f"--health-port={port}", "--interval=10m"],
        env=dict(os.environ))
    wait_until(child, lambda: readyz(port)[0] == 200, timeout=180, what="ready")
    wait_for(lambda: published(route53, zone_id) == {"web0.goldentooth.net",
                                                     "web1.goldentooth.net"}, timeout=60)

    kubectl("-n", namespace, "label", "service", "web0", "team=shop", "--overwrite")

    wait_for(lambda: published(route53, zone_id) == {"web1.goldentooth.net"}, timeout=60)
    assert readyz(port) == (200, "ok\n")


def test_a_restart_with_ignore_ingress_rules_spec_keeps_the_ingress_rule_hosts(
        kubeconfig: Path, api: None, namespace: str, route53: Any, zone_id: str) -> None:
    """The Ingress still names its rule host; only the flag at start stops it giving a
    name. `dnsgate reconcile --once` holds that delete and says why."""
    from devstack import ingresses

    ingresses.apply(kubeconfig, ingresses.manifest(
        namespace, "web", hosts=["rule.goldentooth.net"], tls_hosts=["tls.goldentooth.net"]))
    ingresses.assign(kubeconfig, namespace, "web", ["10.4.12.30"])
    first = reconcile(namespace, "--source=ingress")
    assert first.returncode == 0, first.stderr
    assert published(route53, zone_id) == {"rule.goldentooth.net", "tls.goldentooth.net"}

    result = reconcile(namespace, "--source=ingress", "--ignore-ingress-rules-spec")

    assert result.returncode == 0, result.stderr
    assert published(route53, zone_id) == {"rule.goldentooth.net", "tls.goldentooth.net"}
    assert (f"rule.goldentooth.net A: Ingress {namespace}/web still asks for it, and a "
            "setting gives it no record now" in result.stderr)


def test_a_restart_without_publish_internal_services_keeps_a_clusterip_record(
        api: None, namespace: str, route53: Any, zone_id: str) -> None:
    from kubernetes import client

    client.CoreV1Api().create_namespaced_service(namespace, {
        "metadata": {"name": "db", "annotations": {ALPHA + "hostname": "db.goldentooth.net"}},
        "spec": {"type": "ClusterIP", "ports": [{"port": 5432}]}})
    first = reconcile(namespace, "--publish-internal-services")
    assert first.returncode == 0, first.stderr
    assert published(route53, zone_id) == {"db.goldentooth.net"}

    result = reconcile(namespace)

    assert result.returncode == 0, result.stderr
    assert published(route53, zone_id) == {"db.goldentooth.net"}
    assert f"Service {namespace}/db still asks for it" in result.stderr
