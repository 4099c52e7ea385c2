"""The doctor's Kubernetes checks for the Gateway API sources, as a ServiceAccount against the
real apiserver: the base's rules plus manifests/components/gateway-api's pass every check a
gateway-httproute configuration needs; without one of the component's rules the doctor names
that right and the component that grants it.

The checks run in-process (`doctor.kubernetes`, the part `dnsgate doctor` prints first) with
the sources set on the parsed settings, so they exercise the real SelfSubjectAccessReviews
whatever the command line accepts."""

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
from tests.doctor.conftest import DOMAIN, manifest_rules, without

pytestmark = pytest.mark.e2e

COMPONENT_RULES = Path(__file__).resolve().parents[2] / rights.GATEWAY_COMPONENT / "rbac-rules.yaml"


def component_rules() -> list[dict[str, Any]]:
    """The component's rules, one resource each, so one verb on one resource can be taken."""
    rules = [op["value"] for op in yaml.safe_load(COMPONENT_RULES.read_text())]
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


@pytest.mark.parametrize(("resource", "verb", "check"), [
    ("httproutes", "list", "rbac list httproutes.gateway.networking.k8s.io in namespace {}"),
    ("gateways", "watch", "rbac watch gateways.gateway.networking.k8s.io in all namespaces"),
    ("namespaces", "list", "rbac list namespaces cluster-wide"),
], ids=["cannot-list-httproutes", "cannot-watch-gateways", "cannot-list-namespaces"])
def test_a_missing_gateway_right_is_named_with_the_component_that_grants_it(
        service_account, namespace: str, resource: str, verb: str, check: str  # type: ignore[no-untyped-def]
) -> None:
    rules = manifest_rules() + without(component_rules(), resource, verb)

    results = checks(service_account(rules), namespace, "gateway-httproute")

    failing = [r for r in results if r.status == "FAIL"]
    assert [r.check for r in failing] == [check.format(namespace)]
    assert f"denied to system:serviceaccount:{namespace}:dnsgate-reconciler" in failing[0].detail
    assert f'resources: ["{resource}"], verbs: ["{verb}"]}} to the ClusterRole ' \
           "dnsgate-reconciler" in failing[0].remedy
    assert "manifests/components/gateway-api" in failing[0].remedy


def test_the_base_alone_fails_a_gateway_source_but_passes_without_one(
        service_account, namespace: str) -> None:  # type: ignore[no-untyped-def]
    kubeconfig = service_account(manifest_rules())

    with_gateway = checks(kubeconfig, namespace, "service", "gateway-tcproute")
    without_gateway = checks(kubeconfig, namespace, "service")

    assert {r.check.split()[2] for r in with_gateway if r.status == "FAIL"} == {
        "tcproutes.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io",
        "namespaces"}
    assert all(r.status == "ok" for r in without_gateway)
