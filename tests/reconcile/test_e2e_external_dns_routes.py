"""Gateway API routes handed between real ExternalDNS v0.23.0 and dnsgate, and back.

The release runs with `--source=gateway-httproute --source=gateway-tcproute` against the test
apiserver (the Gateway API CRDs installed) and moto behind a strict Route53 proxy; Gateways
with an IP, an ELB and another load balancer's hostname accept HTTPRoutes and a TCPRoute,
their `status.addresses` and the routes' `status.parents` written through the status
subresource as a gateway controller writes them (`devstack.gateways`). What the release
writes is pinned first (names, types, the `a-`/`aaaa-`/`cname-` TXT names and their
`<kind>/<ns>/<name>` resource labels, docs/gateway-api.md); then dnsgate with the same sources
adopts that zone without a single change call, and a zone dnsgate filled and updated is one
the release plans nothing for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack import gateways
from tests.reconcile import external_dns
from tests.reconcile.conftest import ALPHA, OWNER, values, zone_records
from tests.reconcile.test_e2e_external_dns import dnsgate

pytestmark = pytest.mark.e2e

LATEST = "v0.23.0"
SOURCES = ("gateway-httproute", "gateway-tcproute")
ROLLBACK = f"--rollback-release={LATEST}"
GATEWAY_IP, MOVED_IP = "10.4.12.1", "10.4.12.9"
EDGE_LB = "edge-0123456789abcdef.elb.eu-central-1.amazonaws.com"
MOVED_EDGE_LB = "edge-fedcba9876543210.elb.eu-central-1.amazonaws.com"
PROXY = "proxy.example.org"
TTL = {ALPHA + "ttl": "60"}


def gateway(kubeconfig: Path, namespace: str, name: str, address: str) -> None:
    """A Gateway with an HTTP and a TCP listener for routes of its namespace, and its
    address (an IP, or a load balancer's hostname) as its controller reports it."""
    gateways.apply(kubeconfig, gateways.gateway_class())
    listeners = (gateways.Listener("http"), gateways.Listener("postgres", "TCP", 5432))
    gateways.apply(kubeconfig, gateways.gateway(namespace, name, listeners))
    gateways.assign(kubeconfig, namespace, name, [address])


def route(kubeconfig: Path, namespace: str, kind: str, name: str, parent: str,
          hostnames: tuple[str, ...] = (), annotations: dict[str, str] | None = None) -> None:
    """A route attached to and accepted by `parent` (status.parents, as its controller
    writes them)."""
    parents = [gateways.Parent(parent)]
    gateways.apply(kubeconfig, gateways.route(kind, namespace, name, parents,
                                              hostnames=hostnames,
                                              annotations={**TTL, **(annotations or {})}))
    gateways.accept(kubeconfig, kind, namespace, name, parents)


def assign(kubeconfig: Path, namespace: str, name: str, address: str) -> None:
    gateways.assign(kubeconfig, namespace, name, [address])


def publish(kubeconfig: Path, namespace: str) -> None:
    """HTTPRoutes behind a Gateway with an IP (A), one behind an ELB (A and AAAA aliases)
    and one behind a load balancer's hostname (CNAME), one of them naming its host by
    annotation only, and a TCPRoute (no spec.hostnames at all)."""
    gateway(kubeconfig, namespace, "gw", GATEWAY_IP)
    gateway(kubeconfig, namespace, "edge", EDGE_LB)
    gateway(kubeconfig, namespace, "proxy", PROXY)
    route(kubeconfig, namespace, "HTTPRoute", "shop", "gw", ("shop.goldentooth.net",))
    route(kubeconfig, namespace, "HTTPRoute", "docs", "gw",
          annotations={ALPHA + "hostname": "docs.goldentooth.net"})
    route(kubeconfig, namespace, "HTTPRoute", "cdn", "edge", ("cdn.goldentooth.net",))
    route(kubeconfig, namespace, "HTTPRoute", "blog", "proxy", ("blog.goldentooth.net",))
    route(kubeconfig, namespace, "TCPRoute", "db", "gw",
          annotations={ALPHA + "hostname": "db.goldentooth.net"})


def release(access: external_dns.Route53Access, kubeconfig: Path, namespace: str, *,
            dry_run: bool) -> list[dict[str, Any]]:
    return external_dns.run(LATEST, access, kubeconfig, namespace, OWNER, dry_run=dry_run,
                            sources=SOURCES)


def route_dnsgate(namespace: str, access: external_dns.Route53Access, *flags: str) -> str:
    return dnsgate(namespace, access, *flags, sources=SOURCES)


def resource_labels(route53: Any, zone_id: str) -> dict[str, str]:
    """TXT name -> the resource label its ownership value holds."""
    found = {}
    for (name, kind, _), record in zone_records(route53, zone_id).items():
        if kind != "TXT":
            continue
        for value in values(record):
            for part in value.strip('"').split(","):
                if part.startswith("external-dns/resource="):
                    found[name] = part.removeprefix("external-dns/resource=")
    return found


def published(route53: Any, zone_id: str) -> dict[tuple[str, str], list[str]]:
    """(name, type) -> its values, or an alias's target, for every record but the TXTs."""
    return {(name, kind): values(record) or [record["AliasTarget"]["DNSName"].rstrip(".")]
            for (name, kind, _), record in zone_records(route53, zone_id).items()
            if kind != "TXT"}


def expected_labels(namespace: str) -> dict[str, str]:
    return {"a-shop.goldentooth.net": f"httproute/{namespace}/shop",
            "a-docs.goldentooth.net": f"httproute/{namespace}/docs",
            "a-cdn.goldentooth.net": f"httproute/{namespace}/cdn",
            "aaaa-cdn.goldentooth.net": f"httproute/{namespace}/cdn",
            "cname-blog.goldentooth.net": f"httproute/{namespace}/blog",
            "a-db.goldentooth.net": f"tcproute/{namespace}/db"}


@pytest.fixture
def access(stack, tmp_path: Path):  # type: ignore[no-untyped-def]
    with external_dns.route53_access(stack.route53.url, tmp_path / "route53") as found:
        yield found


def test_release_publishes_each_accepted_route_with_its_kind_in_the_resource_label(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access) -> None:
    publish(kubeconfig, namespace)

    release(access, kubeconfig, namespace, dry_run=False)

    assert published(route53, zone_id) == {
        ("shop.goldentooth.net", "A"): [GATEWAY_IP],
        ("docs.goldentooth.net", "A"): [GATEWAY_IP],
        ("db.goldentooth.net", "A"): [GATEWAY_IP],
        ("cdn.goldentooth.net", "A"): [EDGE_LB],
        ("cdn.goldentooth.net", "AAAA"): [EDGE_LB],
        ("blog.goldentooth.net", "CNAME"): [PROXY],
    }
    # v0.23.0 writes the type-prefixed TXT name only, each labelled "<kind>/<ns>/<name>".
    assert resource_labels(route53, zone_id) == expected_labels(namespace)


def release_plans_nothing_for_routes(access: external_dns.Route53Access, kubeconfig: Path,
                                     namespace: str) -> None:
    lines = release(access, kubeconfig, namespace, dry_run=True)
    assert external_dns.planned(lines) == [], [line for line in lines
                                                if line.get("level") != "debug"]
    assert external_dns.synced(lines), lines[-20:]


def change_calls(access: external_dns.Route53Access) -> int:
    """Change calls Route53 accepted (dnsgate's start-up probe is one it refuses)."""
    return sum(1 for call in access.proxy.journal()
               if call.operation == "ChangeResourceRecordSets" and 200 <= call.status < 300)


def move_gateways(kubeconfig: Path, namespace: str) -> None:
    """The Gateways' addresses change: every record of their routes must follow."""
    assign(kubeconfig, namespace, "gw", MOVED_IP)
    assign(kubeconfig, namespace, "edge", MOVED_EDGE_LB)


def moved(namespace: str) -> dict[tuple[str, str], list[str]]:
    return {("shop.goldentooth.net", "A"): [MOVED_IP], ("docs.goldentooth.net", "A"): [MOVED_IP],
            ("db.goldentooth.net", "A"): [MOVED_IP],
            ("cdn.goldentooth.net", "A"): [MOVED_EDGE_LB],
            ("cdn.goldentooth.net", "AAAA"): [MOVED_EDGE_LB],
            ("blog.goldentooth.net", "CNAME"): [PROXY]}


def test_dnsgate_adopts_the_routes_zone_the_release_filled_without_a_change(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access) -> None:
    publish(kubeconfig, namespace)
    release(access, kubeconfig, namespace, dry_run=False)
    filled = zone_records(route53, zone_id)
    before = change_calls(access)

    printed = route_dnsgate(namespace, access)

    assert change_calls(access) == before, printed
    assert zone_records(route53, zone_id) == filled

    move_gateways(kubeconfig, namespace)
    route_dnsgate(namespace, access)

    assert published(route53, zone_id) == moved(namespace)
    assert resource_labels(route53, zone_id) == expected_labels(namespace)  # read, kept
    release_plans_nothing_for_routes(access, kubeconfig, namespace)


def test_release_plans_nothing_after_dnsgate_publishes_and_updates_routes(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access) -> None:
    """The alias gets the TXT name v0.23.0 gives it (`a-`, by `--rollback-release`, as for a
    Service: docs/route53-alias.md, "Which TXT name an alias gets")."""
    publish(kubeconfig, namespace)

    route_dnsgate(namespace, access, ROLLBACK)

    assert resource_labels(route53, zone_id) == expected_labels(namespace)  # written alike
    release_plans_nothing_for_routes(access, kubeconfig, namespace)

    move_gateways(kubeconfig, namespace)
    route_dnsgate(namespace, access, ROLLBACK)

    assert published(route53, zone_id) == moved(namespace)
    release_plans_nothing_for_routes(access, kubeconfig, namespace)


def test_dnsgate_without_the_route_sources_leaves_the_routes_records_alone(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access) -> None:
    """A dnsgate started with `--source=service` only, in a zone where the release published
    routes under the same owner id: the routes' records are not its to judge, so it keeps
    them rather than deleting what it does not watch."""
    publish(kubeconfig, namespace)
    release(access, kubeconfig, namespace, dry_run=False)
    filled = zone_records(route53, zone_id)
    before = change_calls(access)

    printed = dnsgate(namespace, access, sources=("service",), logged=True)

    assert change_calls(access) == before, printed
    assert "is not watched (--source does not name gateway-httproute)" in printed, printed
    assert zone_records(route53, zone_id) == filled


def test_routes_names_another_owner_s_release_published_are_left_alone(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, access) -> None:
    """Another cluster's v0.23.0 published the same routes' names first: dnsgate's routes ask
    for names it does not own, so it neither takes them over nor deletes them, even when its
    Gateways move."""
    publish(kubeconfig, namespace)
    external_dns.run(LATEST, access, kubeconfig, namespace, "other-cluster", dry_run=False,
                     sources=SOURCES)
    filled = zone_records(route53, zone_id)
    before = change_calls(access)

    move_gateways(kubeconfig, namespace)
    printed = route_dnsgate(namespace, access)

    assert change_calls(access) == before, printed
    assert zone_records(route53, zone_id) == filled
