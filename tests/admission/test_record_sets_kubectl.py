"""Claims on record sets at `kubectl apply`: the webhook registered in the real apiserver, a
real reconciler publishing to moto and reporting on each Service the record sets it holds.

Team B's Service, the older, holds `www` with set-identifier green; team A's newer Service
holds `www`/blue, weight 100. Team B may not move its claim onto team A's record set, by
taking its set identifier or by dropping its own: holding one record set of a name gives no
right to another."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import metallb
from reconciler import registry
from tests.admission.conftest import HOSTNAME
from tests.admission.test_kubectl import VALIDATE, _index_has_seen, manifest
from tests.reconcile.conftest import OWNER, values, wait_for, zone_records
from tests.reconcile.conftest import reconciler as reconciler  # the fixture: a real Controller

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registered")]

A = "external-dns.alpha.kubernetes.io/"
SET_ID, WEIGHT = A + "set-identifier", A + "aws-weight"
HELD = "dnsgate.io/DNSNamesHeld"


@pytest.fixture
def team_a(kubectl, namespace: str) -> Iterator[str]:
    name = f"{namespace[:54]}-team-a"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "services", "--all", "-n", name, "--wait=true", check=False)


def held(kubectl, namespace: str) -> str | None:  # type: ignore[no-untyped-def]
    found = kubectl("-n", namespace, "get", "service", "web", "-o",
                    f"jsonpath={{.status.conditions[?(@.type==\"{HELD}\")].message}}")
    return found.stdout or None


@pytest.mark.parametrize("moved", [
    {SET_ID: "blue", WEIGHT: "10"},
    {},
], ids=["takes-the-held-set-identifier", "drops-its-set-identifier"])
def test_kubectl_refuses_moving_a_claim_onto_a_record_set_another_service_holds(  # type: ignore[no-untyped-def]
        kubectl, kubeconfig: Path, namespace: str, team_a: str, route53, zone_id: str,
        reconciler, moved: dict[str, str]) -> None:
    name = f"www-{namespace}"[:57].rstrip("-") + ".goldentooth.net"
    kubectl("apply", "-f", "-", input=manifest(
        namespace, {HOSTNAME: name, SET_ID: "green", WEIGHT: "10"}, name="web"))
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.2"])
    kubectl("apply", "-f", "-", input=manifest(
        team_a, {HOSTNAME: name, SET_ID: "blue", WEIGHT: "100"}, name="web"))
    metallb.assign(kubeconfig, team_a, "web", ["10.4.11.1"])
    reconciler(all_namespaces=True, report_status=True)
    blue, txt = (name, "A", "blue"), (f"a-{name}", "TXT", "blue")
    wait_for(lambda: held(kubectl, namespace) and held(kubectl, team_a), timeout=20)
    _index_has_seen(kubectl, namespace)  # the webhook has seen both conditions
    before = zone_records(route53, zone_id)

    edit = kubectl("apply", "-f", "-", check=False, input=manifest(
        namespace, {HOSTNAME: name, A + "ttl": "60", **moved}, name="web"))

    assert edit.returncode != 0
    assert (f'{VALIDATE}{HOSTNAME}: "{name}" is already claimed by Service {team_a}/web '
            '(with set-identifier "blue")') in edit.stderr
    assert (held(kubectl, namespace), held(kubectl, team_a)) == (
        f'[["{name}","green"]]', f'[["{name}","blue"]]')
    after = zone_records(route53, zone_id)
    assert after[blue] == before[blue] and values(after[blue]) == ["10.4.11.1"]
    assert registry.decode(values(after[txt])[0]) == {
        "owner": OWNER, "resource": f"service/{team_a}/web"}
