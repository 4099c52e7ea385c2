"""One source of truth: the kustomize base and the chart render the same objects.

The chart's templates are written by hand (they carry the values), and this test is what
keeps them honest: for the defaults and for each optional part (cert-manager, ServiceMonitor,
the owners index, the Ingress and Gateway API sources), `kubectl kustomize` of the base with
the matching component and `helm template` with the matching values must agree object for
object, field for field, once the
differences that tests/install/rendering.py lists (Helm's labels, the ConfigMap's hash
suffix, the Namespace) are taken out. Change one side without the other and this fails,
naming the object.
"""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.install.conftest import CHART, MANIFESTS, OVERLAYS
from tests.install.rendering import helm_template, kustomize, normalised

VARIANTS = [
    pytest.param(MANIFESTS, (), id="defaults"),
    pytest.param(OVERLAYS / "cert-manager", ("--set", "certManager.enabled=true"),
                 id="cert-manager"),
    pytest.param(OVERLAYS / "service-monitor", ("--set", "serviceMonitor.enabled=true"),
                 id="service-monitor"),
    pytest.param(OVERLAYS / "ingress", ("--set", "sources={service,ingress}"), id="ingress"),
    pytest.param(OVERLAYS / "gateway-api", ("--set", "sources={service,gateway-httproute}"),
                 id="gateway-api"),
    pytest.param(OVERLAYS / "owners-index", ("--set", "ownersIndex.enabled=true"),
                 id="owners-index"),
]


def differences(base: dict, chart: dict) -> list[str]:  # type: ignore[type-arg]
    lines = [f"only in the kustomize base: {key}" for key in sorted(set(base) - set(chart))]
    lines += [f"only in the chart: {key}" for key in sorted(set(chart) - set(base))]
    for key in sorted(set(base) & set(chart)):
        if base[key] != chart[key]:
            lines.append(f"{key} differs:")
            lines += difflib.unified_diff(
                yaml.safe_dump(base[key]).splitlines(), yaml.safe_dump(chart[key]).splitlines(),
                "kustomize", "helm", lineterm="")
    return lines


@pytest.mark.parametrize(("overlay", "values"), VARIANTS)
def test_chart_renders_what_the_kustomize_base_holds(
    helm, overlay: Path, values: tuple[str, ...]
) -> None:
    base = normalised(kustomize(overlay))
    chart = normalised(helm_template(helm, CHART, *values))

    assert differences(base, chart) == []


def test_the_comparison_sees_a_changed_field(helm) -> None:
    """Guards the test above against comparing nothing: one changed value is a difference."""
    base = normalised(kustomize(MANIFESTS))
    chart = normalised(helm_template(helm, CHART, "--set", "webhook.replicaCount=3"))

    assert differences(base, chart)[:1] == [
        "('Deployment', 'dnsgate', 'dnsgate-webhook') differs:"]


def test_only_the_namespace_is_left_out() -> None:
    objects = kustomize(MANIFESTS)

    left_out = Counter(o["kind"] for o in objects) - Counter(
        kind for kind, _, _ in normalised(objects))

    assert left_out == Counter({"Namespace": 1})
