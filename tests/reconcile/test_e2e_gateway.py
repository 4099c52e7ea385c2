"""The Gateway API route sources end to end: the Gateway API CRDs (v1.6.2) installed in the
real apiserver (`devstack.gatewayapi`), Gateways and routes applied with kubectl, their
statuses written through the status subresource as a gateway controller writes them
(`devstack.gateways`), records read back from moto.
Routes, Services and Ingresses contest names under one claim rule."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from devstack import gateways, metallb
from devstack import kubectl as kubectl_cli
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

HTTP = ("gateway-httproute",)
APP = "app.goldentooth.net"
WAIT = 60.0
Listener = gateways.Listener


def gateway(kubeconfig: Path, namespace: str, name: str, listeners: list[Listener],
            addresses: list[str]) -> None:
    gateways.apply(kubeconfig, gateways.gateway_class())
    gateways.apply(kubeconfig, gateways.gateway(namespace, name, listeners))
    gateways.assign(kubeconfig, namespace, name, addresses)


def route(kubeconfig: Path, namespace: str, name: str, *, kind: str = "HTTPRoute",
          hostnames: list[str] | None = None, parent: str = "gw",
          annotations: dict[str, str] | None = None) -> None:
    parents = [gateways.Parent(parent)] if parent else []
    gateways.apply(kubeconfig, gateways.route(kind, namespace, name, parents,
                                              hostnames=hostnames or (),
                                              annotations=annotations or {}))


def accept(kubeconfig: Path, namespace: str, name: str, *, kind: str = "HTTPRoute",
           accepted: bool = True) -> None:
    gateways.accept(kubeconfig, kind, namespace, name, [gateways.Parent("gw")],
                    accepted=accepted)


def owner_value(resource: str) -> str:
    return (f'"heritage=external-dns,external-dns/owner={OWNER},'
            f'external-dns/resource={resource}"')


def landed(route53: Any, zone_id: str, *keys: tuple[str, str, str]) -> dict[Any, Any]:
    def check() -> dict[Any, Any] | None:
        records = zone_records(route53, zone_id)
        return records if all(key in records for key in keys) else None
    found: dict[Any, Any] = wait_for(check, timeout=WAIT)
    return found


def events(kubeconfig: Path, namespace: str, kind: str = "HTTPRoute") -> list[dict[str, Any]]:
    out = kubectl_cli.run(kubeconfig, "-n", namespace, "get", "events", "-o", "json",
                          "--field-selector", f"involvedObject.kind={kind}").stdout
    return list(json.loads(out)["items"])


def test_an_accepted_httproute_gets_its_record_which_follows_the_gateway_address(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(routes=HTTP, report_status=True)
    gateway(kubeconfig, namespace, "gw", [Listener("http", hostname="*.goldentooth.net")],
            ["10.4.12.1"])
    route(kubeconfig, namespace, "web", hostnames=[APP, "app.example.com"],
          annotations={ALPHA + "ttl": "120"})
    accept(kubeconfig, namespace, "web")

    records = landed(route53, zone_id, (APP, "A", ""), ("a-" + APP, "TXT", ""))
    assert values(records[(APP, "A", "")]) == ["10.4.12.1"]
    assert records[(APP, "A", "")]["TTL"] == 120
    assert values(records[("a-" + APP, "TXT", "")]) == [
        owner_value(f"httproute/{namespace}/web")]
    assert not any("example.com" in key[0] for key in records)
    synced = wait_for(lambda: [e for e in events(kubeconfig, namespace)
                               if e["reason"] == "DNSSynced"], timeout=WAIT)
    assert synced[0]["involvedObject"]["apiVersion"] == f"{gateways.GROUP}/v1"
    assert synced[0]["involvedObject"]["name"] == "web"

    # The Gateway's address changes: the record follows (a Gateway event re-reads its routes).
    # Well within the 60 s resync: the Gateway's event itself must re-read the route.
    gateways.assign(kubeconfig, namespace, "gw", ["10.4.12.2"])
    wait_for(lambda: values(zone_records(route53, zone_id)[(APP, "A", "")]) == ["10.4.12.2"],
             timeout=20)


def test_a_route_with_a_bad_annotation_gets_an_event_naming_it(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(routes=HTTP, report_status=True)
    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.6"])
    route(kubeconfig, namespace, "web", hostnames=[APP], annotations={ALPHA + "ttl": "nope"})
    accept(kubeconfig, namespace, "web")

    found = wait_for(lambda: [e for e in events(kubeconfig, namespace)
                              if e["reason"] == "DNSInvalidAnnotations"], timeout=WAIT)
    assert 'ttl: "nope"' in found[0]["message"]
    assert APP not in {key[0] for key in zone_records(route53, zone_id)}


def test_a_route_without_hostnames_gets_its_listener_hostname(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    reconciler(routes=HTTP)
    gateway(kubeconfig, namespace, "gw",
            [Listener("http", hostname="listener.goldentooth.net")], ["10.4.12.3"])
    route(kubeconfig, namespace, "web")
    accept(kubeconfig, namespace, "web")

    records = landed(route53, zone_id, ("listener.goldentooth.net", "A", ""))
    assert values(records[("listener.goldentooth.net", "A", "")]) == ["10.4.12.3"]


@pytest.mark.parametrize("detach", ["rejected", "parent-removed"])
def test_a_detached_route_loses_its_records_and_says_why(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        detach: str) -> None:
    reconciler(routes=HTTP, report_status=True)
    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.4"])
    route(kubeconfig, namespace, "web", hostnames=[APP])
    accept(kubeconfig, namespace, "web")
    landed(route53, zone_id, (APP, "A", ""), ("a-" + APP, "TXT", ""))

    if detach == "rejected":
        accept(kubeconfig, namespace, "web", accepted=False)
        why = f"Gateway {namespace}/gw has not accepted it"
    else:
        route(kubeconfig, namespace, "web", hostnames=[APP], parent="")
        why = "names no parent Gateway"

    wait_for(lambda: not any(key[0].endswith(APP) for key in zone_records(route53, zone_id)),
             timeout=WAIT)
    warned = wait_for(lambda: [e for e in events(kubeconfig, namespace)
                               if e["reason"] == "DNSNoRecord" and why in e["message"]],
                      timeout=WAIT)
    assert warned[0]["type"] == "Warning"
    assert warned[0]["involvedObject"]["kind"] == "HTTPRoute"


# ExternalDNS publishes a hostname annotation's name ending in one dot, without the dot
# (docs/gateway-api.md, "Names").
@pytest.mark.parametrize("asked", ["db.goldentooth.net", "db.goldentooth.net."])
def test_a_tcproute_publishes_its_hostname_annotation(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        asked: str) -> None:
    reconciler(routes=("gateway-tcproute",))
    gateway(kubeconfig, namespace, "gw", [Listener("db", protocol="TCP", port=5432)],
            ["10.4.12.5"])
    route(kubeconfig, namespace, "db", kind="TCPRoute",
          annotations={ALPHA + "hostname": asked})
    accept(kubeconfig, namespace, "db", kind="TCPRoute")

    records = landed(route53, zone_id, ("db.goldentooth.net", "A", ""),
                     ("a-db.goldentooth.net", "TXT", ""))
    assert values(records[("db.goldentooth.net", "A", "")]) == ["10.4.12.5"]
    assert values(records[("a-db.goldentooth.net", "TXT", "")]) == [
        owner_value(f"tcproute/{namespace}/db")]


HTTPBIN = "httpbin.goldentooth.net"


def test_httpbin_moves_from_its_service_to_a_route_keeping_its_name(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """The seed's httpbin Service hands its name to an HTTPRoute: while the Service holds
    it the route is told so and gets nothing; once the Service gives it up the route takes
    it. Every change Route53 saw is replayed: never both objects' records at once, and the
    route's record lands in the very change (or the sync right after) that removes the
    Service's."""
    running = reconciler(routes=HTTP, report_status=True)
    metallb.create_service(kubeconfig, namespace, "httpbin", {ALPHA + "hostname": HTTPBIN})
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.60"])
    landed(route53, zone_id, (HTTPBIN, "A", ""), ("a-" + HTTPBIN, "TXT", ""))
    service, moved = f"service/{namespace}/httpbin", f"httproute/{namespace}/httpbin"

    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.9"])
    route(kubeconfig, namespace, "httpbin", hostnames=[HTTPBIN])
    accept(kubeconfig, namespace, "httpbin")
    conflict = wait_for(lambda: [e for e in events(kubeconfig, namespace)
                                 if e["reason"] == "DNSOwnershipConflict"], timeout=WAIT)
    assert conflict[0]["type"] == "Warning"
    assert conflict[0]["message"] == (f"{HTTPBIN} is held by Service {namespace}/httpbin: "
                                      "its ownership record names it")
    records = zone_records(route53, zone_id)
    assert values(records[(HTTPBIN, "A", "")]) == ["10.4.11.60"]
    assert values(records[("a-" + HTTPBIN, "TXT", "")]) == [owner_value(service)]

    kubectl_cli.run(kubeconfig, "-n", namespace, "annotate", "service", "httpbin",
                    ALPHA + "hostname-")
    wait_for(lambda: values(zone_records(route53, zone_id).get(
        ("a-" + HTTPBIN, "TXT", ""), {})) == [owner_value(moved)], timeout=WAIT)
    assert values(zone_records(route53, zone_id)[(HTTPBIN, "A", "")]) == ["10.4.12.9"]

    history = replay(running.client.changes, {HTTPBIN, "a-" + HTTPBIN})
    for at, state in history:
        print(f"{at:8.3f}s  {state}")
    owners = [owners_of(state, service, moved) for _, state in history]
    assert all(len(found) <= 1 for found in owners), history  # never both at once
    assert owners[-1] == {moved}
    gaps = [b[0] - a[0] for a, b, found in zip(history, history[1:], owners[1:], strict=False)
            if not found]
    assert len(gaps) <= 1 and all(gap < 5.0 for gap in gaps), history


def replay(changes: list[tuple[float, list[dict[str, Any]]]], names: set[str]
           ) -> list[tuple[float, dict[tuple[str, str], tuple[str, ...]]]]:
    """The record sets at `names` after each ChangeResourceRecordSets that touched them."""
    state: dict[tuple[str, str], tuple[str, ...]] = {}
    history = []
    start = changes[0][0] if changes else 0.0
    for at, batch in changes:
        touched = False
        for change in batch:
            record = change["ResourceRecordSet"]
            name = record["Name"].rstrip(".")
            if name not in names:
                continue
            touched = True
            key = (name, record["Type"])
            if change["Action"] == "DELETE":
                state.pop(key, None)
            else:
                state[key] = tuple(sorted(r["Value"] for r in record.get("ResourceRecords", [])))
        if touched:
            history.append((at - start, dict(state)))
    return history


def owners_of(state: dict[tuple[str, str], tuple[str, ...]], *keys: str) -> set[str]:
    """Whose records the state holds: the A record's address and the TXT's resource label."""
    a_record = state.get((HTTPBIN, "A"), ())
    txt = " ".join(state.get(("a-" + HTTPBIN, "TXT"), ()))
    by_address = {"10.4.11.60": keys[0], "10.4.12.9": keys[1]}
    found = {by_address[value] for value in a_record}
    found |= {key for key in keys if f"resource={key}\"" in txt}
    return found


def test_reconcile_once_publishes_routes_and_says_why_others_get_nothing(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str) -> None:
    """`dnsgate reconcile --once` as users run it: its one list reads the Gateways, the
    namespaces and the routes before the sync; the log names each route's outcome."""
    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.7"])
    route(kubeconfig, namespace, "web", hostnames=[APP])
    accept(kubeconfig, namespace, "web")
    route(kubeconfig, namespace, "stray", hostnames=["stray.goldentooth.net"])

    # The modules still loaded at exit: the routes are read without the generated CoreV1Api
    # (22 MB a process, BENCHMARKS.md "Memory"), as Services are.
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stdout.write(repr(sorted(sys.modules))))\n"
             "from dnsgate.cli import main\n"
             "sys.exit(main())\n")
    result = subprocess.run(
        [sys.executable, "-c", probe, "reconcile", "--once", "--namespace", namespace,
         "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER,
         "--source=gateway-httproute", "--source=gateway-tcproute"],
        capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    imported = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert "kubernetes.client.api.core_v1_api" not in imported
    records = zone_records(route53, zone_id)
    assert values(records[(APP, "A", "")]) == ["10.4.12.7"]
    assert values(records[("a-" + APP, "TXT", "")]) == [
        owner_value(f"httproute/{namespace}/web")]
    assert "stray.goldentooth.net" not in {key[0] for key in records}
    assert f"HTTPRoute {namespace}/web synced" in result.stderr
    assert (f"HTTPRoute {namespace}/stray no-record: no Gateway has accepted the HTTPRoute "
            "yet") in result.stderr


def test_a_route_of_another_namespace_attaches_only_where_the_listener_admits_it(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """A tenant's route naming a Gateway of another namespace, accepted even (a lax gateway
    controller): the listener admits routes of its own namespace only, so no record, and the
    route is told why; once the listener admits namespaces by label, labelling the tenant's
    namespace publishes the route (a Namespace event re-reads its routes)."""
    tenant = f"{namespace[:50]}-tenant"
    gateways.ensure_namespace(kubeconfig, tenant)
    try:
        reconciler(routes=HTTP, report_status=True, all_namespaces=True)
        gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.8"])
        gateways.apply(kubeconfig, gateways.route("HTTPRoute", tenant, "grab", [
            gateways.Parent("gw", namespace)], hostnames=[APP]))
        gateways.accept(kubeconfig, "HTTPRoute", tenant, "grab",
                        [gateways.Parent("gw", namespace)])

        warned = wait_for(lambda: [e for e in events(kubeconfig, tenant)
                                   if e["reason"] == "DNSNoRecord" and "listener" in
                                   e["message"]], timeout=WAIT)
        assert f"Gateway {namespace}/gw matches the HTTPRoute's hostnames {APP}" in (
            warned[0]["message"])
        assert APP not in {key[0] for key in zone_records(route53, zone_id)}

        gateways.apply(kubeconfig, gateways.gateway(namespace, "gw", [Listener(
            "http", namespaces="Selector", selector=(("gateway-access", "yes"),))]))
        time.sleep(2)  # the Gateway's change alone publishes nothing: the label is missing
        assert APP not in {key[0] for key in zone_records(route53, zone_id)}
        kubectl_cli.run(kubeconfig, "label", "namespace", tenant, "gateway-access=yes")
        # Well within the 60 s resync: the Namespace's event itself must re-read the route.
        records = wait_for(lambda: (found := zone_records(route53, zone_id)).get(
            (APP, "A", "")) and found, timeout=20)
        assert values(records[(APP, "A", "")]) == ["10.4.12.8"]
        assert values(records[("a-" + APP, "TXT", "")]) == [
            owner_value(f"httproute/{tenant}/grab")]
    finally:
        kubectl_cli.run(kubeconfig, "delete", "namespace", tenant, "--wait=false",
                        check=False)


def test_reconcile_once_with_a_domain_policy_judges_routes_and_reads_its_namespaces(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str) -> None:
    """With --domain-policy the routes read the policy's Namespace watch (a listener
    admitting namespaces by label still sees the labels), and a route asking for a name
    outside its namespace's domains publishes nothing and is told so."""
    from tests.reconcile.test_e2e_cli import reconcile

    policy = json.dumps({"rules": [{"name": "team", "namespaces": [namespace],
                                    "domains": ["team.goldentooth.net"]}]})
    kubectl_cli.run(kubeconfig, "apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "gw-policy", "namespace": namespace},
        "data": {"policy.yaml": policy}}))
    kubectl_cli.run(kubeconfig, "label", "namespace", namespace, "gateway-access=yes")
    gateway(kubeconfig, namespace, "gw", [Listener(
        "http", namespaces="Selector", selector=(("gateway-access", "yes"),))], ["10.4.12.10"])
    for name, host in (("ok", "app.team.goldentooth.net"), ("grab", "grab.goldentooth.net")):
        route(kubeconfig, namespace, name, hostnames=[host])
        accept(kubeconfig, namespace, name)

    result = reconcile(namespace, "--once", "--txt-owner-id", OWNER,
                       "--source=gateway-httproute", f"--domain-policy={namespace}/gw-policy")

    assert result.returncode == 0, result.stderr
    records = zone_records(route53, zone_id)
    assert values(records[("app.team.goldentooth.net", "A", "")]) == ["10.4.12.10"]
    assert "grab.goldentooth.net" not in {key[0] for key in records}
    assert f"HTTPRoute {namespace}/grab not-allowed" in result.stderr


def test_reconcile_once_reads_the_gateway_label_filter_as_external_dns_does(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str) -> None:
    """--gateway-label-filter is a label selector object to ExternalDNS: of two `tier=` terms
    the later one counts, so `tier=internal,tier=public` reads the Gateway labelled
    tier=public (docs/label-selectors.md); the apiserver's own list would read none."""
    gateways.apply(kubeconfig, gateways.gateway_class())
    gateways.apply(kubeconfig, gateways.gateway(namespace, "gw", [Listener("http")],
                                                labels={"tier": "public"}))
    gateways.assign(kubeconfig, namespace, "gw", ["10.4.12.8"])
    route(kubeconfig, namespace, "web", hostnames=[APP])
    accept(kubeconfig, namespace, "web")

    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", "--namespace", namespace,
         "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER,
         "--source=gateway-httproute", "--gateway-label-filter=tier=internal,tier=public"],
        capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert values(zone_records(route53, zone_id)[(APP, "A", "")]) == ["10.4.12.8"]


def test_routes_splitting_one_host_on_one_gateway_publish_it_once_and_hand_it_on(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """Two routes serving one host by path on the same Gateway: one record set, labelled with
    the earlier route, no conflict Event; the earlier deleted, the later's label takes over
    while the A record stays."""
    reconciler(routes=HTTP, report_status=True)
    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.9"])
    route(kubeconfig, namespace, "api", hostnames=[APP])
    accept(kubeconfig, namespace, "api")
    landed(route53, zone_id, (APP, "A", ""))
    route(kubeconfig, namespace, "web", hostnames=[APP])
    accept(kubeconfig, namespace, "web")
    wait_for(lambda: [e for e in events(kubeconfig, namespace)
                      if e["reason"] == "DNSSynced" and e["involvedObject"]["name"] == "web"],
             timeout=WAIT)

    records = zone_records(route53, zone_id)
    assert values(records[(APP, "A", "")]) == ["10.4.12.9"]
    assert values(records[("a-" + APP, "TXT", "")]) == [owner_value(f"httproute/{namespace}/api")]
    assert not [e for e in events(kubeconfig, namespace) if e["reason"] == "DNSOwnershipConflict"]

    kubectl_cli.run(kubeconfig, "-n", namespace, "delete", "httproute", "api")
    wait_for(lambda: values(zone_records(route53, zone_id).get(("a-" + APP, "TXT", ""), {})
                            ) == [owner_value(f"httproute/{namespace}/web")], timeout=WAIT)
    assert values(zone_records(route53, zone_id)[(APP, "A", "")]) == ["10.4.12.9"]


def test_a_route_moved_to_a_gateway_that_has_not_accepted_it_yet_says_so(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler) -> None:
    """Moved to another Gateway, the route's status still holds the old Gateway's entry (the
    gateway controllers rewrite it later): its record goes, and the reason names the
    Gateway that has not accepted it yet, not "names no hostname"."""
    reconciler(routes=HTTP, report_status=True)
    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.12"])
    gateway(kubeconfig, namespace, "next", [Listener("http")], ["10.4.12.13"])
    route(kubeconfig, namespace, "web", hostnames=[APP])
    accept(kubeconfig, namespace, "web")
    landed(route53, zone_id, (APP, "A", ""))

    route(kubeconfig, namespace, "web", hostnames=[APP], parent="next")

    wait_for(lambda: (APP, "A", "") not in zone_records(route53, zone_id), timeout=WAIT)
    why = f"Gateway {namespace}/next has not accepted it yet"
    warned = wait_for(lambda: [e for e in events(kubeconfig, namespace)
                               if e["reason"] == "DNSNoRecord" and why in e["message"]],
                      timeout=WAIT)
    assert "names none" not in warned[0]["message"]


def test_a_restart_without_the_route_source_holds_the_routes_deletes(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str) -> None:
    """`--source=gateway-httproute` dropped at a restart: the route still exists, so its
    records are held (docs/deletes.md), not deleted with no reason seen."""
    from tests.reconcile.test_e2e_cli import reconcile

    gateway(kubeconfig, namespace, "gw", [Listener("http")], ["10.4.12.14"])
    route(kubeconfig, namespace, "web", hostnames=[APP])
    accept(kubeconfig, namespace, "web")
    first = reconcile(namespace, "--once", "--txt-owner-id", OWNER,
                      "--source=service", "--source=gateway-httproute")
    assert first.returncode == 0, first.stderr
    assert (APP, "A", "") in zone_records(route53, zone_id)

    second = reconcile(namespace, "--once", "--txt-owner-id", OWNER, "--source=service")

    assert second.returncode == 0, second.stderr
    records = zone_records(route53, zone_id)
    assert values(records[(APP, "A", "")]) == ["10.4.12.14"]
    assert "--source does not name gateway-httproute" in second.stderr

