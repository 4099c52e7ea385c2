"""manifests/components/gateway-api's webhook rules against the real apiserver: which route
writes it sends to the webhook. The component's two route webhooks are registered under a
test name, limited to the test's namespace and pointed at a port nobody serves, with
failurePolicy Fail: a write the apiserver sends is refused ("failed calling webhook"), a
write it does not send is stored. So the rules (both API versions) and the matchCondition
(for kinds without spec.hostnames too) are proven by what the apiserver does with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import gateways, webhook
from tests.install.rendering import kustomize

pytestmark = pytest.mark.e2e

OVERLAY = Path(__file__).parent / "overlays" / "gateway-api"
HOST = "app.goldentooth.net"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
UNSERVED = "https://127.0.0.1:9"  # the discard port: nothing answers there


def route_webhooks(namespace: str) -> list[dict[str, Any]]:
    """The component's route webhook configurations, renamed and confined to `namespace`."""
    found = []
    for obj in kustomize(OVERLAY):
        if not obj["kind"].endswith("WebhookConfiguration"):
            continue
        hooks = [hook for hook in obj["webhooks"] if hook["name"].endswith("-route.dnsgate.io")]
        assert len(hooks) == 1, obj["webhooks"]
        for hook in hooks:
            path = hook["clientConfig"]["service"]["path"]
            hook["clientConfig"] = {"url": f"{UNSERVED}{path}"}
            hook["namespaceSelector"] = {"matchLabels": {
                "kubernetes.io/metadata.name": namespace}}
            hook["timeoutSeconds"] = 2
        found.append({**obj, "metadata": {"name": f"gw-rules-{namespace}"[:63]},
                      "webhooks": hooks})
    assert {obj["kind"] for obj in found} == {"MutatingWebhookConfiguration",
                                              "ValidatingWebhookConfiguration"}
    return found


@pytest.fixture
def registered(kubectl, namespace: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    configurations = route_webhooks(namespace)
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                  "items": configurations}))
    yield namespace
    for configuration in configurations:
        kubectl("delete", configuration["kind"].lower(), configuration["metadata"]["name"],
                "--ignore-not-found", check=False)


def write(kubeconfig: Path, manifest: dict[str, Any]) -> Any:
    return gateways.apply(kubeconfig, manifest, check=False)


def sent(result: Any) -> bool:
    """Whether the apiserver called the (unserved) webhook for this write."""
    if result.returncode == 0:
        return False
    assert "failed calling webhook" in result.stderr, result.stderr
    return True


CASES = [
    ("HTTPRoute", "", (HOST,), {}, True),
    ("HTTPRoute", "", (), {}, False),
    ("HTTPRoute", "", (), {HOSTNAME: HOST}, True),
    ("GRPCRoute", "", (HOST,), {}, True),
    ("TLSRoute", "", (HOST,), {}, True),
    ("TCPRoute", "", (), {}, False),
    ("TCPRoute", "", (), {HOSTNAME: HOST}, True),
    ("TCPRoute", "v1", (), {HOSTNAME: HOST}, True),
    ("UDPRoute", "", (), {"unrelated.example/key": "x"}, False),
    ("UDPRoute", "", (), {HOSTNAME: HOST}, True),
]


@pytest.mark.parametrize(("kind", "version", "hostnames", "annotations", "expected"), CASES,
                         ids=["http-with-hostnames", "http-without-hostnames",
                              "http-annotated", "grpc-with-hostnames", "tls-with-hostnames",
                              "tcp-plain", "tcp-annotated", "tcp-at-v1-annotated",
                              "udp-other-annotation", "udp-annotated"])
def test_a_route_is_sent_only_when_it_names_a_host(  # type: ignore[no-untyped-def]
        kubeconfig: Path, registered: str, kind: str, version: str,
        hostnames: tuple[str, ...], annotations: dict[str, str], expected: bool) -> None:
    manifest = gateways.route(kind, registered, "web", [gateways.Parent("gw")],
                              hostnames=hostnames, annotations=annotations)
    if version:
        manifest["apiVersion"] = f"{gateways.GROUP}/{version}"

    assert sent(write(kubeconfig, manifest)) is expected


def test_gateways_and_the_webhooks_namespace_are_never_sent(  # type: ignore[no-untyped-def]
        kubeconfig: Path, registered: str) -> None:
    gateway = gateways.gateway(registered, "gw", annotations={HOSTNAME: HOST})

    assert not sent(write(kubeconfig, gateway))
    route_webhooks_rules = [hook["namespaceSelector"] for obj in kustomize(OVERLAY)
                            if obj["kind"].endswith("WebhookConfiguration")
                            for hook in obj["webhooks"] if "-route." in hook["name"]]
    assert route_webhooks_rules and all(
        rule["matchExpressions"][0]["values"] == ["dnsgate", "kube-system"]
        for rule in route_webhooks_rules)


def test_the_local_stack_registers_the_route_webhooks_the_component_renders() -> None:
    rendered = {hook["name"]: hook for obj in kustomize(OVERLAY)
                if obj["kind"].endswith("WebhookConfiguration") for hook in obj["webhooks"]}

    local = [hook for configuration in webhook.with_routes(webhook.load_configurations())
             for hook in configuration["webhooks"] if "-route." in hook["name"]]

    assert sorted(hook["name"] for hook in local) == ["mutate-route.dnsgate.io",
                                                      "validate-route.dnsgate.io"]
    assert all(hook == rendered[hook["name"]] for hook in local)
