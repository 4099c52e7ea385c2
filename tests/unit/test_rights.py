"""The rights `dnsgate doctor` checks are the rights the manifests grant: both come from
`reconciler.rights.RIGHTS`'s one list, which this test holds equal to
manifests/base/rbac-reconciler.yaml plus the rules manifests/components/gateway-api adds (and
the Namespace reads to the base's namespace-labels ClusterRole), and each configuration needs
the ones it uses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from dnsgate import flags
from reconciler import cli, rights
from reconciler import settings as settings_module

ROOT = Path(__file__).resolve().parents[2]
RBAC = ROOT / "manifests" / "base" / "rbac-reconciler.yaml"
GATEWAY_RULES = ROOT / rights.GATEWAY_COMPONENT / "rbac-rules.yaml"
NAMESPACE_RBAC = ROOT / rights.NAMESPACE_RBAC

Grant = tuple[str, str, str, str]  # group, resource, verb, the Role granting it


def _grants(rules: list[dict], role: str) -> set[Grant]:  # type: ignore[type-arg]
    return {(group, resource, verb, role) for rule in rules for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}


def granted(path: Path = RBAC, name: str = "") -> set[Grant]:
    """Every rule of the Roles in this manifest (of the one called `name`, if given)."""
    found = set()
    for document in yaml.safe_load_all(path.read_text()):
        if document["kind"] in ("ClusterRole", "Role") and (
                name in ("", document["metadata"]["name"])):
            found |= _grants(document["rules"], document["kind"])
    return found


def granted_by_the_gateway_component() -> set[Grant]:
    """The rules the component's JSON patch appends to the ClusterRole."""
    operations = yaml.safe_load(GATEWAY_RULES.read_text())
    assert {(op["op"], op["path"]) for op in operations} == {("add", "/rules/-")}
    return _grants([op["value"] for op in operations], "ClusterRole")


def checked(granted_in: str) -> set[Grant]:
    return {(r.group, r.resource, r.verb, "Role" if r.scope == "lease" else "ClusterRole")
            for r in rights.RIGHTS if r.granted_in == granted_in}


def test_the_manifest_grants_exactly_the_rights_the_doctor_checks() -> None:
    assert checked(rights.BASE) == granted()


def test_the_gateway_component_grants_exactly_the_gateway_rights_the_doctor_checks() -> None:
    assert checked(rights.GATEWAY_COMPONENT) == granted_by_the_gateway_component()
    assert checked(rights.GATEWAY_COMPONENT).isdisjoint(granted())


def test_the_namespace_reads_the_doctor_checks_are_the_namespace_labels_roles() -> None:
    namespace_rights = [r for r in rights.RIGHTS if r.granted_in == rights.NAMESPACE_RBAC]

    assert namespace_rights and {r.role for r in namespace_rights} == {rights.NAMESPACE_ROLE}
    assert checked(rights.NAMESPACE_RBAC) <= granted(NAMESPACE_RBAC, rights.NAMESPACE_ROLE)


def test_the_role_names_in_remedies_are_the_manifests() -> None:
    names = {d["metadata"]["name"] for d in yaml.safe_load_all(RBAC.read_text())
             if d["kind"] in ("ClusterRole", "Role")}
    assert names == {rights.CLUSTER_ROLE, rights.LEASE_ROLE}


def settings(*args: str) -> settings_module.Settings:
    parser = flags.Parser()  # applies defaults and the environment, as the dnsgate command
    cli.add_arguments(parser)
    return settings_module.from_args(parser.parse_args(["--domain-filter=example.org", *args]))


def with_sources(base: settings_module.Settings, *sources: str) -> settings_module.Settings:
    return dataclasses.replace(base, source=dataclasses.replace(base.source, sources=sources))


CONFIRMATION = ("get", "configmaps", "dnsgate")  # --confirm-deletes: the Lease's namespace


@pytest.mark.parametrize(("args", "expected"), [
    ((), {("get", "services", ""), ("list", "services", ""), ("watch", "services", ""),
          ("patch", "services/status", ""), ("create", "events", ""), ("patch", "events", "")}),
    (("--namespace=web",), {("get", "services", "web"), ("list", "services", "web"),
                            ("watch", "services", "web"), ("patch", "services/status", "web"),
                            ("create", "events", "web"), ("patch", "events", "web")}),
    (("--dry-run",), {("get", "services", ""), ("list", "services", ""),
                      ("watch", "services", "")}),
    (("--leader-election-namespace=dnsgate",), {
        ("get", "services", ""), ("list", "services", ""), ("watch", "services", ""),
        ("patch", "services/status", ""), ("create", "events", ""), ("patch", "events", ""),
        ("get", "leases", "dnsgate"), ("create", "leases", "dnsgate"),
        ("update", "leases", "dnsgate"), CONFIRMATION}),
    (("--source=service", "--source=ingress", "--dry-run"), {
        ("get", "services", ""), ("list", "services", ""), ("watch", "services", ""),
        ("get", "ingresses", ""), ("list", "ingresses", ""), ("watch", "ingresses", "")}),
    (("--source=ingress", "--dry-run"), {
        ("get", "ingresses", ""), ("list", "ingresses", ""), ("watch", "ingresses", "")}),
], ids=["defaults", "one-namespace", "dry-run-writes-nothing", "leader-election",
        "services-and-ingresses", "ingresses-only"])
def test_each_configuration_needs_the_rights_it_uses(
        args: tuple[str, ...], expected: set[tuple[str, str, str]]) -> None:
    needed = {(right.verb, right.resource, namespace)
              for right, namespace in rights.needed(settings(*args))}
    assert needed == expected


GATEWAYS = {("get", "gateways", ""), ("list", "gateways", ""), ("watch", "gateways", ""),
            ("list", "namespaces", ""), ("watch", "namespaces", "")}


@pytest.mark.parametrize(("sources", "args", "expected"), [
    (("gateway-httproute",), ("--dry-run",), GATEWAYS | {
        ("get", "httproutes", ""), ("list", "httproutes", ""), ("watch", "httproutes", "")}),
    (("gateway-tcproute", "gateway-udproute"), ("--dry-run", "--namespace=web"), GATEWAYS | {
        ("get", "tcproutes", "web"), ("list", "tcproutes", "web"), ("watch", "tcproutes", "web"),
        ("get", "udproutes", "web"), ("list", "udproutes", "web"),
        ("watch", "udproutes", "web")}),
    (("service", "gateway-grpcroute"), ("--dry-run",), GATEWAYS | {
        ("get", "services", ""), ("list", "services", ""), ("watch", "services", ""),
        ("get", "grpcroutes", ""), ("list", "grpcroutes", ""), ("watch", "grpcroutes", "")}),
    (("gateway-httproute",), ("--dry-run", "--namespace=web", "--gateway-namespace=edge"), {
        ("get", "gateways", "edge"), ("list", "gateways", "edge"), ("watch", "gateways", "edge"),
        ("list", "namespaces", ""), ("watch", "namespaces", ""), ("get", "httproutes", "web"),
        ("list", "httproutes", "web"), ("watch", "httproutes", "web")}),
    (("service", "ingress"), ("--dry-run",), {
        ("get", "services", ""), ("list", "services", ""), ("watch", "services", ""),
        ("get", "ingresses", ""), ("list", "ingresses", ""), ("watch", "ingresses", "")}),
], ids=["httproutes-only", "tcp-and-udp-in-one-namespace", "services-and-grpcroutes",
        "gateways-in-their-own-namespace", "no-gateway-source-reads-no-gateway"])
def test_each_gateway_source_needs_its_routes_the_gateways_and_namespaces(
        sources: tuple[str, ...], args: tuple[str, ...],
        expected: set[tuple[str, str, str]]) -> None:
    """Gateways are read in --gateway-namespace whatever --namespace says (a route attaches to
    Gateways elsewhere), Namespaces cluster-wide."""
    needed = {(right.verb, right.resource, namespace)
              for right, namespace in rights.needed(with_sources(settings(*args), *sources))}
    assert needed == expected


def test_a_missing_gateway_right_names_the_component_that_grants_it() -> None:
    [right] = [r for r in rights.RIGHTS if (r.verb, r.resource) == ("list", "httproutes")]

    remedy = rights.remedy(right, "")

    assert remedy.startswith('add the rule {apiGroups: ["gateway.networking.k8s.io"], '
                             'resources: ["httproutes"], verbs: ["list"]} to the ClusterRole '
                             "dnsgate-reconciler")
    assert "manifests/components/gateway-api" in remedy
