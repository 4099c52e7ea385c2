"""The claim rules in the reconciler, through the real stack, for Services the webhook never
sees: kube-system is outside the webhook's namespaceSelector, so only the reconciler stands
between a Service there and a name another Service holds.

The reconciler here watches every namespace, as an installed one does, and writes the
Services' conditions, so the held-names condition the webhook reads is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import kubectl as kubectl_cli
from devstack import metallb
from dnsgate import claims
from reconciler import registry
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

SKIPPED = "kube-system"  # a namespace the shipped WebhookConfigurations leave out


@pytest.fixture
def skipped_service(kubeconfig: Path, namespace: str) -> Iterator[str]:
    """A LoadBalancer Service in kube-system, named after the test, deleted afterwards."""
    name = f"old-{namespace}"[:63].rstrip("-")
    metallb.create_service(kubeconfig, SKIPPED, name, None)
    metallb.assign(kubeconfig, SKIPPED, name, ["10.9.9.9"])
    yield name
    kubectl_cli.run(kubeconfig, "-n", SKIPPED, "delete", "service", name, "--wait=true",
                    check=False)


def service_json(kubeconfig: Path, namespace: str, name: str) -> dict[str, Any]:
    found = kubectl_cli.run(kubeconfig, "-n", namespace, "get", "service", name, "-o", "json")
    return dict(json.loads(found.stdout))


def condition(service: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((c for c in (service.get("status") or {}).get("conditions") or ()
                 if c["type"] == kind), None)


def test_an_older_service_the_webhook_never_sees_cannot_take_a_live_name(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        skipped_service: str) -> None:
    name = f"www-{namespace}"[:63].rstrip("-") + ".goldentooth.net"
    metallb.create_service(kubeconfig, namespace, "live", {ALPHA + "hostname": name})
    metallb.assign(kubeconfig, namespace, "live", ["10.4.11.1"])
    running = reconciler(all_namespaces=True, report_status=True)
    wait_for(lambda: (name, "A", "") in zone_records(route53, zone_id), timeout=20)
    held = wait_for(lambda: condition(service_json(kubeconfig, namespace, "live"),
                                      claims.HELD_CONDITION), timeout=20)

    # The older Service in kube-system now asks for the live name: no webhook checks it.
    kubectl_cli.run(kubeconfig, "-n", SKIPPED, "annotate", "service", skipped_service,
                    f"{ALPHA}hostname={name}")
    outcome = wait_for(lambda: running.outcome(f"service/{SKIPPED}/{skipped_service}"), timeout=20)

    records = zone_records(route53, zone_id)
    txt = registry.decode(values(records[(f"a-{name}", "TXT", "")])[0])
    assert (held["status"], held["message"]) == ("True", claims.held_message([(name, "")]))
    assert (outcome.status, outcome.message) == (
        "conflict", f"{name} is held by Service {namespace}/live: its ownership record names it")
    assert values(records[(name, "A", "")]) == ["10.4.11.1"]
    assert txt == {"owner": OWNER, "resource": f"service/{namespace}/live"}
    ready = condition(service_json(kubeconfig, SKIPPED, skipped_service), "dnsgate.io/DNSReady")
    assert ready is not None and ready["reason"] == "DNSOwnershipConflict"


@pytest.mark.parametrize(("annotations", "message"), [
    ({ALPHA + "ttl": "9" * 20_000},
     f'{ALPHA}ttl: "{"9" * 256}..." is 20000 characters long; this annotation takes at '
     "most 32"),
    ({ALPHA + "hostname": "x" * 62 + ".goldentooth.net"},  # an A record: a- + 62 = 64
     f'{ALPHA}hostname: "{"x" * 62}.goldentooth.net" needs the ownership TXT record '
     f'"a-{"x" * 62}.goldentooth.net", whose label "a-xxxxxxxxxxxxxxxxxx..." is 64 '
     "characters long; a label has at most 63; shorten the hostname"),
], ids=["ttl-of-20000-digits", "txt-label-too-long"])
def test_a_service_the_webhook_never_sees_is_held_to_the_same_annotation_rules(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        skipped_service: str, annotations: dict[str, str], message: str) -> None:
    notes = {ALPHA + "hostname": f"big-{namespace}"[:63].rstrip("-") + ".goldentooth.net",
             **annotations}
    patch = {"metadata": {"annotations": notes}}
    kubectl_cli.run(kubeconfig, "-n", SKIPPED, "patch", "service", skipped_service,
                    "--type=merge", "-p", json.dumps(patch))
    running = reconciler(all_namespaces=True)

    outcome = wait_for(lambda: running.outcome(f"service/{SKIPPED}/{skipped_service}"), timeout=20)

    assert (outcome.status, outcome.message) == ("invalid", message)
    assert zone_records(route53, zone_id) == {}


WEIGHTED = {ALPHA + "aws-weight": "10"}


def ready_reason(kubeconfig: Path, namespace: str, name: str) -> str | None:
    found = condition(service_json(kubeconfig, namespace, name), "dnsgate.io/DNSReady")
    return found["reason"] if found else None


@pytest.mark.parametrize("moved", [
    {ALPHA + "set-identifier": "blue", **WEIGHTED},
    {ALPHA + "set-identifier": None, ALPHA + "aws-weight": None},
], ids=["moves-to-the-held-set-identifier", "drops-its-set-identifier"])
def test_an_older_service_moving_its_set_identifier_never_takes_a_held_record(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, reconciler,
        skipped_service: str, moved: dict[str, str | None]) -> None:
    """Team B's older Service (in kube-system: no webhook checks it) holds `www` with
    set-identifier green; team A's newer one holds `www`/blue, weight 100. Team B's edit onto
    team A's record set leaves team A's record and its TXT as they are."""
    name = f"www-{namespace}"[:63].rstrip("-") + ".goldentooth.net"
    green = {ALPHA + "hostname": name, ALPHA + "set-identifier": "green", **WEIGHTED}
    kubectl_cli.run(kubeconfig, "-n", SKIPPED, "patch", "service", skipped_service,
                    "--type=merge", "-p", json.dumps({"metadata": {"annotations": green}}))
    metallb.create_service(kubeconfig, namespace, "web", {
        ALPHA + "hostname": name, ALPHA + "set-identifier": "blue",
        ALPHA + "aws-weight": "100"})
    metallb.assign(kubeconfig, namespace, "web", ["10.4.11.1"])
    reconciler(all_namespaces=True, report_status=True)
    blue, txt = (name, "A", "blue"), (f"a-{name}", "TXT", "blue")
    wait_for(lambda: {blue, (name, "A", "green")} <= zone_records(route53, zone_id).keys(),
             timeout=20)
    before = zone_records(route53, zone_id)

    kubectl_cli.run(kubeconfig, "-n", SKIPPED, "patch", "service", skipped_service,
                    "--type=merge", "-p", json.dumps({"metadata": {"annotations": moved}}))

    def decided() -> bool:  # team B's edit is synced: either team B lost, or a record moved
        now = zone_records(route53, zone_id)
        return (name, "A", "green") not in now and (
            now.get(blue) != before[blue] or now.get(txt) != before[txt]
            or ready_reason(kubeconfig, SKIPPED, skipped_service) == "DNSOwnershipConflict")

    wait_for(decided, timeout=20)

    after = zone_records(route53, zone_id)
    assert after.get(blue) == before[blue] and after.get(txt) == before[txt]
    assert registry.decode(values(after[txt])[0]) == {
        "owner": OWNER, "resource": f"service/{namespace}/web"}
    assert ready_reason(kubeconfig, SKIPPED, skipped_service) == "DNSOwnershipConflict"
    assert ready_reason(kubeconfig, namespace, "web") == "DNSSynced"
