"""`aws-geoproximity-*`, `aws-hosted-zone-id` and `aws-target-hosted-zone` end to end:
Services applied with kubectl to the real apiserver, reconciled against moto, and, where
moto stores less than it is sent, the request itself recorded by the Route53 proxy in front
of it (docs/route53-alias.md, "What moto does with these requests")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import metallb, oracle_route53
from devstack import route53 as route53_server
from devstack.r53proxy import Route53Proxy
from tests.reconcile.conftest import ALPHA, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

GEO = "geo.goldentooth.net"
S3 = "bucket.s3-website.eu-west-1.amazonaws.com"


def sent(proxy: Route53Proxy) -> list[tuple[str, str, dict[str, Any]]]:
    return oracle_route53.batches({"batches": [
        {"zone_id": zone, "body": body.decode()} for zone, body in proxy.batches()]})


def test_geoproximity_is_sent_to_route53_and_moto_drops_it(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, stack, route53, zone_id: str, reconciler) -> None:
    with Route53Proxy(stack.route53.url) as proxy:
        reconciler(client_=route53_server.client(proxy.url))
        metallb.create_service(kubeconfig, namespace, "geo", {
            ALPHA + "hostname": GEO, ALPHA + "set-identifier": "ldn",
            ALPHA + "aws-geoproximity-coordinates": "51.50,-0.12",
            ALPHA + "aws-geoproximity-bias": "-20"})
        metallb.assign(kubeconfig, namespace, "geo", ["10.4.11.71"])
        key = (GEO, "A", "ldn")
        records = wait_for(lambda: key in (r := zone_records(route53, zone_id)) and r)

        location = {"Coordinates": {"Latitude": "51.50", "Longitude": "-0.12"}, "Bias": -20}
        requested = [rrset for zone, action, rrset in sent(proxy)
                     if zone == zone_id and action == "CREATE"]
        assert {"Name": GEO + ".", "Type": "A", "SetIdentifier": "ldn", "TTL": 300,
                "ResourceRecords": [{"Value": "10.4.11.71"}],
                "GeoProximityLocation": location} in requested
        assert any(r["Type"] == "TXT" and r.get("GeoProximityLocation") == location
                   for r in requested)
    # moto 5.2 keeps the set identifier and drops the location: a gap of the fake, which
    # is why the request itself is what this test checks.
    assert values(records[key]) == ["10.4.11.71"]
    assert "GeoProximityLocation" not in records[key]


def test_a_pinned_record_lands_in_its_zone_alone(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, stack, route53, zone_id: str, reconciler,
        kubectl) -> None:
    private = route53_server.create_zone(stack.route53.url, "goldentooth.net", private=True)
    reconciler()  # no --aws-zone-type: without the pin both zones get the record
    metallb.create_service(kubeconfig, namespace, "inside", {
        ALPHA + "hostname": "inside.goldentooth.net",
        ALPHA + "aws-hosted-zone-id": f"/hostedzone/{private}"})
    metallb.assign(kubeconfig, namespace, "inside", ["10.4.11.72"])
    keys = {("inside.goldentooth.net", "A", ""), ("a-inside.goldentooth.net", "TXT", "")}

    wait_for(lambda: keys <= set(zone_records(route53, private)))
    assert not keys & set(zone_records(route53, zone_id))

    kubectl("-n", namespace, "annotate", "--overwrite", "service", "inside",
            f"{ALPHA}aws-hosted-zone-id={zone_id}")

    wait_for(lambda: keys <= set(zone_records(route53, zone_id)))
    wait_for(lambda: not keys & set(zone_records(route53, private)))


def test_a_pin_naming_no_zone_of_the_name_leaves_its_records_and_is_reported(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler, kubectl) -> None:
    running = reconciler()
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": "pin.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.73"])
    key = ("pin.goldentooth.net", "A", "")
    wait_for(lambda: key in zone_records(route53, zone_id))

    kubectl("-n", namespace, "annotate", "--overwrite", "service", "web",
            f"{ALPHA}aws-hosted-zone-id=ZNOSUCHZONE")

    outcome = wait_for(lambda: (o := running.outcome(f"service/{namespace}/web"))
                       and "ZNOSUCHZONE" in o.message and o)
    assert outcome.status != "synced"
    assert (f"aws-hosted-zone-id ZNOSUCHZONE is not a hosted zone dnsgate writes "
            f"pin.goldentooth.net to; use one of: {zone_id} (goldentooth.net)") in outcome.message
    running.controller.resync()
    syncs = running.controller.syncs
    wait_for(lambda: running.controller.syncs > syncs)
    assert key in zone_records(route53, zone_id)


def test_an_alias_takes_its_target_zone_from_the_annotation_and_stays(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    running = reconciler()
    metallb.create_service(kubeconfig, namespace, "site", {
        ALPHA + "hostname": "site.goldentooth.net", ALPHA + "alias": "true",
        ALPHA + "target": S3, ALPHA + "aws-target-hosted-zone": "Z1BKCTXD74EZPE"})
    keys = [("site.goldentooth.net", kind, "") for kind in ("A", "AAAA")]
    records = wait_for(lambda: all(k in (r := zone_records(route53, zone_id)) for k in keys)
                       and r)

    for key in keys:
        assert records[key]["AliasTarget"]["HostedZoneId"] == "Z1BKCTXD74EZPE"
    changes = running.client.calls["change_resource_record_sets"]
    syncs = running.controller.syncs
    running.controller.resync()
    wait_for(lambda: running.controller.syncs > syncs)
    assert running.client.calls["change_resource_record_sets"] == changes
