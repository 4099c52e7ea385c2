"""The webhook and the reconciler read the same objects: with `--label-filter=dns=public` and
`--namespace` in the settings both take (as the settings ConfigMap gives them), a Service the
reconciler never reads holds no name at `kubectl apply`, and the reconciler publishes the name
for the Service the webhook admitted. The real apiserver, the webhook over TLS, `dnsgate
reconcile` and moto's Route53."""

from __future__ import annotations

import pytest

from dnsgate import claims
from reconciler import registry
from tests.conftest import Kubectl
from tests.reconcile.conftest import OWNER, values, zone_records
from tests.scope.conftest import NAMESPACE, PUBLIC, SETTINGS, reconcile_once, service

pytestmark = pytest.mark.e2e

OUTSIDE = "scope-outside"
DENIED = 'admission webhook "validate.dnsgate.io" denied the request: '


@pytest.fixture
def outside(kubectl: Kubectl) -> str:
    """A namespace the deployables do not read."""
    kubectl("create", "namespace", OUTSIDE, check=False)
    yield OUTSIDE
    kubectl("delete", "services", "--all", "-n", OUTSIDE, "--wait=true", check=False)


def apply(kubectl: Kubectl, manifest: str):  # type: ignore[no-untyped-def]
    return kubectl("apply", "-f", "-", input=manifest, check=False)


def test_a_service_the_reconciler_never_reads_does_not_hold_a_name_at_the_door(
        kubectl: Kubectl, scoped: str, outside: str, route53, zone_id: str) -> None:
    name = "www-scope.goldentooth.net"
    # Older claims on the name, each by a Service the reconciler does not read.
    unlabelled = apply(kubectl, service(scoped, "unlabelled", name, None))
    elsewhere = apply(kubectl, service(outside, "elsewhere", name, PUBLIC))

    # The Service it reads asks for the name at kubectl apply.
    public = apply(kubectl, service(scoped, "public", name, PUBLIC))

    assert (unlabelled.returncode, elsewhere.returncode) == (0, 0), (unlabelled, elsewhere)
    assert public.returncode == 0, public.stderr
    # The reconciler, with the same settings, agrees: the name is the admitted Service's.
    kubectl("-n", scoped, "patch", "service", "public", "--subresource=status",
            "--type=merge", "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"10.7.0.1"}]}}}')
    synced = reconcile_once("--domain-filter=goldentooth.net", f"--txt-owner-id={OWNER}",
                            environment=SETTINGS)
    assert synced.returncode == 0, synced.stderr
    records = zone_records(route53, zone_id)
    assert values(records[(name, "A", "")]) == ["10.7.0.1"]
    assert registry.decode(values(records[(f"a-{name}", "TXT", "")])[0]) == {
        "owner": OWNER, "resource": f"service/{NAMESPACE}/public"}
    held = kubectl("-n", scoped, "get", "service", "public", "-o",
                   f"jsonpath={{.status.conditions[?(@.type=='{claims.HELD_CONDITION}')]"
                   ".message}").stdout
    assert held == claims.held_message([(name, "")])


def test_the_services_the_reconciler_reads_are_still_held_to_their_claims(
        kubectl: Kubectl, scoped: str) -> None:
    name = "api-scope.goldentooth.net"
    unlabelled = apply(kubectl, service(scoped, "unlabelled", name, None))
    first = apply(kubectl, service(scoped, "public", name, PUBLIC))

    second = apply(kubectl, service(scoped, "second", name, PUBLIC))
    # The label that would bring the older Service in is a new claim, refused as one.
    labelled = kubectl("-n", scoped, "label", "service", "unlabelled", "dns=public",
                       check=False)

    assert (unlabelled.returncode, first.returncode) == (0, 0), (unlabelled, first)
    taken = (f'{DENIED}external-dns.alpha.kubernetes.io/hostname: "{name}" is already claimed '
             f"by Service {NAMESPACE}/public")
    assert taken in second.stderr
    assert taken in labelled.stderr
