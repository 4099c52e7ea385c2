"""Services in, Route53 records out: the reconciler against the real kube-apiserver and the
moto Route53 server, following the seed cluster's httpbin example."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import metallb
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

HTTPBIN = {ALPHA + "hostname": "httpbin.goldentooth.net", ALPHA + "ttl": "60"}


def ownership(namespace: str, name: str, owner: str = OWNER) -> str:
    return (f'"heritage=external-dns,external-dns/owner={owner},'
            f'external-dns/resource=service/{namespace}/{name}"')


def test_seed_httpbin_gets_a_record_and_ownership_txt(
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler()
    metallb.create_service(kubeconfig, namespace, "httpbin", HTTPBIN)
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])

    records = wait_for(lambda: (r := zone_records(route53, zone_id))
                       and ("a-httpbin.goldentooth.net", "TXT", "") in r and r)

    a = records[("httpbin.goldentooth.net", "A", "")]
    txt = records[("a-httpbin.goldentooth.net", "TXT", "")]
    assert (values(a), a["TTL"]) == (["10.4.11.1"], 60)
    assert (values(txt), txt["TTL"]) == ([ownership(namespace, "httpbin")], 300)
    assert running.outcome(f"service/{namespace}/httpbin").status == "synced"


def test_changed_ip_updates_and_deleted_service_removes_both(
        kubeconfig: Path, kubectl, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler()
    metallb.create_service(kubeconfig, namespace, "httpbin", HTTPBIN)
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
    a_key = ("httpbin.goldentooth.net", "A", "")
    wait_for(lambda: a_key in zone_records(route53, zone_id))

    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.2"])
    wait_for(lambda: values(zone_records(route53, zone_id).get(a_key, {})) == ["10.4.11.2"])
    kubectl("-n", namespace, "delete", "service", "httpbin")

    assert wait_for(lambda: zone_records(route53, zone_id) == {}) is not None
