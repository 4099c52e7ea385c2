"""What a user sees at `kubectl apply` of a Gateway API route, with the webhook (HTTPRoute
source on) registered in the real apiserver through the gateway-api component's webhooks:
the Service rules and the route-only refusals, the default TTL, one claim index across
Services and routes (a route's claims resolved against the real Gateway it is attached to),
and a kind whose source is off left alone."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from devstack import gateways, metallb
from tests.admission.conftest import HOSTNAME

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registered")]

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
NAME = "shop.goldentooth.net"
GROUP = "gateway.networking.k8s.io"
VALIDATE_ROUTE = 'admission webhook "validate-route.dnsgate.io" denied the request: '
VALIDATE = 'admission webhook "validate.dnsgate.io" denied the request: '


def route(namespace: str, hosts: list[str], annotations: Mapping[str, str] | None = None,
          kind: str = "HTTPRoute", name: str = "web") -> str:
    spec: dict[str, Any] = {"parentRefs": [{"name": "public", "namespace": namespace}]}
    if hosts:
        spec["hostnames"] = hosts
    return json.dumps({"apiVersion": f"{GROUP}/v1", "kind": kind,
                       "metadata": {"namespace": namespace, "name": name,
                                    "annotations": dict(annotations or {})},
                       "spec": spec})


def service(namespace: str, annotations: Mapping[str, str], name: str = "svc") -> str:
    return json.dumps(metallb.service_manifest(namespace, name, annotations))


def refused_once_seen(kubectl: Callable[..., Any], manifest: str) -> Any:
    """The apply of `manifest`, once the webhook's index has caught up (its watch is
    asynchronous): a server-side dry run is tried until it is denied."""
    deadline = time.monotonic() + 30
    while "denied the request" not in (result := kubectl(
            "apply", "--dry-run=server", "-f", "-", input=manifest, check=False)).stderr:
        assert time.monotonic() < deadline, result.stderr or result.stdout
        time.sleep(0.2)
    return kubectl("apply", "-f", "-", input=manifest, check=False)


@pytest.mark.parametrize(("annotations", "message"), [
    ({A + "ttl": "10 minutes"}, f'{A}ttl: "10 minutes" is not a valid TTL'),
    ({A + "target": "10.0.0.1"},
     f'{A}target: "10.0.0.1" on a HTTPRoute: ExternalDNS reads the target annotation on the '
     "Gateway, not on a route: put it on the Gateway, or remove it"),
    ({S + "gateway-hostname-source": "both"},
     f'{S}gateway-hostname-source: "both" is neither annotation-only nor defined-hosts-only'),
    ({A + "hostname": "shop.example.com"},
     f'{A}hostname: "shop.example.com" is outside the managed domains (goldentooth.net)'),
    ({A + "ttl": "60", S + "ttl": "120"}, f'{S}ttl: "120" differs from {A}ttl: "60"'),
    ({A + "hostname": NAME, S + "hostname": f"b.{NAME}"},
     f'{S}hostname: "b.{NAME}" differs from {A}hostname: "{NAME}"'),
], ids=["bad-ttl", "target", "hostname-source", "annotation-outside-the-filter",
        "prefixes-disagree", "hostname-prefixes-disagree"])
def test_bad_annotations_on_an_httproute_are_refused(
        kubectl, namespace: str, annotations: dict[str, str], message: str) -> None:
    result = kubectl("apply", "-f", "-", check=False,
                     input=route(namespace, [NAME], annotations))

    assert result.returncode != 0
    assert VALIDATE_ROUTE + message in result.stderr
    assert kubectl("-n", namespace, "get", "httproute", "web", check=False).returncode != 0


def test_an_httproute_naming_a_host_gets_the_default_ttl_under_both_prefixes(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=route(namespace, [NAME, "shop.example.com"]))

    stored = json.loads(kubectl("-n", namespace, "get", "httproute", "web", "-o",
                                "json").stdout)
    notes = stored["metadata"]["annotations"]
    assert (notes[A + "ttl"], notes[S + "ttl"]) == ("60", "60")


def test_an_httproute_outside_the_managed_domains_is_left_alone(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=route(namespace, ["shop.example.com"]))

    stored = json.loads(kubectl("-n", namespace, "get", "httproute", "web", "-o",
                                "json").stdout)
    notes = stored["metadata"].get("annotations") or {}
    assert not [key for key in notes if key.startswith((A, S))]


def test_an_httproute_cannot_take_a_name_a_service_in_another_namespace_claims(
        kubectl, kubeconfig, namespace: str) -> None:
    metallb.ensure_namespace(kubeconfig, "holders")
    kubectl("apply", "-f", "-", input=service("holders", {HOSTNAME: NAME}, name="shop"))
    try:
        result = refused_once_seen(kubectl, route(namespace, ["free.goldentooth.net", NAME]))
    finally:
        kubectl("-n", "holders", "delete", "service", "shop", "--wait=true", check=False)

    assert result.returncode != 0
    assert (f'{VALIDATE_ROUTE}spec.hostnames: "{NAME}" is already claimed by Service '
            "holders/shop; choose another hostname, or give both the Service and the "
            "HTTPRoute different set-identifier annotations") in result.stderr


def attach(kubeconfig: Any, namespace: str, listener_host: str) -> None:
    """A Gateway `public` in `namespace` with an address, and the route `web` accepted by it:
    the status writes a gateway controller makes, through the status subresource."""
    gateways.apply(kubeconfig, gateways.gateway(namespace, "public", (
        gateways.Listener("http", hostname=listener_host),)))
    gateways.assign(kubeconfig, namespace, "public", ["10.4.11.7"])
    gateways.accept(kubeconfig, "HTTPRoute", namespace, "web",
                    [gateways.Parent("public", namespace)])


def test_a_service_cannot_take_a_host_an_attached_httproute_resolves_to(
        kubectl, kubeconfig, namespace: str) -> None:
    # The route names no host: it takes its listener's, which only its Gateway says.
    kubectl("apply", "-f", "-", input=route(namespace, []))
    attach(kubeconfig, namespace, NAME)

    result = refused_once_seen(kubectl, service(namespace, {HOSTNAME: NAME}))

    assert result.returncode != 0
    assert (f'{VALIDATE}{HOSTNAME}: "{NAME}" is already claimed by HTTPRoute '
            f"{namespace}/web") in result.stderr


def test_a_route_no_gateway_accepted_holds_nothing_against_a_service(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=route(namespace, [NAME]))

    result = kubectl("apply", "-f", "-", input=service(namespace, {HOSTNAME: NAME}),
                     check=False)

    assert result.returncode == 0, result.stderr


def test_a_grpcroute_is_left_alone_without_its_source(kubectl, namespace: str) -> None:
    result = kubectl("apply", "-f", "-", check=False, input=route(
        namespace, [NAME], {A + "ttl": "10 minutes"}, kind="GRPCRoute"))

    assert result.returncode == 0, result.stderr
    stored = json.loads(kubectl("-n", namespace, "get", "grpcroute", "web", "-o",
                                "json").stdout)
    notes = stored["metadata"]["annotations"]
    assert {k: v for k, v in notes.items() if k.startswith((A, S))} == {A + "ttl": "10 minutes"}


def test_sixteen_hostnames_with_one_taken_are_refused_naming_it(
        kubectl, namespace: str) -> None:
    hosts = [f"h{i}.sixteen.goldentooth.net" for i in range(16)]
    kubectl("apply", "-f", "-", input=service(namespace, {HOSTNAME: hosts[15]}))
    big = {A + f"note-{i}": "x" * 1000 for i in range(100)}  # 100 KB of annotations

    result = refused_once_seen(kubectl, route(namespace, hosts, big))

    assert result.returncode != 0
    assert (f'{VALIDATE_ROUTE}spec.hostnames: "{hosts[15]}" is already claimed by Service '
            f"{namespace}/svc") in result.stderr
    assert hosts[14] not in result.stderr


def test_a_route_sharing_a_claimed_wildcards_txt_names_is_refused(
        kubectl, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=service(namespace, {HOSTNAME: "*.goldentooth.net"}))

    result = refused_once_seen(kubectl, route(namespace, ["wild.goldentooth.net"]))

    assert result.returncode != 0
    assert (f'{VALIDATE_ROUTE}spec.hostnames: "wild.goldentooth.net" shares its ownership TXT '
            "records (<type>-wild.goldentooth.net) with *.goldentooth.net") in result.stderr


def test_a_host_is_free_again_once_the_gateway_giving_it_is_deleted(
        kubectl, kubeconfig, namespace: str) -> None:
    kubectl("apply", "-f", "-", input=route(namespace, []))
    attach(kubeconfig, namespace, NAME)
    taker = service(namespace, {HOSTNAME: NAME})
    refused_once_seen(kubectl, taker)

    kubectl("-n", namespace, "delete", f"gateways.{GROUP}", "public", "--wait=true")
    deadline = time.monotonic() + 30  # until the webhook's Gateway watch has seen it
    while (result := kubectl("apply", "-f", "-", input=taker, check=False)).returncode:
        assert time.monotonic() < deadline, result.stderr
        time.sleep(0.2)

    assert "configured" in result.stdout or "created" in result.stdout
