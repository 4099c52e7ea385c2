"""dnsgate.labels picks exactly the Services the real kube-apiserver's list picks for the same
`labelSelector`, and refuses the selectors it refuses: the webhook's review and the lists and
watches (its own, the reconciler's) agree on which objects are read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import metallb
from dnsgate import labels
from tests.conftest import Kubectl

pytestmark = pytest.mark.e2e

NAMESPACE = "scope-selectors"
LABELLED = {
    "none": {},
    "public": {"dns": "public"},
    "private": {"dns": "private"},
    "empty": {"dns": ""},
    "public-legacy": {"dns": "public", "legacy": "yes"},
    "tier-7": {"tier": "7"},
    "tier-12": {"tier": "12"},
    "tier-text": {"tier": "seven"},
    "prefixed": {"example.com/dns": "public"},
}
SELECTORS = [
    "", "dns=public", "dns==public", "dns!=public", "dns", "!dns", "dns=",
    "dns in (public,private)", "dns notin (public)", "dns in ()", "dns in (,private)",
    "dns=public,!legacy", "tier>8", "tier<8", "tier", "example.com/dns=public",
    " dns = public , legacy ", "in in (in)",
]
REFUSED = ["dns in public", "dns=public=x", "-dns", "dns=-x", "tier>x", "a/b/c", "dns,"]


@pytest.fixture(scope="module")
def services(stack, kubectl: Kubectl) -> Iterator[dict[str, dict[str, str]]]:
    kubectl("create", "namespace", NAMESPACE, check=False)
    for name, given in LABELLED.items():
        manifest = metallb.service_manifest(NAMESPACE, name, service_type="ClusterIP")
        manifest["metadata"]["labels"] = given  # type: ignore[index]
        kubectl("apply", "-f", "-", input=json.dumps(manifest))
    yield LABELLED
    kubectl("delete", "services", "--all", "-n", NAMESPACE, "--wait=true", check=False)


@pytest.fixture(scope="module")
def core(kubeconfig: Path) -> Any:
    """The kubernetes client's CoreV1Api, for the stack's apiserver."""
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))


def listed(core: Any, selector: str) -> set[str] | int:
    """The names the apiserver lists for `selector`, or the HTTP status refusing it."""
    from kubernetes.client import ApiException

    try:
        found = core.list_namespaced_service(NAMESPACE, label_selector=selector)
    except ApiException as exc:
        return int(exc.status)
    return {item.metadata.name for item in found.items}


@pytest.mark.parametrize("selector", SELECTORS)
def test_dnsgate_picks_what_the_apiserver_lists(
        services: dict[str, dict[str, str]], core: Any, selector: str) -> None:
    parsed = labels.parse(selector)

    assert {name for name, given in services.items() if parsed.matches(given)} == listed(
        core, selector)


@pytest.mark.parametrize("selector", REFUSED)
def test_dnsgate_refuses_what_the_apiserver_refuses(
        services: dict[str, dict[str, str]], core: Any, selector: str) -> None:
    with pytest.raises(ValueError):
        labels.parse(selector)
    assert listed(core, selector) == 400
