"""Values written for the ExternalDNS chart work with dnsgate's: each ExternalDNS chart's own
values.yaml (1.14.5, the seed's, and the latest), with the seed's overrides, renders objects
the real apiserver accepts (`kubectl apply --dry-run=server`); every key of both charts has a
state (same, ignored, refused), each refused one fails the render with one line naming the
dnsgate key to use, and docs/migrating.md's table is generated from those states."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import externaldns_chart
from devstack import kubectl as kubectl_cli
from devstack.stack import Stack
from dnsgate import cli, flags
from reconciler import settings as reconcile_settings
from tests.install import migrating, walkthrough
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
    ("--set", "gatewayNamespace=gateways"),
], ids=lambda values: values[1])
def test_keys_with_the_same_meaning_or_none_render(helm, values: tuple[str, ...]) -> None:
    assert render(helm, *values)


def test_the_docs_table_is_generated_from_the_states() -> None:
    doc = migrating.DOC.read_text()

    assert migrating.with_table(doc) == doc, "run python -m tests.install.migrating"


# The path docs/migrating.md shows: the seed's values and Deployment args to an accepted render.
@pytest.fixture(scope="module")
def walked(helm, tmp_path_factory: pytest.TempPathFactory  # type: ignore[no-untyped-def]
           ) -> walkthrough.Walk:
    """The walk against an apiserver of its own, so every object is `created`, whatever the
    session's apiserver holds."""
    directory = tmp_path_factory.mktemp("walk")
    with Stack(directory / "stack", progress=lambda line: None) as stack:
        def kubectl(*args: str, input: str | None = None,
                    check: bool = True) -> subprocess.CompletedProcess[str]:
            return kubectl_cli.run(stack.kubeconfig, *args, input=input, check=check)

        kubectl("apply", "-f", "-", input=walkthrough.namespace())
        return walkthrough.walk(helm, kubectl, directory)


@pytest.mark.e2e
def test_the_seeds_install_reaches_an_accepted_render_changing_only_what_refusals_name(
        walked: walkthrough.Walk) -> None:
    assert walked.changes == [
        'extraArgs loses --source=service; sources: ["service"]',
        'extraArgs loses --domain-filter=goldentooth.net; domainFilters: ["goldentooth.net"]',
        "extraArgs loses --txt-owner-id=external-dns-external-dns; txtOwnerId: "
        '"external-dns-external-dns"',
        f"image.repository: {walkthrough.IMAGE}",
    ]
    assert "deployment.apps/dnsgate-reconciler created (server dry run)" in walked.lines
    assert "validatingwebhookconfiguration.admissionregistration.k8s.io/dnsgate created " \
        "(server dry run)" in walked.lines


@pytest.mark.e2e
def test_the_docs_transcript_is_what_the_walk_printed(walked: walkthrough.Walk) -> None:
    doc = walkthrough.DOC.read_text()

    assert walkthrough.documented(doc) == walked.transcript(), \
        "run python -m tests.install.walkthrough"


PORTED = ["--exclude-domains=a.goldentooth.net,b.goldentooth.net", "--ingress-class=public"]
REFUSED_LINES = {
    "a shared flag in extraArgs": (
        "Error: execution error at (dnsgate/templates/webhook.yaml:30:30): extraArgs: "
        "--exclude-domains=a.goldentooth.net,b.goldentooth.net sets --exclude-domains, which "
        "decides which names are published and must reach the webhook and the reconciler "
        "alike; use excludeDomains instead, which both read (DNSGATE_EXCLUDE_DOMAINS in their "
        "ConfigMap)",
        {"excludeDomains": ["a.goldentooth.net", "b.goldentooth.net"],
         "extraArgs": PORTED[1:]}),
    "a shared flag with no top-level value": (
        "Error: execution error at (x): extraArgs: --ingress-class=public sets --ingress-class,"
        " which decides ...; use settings.DNSGATE_INGRESS_CLASS instead, which both read",
        {"settings": {"DNSGATE_INGRESS_CLASS": "public"}, "extraArgs": PORTED[:1]}),
    "no image": (
        "Error: execution error at (dnsgate/templates/webhook.yaml:58:20): image.repository: "
        "set the dnsgate image you built and pushed",
        {"image": {"repository": walkthrough.IMAGE}, "extraArgs": PORTED}),
}


@pytest.mark.parametrize(("refusal", "expected"), REFUSED_LINES.values(),
                         ids=REFUSED_LINES.keys())
def test_a_refusal_leads_to_the_one_change_it_names(
        refusal: str, expected: dict[str, Any]) -> None:
    changed, _ = walkthrough.change({"extraArgs": PORTED}, refusal)

    assert changed == expected


def _guides_dry_run() -> list[str]:
    """The command docs/migrating.md begins with, as argv after `dnsgate`."""
    first = migrating.DOC.read_text().split("```sh\n", 1)[1].split("```", 1)[0]
    argv = shlex.split(first.replace("\\\n", " "))
    assert argv[:4] == ["dnsgate", "reconcile", "--once", "--dry-run"], argv
    return argv[1:]


def test_the_guide_begins_with_a_dry_run_of_the_settings_the_seeds_values_deploy(
        helm, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """What `dnsgate reconcile --once --dry-run` checks first is what the reconciler
    Deployment rendered from the seed's values will do: the same sources, names, owner,
    zones, region and policy."""
    objects = render(helm, "-f", str(SEED))
    container = pod_spec(objects, "dnsgate-reconciler")["containers"][0]
    [config] = [o["data"] for o in objects if o["kind"] == "ConfigMap"]
    for name in list(os.environ):
        if name.startswith((flags.PREFIX, flags.EXTERNAL_DNS_PREFIX, "AWS_")):
            monkeypatch.delenv(name)

    guide = reconcile_settings.from_args(cli.parse(_guides_dry_run()))
    for name, value in {**config, **{e["name"]: e["value"] for e in container["env"]
                                     if "value" in e}}.items():
        monkeypatch.setenv(name, value)
    deployed = reconcile_settings.from_args(cli.parse(container["args"]))

    def deciding(s: reconcile_settings.Settings) -> tuple[object, ...]:
        return s.source, s.registry, s.route53, s.aws, s.controller.policy

    assert guide.controller.once and guide.controller.dry_run
    assert deciding(guide) == deciding(deployed)


def test_a_refusal_naming_no_value_to_use_stops_the_walk() -> None:
    refusal = ("Error: execution error at (x): extraArgs: --source=service sets --source, which "
               "decides which names are published; set it once for both")

    with pytest.raises(AssertionError, match="names no value to change"):
        walkthrough.change({"extraArgs": ["--source=service"]}, refusal)
