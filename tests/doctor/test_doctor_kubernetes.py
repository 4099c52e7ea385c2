"""`dnsgate doctor` as a ServiceAccount against the real apiserver: the RBAC the manifest
grants passes; a ServiceAccount lacking any one right gets that right named, with the rule
to add, and exit 1; an unreachable API, or a token it refuses, is said so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.doctor.conftest import DOMAIN, dnsgate, lines, manifest_rules, without

pytestmark = pytest.mark.e2e


def doctor(kubeconfig: Path, namespace: str, *args: str):  # type: ignore[no-untyped-def]
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return dnsgate("doctor", f"--domain-filter={DOMAIN}", f"--namespace={namespace}", *args,
                   env=env)


def test_the_manifests_rights_pass_every_kubernetes_check(
        service_account, namespace: str, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    result = doctor(service_account(manifest_rules()), namespace)

    assert result.returncode == 0, result.stdout + result.stderr
    found = lines(result.stdout)
    assert f"system:serviceaccount:{namespace}:dnsgate-reconciler" in found["kubernetes API"]
    kubernetes = [line for check, line in found.items() if check.startswith("rbac ")]
    assert len(kubernetes) == 8 and all(line.startswith("ok") for line in kubernetes)


@pytest.mark.parametrize(("resource", "verb"), [
    ("services", "watch"), ("services/status", "patch"), ("events", "create"),
], ids=["cannot-watch-services", "cannot-write-the-condition", "cannot-create-events"])
def test_a_missing_right_is_named_with_the_rule_to_add(
        service_account, namespace: str, zone_id: str, resource: str, verb: str  # type: ignore[no-untyped-def]
) -> None:
    result = doctor(service_account(without(manifest_rules(), resource, verb)), namespace)

    assert result.returncode == 1
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    # events are granted in two API groups; each group's right is its own check
    expected = 2 if resource == "events" else 1
    assert len(failing) == expected, result.stdout
    assert all(f"rbac {verb} {resource}" in line for line in failing)
    assert all(f"in namespace {namespace}: denied to system:serviceaccount:" in line
               for line in failing)
    assert f'resources: ["{resource}"], verbs: ["{verb}"]}} to the ClusterRole ' \
           "dnsgate-reconciler" in failing[0]


def test_leader_election_without_the_lease_role_names_the_role(
        service_account, namespace: str, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    result = doctor(service_account(manifest_rules()), namespace,
                    f"--leader-election-namespace={namespace}")

    assert result.returncode == 1
    failing = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert [line.split(":")[0][6:] for line in failing] == [
        *(f"rbac {verb} leases.coordination.k8s.io in namespace {namespace}"
          for verb in ("get", "create", "update")),
        f"rbac get configmaps in namespace {namespace}"]  # the deletes confirmation
    assert f"the Role dnsgate-reconciler-leader-election in namespace {namespace}" in failing[0]


def test_an_unreachable_api_is_said_so_and_its_checks_skipped(
        tmp_path: Path, namespace: str, zone_id: str) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        '{"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "c", "cluster": '
        '{"server": "https://127.0.0.1:9"}}], "users": [{"name": "u", "user": {}}], '
        '"contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}], '
        '"current-context": "c"}')

    result = doctor(kubeconfig, namespace)

    assert result.returncode == 1
    found = lines(result.stdout)
    assert found["kubernetes API"].startswith("FAIL  kubernetes API: cannot use it")
    assert "127.0.0.1" in found["kubernetes API"]
    assert found["rbac rights"].startswith("skip")
    assert found["aws credentials"].startswith("ok")


def test_a_token_the_apiserver_refuses_is_said_so(
        service_account, tmp_path: Path, namespace: str, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    kubeconfig = service_account(manifest_rules())
    kubeconfig.write_text(kubeconfig.read_text().replace('"token": "', '"token": "x'))

    result = doctor(kubeconfig, namespace)

    assert result.returncode == 1
    found = lines(result.stdout)
    assert found["kubernetes API"].startswith("FAIL  kubernetes API: cannot use it")
    assert "Unauthorized" in found["kubernetes API"]
