"""The rights `dnsgate doctor` checks are the rights the manifests grant: both come from
`reconciler.rights.RIGHTS`'s one list, which this test holds equal to
manifests/base/rbac-reconciler.yaml, and each configuration needs the ones it uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dnsgate import flags
from reconciler import cli, rights
from reconciler import settings as settings_module

RBAC = Path(__file__).resolve().parents[2] / "manifests" / "base" / "rbac-reconciler.yaml"


def granted() -> set[tuple[str, str, str, str]]:
    """(group, resource, verb, scope) for every rule of the reconciler's Roles."""
    found = set()
    for document in yaml.safe_load_all(RBAC.read_text()):
        if document["kind"] not in ("ClusterRole", "Role"):
            continue
        scope = "watched" if document["kind"] == "ClusterRole" else "lease"
        for rule in document["rules"]:
            found |= {(group, resource, verb, scope) for group in rule["apiGroups"]
                      for resource in rule["resources"] for verb in rule["verbs"]}
    return found


def test_the_manifest_grants_exactly_the_rights_the_doctor_checks() -> None:
    assert {(r.group, r.resource, r.verb, r.scope) for r in rights.RIGHTS} == granted()


def test_the_role_names_in_remedies_are_the_manifests() -> None:
    names = {d["metadata"]["name"] for d in yaml.safe_load_all(RBAC.read_text())
             if d["kind"] in ("ClusterRole", "Role")}
    assert names == {rights.CLUSTER_ROLE, rights.LEASE_ROLE}


def settings(*args: str) -> settings_module.Settings:
    parser = flags.Parser()  # applies defaults and the environment, as the dnsgate command
    cli.add_arguments(parser)
    return settings_module.from_args(parser.parse_args(["--domain-filter=example.org", *args]))


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
