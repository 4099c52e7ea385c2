"""The doctor's Kubernetes checks for the Gateway API sources, as a ServiceAccount against the
real apiserver: the base's rules plus manifests/components/gateway-api's pass every check a
gateway-httproute configuration needs; without one of those rules the doctor names that
right, the ClusterRole and the manifest that grant it.

Most checks run in-process (`doctor.kubernetes`, the part `dnsgate doctor` prints first), with
the sources set on the parsed settings; the last runs `dnsgate doctor --source=...` itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from dnsgate import flags
from reconciler import access, doctor, rights
from reconciler import cli as reconcile_cli
from reconciler import settings as settings_module
from tests.doctor.conftest import DOMAIN, lines, manifest_rules, without
from tests.doctor.test_doctor_kubernetes import doctor as doctor_cli

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def component_rules() -> list[dict[str, Any]]:
    """The component's rules, and the base's namespace-labels ClusterRole's, one resource
    each, so one verb on one resource can be taken away."""
    patch = yaml.safe_load((ROOT / rights.GATEWAY_COMPONENT / "rbac-rules.yaml").read_text())
    rules = [op["value"] for op in patch] + next(
        document["rules"] for document in yaml.safe_load_all((
            ROOT / rights.NAMESPACE_RBAC).read_text())
        if document["metadata"]["name"] == rights.NAMESPACE_ROLE)
    return [{**rule, "resources": [resource]} for rule in rules for resource in rule["resources"]]


def checks(kubeconfig: Path, namespace: str, *sources: str) -> list[doctor.Result]:
    parser = flags.Parser()
    reconcile_cli.add_arguments(parser)
    parsed = settings_module.from_args(parser.parse_args(
        [f"--domain-filter={DOMAIN}", f"--namespace={namespace}",
         f"--kubeconfig={kubeconfig}"]))
    configured = dataclasses.replace(
        parsed, source=dataclasses.replace(parsed.source, sources=sources))
    return doctor.kubernetes(configured, lambda: access.connect(configured.kubernetes))


def test_the_base_and_the_component_pass_every_check_of_an_httproute_source(
        service_account, namespace: str) -> None:  # type: ignore[no-untyped-def]
    results = checks(service_account(manifest_rules() + component_rules()), namespace,
                     "gateway-httproute")

    assert [r.status for r in results] == ["ok"] * len(results), [r.line() for r in results]
    names = {r.check for r in results}
    assert f"rbac list httproutes.gateway.networking.k8s.io in namespace {namespace}" in names
    assert "rbac watch gateways.gateway.networking.k8s.io in all namespaces" in names
    assert "rbac list namespaces cluster-wide" in names


@pytest.mark.parametrize(("resource", "verb", "check", "role", "manifest"), [
    ("httproutes", "list", "rbac list httproutes.gateway.networking.k8s.io in namespace {}",
     rights.CLUSTER_ROLE, rights.GATEWAY_COMPONENT),
    ("gateways", "watch", "rbac watch gateways.gateway.networking.k8s.io in all namespaces",
     rights.CLUSTER_ROLE, rights.GATEWAY_COMPONENT),
    ("namespaces", "list", "rbac list namespaces cluster-wide", rights.NAMESPACE_ROLE,
     rights.NAMESPACE_RBAC),
], ids=["cannot-list-httproutes", "cannot-watch-gateways", "cannot-list-namespaces"])
def test_a_missing_gateway_right_is_named_with_the_role_that_grants_it(  # type: ignore[no-untyped-def]
        service_account, namespace: str, resource: str, verb: str, check: str, role: str,
        manifest: str) -> None:
    rules = manifest_rules() + without(component_rules(), resource, verb)

    results = checks(service_account(rules), namespace, "gateway-httproute")

    failing = [r for r in results if r.status == "FAIL"]
    assert [r.check for r in failing] == [check.format(namespace)]
    assert f"denied to system:serviceaccount:{namespace}:dnsgate-reconciler" in failing[0].detail
    assert f'resources: ["{resource}"], verbs: ["{verb}"]}} to the ClusterRole {role} ' \
        in failing[0].remedy
    assert manifest in failing[0].remedy


def test_the_base_alone_fails_a_gateway_source_but_passes_without_one(
        service_account, namespace: str) -> None:  # type: ignore[no-untyped-def]
    kubeconfig = service_account(manifest_rules())

    with_gateway = checks(kubeconfig, namespace, "service", "gateway-tcproute")
    without_gateway = checks(kubeconfig, namespace, "service")

    assert {r.check.split()[2] for r in with_gateway if r.status == "FAIL"} == {
        "tcproutes.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io",
        "namespaces"}
    assert all(r.status == "ok" for r in without_gateway)


def test_dnsgate_doctor_with_an_httproute_source_names_the_missing_right(
        service_account, namespace: str, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    kubeconfig = service_account(manifest_rules() + without(component_rules(), "httproutes",
                                                            "watch"))

    result = doctor_cli(kubeconfig, namespace, "--source=gateway-httproute",
                        "--gateway-namespace=edge")

    assert result.returncode == 1, result.stdout + result.stderr
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1, result.stdout
    assert failing[0].startswith(
        f"FAIL  rbac watch httproutes.gateway.networking.k8s.io in namespace {namespace}: "
        f"denied to system:serviceaccount:{namespace}:dnsgate-reconciler")
    assert 'resources: ["httproutes"], verbs: ["watch"]} to the ClusterRole ' \
           "dnsgate-reconciler" in result.stdout
    found = lines(result.stdout)
    assert found["rbac list gateways.gateway.networking.k8s.io in namespace edge"].startswith("ok")
    assert not any(check.startswith("rbac") and "services" in check for check in found)
