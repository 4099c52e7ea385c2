"""The metric names ExternalDNS users alert on, scraped from a running reconciler, move when
ExternalDNS's controller moves them (docs/metrics.md):
- the last-sync timestamp after every sync that applied everything, and not while Route53
  fails; the registry error counter once per failed sync;
- the source error counter while the Services cannot be read (RBAC refuses the list);
- the record gauges after a full sync: records in the zone, records asked for, and those
  asked for that exist.
Also what /readyz says meanwhile: the doctor's failing check, with its fix."""

from __future__ import annotations

import os
import time

import pytest

from devstack.r53proxy import NO_FAULTS, Faults, Route53Proxy
from tests.doctor.conftest import DOMAIN, manifest_rules, without
from tests.production.conftest import wait_for

pytestmark = pytest.mark.e2e

LAST_SYNC = "external_dns_controller_last_sync_timestamp_seconds"
REGISTRY_ERRORS = "external_dns_registry_errors_total"
SOURCE_ERRORS = "external_dns_source_errors_total"


@pytest.fixture
def proxy(stack, zone_id: str):  # type: ignore[no-untyped-def]
    with Route53Proxy(stack.route53.url) as running:
        yield running


def test_sync_timestamp_and_registry_errors_move_as_in_externaldns(
        proxy: Route53Proxy, start_reconciler, load_balancer, route53, zone_id: str,  # type: ignore[no-untyped-def]
        namespace: str) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {
            "Name": f"manual.{DOMAIN}.", "Type": "A", "TTL": 300,
            "ResourceRecords": [{"Value": "192.0.2.9"}]}}]})
    load_balancer("web", f"web.{DOMAIN}", "10.4.11.1")
    env = {**os.environ, "AWS_ENDPOINT_URL_ROUTE_53": proxy.url}
    reconciler = start_reconciler(env, "--interval=2s")

    # The second full sync finds web's A record it created in the first: verified.
    wait_for(lambda: reconciler.sample("external_dns_controller_verified_records",
                                       record_type="A") == 1, 20, "web's A record verified")
    assert reconciler.sample("external_dns_registry_records", record_type="A") == 2
    assert reconciler.sample("external_dns_source_records", record_type="A") == 1
    assert reconciler.sample("external_dns_registry_a_records") == 2  # ExternalDNS v0.14.2
    assert reconciler.sample("external_dns_controller_verified_a_records") == 1
    assert reconciler.sample(REGISTRY_ERRORS) == 0
    assert reconciler.sample(SOURCE_ERRORS) == 0
    synced = reconciler.sample(LAST_SYNC)
    assert abs(synced - time.time()) < 10
    wait_for(lambda: reconciler.sample(LAST_SYNC) > synced, 10, "the next sync's timestamp")

    proxy.configure(Faults(unavailable=1.0))
    wait_for(lambda: reconciler.sample(REGISTRY_ERRORS) >= 2, 60, "failed syncs counted")
    stalled = reconciler.sample(LAST_SYNC)
    errors = reconciler.sample(REGISTRY_ERRORS)
    wait_for(lambda: reconciler.sample(REGISTRY_ERRORS) > errors, 60, "one more failed sync")
    assert reconciler.sample(LAST_SYNC) == stalled

    proxy.configure(NO_FAULTS)
    wait_for(lambda: reconciler.sample(LAST_SYNC) > stalled, 60, "a sync after Route53 recovers")
    assert reconciler.sample(SOURCE_ERRORS) == 0


def test_source_errors_count_while_services_cannot_be_listed_and_readyz_says_why(
        start_reconciler, service_account, zone_id: str, namespace: str) -> None:  # type: ignore[no-untyped-def]
    kubeconfig = service_account(without(manifest_rules(), "services", "list"))
    reconciler = start_reconciler({**os.environ, "KUBECONFIG": str(kubeconfig)})

    wait_for(lambda: reconciler.sample(SOURCE_ERRORS) >= 2, 30, "failed Service lists counted")
    # The watch fails from the first second; the start-up checks may still be running then.
    def verdict() -> tuple[int, str] | None:
        found: tuple[int, str] = reconciler.get("/readyz")
        return None if "start-up checks still running" in found[1] else found

    status, body = wait_for(verdict, 60, "the start-up checks' verdict on /readyz")
    assert status == 503
    assert f"FAIL  rbac list services in namespace {namespace}: denied to " \
           f"system:serviceaccount:{namespace}:dnsgate-reconciler" in body
    assert 'fix: add the rule {apiGroups: [""], resources: ["services"], verbs: ["list"]}' in body
    assert reconciler.sample(LAST_SYNC) == 0
