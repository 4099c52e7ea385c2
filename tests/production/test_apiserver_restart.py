"""kube-apiserver restarted under a running webhook and reconciler, with a delete happening
while the reconciler's watch is stale: its resumed watch gets 410 Gone, it re-lists, and the
deleted Service's records go; the webhook's claim index learns of the delete too.

This test runs its own stack: restarting the shared apiserver would disturb other tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import kubectl as kubectl_cli
from devstack import metallb
from devstack import route53 as route53_server
from devstack import webhook as devstack_webhook
from devstack.controlplane import free_port
from devstack.stack import Stack
from tests.production.conftest import DOMAIN, HOSTNAME, OWNER, Reconciler, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[Stack]:
    with Stack(tmp_path / "stack", progress=lambda line: None) as running:
        yield running


def test_apiserver_restart_and_expired_watch_miss_no_delete(
    own_stack: Stack, tmp_path: Path
) -> None:
    kubeconfig = own_stack.kubeconfig
    env = {**os.environ, **own_stack.env()}
    certs = tmp_path / "certs"
    subprocess.run([sys.executable, "-m", "dnsgate", "certs", "--out-dir", str(certs),
                    "--ip", "127.0.0.1"], check=True, capture_output=True, env=env)
    port = free_port()
    devstack_webhook.start(own_stack.supervisor, port=port, cert_file=certs / "tls.crt",
                           key_file=certs / "tls.key", ca_file=certs / "ca.crt",
                           domain_filters=[DOMAIN], kubeconfig=kubeconfig)
    devstack_webhook.register(kubeconfig, devstack_webhook.local_configurations(
        port, (certs / "ca.crt").read_bytes()))
    health = free_port()
    child = own_stack.supervisor.start("reconciler", [
        sys.executable, "-m", "dnsgate", "reconcile", f"--domain-filter={DOMAIN}",
        f"--txt-owner-id={OWNER}", "--interval=10m", f"--health-port={health}"], env=env)
    reconciler = Reconciler(child, health)
    client = route53_server.client(own_stack.route53.url if own_stack.route53 else "")
    zone_id = own_stack.route53.zone_id if own_stack.route53 else ""

    def names() -> set[str]:
        listed = client.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        return {r["Name"].rstrip(".") for r in listed if r["Type"] in ("A", "TXT")}

    for name in ("keep", "gone"):
        metallb.create_service(kubeconfig, "apps", name, {HOSTNAME: f"{name}.goldentooth.net"})
    metallb.assign(kubeconfig, "apps", "keep", ["10.4.11.1"])
    metallb.assign(kubeconfig, "apps", "gone", ["10.4.11.2"])
    wait_for(lambda: {"gone.goldentooth.net", "keep.goldentooth.net"} <= names(), 30,
             "both records")

    child.process.send_signal(signal.SIGSTOP)  # its watch now holds an old resourceVersion
    assert own_stack.control_plane is not None
    own_stack.control_plane.stop_apiserver()
    own_stack.control_plane.start_apiserver()
    kubectl_cli.run(kubeconfig, "-n", "apps", "delete", "service", "gone")
    for number in range(5):  # move the resourceVersion on
        metallb.create_service(kubeconfig, "churn", f"c{number}", {})
    child.process.send_signal(signal.SIGCONT)

    wait_for(lambda: "gone.goldentooth.net" not in names(), 60, "gone's records deleted")
    assert {"keep.goldentooth.net", "a-keep.goldentooth.net"} <= names()
    assert "a-gone.goldentooth.net" not in names()
    assert "Service watch expired (410 Gone); re-listing" in reconciler.log()
    # The webhook's index saw the delete too: the name is free for another namespace.
    claimed = metallb.service_manifest("other", "gone", {HOSTNAME: "gone.goldentooth.net"})
    metallb.ensure_namespace(kubeconfig, "other")
    admitted = kubectl_cli.run(kubeconfig, "apply", "-f", "-", input=json.dumps(claimed),
                               check=False)
    assert admitted.returncode == 0, admitted.stderr
    refused = kubectl_cli.run(kubeconfig, "apply", "-f", "-", check=False, input=json.dumps(
        metallb.service_manifest("other", "bad", {HOSTNAME: "bad.example.com"})))
    assert "denied the request" in refused.stderr  # and it still guards the door
