"""Values written for the ExternalDNS chart work with dnsgate's: each ExternalDNS chart's own
values.yaml (1.14.5, the seed's, and the latest), with the seed's overrides, renders objects
the real apiserver accepts (`kubectl apply --dry-run=server`); every key of both charts has a
state (same, ignored, refused), each refused one fails the render with one line naming the
dnsgate key to use, and docs/migrating.md's table is generated from those states."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import externaldns_chart
from tests.install import migrating
from tests.install.conftest import CHART
from tests.install.rendering import IMAGE, helm_template, pod_spec

SEED = Path(__file__).resolve().parent / "values" / "seed-external-dns.yaml"
NAMESPACE = "dnsgate-migrating"  # its own: the other install tests use "dnsgate"


def render(helm, *values: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return helm_template(helm, CHART, *values, namespace=NAMESPACE)


def external_dns_values(chart: str) -> tuple[str, ...]:
    """The chart's whole values.yaml, then the seed's overrides (the user's own values)."""
    return ("-f", str(externaldns_chart.values(chart)), "-f", str(SEED))


def duplicates(objects: list[dict[str, Any]]) -> list[str]:
    """Pod fields the apiserver refuses twice (volume names, mount paths), and env names
    the kubelet would set twice, in every Deployment."""
    found = []
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        spec = obj["spec"]["template"]["spec"]
        counts = Counter(f"volume {v['name']}" for v in spec.get("volumes", []))
        for container in spec["containers"]:
            counts.update(f"mount {m['mountPath']}" for m in container.get("volumeMounts", []))
            counts.update(f"env {e['name']}" for e in container.get("env", []))
        found += [f"{obj['metadata']['name']}: {what}" for what, n in counts.items() if n > 1]
    return found


@pytest.fixture(scope="module")
def target_namespace(kubectl) -> Iterator[str]:  # type: ignore[no-untyped-def]
    kubectl("create", "namespace", NAMESPACE)
    try:
        yield NAMESPACE
    finally:
        kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


def test_each_chart_comes_from_the_module_release_that_holds_it() -> None:
    for chart in externaldns_chart.CHARTS:
        found = externaldns_chart.values(chart).with_name("Chart.yaml")

        assert yaml.safe_load(found.read_text())["version"] == chart


VARIANTS = {
    "seed-overrides": lambda: ("-f", str(SEED)),
    **{f"external-dns-{chart}": (lambda chart=chart: external_dns_values(chart))
       for chart in externaldns_chart.CHARTS},
}


@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_external_dns_values_render_without_duplicates(helm, values) -> None:  # type: ignore[no-untyped-def]
    objects = render(helm, *values())
    spec = pod_spec(objects, "dnsgate-reconciler")
    container = spec["containers"][0]

    assert duplicates(objects) == []
    # The seed's own Secret, at the seed's path, named by the seed's variable.
    assert {"name": "aws-credentials", "secret": {"secretName": "external-dns"}} in spec["volumes"]
    assert {"name": "aws-credentials", "mountPath": "/.aws", "readOnly": True} in \
        container["volumeMounts"]
    assert {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/.aws/credentials"} in \
        container["env"]


@pytest.mark.e2e
@pytest.mark.parametrize("values", VARIANTS.values(), ids=VARIANTS.keys())
def test_external_dns_values_pass_the_apiserver(
        helm, kubectl, target_namespace: str, values) -> None:  # type: ignore[no-untyped-def]
    objects = render(helm, *values())
    text = "\n---\n".join(json.dumps(o) for o in objects)

    result = kubectl("apply", "--dry-run=server", "-f", "-", input=text, check=False)

    assert result.returncode == 0, result.stderr
    assert "dnsgate-reconciler created (server dry run)" in result.stdout


def test_every_key_of_both_charts_has_a_state() -> None:
    found = migrating.chart_keys()
    known = migrating.states()

    assert [key for key in found if key not in known] == []
    assert [key for key in known if key not in found] == []
    assert {entry["state"] for entry in known.values()} == {"same", "ignored", "refused"}


REFUSALS = {
    "namespaceOverride": ("--set", "namespaceOverride=dns"),
    "namespaced": ("--set", "namespaced=true"),
    "sourceNamespace": ("--set", "sourceNamespace=apps"),
    "gatewayNamespace": ("--set", "gatewayNamespace=gateways"),
    "enableGatewayListenerSets": ("--set", "enableGatewayListenerSets=true"),
    "annotationFilter": ("--set", "annotationFilter=dns=public"),
    "serviceMonitor.namespace": ("--set", "serviceMonitor.namespace=monitoring"),
    "provider": ("--set", "provider.name=google"),
    "registry": ("--set", "registry=dynamodb"),
    "managedRecordTypes": ("--set", "managedRecordTypes={A,MX}"),
    "annotationPrefix": ("--set", "annotationPrefix=dns.example.org/"),
    "automountServiceAccountToken": ("--set", "automountServiceAccountToken=false"),
    "extraContainers": ("--set", "extraContainers.sidecar.image=busybox"),
}


def test_every_refusal_is_exercised() -> None:
    refusing = {key for key, entry in migrating.states().items() if "why" in entry}

    assert refusing == set(REFUSALS)


@pytest.mark.parametrize(("key", "values"), REFUSALS.items(), ids=REFUSALS.keys())
def test_a_key_dnsgate_does_not_implement_fails_in_one_line_naming_what_to_use(
        helm, key: str, values: tuple[str, ...]) -> None:
    entry = migrating.states()[key]

    result = helm("template", "dnsgate", str(CHART), *IMAGE, *values, check=False)

    assert result.returncode != 0
    [line] = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert f"{key}: " in line
    assert f"use {entry['use']} instead" in line


@pytest.mark.parametrize("values", [
    ("--set", "triggerLoopOnEvent=true"), ("--set", "enabled=true"),
    ("--set", "provider.webhook.image.repository=example/webhook"),
    ("--set", "namespaced=false"), ("--set", "provider=aws"),
    ("--set", "managedRecordTypes={CNAME,A,AAAA}"),
    ("--set", "annotationPrefix=external-dns.alpha.kubernetes.io/"),
], ids=lambda values: values[1])
def test_keys_with_the_same_meaning_or_none_render(helm, values: tuple[str, ...]) -> None:
    assert render(helm, *values)


def test_the_docs_table_is_generated_from_the_states() -> None:
    doc = migrating.DOC.read_text()

    assert migrating.with_table(doc) == doc, "run python -m tests.install.migrating"
