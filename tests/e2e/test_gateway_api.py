"""The Gateway API on the real apiserver: the CRDs the session installs are served at the
versions ExternalDNS v0.23.0 watches; a Gateway's addresses and a route's acceptance are
written the way a gateway controller writes them, through the status subresource, and a
plain `kubectl apply` of the object leaves them as they were."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from devstack import gatewayapi, gateways

pytestmark = pytest.mark.e2e

HOST = "app.goldentooth.net"


def read(kubectl, resource: str, namespace: str, name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    found: dict[str, Any] = json.loads(
        kubectl("-n", namespace, "get", f"{resource}.{gateways.GROUP}", name, "-o", "json").stdout)
    return found


def gateway_with_route(kubeconfig: Path, namespace: str, kind: str) -> gateways.Parent:
    gateways.apply(kubeconfig, gateways.gateway_class())
    gateways.apply(kubeconfig, gateways.gateway(namespace, "gw"))
    parent = gateways.Parent("gw", namespace)
    hostnames = (HOST,) if gateways.ROUTES[kind].hostnames else ()
    gateways.apply(kubeconfig, gateways.route(kind, namespace, "web", [parent],
                                              hostnames=hostnames))
    return parent


def test_every_route_kind_is_served_at_the_version_external_dns_watches(kubectl) -> None:  # type: ignore[no-untyped-def]
    served = set(kubectl("api-resources", f"--api-group={gateways.GROUP}", "-o", "name").stdout
                 .split())
    versions = json.loads(kubectl("get", "--raw", f"/apis/{gateways.GROUP}").stdout)["versions"]

    assert {f"{resource}.{gateways.GROUP}" for resource in gatewayapi.RESOURCES} <= served
    assert {version["version"] for version in versions} >= {"v1", "v1alpha2"}
    for shape in gateways.ROUTES.values():
        kubectl("get", "--raw", f"/apis/{shape.api_version}/{shape.resource}")  # else it fails


def test_installing_again_is_a_cheap_no_op(kubeconfig: Path) -> None:
    assert gatewayapi.installed(kubeconfig)
    started = time.monotonic()

    gatewayapi.install(kubeconfig, progress=lambda line: pytest.fail(f"installed again: {line}"))

    assert time.monotonic() - started < 10  # one `kubectl get`, not nine applies and a wait


def test_a_gateway_gets_its_addresses_through_the_status_subresource(
        kubeconfig: Path, kubectl, namespace: str) -> None:  # type: ignore[no-untyped-def]
    gateways.apply(kubeconfig, gateways.gateway_class())
    gateways.apply(kubeconfig, gateways.gateway(namespace, "gw"))

    gateways.assign(kubeconfig, namespace, "gw", ["192.0.2.10", "lb.example.net"])

    addresses = read(kubectl, "gateways", namespace, "gw")["status"]["addresses"]
    assert addresses == [{"type": "IPAddress", "value": "192.0.2.10"},
                         {"type": "Hostname", "value": "lb.example.net"}]


def test_a_status_in_the_applied_gateway_is_ignored(
        kubeconfig: Path, kubectl, namespace: str) -> None:  # type: ignore[no-untyped-def]
    manifest = gateways.gateway(namespace, "gw")
    manifest["status"] = {"addresses": [{"type": "IPAddress", "value": "192.0.2.66"}]}
    gateways.apply(kubeconfig, gateways.gateway_class())

    gateways.apply(kubeconfig, manifest)

    assert "addresses" not in read(kubectl, "gateways", namespace, "gw")["status"]


@pytest.mark.parametrize("kind", list(gateways.ROUTES))
def test_an_accepted_route_keeps_its_status_across_a_plain_apply(
        kubeconfig: Path, kubectl, namespace: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    parent = gateway_with_route(kubeconfig, namespace, kind)
    resource = gateways.ROUTES[kind].resource
    gateways.accept(kubeconfig, kind, namespace, "web", [parent])
    accepted = read(kubectl, resource, namespace, "web")["status"]

    manifest = gateways.route(kind, namespace, "web", [parent],
                              hostnames=(HOST,) if gateways.ROUTES[kind].hostnames else (),
                              labels={"changed": "yes"})
    manifest["status"] = {"parents": []}  # what a user's manifest could carry: not applied
    gateways.apply(kubeconfig, manifest)

    after = read(kubectl, resource, namespace, "web")
    assert after["metadata"]["labels"] == {"changed": "yes"}
    assert after["status"] == accepted
    [entry] = accepted["parents"]
    assert entry["parentRef"] == {"group": gateways.GROUP, "kind": "Gateway", "name": "gw",
                                  "namespace": namespace}
    assert entry["controllerName"] == gateways.CONTROLLER
    [condition] = entry["conditions"]
    assert condition["type"] == "Accepted" and condition["status"] == "True"
    assert condition["reason"] == "Accepted"
    assert condition["observedGeneration"] == after["metadata"]["generation"]


def test_a_route_applied_without_status_has_no_parents(
        kubeconfig: Path, kubectl, namespace: str) -> None:  # type: ignore[no-untyped-def]
    gateway_with_route(kubeconfig, namespace, "HTTPRoute")

    status = read(kubectl, "httproutes", namespace, "web").get("status") or {}

    assert not status.get("parents")  # not accepted until a controller says so


def test_accepting_keeps_other_controllers_entries_and_the_transition_time(
        kubeconfig: Path, kubectl, namespace: str) -> None:  # type: ignore[no-untyped-def]
    parent = gateway_with_route(kubeconfig, namespace, "HTTPRoute")
    gateways.accept(kubeconfig, "HTTPRoute", namespace, "web", [parent],
                    controller="example.net/other", accepted=False)
    gateways.accept(kubeconfig, "HTTPRoute", namespace, "web", [parent])
    first = read(kubectl, "httproutes", namespace, "web")["status"]["parents"]
    time.sleep(1.1)  # lastTransitionTime has one-second resolution

    gateways.accept(kubeconfig, "HTTPRoute", namespace, "web", [parent])

    parents = read(kubectl, "httproutes", namespace, "web")["status"]["parents"]
    assert [(p["controllerName"], p["conditions"][0]["status"]) for p in parents] == [
        ("example.net/other", "False"), (gateways.CONTROLLER, "True")]
    assert parents == first


def test_a_tcp_route_refuses_hostnames_before_reaching_the_apiserver() -> None:
    with pytest.raises(ValueError, match=r"TCPRoute has no spec\.hostnames"):
        gateways.route("TCPRoute", "web", "db", [gateways.Parent("gw")], hostnames=(HOST,))


def test_the_crds_are_fetched_into_an_empty_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path))
    lines: list[str] = []

    found = gatewayapi.crds(lines.append)

    assert found == tmp_path / f"gateway-api-{gatewayapi.VERSION}"
    assert sorted(path.name for path in found.iterdir()) == sorted(gatewayapi.crd_files())
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".gateway-api-v")
            and path.is_dir()] == []  # no partial directory left behind
    for path in found.iterdir():
        text = path.read_text()
        assert f"bundle-version: {gatewayapi.VERSION}" in text
        assert f"channel: {gatewayapi.CHANNEL}" in text
    assert len(lines) == 1 and "fetching" in lines[0]
    assert gatewayapi.crds(lines.append) == found and len(lines) == 1  # cached: no fetch


# Hostile tenants and other writers.

def test_a_route_created_with_a_forged_acceptance_has_none(
        kubeconfig: Path, kubectl, namespace: str) -> None:  # type: ignore[no-untyped-def]
    """The CRD's status subresource drops a status sent with the object, so a tenant who may
    write routes, but not their status, cannot claim a Gateway accepted one."""
    gateways.apply(kubeconfig, gateways.gateway_class())
    gateways.apply(kubeconfig, gateways.gateway(namespace, "gw"))
    parent = gateways.Parent("gw", namespace)
    forged = gateways.route("HTTPRoute", namespace, "web", [parent], hostnames=(HOST,))
    forged["status"] = {"parents": [{
        "parentRef": parent.ref(), "controllerName": gateways.CONTROLLER, "conditions": [{
            "type": "Accepted", "status": "True", "reason": "Accepted", "message": "forged",
            "lastTransitionTime": "2026-01-01T00:00:00Z"}]}]}

    gateways.apply(kubeconfig, forged)
    kubectl("-n", namespace, "patch", f"httproutes.{gateways.GROUP}", "web", "--type=merge",
            "-p", json.dumps({"status": forged["status"]}))

    assert not (read(kubectl, "httproutes", namespace, "web").get("status") or {}).get("parents")


def test_an_older_channel_in_the_cluster_is_replaced(kubeconfig: Path, kubectl) -> None:  # type: ignore[no-untyped-def]
    """Another writer left the standard channel's TCPRoute CRD (v1alpha2 not served): the
    install sees the channel differ and applies its own over it."""
    standard = gatewayapi.crds() / gatewayapi.crd_files()[gatewayapi.RESOURCES.index(
        "tcproutes")]
    text = standard.read_text().replace(f"channel: {gatewayapi.CHANNEL}", "channel: standard")
    text = text.replace("served: true\n    storage: false", "served: false\n    storage: false")
    try:
        kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=other", "-f",
                "-", input=text)
        assert not gatewayapi.installed(kubeconfig)

        gatewayapi.install(kubeconfig)

        assert gatewayapi.installed(kubeconfig)
        kubectl("get", "--raw", f"/apis/{gateways.GROUP}/v1alpha2/tcproutes")
    finally:
        gatewayapi.install(kubeconfig)


def test_two_fetches_at_once_download_once(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path))
    lines: list[str] = []
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(lambda _: gatewayapi.crds(lines.append), range(2)))

    assert found[0] == found[1] and len(list(found[0].iterdir())) == len(gatewayapi.RESOURCES)
    assert len([line for line in lines if line.startswith("fetching")]) == 1
