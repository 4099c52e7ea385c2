"""Argo CD sync waves: the webhook configurations come after everything else, and an install
applied wave by wave, each wave only once the one before is ready (as Argo CD applies it),
ends with the seed's story passing.

Argo CD applies the lowest wave that is not yet in sync and healthy and goes on only once it
is (docs/install.md, "Sync waves"). The webhook configurations are wave 1, so the apiserver
sends no Service to a webhook that is not serving; in wave 0 the certificate keeper must
become ready without them, or wave 1 would never come.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from devstack.node.node import Node
from tests.install import cluster, rendering
from tests.install.certificates import SECRET, ca_bundles, secret_data
from tests.install.conftest import CHART, MANIFESTS, OVERLAYS

pytestmark = pytest.mark.e2e

WAVE = "argocd.argoproj.io/sync-wave"
Objects = list[dict[str, Any]]


def waves(objects: Objects) -> list[Objects]:
    """The objects grouped as Argo CD applies them: by wave, lowest first (default 0)."""
    numbers = sorted({int((o["metadata"].get("annotations") or {}).get(WAVE, "0"))
                      for o in objects})
    return [[o for o in objects
             if int((o["metadata"].get("annotations") or {}).get(WAVE, "0")) == number]
            for number in numbers]


def _chart(helm: Any, *args: str) -> Objects:
    return rendering.helm_template(helm, CHART, *args)


RENDERS = {
    "chart, certificate keeper": lambda helm: _chart(helm),
    "chart, cert-manager": lambda helm: _chart(helm, "--set", "certManager.enabled=true"),
    "kustomize base": lambda helm: rendering.kustomize(MANIFESTS),
    "kustomize, cert-manager component": lambda helm: rendering.kustomize(
        OVERLAYS / "cert-manager"),
}


@pytest.mark.parametrize("render", RENDERS.values(), ids=RENDERS.keys())
def test_the_webhook_configurations_come_in_the_wave_after_everything_else(
    helm, render  # type: ignore[no-untyped-def]
) -> None:
    first, *later = waves(render(helm))

    assert [[(o["kind"], o["metadata"]["name"]) for o in wave] for wave in later] == [[
        ("MutatingWebhookConfiguration", "dnsgate"),
        ("ValidatingWebhookConfiguration", "dnsgate")]]
    assert {"Deployment"} <= {o["kind"] for o in first}


def _in_waves_then_the_story(node: Node, objects: Objects, state: Path) -> float:
    """Wave 0 applied and every Deployment available (the keeper without any configuration
    to inject into), then wave 1; returns the seconds until both configurations carry the
    CA."""
    first, second = waves(objects)
    # cluster.install waits until every Deployment is available: Argo CD's "wave 0 healthy".
    with cluster.install(node, first, state) as install:
        assert install.kubectl("get", "mutatingwebhookconfiguration,"
                               "validatingwebhookconfiguration", "-o", "name").stdout == ""
        node.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": second}))
        applied = time.monotonic()
        ca = secret_data(install.kubectl, f"{SECRET}-ca")["ca.crt"]
        while ca_bundles(install.kubectl) != [ca] * 2:
            assert time.monotonic() - applied < 30, install.logs()
            time.sleep(0.2)
        injected = time.monotonic() - applied
        cluster.seed_story(install)
        stopped = install.uninstall()
    assert [s for s in stopped if not s.graceful] == []
    return injected


def test_the_base_applied_wave_by_wave_converges(node: Node, tmp_path: Path) -> None:
    injected = _in_waves_then_the_story(node, cluster.render(), tmp_path)

    # The keeper looks again every few seconds while a configuration is missing.
    assert injected < 15


def test_the_charts_default_applied_wave_by_wave_converges(
    helm, node: Node, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    objects = _chart(helm, "--set", "env[0].name=AWS_ENDPOINT_URL_ROUTE_53",
                     "--set", f"env[0].value=http://{cluster.ROUTE53_OUTSIDE[0]}")
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": cluster.NAMESPACE,
        "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}

    injected = _in_waves_then_the_story(node, [namespace, *objects], tmp_path)

    assert injected < 15
