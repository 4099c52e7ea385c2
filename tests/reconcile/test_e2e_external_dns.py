"""Zones handed between real ExternalDNS releases and dnsgate, and back: after dnsgate adopts
and updates a zone a release filled, that release's `--once --dry-run` plans nothing; after a
release updates a zone dnsgate filled for it (`--rollback-release`), dnsgate plans nothing.
Services (an A, a CNAME, an alias behind an NLB) and an Ingress behind an NLB (A and AAAA
aliases) share the zone; the releases are the real binaries (`devstack.externaldns`), against
the test apiserver and moto behind a strict Route53 proxy (docs/route53-alias.md, "Which TXT
name an alias gets")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devstack import ingresses, metallb
from devstack import kubectl as kubectl_cli
from tests.reconcile import external_dns
from tests.reconcile.conftest import ALPHA, OWNER, zone_records

pytestmark = pytest.mark.e2e

SEED, LATEST = "v0.14.2", "v0.23.0"
NLB = "shop-0123456789abcdef.elb.eu-central-1.amazonaws.com"
MOVED_NLB = "shop-fedcba9876543210.elb.eu-central-1.amazonaws.com"
API_NLB = "api-0123456789abcdef.elb.us-east-1.amazonaws.com"
MOVED_API_NLB = "api-fedcba9876543210.elb.us-east-1.amazonaws.com"
TTL = {ALPHA + "ttl": "60"}


def publish(kubeconfig: Path, namespace: str) -> None:
    """A Service with an address (A), one with a hostname (CNAME), and a Service and an
    Ingress behind NLBs (A and AAAA aliases; v0.14.2 makes the A alias only, and dnsgate,
    adopting, adds the AAAA beside it with the same target, which v0.14.2 reads as an A:
    docs/route53-alias.md)."""
    metallb.create_service(kubeconfig, namespace, "web",
                           {ALPHA + "hostname": "web.goldentooth.net", **TTL})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.1"])
    metallb.create_service(kubeconfig, namespace, "edge",
                           {ALPHA + "hostname": "edge.goldentooth.net", **TTL})
    metallb.assign(kubeconfig, namespace, "edge", ["edge.example.org"])
    metallb.create_service(kubeconfig, namespace, "api",
                           {ALPHA + "hostname": "api.goldentooth.net", **TTL})
    metallb.assign(kubeconfig, namespace, "api", [API_NLB])
    ingresses.apply(kubeconfig, ingresses.manifest(
        namespace, "shop", hosts=["shop.goldentooth.net"], annotations=TTL))
    ingresses.assign(kubeconfig, namespace, "shop", [NLB])


def move_targets(kubeconfig: Path, namespace: str) -> None:
    """The load balancers' hostnames change: every alias and the CNAME must be updated."""
    metallb.assign(kubeconfig, namespace, "edge", ["edge2.example.org"])
    metallb.assign(kubeconfig, namespace, "api", [MOVED_API_NLB])
    ingresses.assign(kubeconfig, namespace, "shop", [MOVED_NLB])


def dnsgate(namespace: str, access: external_dns.Route53Access, *flags: str,
            logged: bool = False, sources: tuple[str, ...] = external_dns.SOURCES) -> str:
    """What `dnsgate reconcile --once` of `sources` printed; `logged`: and what it logged."""
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--namespace", namespace,
         "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER,
         *(f"--source={s}" for s in sources), "--once", *flags],
        capture_output=True, text=True, timeout=180,
        env={**_environ(), "AWS_ENDPOINT_URL_ROUTE_53": access.proxy.url})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + (result.stderr if logged else "")


def dnsgate_plans_nothing(namespace: str, access: external_dns.Route53Access,
                          *flags: str) -> None:
    printed = dnsgate(namespace, access, "--dry-run", *flags)
    assert "0 change(s) planned" in printed or "change(s) planned" not in printed, printed


def release_plans_nothing(version: str, access: external_dns.Route53Access, kubeconfig: Path,
                          namespace: str, *, had_cname_txt: bool = False) -> None:
    lines = external_dns.run(version, access, kubeconfig, namespace, OWNER, dry_run=True)

    assert external_dns.planned(lines) == [], [line for line in lines
                                                if line.get("level") != "debug"]
    assert external_dns.synced(lines), lines[-20:]
    # v0.22+ warns of a `cname-` TXT beside an A alias: dnsgate must not have added one.
    assert had_cname_txt or not [w for w in external_dns.warnings(lines) if "Obsolete" in w]


def txt_names(route53: Any, zone_id: str) -> set[str]:
    return {name for name, kind, _ in zone_records(route53, zone_id) if kind == "TXT"}


@pytest.fixture
def access(stack, tmp_path: Path):  # type: ignore[no-untyped-def]
    with external_dns.route53_access(stack.route53.url, tmp_path / "route53") as found:
        yield found


@pytest.mark.parametrize("releases", [(SEED,), (LATEST,), (SEED, LATEST)],
                         ids=["v0.14.2", "v0.23.0", "v0.14.2-then-v0.23.0"])
def test_release_plans_nothing_after_dnsgate_adopts_and_updates_its_zone(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access, releases) -> None:
    publish(kubeconfig, namespace)
    for version in releases:  # the zone as the release(s) leave it; v0.23 after v0.14 adds a-
        external_dns.run(version, access, kubeconfig, namespace, OWNER, dry_run=False)
    if releases != (SEED,):  # v0.14.2 made no AAAA alias: dnsgate adds them
        dnsgate_plans_nothing(namespace, access)  # adopted as it is
    dnsgate(namespace, access)
    written = txt_names(route53, zone_id)
    assert ("a-shop.goldentooth.net" in written) == (LATEST in releases)
    assert ("cname-shop.goldentooth.net" in written) == (SEED in releases)

    move_targets(kubeconfig, namespace)
    dnsgate(namespace, access)

    records = zone_records(route53, zone_id)
    for name, target in (("shop", MOVED_NLB), ("api", MOVED_API_NLB)):
        for kind in ("A", "AAAA"):
            moved = records[(f"{name}.goldentooth.net", kind, "")]["AliasTarget"]["DNSName"]
            assert moved == target
    assert txt_names(route53, zone_id) == written  # every TXT name kept, none added
    for version in releases:
        release_plans_nothing(version, access, kubeconfig, namespace,
                              had_cname_txt=SEED in releases)


@pytest.mark.parametrize("release", [LATEST])
def test_dnsgate_plans_nothing_after_the_rollback_release_updates_its_zone(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access, release) -> None:
    publish(kubeconfig, namespace)
    dnsgate(namespace, access, f"--rollback-release={release}")
    alias_txt = "a-shop.goldentooth.net" if release == LATEST else "cname-shop.goldentooth.net"
    assert alias_txt in txt_names(route53, zone_id)
    release_plans_nothing(release, access, kubeconfig, namespace)  # adopted as it is

    move_targets(kubeconfig, namespace)
    external_dns.run(release, access, kubeconfig, namespace, OWNER, dry_run=False)

    records = zone_records(route53, zone_id)
    assert records[("shop.goldentooth.net", "A", "")]["AliasTarget"]["DNSName"] == MOVED_NLB
    dnsgate_plans_nothing(namespace, access, f"--rollback-release={release}")


@pytest.mark.parametrize("releases", [(SEED,), (LATEST,), (SEED, LATEST)],
                         ids=["v0.14.2", "v0.23.0", "v0.14.2-then-v0.23.0"])
def test_dnsgate_deletes_every_txt_of_a_zone_a_release_filled(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access, releases) -> None:
    """Services and the Ingress gone, dnsgate deletes every record the release(s) made and
    every TXT they own them through (`cname-`, `a-`, `aaaa-`, the old format), so nothing of
    the owner is left for another owner's alias to trip over."""
    publish(kubeconfig, namespace)
    for version in releases:
        external_dns.run(version, access, kubeconfig, namespace, OWNER, dry_run=False)
    assert txt_names(route53, zone_id)
    kubectl_cli.run(kubeconfig, "-n", namespace, "delete", "service", "web", "edge", "api")
    kubectl_cli.run(kubeconfig, "-n", namespace, "delete", "ingress", "shop")

    dnsgate(namespace, access)

    assert {key for key in zone_records(route53, zone_id)
            if key[1] not in ("SOA", "NS")} == set()
    release_plans_nothing(releases[-1], access, kubeconfig, namespace)


def test_alias_is_not_written_beside_the_txts_another_owner_s_release_left(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access) -> None:
    """Another cluster's v0.14.2 publishes an alias (`cname-` and old-format TXTs), its
    v0.23.0 adds `a-` and, when the Service goes, deletes the alias with `a-` only. Were
    dnsgate to write the alias there, the TXTs left would make it nobody's to dnsgate
    (and another owner's to v0.14.2) for ever: it leaves the name alone instead."""
    other = "other-cluster"
    metallb.create_service(kubeconfig, namespace, "api",
                           {ALPHA + "hostname": "api.goldentooth.net", **TTL})
    metallb.assign(kubeconfig, namespace, "api", [API_NLB])
    for version in (SEED, LATEST):
        external_dns.run(version, access, kubeconfig, namespace, other, dry_run=False)
    kubectl_cli.run(kubeconfig, "-n", namespace, "delete", "service", "api")
    external_dns.run(LATEST, access, kubeconfig, namespace, other, dry_run=False)
    left = txt_names(route53, zone_id)
    assert {"cname-api.goldentooth.net", "api.goldentooth.net"} <= left
    assert ("api.goldentooth.net", "A", "") not in zone_records(route53, zone_id)

    metallb.create_service(kubeconfig, namespace, "api",
                           {ALPHA + "hostname": "api.goldentooth.net", **TTL})
    metallb.assign(kubeconfig, namespace, "api", [API_NLB])
    printed = dnsgate(namespace, access, "--rollback-release=v0.23.0", logged=True)

    assert ("api.goldentooth.net", "A", "") not in zone_records(route53, zone_id)
    assert txt_names(route53, zone_id) >= left
    assert "owner=other-cluster" in printed and "would be nobody's" in printed, printed


def _environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("EXTERNAL_DNS_")}
