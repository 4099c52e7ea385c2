"""The hand-over under attack, end to end with `dnsgate reconcile --once
--migrate-from-txt-owner=OLD` and moto: OLD rewriting its TXT after dnsgate read the zone and
before its change lands (through the strict Route53 proxy, which refuses a DELETE that does
not match, as Route53 does and moto does not); every shape OLD's records come in (wildcard,
weighted sets, the old TXT format, A/AAAA aliases); and our own owner id given as OLD."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import metallb
from devstack import route53 as route53_server
from devstack.r53proxy import Route53Proxy
from tests.owners.test_e2e_handover import OLD
from tests.owners.zone import ZONE, owned_a, prefill, rrset, txt_value
from tests.reconcile.conftest import ALPHA, OWNER, values, zone_records

pytestmark = pytest.mark.e2e

WEB = f"web.{ZONE}"


class OldOwnerWrites(Route53Proxy):
    """Before the first change batch naming WEB is judged (not the start-up checks' probe),
    OLD points its TXT at another resource."""

    def __init__(self, upstream: str, route53: Any, zone_id: str) -> None:
        super().__init__(upstream, strict=True)
        self.pending: dict[str, Any] | None = {"route53": route53, "zone_id": zone_id}

    def strict_refusal(self, path: str, body: bytes) -> bytes | None:
        if self.pending is not None and WEB.encode() in body:
            client, zone_id = self.pending["route53"], self.pending["zone_id"]
            self.pending = None
            before = zone_records(client, zone_id)[(f"a-{WEB}", "TXT", "")]
            prefill(client, zone_id, [
                {"Action": "DELETE", "ResourceRecordSet": before},
                rrset(f"a-{WEB}", "TXT", txt_value(OLD, "service/elsewhere/web"))])
        return super().strict_refusal(path, body)


@pytest.fixture
def racing(stack, route53, zone_id: str) -> Iterator[OldOwnerWrites]:  # type: ignore[no-untyped-def]
    with OldOwnerWrites(stack.route53.url, route53, zone_id) as proxy:
        yield proxy


def test_the_old_owner_writing_between_read_and_write_stops_the_hand_over(
        kubeconfig, namespace: str, route53, zone_id: str,  # type: ignore[no-untyped-def]
        racing: OldOwnerWrites) -> None:
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": WEB, ALPHA + "ttl": "300"})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.23.1"])
    prefill(route53, zone_id, owned_a(WEB, "10.4.23.1", OLD, f"service/{namespace}/web"))
    env = {**os.environ, "AWS_ENDPOINT_URL_ROUTE_53": racing.url, **route53_server.CREDENTIALS,
           "AWS_DEFAULT_REGION": route53_server.REGION}

    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", "--namespace", namespace,
         "--domain-filter", ZONE, "--txt-owner-id", OWNER, "--migrate-from-txt-owner", OLD],
        capture_output=True, text=True, timeout=120, env=env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"not taken: {WEB} (service/{namespace}/web)" in result.stdout
    after = zone_records(route53, zone_id)
    assert values(after[(f"a-{WEB}", "TXT", "")]) == [txt_value(OLD, "service/elsewhere/web")]
    assert values(after[(WEB, "A", "")]) == ["10.4.23.1"]
    assert not any(OWNER in str(record) for record in after.values())


ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"


def alias(name: str, kind: str) -> dict[str, Any]:
    return {"Action": "CREATE", "ResourceRecordSet": {
        "Name": name + ".", "Type": kind, "AliasTarget": {
            "HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": ELB, "EvaluateTargetHealth": True}}}


def test_hand_over_of_wildcards_weighted_sets_old_format_txts_and_aliases(
        kubeconfig, namespace: str, route53, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    """Each shape OLD's records come in is taken with exactly its own TXTs, and a weighted
    set whose TXT names an object here asking for another set identifier is left."""
    ns = namespace
    weighted = {ALPHA + "hostname": f"wt.{ZONE}", ALPHA + "aws-weight": "1"}
    for name, notes, status in (
            ("wild", {ALPHA + "hostname": f"*.w.{ZONE}"}, "10.4.24.1"),
            ("blue", {**weighted, ALPHA + "set-identifier": "blue"}, "10.4.24.2"),
            ("green", {**weighted, ALPHA + "set-identifier": "green"}, "10.4.24.3"),
            ("oldfmt", {ALPHA + "hostname": f"oldfmt.{ZONE}"}, "10.4.24.4"),
            ("lb", {ALPHA + "hostname": f"lb.{ZONE}"}, ELB)):
        metallb.create_service(kubeconfig, ns, name, {**notes, ALPHA + "ttl": "300"})
        metallb.assign(kubeconfig, ns, name, [status])
    prefill(route53, zone_id, [
        *owned_a(f"*.w.{ZONE}", "10.4.24.1", OLD, f"service/{ns}/wild"),
        *owned_a(f"wt.{ZONE}", "10.4.24.2", OLD, f"service/{ns}/blue", set_identifier="blue"),
        *owned_a(f"wt.{ZONE}", "10.4.24.3", OLD, f"service/{ns}/green", set_identifier="red"),
        rrset(f"oldfmt.{ZONE}", "A", "10.4.24.4"),
        rrset(f"oldfmt.{ZONE}", "TXT", txt_value(OLD, f"service/{ns}/oldfmt")),
        alias(f"lb.{ZONE}", "A"), alias(f"lb.{ZONE}", "AAAA"),
        rrset(f"a-lb.{ZONE}", "TXT", txt_value(OLD, f"service/{ns}/lb")),
        rrset(f"aaaa-lb.{ZONE}", "TXT", txt_value(OLD, f"service/{ns}/lb"))])
    before = zone_records(route53, zone_id)

    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", "--namespace", ns,
         "--domain-filter", ZONE, "--txt-owner-id", OWNER, "--migrate-from-txt-owner", OLD],
        capture_output=True, text=True, timeout=120, env=dict(os.environ))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f'5 of 6 record set(s) owned by "{OLD}"' in result.stdout
    after = zone_records(route53, zone_id)
    ours = {key: values(record) for key, record in after.items()
            if key[1] == "TXT" and OWNER in str(values(record))}
    assert ours == {
        (f"a-*.w.{ZONE}", "TXT", ""): [txt_value(OWNER, f"service/{ns}/wild")],
        (f"a-wt.{ZONE}", "TXT", "blue"): [txt_value(OWNER, f"service/{ns}/blue")],
        (f"a-wt.{ZONE}", "TXT", "green"): [txt_value(OWNER, f"service/{ns}/green")],
        (f"a-oldfmt.{ZONE}", "TXT", ""): [txt_value(OWNER, f"service/{ns}/oldfmt")],
        # The alias keeps the TXT name OLD's release gave it (docs/route53-alias.md).
        (f"a-lb.{ZONE}", "TXT", ""): [txt_value(OWNER, f"service/{ns}/lb")],
        (f"aaaa-lb.{ZONE}", "TXT", ""): [txt_value(OWNER, f"service/{ns}/lb")]}
    # OLD's TXTs of taken records are gone; the one of the set left stands, as its record.
    assert (f"cname-lb.{ZONE}", "TXT", "") not in after
    assert (f"oldfmt.{ZONE}", "TXT", "") not in after
    for key in ((f"wt.{ZONE}", "A", "red"), (f"a-wt.{ZONE}", "TXT", "red")):
        assert after[key] == before[key]
    for key in ((f"lb.{ZONE}", "A", ""), (f"lb.{ZONE}", "AAAA", ""), (f"*.w.{ZONE}", "A", "")):
        assert after[key] == before[key]


def test_our_own_owner_id_as_old_is_refused_at_start() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", "--dry-run",
         "--domain-filter", ZONE, "--txt-owner-id", OWNER, "--migrate-from-txt-owner", OWNER],
        capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert (f'--migrate-from-txt-owner "{OWNER}" is this reconciler\'s own --txt-owner-id'
            in result.stderr)
