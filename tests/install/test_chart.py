"""charts/dnsgate: `helm lint`, `helm template` with the values an ExternalDNS chart user
reaches for (IRSA, cert-manager, ServiceMonitor, extraArgs, ...), the schema refusing what it
does not know, and `helm install` / `helm upgrade` against the real apiserver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.install.conftest import CHART, service_account_kubeconfig
from tests.install.rendering import (
    IMAGE,
    by_key,
    deployment,
    documents,
    helm_template,
    pod_spec,
)

VALUE_SETS = {
    "defaults": (),
    "irsa": ("--set", "aws.credentials.secretName=",
             "--set", "serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn="
                      "arn:aws:iam::123456789012:role/dnsgate"),
    "cert-manager": ("--set", "certManager.enabled=true"),
    "cert-manager-issuer": ("--set", "certManager.enabled=true",
                            "--set", "certManager.issuerRef.name=letsencrypt",
                            "--set", "certManager.issuerRef.kind=ClusterIssuer"),
    "service-monitor": ("--set", "serviceMonitor.enabled=true",
                        "--set", "serviceMonitor.additionalLabels.release=prometheus",
                        "--set", "serviceMonitor.interval=30s"),
    "external-dns-style": ("--set", "replicaCount=1", "--set", "image.tag=0.2.0",
                           "--set", "domainFilters={goldentooth.net,example.org}",
                           "--set", "txtPrefix=dns-",
                           "--set", "extraArgs={--interval=5m,--log-level=debug}",
                           "--set", "webhook.failurePolicy=Ignore",
                           "--set", "podDisruptionBudget.minAvailable=1"),
    "ingress-source": ("--set", "sources={service,ingress}"),
    "gateway-sources": ("--set", "sources={service,gateway-httproute,gateway-tcproute}"),
    "owners-index": ("--set", "ownersIndex.enabled=true"),
}


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_lint_passes(helm, values: tuple[str, ...]) -> None:
    result = helm("lint", "--strict", str(CHART), "--namespace", "dnsgate", *IMAGE, *values)

    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize(("values", "message"), [
    (("--set", "domainFilter=goldentooth.net"), "'domainFilter' not allowed"),
    (("--set", "webhook.failurePolicy=Sometimes"), "failurePolicy"),
    (("--set", "policy=delete-everything"), "policy"),
    (("--set", "aws.credentials.secretname=x"), "'secretname' not allowed"),
    (("--set", "settings.domain_filter=x"), "domain_filter"),
    (("--set", "txtPrefix=a", "--set", "txtSuffix=b"),
     "txtPrefix and txtSuffix: set one of them, not both"),
    (("--set", "sources={service,istio-gateway}"), "sources"),
    (("--set", "ownersIndex.enabled=true", "--set", "settings.DNSGATE_OWNERS_INDEX=a/b"),
     "settings.DNSGATE_OWNERS_INDEX: set ownersIndex.enabled instead"),
], ids=["misspelt-top-level", "bad-failure-policy", "bad-policy", "misspelt-nested",
        "setting-not-a-variable", "prefix-and-suffix", "unsupported-source",
        "owners-index-twice"])
def test_values_it_cannot_honour_fail_the_render(
    helm, values: tuple[str, ...], message: str
) -> None:
    result = helm("template", "dnsgate", str(CHART), *IMAGE, *values, check=False)

    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(("values", "message"), [
    ((), "image.repository: set the dnsgate image you built and pushed"),
    (("--set", "image.repository=registry.k8s.io/external-dns/external-dns"),
     "image.repository: registry.k8s.io/external-dns/external-dns is ExternalDNS's image"),
], ids=["unset", "external-dns-image"])
def test_an_image_never_set_fails_the_render_naming_image_repository(
        helm, values: tuple[str, ...], message: str) -> None:
    """The chart names no image: rendering `dnsgate:0.1.0`, which no registry serves, would
    leave every pod in ImagePullBackOff."""
    result = helm("template", "dnsgate", str(CHART), *values, check=False)
    # helm lint runs `required` leniently, but still says so.
    lint = helm("lint", "--strict", str(CHART), *values, check=False)

    assert result.returncode != 0
    assert message in result.stderr
    assert message in lint.stdout + lint.stderr


def test_irsa_mounts_no_secret_and_annotates_the_reconcilers_account(helm) -> None:
    objects = helm_template(helm, CHART, *VALUE_SETS["irsa"])
    spec = pod_spec(objects, "dnsgate-reconciler")
    account = by_key(objects)[("ServiceAccount", "dnsgate", "dnsgate-reconciler")]

    assert [v["name"] for v in spec["volumes"]] == ["tmp"]
    assert "AWS_SHARED_CREDENTIALS_FILE" not in {e["name"] for e in spec["containers"][0]["env"]}
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/dnsgate"}


def test_default_credentials_secret_is_mounted_but_optional(helm) -> None:
    """A missing Secret must not keep the reconciler in ContainerCreating: boto3 then goes on
    down its chain (docs/install.md)."""
    spec = pod_spec(helm_template(helm, CHART), "dnsgate-reconciler")

    assert {"name": "aws-credentials",
            "secret": {"secretName": "dnsgate-aws", "optional": True}} in spec["volumes"]
    assert {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/.aws/credentials"} in \
        spec["containers"][0]["env"]


def test_without_the_secret_boto3_skips_the_file_and_takes_the_next_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the optional mount relies on (docs/install.md): the Secret absent, the file at
    AWS_SHARED_CREDENTIALS_FILE does not exist, and boto3 goes on down its chain (here to the
    config file, which stands in for IRSA, Pod Identity or the instance role)."""
    import boto3

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text("[default]\naws_access_key_id = AKIDFROMTHECHAIN\n"
                      "aws_secret_access_key = secret\n")
    (tmp_path / "aws").mkdir()  # the optional Secret volume, mounted empty
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    credentials = boto3.Session().get_credentials()

    assert credentials is not None
    assert (credentials.access_key, credentials.method) == ("AKIDFROMTHECHAIN", "config-file")


@pytest.mark.parametrize("values", ["cert-manager", "cert-manager-issuer"])
def test_cert_manager_issues_and_the_webhook_only_serves(helm, values: str) -> None:
    objects = by_key(helm_template(helm, CHART, *VALUE_SETS[values]))
    webhook = objects[("Deployment", "dnsgate", "dnsgate-webhook")]["spec"]["template"]["spec"]
    issuer = objects[("Certificate", "dnsgate", "dnsgate-webhook")]["spec"]["issuerRef"]

    assert {"name": "tls", "secret": {"secretName": "dnsgate-webhook-tls"}} in webhook["volumes"]
    assert not [key for key in objects if key[2].startswith("dnsgate-certs")]
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        # Argo CD: after the webhook Deployment (wave 0) is healthy (test_sync_waves.py).
        assert objects[(kind, "", "dnsgate")]["metadata"]["annotations"] == {
            "cert-manager.io/inject-ca-from": "dnsgate/dnsgate-webhook",
            "argocd.argoproj.io/sync-wave": "1"}
    if values == "cert-manager":
        assert issuer == {"name": "dnsgate-selfsigned", "kind": "Issuer"}
        assert ("Issuer", "dnsgate", "dnsgate-selfsigned") in objects
    else:
        assert issuer == {"name": "letsencrypt", "kind": "ClusterIssuer"}
        assert not [key for key in objects if key[0] == "Issuer"]


def test_service_monitors_find_their_services_and_pods(helm) -> None:
    """Each ServiceMonitor selects a Service that has the named port, and that Service
    selects the pods of a Deployment that serves it: a wrong label or port name anywhere
    in the chain and Prometheus would scrape nothing."""
    objects = helm_template(helm, CHART, *VALUE_SETS["service-monitor"])
    monitors = [o for o in objects if o["kind"] == "ServiceMonitor"]
    services = [o for o in objects if o["kind"] == "Service"]
    deployments = [o for o in objects if o["kind"] == "Deployment"]

    assert sorted(m["metadata"]["name"] for m in monitors) == [
        "dnsgate-reconciler", "dnsgate-webhook"]
    for monitor in monitors:
        assert monitor["metadata"]["labels"]["release"] == "prometheus"
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["interval"] == "30s"
        wanted = monitor["spec"]["selector"]["matchLabels"]
        [service] = [s for s in services
                     if wanted.items() <= (s["metadata"].get("labels") or {}).items()]
        port = next(p for p in service["spec"]["ports"] if p["name"] == endpoint["port"])
        [served] = [d for d in deployments if service["spec"]["selector"].items()
                    <= d["spec"]["template"]["metadata"]["labels"].items()]
        container = served["spec"]["template"]["spec"]["containers"][0]
        assert port["targetPort"] in {p["name"] for p in container["ports"]}
    webhook = next(m for m in monitors if m["metadata"]["name"] == "dnsgate-webhook")
    assert webhook["spec"]["endpoints"][0]["tlsConfig"] == {
        "serverName": "dnsgate-webhook.dnsgate.svc",
        "ca": {"secret": {"name": "dnsgate-webhook-tls", "key": "ca.crt"}}}


def test_external_dns_style_values_reach_the_pods(helm) -> None:
    objects = helm_template(helm, CHART, *VALUE_SETS["external-dns-style"])
    reconciler = deployment(objects, "dnsgate-reconciler")
    container = reconciler["spec"]["template"]["spec"]["containers"][0]
    settings = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    hooks = [o["webhooks"][0] for o in objects if o["kind"].endswith("WebhookConfiguration")]

    assert reconciler["spec"]["replicas"] == 1
    assert container["image"] == "dnsgate:0.2.0"
    assert container["args"][-2:] == ["--interval=5m", "--log-level=debug"]
    assert settings["DNSGATE_DOMAIN_FILTER"] == "goldentooth.net,example.org"
    assert settings["DNSGATE_TXT_PREFIX"] == "dns-"
    assert [hook["failurePolicy"] for hook in hooks] == ["Ignore", "Ignore"]


def test_extra_args_as_a_map_like_the_external_dns_chart(helm) -> None:
    """As ExternalDNS's chart renders a map: true is --flag, false --no-flag, null the bare
    flag, a list repeats it, and each value is a template."""
    objects = helm_template(helm, CHART, "--set-json", 'extraArgs={"interval": "5m", '
                            '"once": true, "dry-run": false, "events": null, '
                            '"zone-id-filter": ["Z1", "Z2"], "aws-profile": "{{ .Release.Name }}"}')
    args = pod_spec(objects, "dnsgate-reconciler")["containers"][0]["args"]

    assert args[3:] == ["--aws-profile=dnsgate", "--no-dry-run", "--events", "--interval=5m",
                        "--once", "--zone-id-filter=Z1", "--zone-id-filter=Z2"]


@pytest.mark.parametrize("flag", ["--request-timeout=30s", "--aws-zones-cache-duration=1h",
                                  "--txt-cache-interval=1h", "--min-event-sync-interval=5s"])
def test_tuning_flags_users_carry_render_and_start(helm, flag: str) -> None:
    """Accepted as documented no-ops (dnsgate/externaldns.py, "ignored"): the render keeps
    them and `dnsgate reconcile` parses them, so the pod does not crash-loop."""
    from dnsgate import cli
    from reconciler import settings

    objects = helm_template(helm, CHART, "--set-json", f"extraArgs={json.dumps([flag])}")
    args = pod_spec(objects, "dnsgate-reconciler")["containers"][0]["args"]

    assert args[-1] == flag
    parsed = cli.build_parser().parse_args([*args, "--domain-filter=goldentooth.net"])
    assert settings.from_args(parsed)


@pytest.mark.parametrize(("where", "args", "message"), [
    ("extraArgs", ["--google-project=p"], "extraArgs: --google-project is an ExternalDNS flag "
     "that dnsgate does not implement: it configures the Google Cloud DNS provider"),
    ("extraArgs", ["--no-create-ptr"], "extraArgs: --create-ptr is an ExternalDNS flag that "
     "dnsgate does not implement: PTR records are not implemented (docs/flags.md)"),
    ("extraArgs", ["--intervall=5m"], "extraArgs: --intervall is not a flag of dnsgate "
     "reconcile"),
    ("webhook.extraArgs", ["--interval=5m"], "webhook.extraArgs: --interval is not a flag of "
     "dnsgate webhook"),
    ("extraArgs", ["interval=5m"], 'extraArgs: "interval=5m" is not a flag'),
    # The kubelet expands $(VAR) in args after the render: a flag named through a variable
    # (env F=label-filter=dns=public) would reach one Deployment past the shared-flag rule.
    ("extraArgs", ["--$(F)"], "extraArgs: --$(F) is not a flag of dnsgate reconcile"),
], ids=["refused-family", "refused-no-form", "misspelt", "other-command", "no-dashes",
        "variable-flag-name"])
def test_a_flag_that_would_stop_the_pod_fails_the_render_instead(
        helm, where: str, args: list[str], message: str) -> None:
    """The line the command itself would print at start (dnsgate/externaldns.py), at render
    time: a crash loop is never how a user learns of it."""
    result = helm("template", "dnsgate", str(CHART), *IMAGE,
                  "--set-json", f"{where}={json.dumps(args)}", check=False)

    assert result.returncode != 0
    assert message in result.stderr


SCHEDULING = ("--set", "nodeSelector.pool=system", "--set", "priorityClassName=critical",
              "--set-json", 'tolerations=[{"key": "arm", "operator": "Exists"}]',
              "--set-json", 'affinity={"podAntiAffinity": {'
                            '"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, '
                            '"podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}]}}')


@pytest.mark.parametrize("name", ["dnsgate-reconciler", "dnsgate-webhook", "dnsgate-certs"])
def test_top_level_scheduling_reaches_every_deployment(helm, name: str) -> None:
    spec = pod_spec(helm_template(helm, CHART, *SCHEDULING), name)
    [term] = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]

    assert spec["nodeSelector"] == {"pool": "system"}
    assert spec["priorityClassName"] == "critical"
    assert spec["tolerations"] == [{"key": "arm", "operator": "Exists"}]
    # As the ExternalDNS chart: a term without a selector selects the Deployment's own pods.
    assert term["podAffinityTerm"]["labelSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": name}}


@pytest.mark.parametrize("prefix", ["webhook", "certs"])
def test_a_deployables_own_scheduling_overrides_the_top_level(helm, prefix: str) -> None:
    objects = helm_template(helm, CHART, *SCHEDULING, "--set", f"{prefix}.nodeSelector.pool=edge",
                            "--set", f"{prefix}.priorityClassName=low")
    spec = pod_spec(objects, f"dnsgate-{prefix}")

    assert (spec["nodeSelector"], spec["priorityClassName"]) == ({"pool": "edge"}, "low")
    assert pod_spec(objects, "dnsgate-reconciler")["nodeSelector"] == {"pool": "system"}


@pytest.mark.parametrize(("values", "budgets"), [
    ((), {"dnsgate-webhook": {"minAvailable": 1}}),
    (("--set", "webhook.replicaCount=1"), {}),
    (("--set", "webhook.replicaCount=3", "--set", "webhook.podDisruptionBudget.minAvailable=3"),
     {}),
    (("--set", "webhook.replicaCount=1", "--set", "webhook.podDisruptionBudget.maxUnavailable=1"),
     {"dnsgate-webhook": {"maxUnavailable": 1}}),
    (("--set", "replicaCount=1", "--set", "podDisruptionBudget.minAvailable=1"),
     {"dnsgate-webhook": {"minAvailable": 1}}),
    (("--set", "podDisruptionBudget.minAvailable=1"),
     {"dnsgate-webhook": {"minAvailable": 1}, "dnsgate-reconciler": {"minAvailable": 1}}),
], ids=["defaults", "one-webhook", "all-webhooks-required", "max-unavailable",
        "one-reconciler", "two-reconcilers"])
def test_no_budget_that_would_block_every_drain(
        helm, values: tuple[str, ...], budgets: dict[str, dict[str, int]]) -> None:
    """A PodDisruptionBudget that allows no eviction makes `kubectl drain` wait forever; the
    chart renders none then (webhook.replicaCount=1 with the default minAvailable: 1)."""
    objects = helm_template(helm, CHART, *values)

    found = {o["metadata"]["name"]: {k: v for k, v in o["spec"].items() if k != "selector"}
             for o in objects if o["kind"] == "PodDisruptionBudget"}
    assert found == budgets


def test_seed_credentials_pattern_replaces_the_charts_own_mount(helm) -> None:
    """The seed mounts its Secret through env, extraVolumes and extraVolumeMounts at /.aws,
    where the chart mounts aws.credentials.secretName: the seed's replace the chart's (one
    volume of each name, one mount per path, one variable), as its ExternalDNS had them."""
    objects = helm_template(helm, CHART, "--set-json", json.dumps(
        [{"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/.aws/credentials"}])
        .join(("env=", "")), "--set-json", 'extraVolumes=[{"name": "aws-credentials", '
        '"secret": {"secretName": "external-dns"}}]', "--set-json",
        'extraVolumeMounts=[{"name": "aws-credentials", "mountPath": "/.aws/", "readOnly": true}]')
    spec = pod_spec(objects, "dnsgate-reconciler")
    container = spec["containers"][0]

    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
                               {"name": "aws-credentials",
                                "secret": {"secretName": "external-dns"}}]
    assert [m["mountPath"] for m in container["volumeMounts"]] == ["/tmp", "/.aws/"]
    assert [e["name"] for e in container["env"]].count("AWS_SHARED_CREDENTIALS_FILE") == 1


def test_secret_configuration_as_the_external_dns_chart(helm) -> None:
    objects = helm_template(helm, CHART, "--set", "secretConfiguration.enabled=true",
                            "--set", "secretConfiguration.mountPath=/.aws",
                            "--set", "secretConfiguration.data.credentials=[default]")
    spec = pod_spec(objects, "dnsgate-reconciler")
    secret = by_key(objects)[("Secret", "dnsgate", "dnsgate-reconciler-secret-configuration")]

    assert secret["data"] == {"credentials": "W2RlZmF1bHRd"}
    assert {"name": "secrets", "mountPath": "/.aws"} in spec["containers"][0]["volumeMounts"]
    assert "aws-credentials" not in [m["name"] for m in spec["containers"][0]["volumeMounts"]]


@pytest.mark.parametrize(("prefix", "name"), [
    ("", "dnsgate-reconciler"), ("webhook.", "dnsgate-webhook"), ("certs.", "dnsgate-certs")])
def test_probes_are_tunable_and_a_slow_start_is_not_a_liveness_failure(
        helm, prefix: str, name: str) -> None:
    defaults = pod_spec(helm_template(helm, CHART), name)["containers"][0]
    tuned = pod_spec(helm_template(
        helm, CHART, "--set", f"{prefix}startupProbe.failureThreshold=120",
        "--set", f"{prefix}livenessProbe.periodSeconds=30"), name)["containers"][0]

    # Liveness counts only once the startup probe has passed: five minutes by default.
    startup = defaults["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 300
    assert startup["httpGet"]["path"] == defaults["livenessProbe"]["httpGet"]["path"]
    assert tuned["startupProbe"]["failureThreshold"] == 120
    assert tuned["livenessProbe"]["periodSeconds"] == 30
    assert tuned["readinessProbe"] == defaults["readinessProbe"]


def test_another_release_name_renames_every_cluster_wide_object(helm) -> None:
    objects = helm_template(helm, CHART, release="edge", namespace="dns-edge")
    cluster_wide = sorted(o["metadata"]["name"] for o in objects
                          if "namespace" not in o["metadata"])
    hooks = [o["webhooks"][0] for o in objects if o["kind"].endswith("WebhookConfiguration")]

    assert cluster_wide == ["edge-dnsgate", "edge-dnsgate",
                            "edge-dnsgate-certs", "edge-dnsgate-certs",
                            "edge-dnsgate-certs-secrets", "edge-dnsgate-certs-secrets",
                            "edge-dnsgate-certs-webhook-configurations",
                            "edge-dnsgate-certs-webhook-configurations",
                            "edge-dnsgate-namespace-labels", "edge-dnsgate-namespace-labels",
                            "edge-dnsgate-reconciler", "edge-dnsgate-reconciler",
                            "edge-dnsgate-webhook", "edge-dnsgate-webhook"]
    assert {hook["clientConfig"]["service"]["namespace"] for hook in hooks} == {"dns-edge"}
    args = pod_spec(objects, "edge-dnsgate-certs")["containers"][0]["args"]
    assert "--namespace=dns-edge" in args
    assert "--webhook-config=edge-dnsgate" in args
    assert "--secret=edge-dnsgate-webhook-tls" in args
    policies = " ".join(json.dumps(o["spec"]) for o in objects
                        if o["kind"] == "ValidatingAdmissionPolicy")
    assert "system:serviceaccount:dns-edge:edge-dnsgate-certs" in policies
    assert "'edge-dnsgate-webhook-tls', 'edge-dnsgate-webhook-tls-ca'" in policies
    assert "object.type == (object.metadata.name == 'edge-dnsgate-webhook-tls-ca' ?" in policies
    assert "request.name == 'edge-dnsgate'" in policies


def test_the_owners_index_follows_the_release_name(helm) -> None:
    """Another release's index is its own ConfigMap, and only its own accounts reach it."""
    objects = by_key(helm_template(helm, CHART, "--set", "ownersIndex.enabled=true",
                                   release="edge", namespace="dns-edge"))
    settings = objects[("ConfigMap", "dns-edge", "edge-dnsgate-settings")]["data"]
    reader = objects[("Role", "dns-edge", "edge-dnsgate-webhook-owners-index")]
    writer = objects[("Role", "dns-edge", "edge-dnsgate-reconciler-owners-index")]
    bindings = {name: objects[("RoleBinding", "dns-edge", name)]["subjects"]
                for name in ("edge-dnsgate-webhook-owners-index",
                             "edge-dnsgate-reconciler-owners-index")}

    assert settings["DNSGATE_OWNERS_INDEX"] == "dns-edge/edge-dnsgate-owners"
    assert ("ConfigMap", "dns-edge", "edge-dnsgate-owners") in objects
    assert reader["rules"] == [{"apiGroups": [""], "resources": ["configmaps"],
                                "resourceNames": ["edge-dnsgate-owners"],
                                "verbs": ["get", "list", "watch"]}]
    assert writer["rules"] == [{"apiGroups": [""], "resources": ["configmaps"],
                                "resourceNames": ["edge-dnsgate-owners"],
                                "verbs": ["get", "patch"]}]
    assert bindings == {
        "edge-dnsgate-webhook-owners-index": [
            {"kind": "ServiceAccount", "name": "edge-dnsgate-webhook", "namespace": "dns-edge"}],
        "edge-dnsgate-reconciler-owners-index": [
            {"kind": "ServiceAccount", "name": "edge-dnsgate-reconciler",
             "namespace": "dns-edge"}]}


def test_no_owners_index_unless_enabled(helm) -> None:
    objects = helm_template(helm, CHART)

    assert not [o for o in objects if "owners" in o["metadata"]["name"]]
    assert "DNSGATE_OWNERS_INDEX" not in by_key(objects)[
        ("ConfigMap", "dnsgate", "dnsgate-settings")]["data"]


# --- against the real apiserver ---

RELEASE = "dnsgate-chart"  # its own namespace and names: the kustomize tests use "dnsgate"


def live(kubectl, obj: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    namespace = obj["metadata"].get("namespace")
    args = ["get", obj["kind"].lower(), obj["metadata"]["name"], "-o", "json"]
    found: dict[str, Any] = json.loads(kubectl(*(["-n", namespace] if namespace else []),
                                               *args).stdout)
    return found


@pytest.fixture(scope="module")
def release(helm_cluster, kubectl) -> Iterator[list[dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """`helm install` of the chart with its defaults, as the README says; uninstalled after
    (its webhook configurations would otherwise send other tests' Services nowhere)."""
    installed = helm_cluster("install", RELEASE, str(CHART), "--namespace", RELEASE,
                             "--create-namespace", *IMAGE)
    assert "STATUS: deployed" in installed.stdout
    try:
        yield documents(helm_cluster("get", "manifest", RELEASE, "-n", RELEASE).stdout)
    finally:
        helm_cluster("uninstall", RELEASE, "-n", RELEASE, "--wait", check=False)
        kubectl("delete", "namespace", RELEASE, "--ignore-not-found", "--wait=false",
                check=False)


@pytest.mark.e2e
def test_install_creates_every_rendered_object(release: list[dict[str, Any]], kubectl) -> None:
    kinds = sorted(o["kind"] for o in release)

    assert kinds == sorted([
        "ClusterRole", "ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding",
        "ClusterRoleBinding", "ClusterRoleBinding", "ClusterRoleBinding", "ConfigMap",
        "Deployment", "Deployment", "Deployment", "MutatingWebhookConfiguration",
        "PodDisruptionBudget", "Role", "Role", "Role", "RoleBinding", "RoleBinding",
        "RoleBinding", "Service", "ServiceAccount", "ServiceAccount",
        "ServiceAccount", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration"])
    for obj in release:
        found = live(kubectl, obj)
        assert found["metadata"]["annotations"]["meta.helm.sh/release-name"] == RELEASE
        if obj["kind"] == "Deployment":
            assert found["spec"]["template"]["spec"]["containers"][0]["args"] == \
                obj["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.e2e
def test_second_upgrade_changes_nothing_and_keeps_the_injected_ca(
    release: list[dict[str, Any]], helm_cluster, kubectl, tmp_path: Path
) -> None:
    """The certificate keeper's pass (run here as the release's keeper account, as its pod
    would, under the release's admission policies) writes the caBundle; an upgrade with the
    same values then patches nothing at all."""
    account = service_account_kubeconfig(kubectl, RELEASE, f"{RELEASE}-certs",
                                         tmp_path / "certs.kubeconfig")
    subprocess.run([sys.executable, "-m", "dnsgate", "certs", f"--namespace={RELEASE}",
                    f"--service={RELEASE}-webhook", f"--secret={RELEASE}-webhook-tls",
                    f"--webhook-config={RELEASE}"], check=True, timeout=60,
                   env={**os.environ, "KUBECONFIG": str(account)})
    before = {(o["kind"], o["metadata"]["name"]): live(kubectl, o)["metadata"]["resourceVersion"]
              for o in release}

    upgraded = helm_cluster("upgrade", RELEASE, str(CHART), "--namespace", RELEASE, *IMAGE)

    after = {(o["kind"], o["metadata"]["name"]): live(kubectl, o)["metadata"]["resourceVersion"]
             for o in release}
    assert "REVISION: 2" in upgraded.stdout
    assert after == before
    ca = json.loads(kubectl("-n", RELEASE, "get", "secret", f"{RELEASE}-webhook-tls", "-o",
                            "json").stdout)["data"]["ca.crt"]
    for kind in ("mutatingwebhookconfiguration", "validatingwebhookconfiguration"):
        hook = json.loads(kubectl("get", kind, RELEASE, "-o", "json").stdout)["webhooks"][0]
        assert hook["clientConfig"]["caBundle"] == ca


@pytest.mark.e2e
def test_upgrade_to_a_new_image_and_to_irsa(
    release: list[dict[str, Any]], helm_cluster, kubectl
) -> None:
    upgraded = helm_cluster("upgrade", RELEASE, str(CHART), "--namespace", RELEASE, *IMAGE,
                            "--set", "image.tag=0.2.0", *VALUE_SETS["irsa"])

    reconciler = json.loads(kubectl("-n", RELEASE, "get", "deployment",
                                    f"{RELEASE}-reconciler", "-o", "json").stdout)
    spec = reconciler["spec"]["template"]["spec"]
    account = json.loads(kubectl("-n", RELEASE, "get", "serviceaccount",
                                 f"{RELEASE}-reconciler", "-o", "json").stdout)
    assert "STATUS: deployed" in upgraded.stdout
    assert spec["containers"][0]["image"] == "dnsgate:0.2.0"
    assert [v["name"] for v in spec["volumes"]] == ["tmp"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == \
        "arn:aws:iam::123456789012:role/dnsgate"


def test_a_gateway_source_renders_its_rights_webhooks_and_gateway_namespace(helm) -> None:
    """ExternalDNS chart users' `gatewayNamespace` reaches both deployables' settings as
    --gateway-namespace; a gateway-* source grants both accounts the route and Gateway reads
    and sends routes to the webhook (docs/gateway-api.md, "Installing")."""
    objects = by_key(helm_template(helm, CHART, "--set", "sources={service,gateway-tlsroute}",
                                   "--set", "gatewayNamespace=edge"))
    plain = by_key(helm_template(helm, CHART))

    settings = objects[("ConfigMap", "dnsgate", "dnsgate-settings")]["data"]
    assert settings["DNSGATE_SOURCE"] == "service,gateway-tlsroute"
    assert settings["DNSGATE_GATEWAY_NAMESPACE"] == "edge"
    for role in ("dnsgate-reconciler", "dnsgate-webhook"):
        groups = [rule["apiGroups"] for rule in objects[("ClusterRole", "", role)]["rules"]]
        assert ["gateway.networking.k8s.io"] in groups
        assert ["gateway.networking.k8s.io"] not in [
            rule["apiGroups"] for rule in plain[("ClusterRole", "", role)]["rules"]]
    for kind in ("Mutating", "Validating"):
        names = [hook["name"] for hook in objects[
            (f"{kind}WebhookConfiguration", "", "dnsgate")]["webhooks"]]
        assert names[-1].endswith("-route.dnsgate.io")
        assert not any("-route." in hook["name"] for hook in plain[
            (f"{kind}WebhookConfiguration", "", "dnsgate")]["webhooks"])
