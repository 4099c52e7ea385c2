"""The controller's loop against the real stack: quiet when nothing changes, one zone
listing per resync, drift repaired at resync, bursts coalesced into one batch, policies."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devstack import metallb
from tests.reconcile.conftest import ALPHA, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

A_KEY = ("httpbin.goldentooth.net", "A", "")
HTTPBIN = {ALPHA + "hostname": "httpbin.goldentooth.net", ALPHA + "ttl": "60"}


@pytest.fixture
def httpbin(kubeconfig: Path, namespace: str) -> str:
    metallb.create_service(kubeconfig, namespace, "httpbin", HTTPBIN)
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
    return namespace


def test_nothing_changing_means_no_change_calls_and_one_listing_per_resync(
        httpbin: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(interval=1.0)
    wait_for(lambda: running.outcome(f"service/{httpbin}/httpbin"))
    changes = running.client.calls["change_resource_record_sets"]
    listings = running.client.calls["list_resource_record_sets"]

    time.sleep(3.5)

    assert changes == 1  # the first sync: A and TXT in one call
    assert running.client.calls["change_resource_record_sets"] == changes
    assert 3 <= running.client.calls["list_resource_record_sets"] - listings <= 4
    assert running.client.calls["list_hosted_zones"] == 1


def test_resync_repairs_drift(httpbin: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler(interval=1.0)
    record = wait_for(lambda: zone_records(route53, zone_id).get(A_KEY))

    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]})

    assert wait_for(lambda: zone_records(route53, zone_id).get(A_KEY), timeout=5) == record
    assert running.outcome(f"service/{httpbin}/httpbin").status == "synced"


def test_burst_of_service_changes_lands_in_one_batch(
        namespace: str, route53, zone_id: str, reconciler, create_services) -> None:
    running = reconciler(coalesce=0.2)
    wait_for(lambda: running.client.calls["list_resource_record_sets"] == 1)

    create_services({f"b{i:02d}": {ALPHA + "hostname": f"b{i:02d}.goldentooth.net",
                                   ALPHA + "target": f"10.7.0.{i + 1}"} for i in range(20)})

    wait_for(lambda: sum(1 for k in zone_records(route53, zone_id) if k[1] == "A") == 20)
    assert running.client.calls["change_resource_record_sets"] <= 2


@pytest.mark.parametrize(("policy", "after_delete"), [
    ("sync", None),
    ("upsert-only", ["10.4.11.1"]),
])
def test_policy_decides_whether_deleting_a_service_deletes_records(  # type: ignore[no-untyped-def]
        httpbin: str, kubectl, route53, zone_id: str, reconciler, policy, after_delete) -> None:
    running = reconciler(policy=policy)
    wait_for(lambda: A_KEY in zone_records(route53, zone_id))

    syncs = running.controller.syncs

    kubectl("-n", httpbin, "delete", "service", "httpbin")
    wait_for(lambda: running.controller.syncs > syncs, timeout=5)  # the deletion was planned

    record = zone_records(route53, zone_id).get(A_KEY)
    assert (values(record) if record else None) == after_delete
