"""Other owners' names refused at `kubectl apply`: the reconciler (`dnsgate reconcile
--once`) writes the owners index from moto's zone, the webhook (registered in the real
apiserver) reads it. Also: a stale index only warns, a record another owner's TXT names for
this very object is let through with the way to hand it over, and set identifiers are
respected (another owner's (name, blue) leaves (name, green) free)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import metallb
from devstack import webhook as devstack_webhook
from devstack.controlplane import free_port
from devstack.processes import Supervisor
from dnsgate import owners
from tests.admission.conftest import certs_args, dnsgate, wait_until_enforced
from tests.owners.zone import ZONE, owned_a, prefill, rrset, txt_value
from tests.reconcile.conftest import ALPHA, OWNER, wait_for

pytestmark = pytest.mark.e2e

INDEX_NAMESPACE = "dnsgate-owners-test"
INDEX = f"{INDEX_NAMESPACE}/dnsgate-owners"
OTHER = "cluster-b"
DENIED = 'admission webhook "validate.dnsgate.io" denied the request: '


@pytest.fixture(scope="module")
def owners_webhook(stack, tmp_path_factory: pytest.TempPathFactory,  # type: ignore[no-untyped-def]
                   kubectl) -> Iterator[None]:
    """`dnsgate webhook --owners-index` registered through the shipped configurations."""
    kubectl("create", "namespace", INDEX_NAMESPACE, check=False)
    directory = tmp_path_factory.mktemp("owners-webhook")
    dnsgate(*certs_args(directory / "certs"))
    supervisor = Supervisor(directory / "logs")
    port = free_port()
    certs = directory / "certs"
    configurations = devstack_webhook.local_configurations(port)
    try:
        devstack_webhook.start(
            supervisor, port=port, cert_file=certs / "tls.crt", key_file=certs / "tls.key",
            ca_file=certs / "ca.crt", domain_filters=[ZONE], kubeconfig=stack.kubeconfig,
            extra_args=(f"--owners-index={INDEX}", f"--txt-owner-id={OWNER}"))
        devstack_webhook.register(stack.kubeconfig, configurations)
        dnsgate(*certs_args(certs), "--webhook-config", "dnsgate")
        wait_until_enforced(kubectl)
        yield
    finally:
        devstack_webhook.unregister(stack.kubeconfig, configurations)
        supervisor.stop_all()
        kubectl("delete", "namespace", INDEX_NAMESPACE, "--wait=false", check=False)


def write_index(namespace: str) -> None:
    """What a resync of the reconciler does: list the zone, write the index."""
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", "--namespace", namespace,
         "--domain-filter", ZONE, "--txt-owner-id", OWNER, "--owners-index", INDEX],
        capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "owners index" in result.stderr


def apply(kubectl, namespace: str, name: str, notes: dict[str, str]) -> Any:  # type: ignore[no-untyped-def]
    manifest = metallb.service_manifest(namespace, name, notes)
    return kubectl("apply", "-f", "-", input=json.dumps(manifest), check=False)


@pytest.fixture
def foreign_zone(route53, zone_id: str, namespace: str) -> str:  # type: ignore[no-untyped-def]
    """shop (owned by OTHER for service/shop/web), weighted (OTHER's set "blue"),
    mine (OTHER's, for this namespace's Service web)."""
    prefill(route53, zone_id, [
        *owned_a(f"shop.{ZONE}", "192.0.2.10", OTHER, "service/shop/web"),
        *owned_a(f"weighted.{ZONE}", "192.0.2.11", OTHER, "service/shop/blue",
                 set_identifier="blue"),
        *owned_a(f"mine.{ZONE}", "192.0.2.12", OTHER, f"service/{namespace}/web"),
    ])
    write_index(namespace)
    return namespace


@pytest.mark.usefixtures("owners_webhook")
def test_a_name_another_owner_holds_is_refused_naming_owner_and_resource(
        kubectl, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    result = wait_for(lambda: (r := apply(kubectl, foreign_zone, "store", {
        ALPHA + "hostname": f"shop.{ZONE}"})).returncode != 0 and r, timeout=15)

    assert DENIED in result.stderr
    assert (f'{ALPHA}hostname: "shop.{ZONE}" is owned in Route53 by owner id "{OTHER}" '
            "(A record for service/shop/web), and dnsgate never writes over another owner's "
            "record.") in result.stderr
    assert f"`dnsgate reconcile --once --dry-run --migrate-from-txt-owner={OTHER}`" in (
        result.stderr)


@pytest.mark.usefixtures("owners_webhook")
def test_another_owners_set_identifier_leaves_the_others_free(
        kubectl, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    weighted = {ALPHA + "hostname": f"weighted.{ZONE}", ALPHA + "aws-weight": "10"}
    blue = wait_for(lambda: (r := apply(kubectl, foreign_zone, "blue", {
        **weighted, ALPHA + "set-identifier": "blue"})).returncode != 0 and r, timeout=15)
    green = apply(kubectl, foreign_zone, "green", {**weighted, ALPHA + "set-identifier": "green"})

    assert 'set identifier "blue"' in blue.stderr
    assert green.returncode == 0, green.stderr


@pytest.mark.usefixtures("owners_webhook")
def test_the_object_the_foreign_txt_names_is_admitted_with_the_hand_over(
        kubectl, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    wait_for(lambda: apply(kubectl, foreign_zone, "probe", {
        ALPHA + "hostname": f"shop.{ZONE}"}).returncode != 0, timeout=15)

    result = apply(kubectl, foreign_zone, "web", {ALPHA + "hostname": f"mine.{ZONE}"})

    assert result.returncode == 0, result.stderr
    assert (f'Warning: mine.{ZONE}: owner "{OTHER}" holds it in Route53; take it with '
            f"--migrate-from-txt-owner={OTHER}") in result.stderr


@pytest.mark.usefixtures("owners_webhook")
def test_a_name_held_for_this_object_and_for_another_resource_is_refused(
        kubectl, route53, zone_id: str, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    """One row, two TXTs: OTHER's A names this very object, a third owner's AAAA another
    resource. The hand-over could take only the A, so the other resource refuses."""
    prefill(route53, zone_id, [
        *owned_a(f"dual.{ZONE}", "192.0.2.13", OTHER, f"service/{foreign_zone}/dual"),
        rrset(f"dual.{ZONE}", "AAAA", "2001:db8::13"),
        rrset(f"aaaa-dual.{ZONE}", "TXT", txt_value("cluster-c", "service/shop/db"))])
    write_index(foreign_zone)
    wait_for(lambda: apply(kubectl, foreign_zone, "probe", {
        ALPHA + "hostname": f"shop.{ZONE}"}).returncode != 0, timeout=15)

    result = wait_for(lambda: (r := apply(kubectl, foreign_zone, "dual", {
        ALPHA + "hostname": f"dual.{ZONE}"})).returncode != 0 and r, timeout=15)

    assert DENIED in result.stderr
    assert f'"dual.{ZONE}" is owned in Route53 by owner id "cluster-c" (AAAA record for ' \
        "service/shop/db)" in result.stderr


@pytest.mark.usefixtures("owners_webhook")
def test_a_name_whose_txt_names_no_resource_is_refused_without_a_hand_over(
        kubectl, route53, zone_id: str, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    """The hand-over takes only what a TXT names for an object here: advising one for a TXT
    naming no resource would send the user to a command that takes nothing."""
    prefill(route53, zone_id, [
        rrset(f"bare.{ZONE}", "A", "192.0.2.14"),
        rrset(f"a-bare.{ZONE}", "TXT", f'"heritage=external-dns,external-dns/owner={OTHER}"')])
    write_index(foreign_zone)
    wait_for(lambda: apply(kubectl, foreign_zone, "probe", {
        ALPHA + "hostname": f"shop.{ZONE}"}).returncode != 0, timeout=15)

    result = wait_for(lambda: (r := apply(kubectl, foreign_zone, "bare", {
        ALPHA + "hostname": f"bare.{ZONE}"})).returncode != 0 and r, timeout=15)

    assert DENIED in result.stderr
    assert (f'"bare.{ZONE}" is owned in Route53 by owner id "{OTHER}" (A record for no '
            "resource)") in result.stderr
    assert "no hand-over can take it, since its ownership TXT names no resource" in (
        result.stderr)
    assert "--migrate-from-txt-owner" not in result.stderr


@pytest.mark.usefixtures("owners_webhook")
def test_a_stale_index_refuses_nothing_and_says_so(
        kubectl, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    wait_for(lambda: apply(kubectl, foreign_zone, "probe", {
        ALPHA + "hostname": f"shop.{ZONE}"}).returncode != 0, timeout=15)
    kubectl("-n", INDEX_NAMESPACE, "patch", "configmap", "dnsgate-owners", "--type=merge",
            "-p", json.dumps({"data": {"written-at": "2020-01-01T00:00:00+00:00"}}))

    result = wait_for(lambda: (r := apply(kubectl, foreign_zone, "store", {
        ALPHA + "hostname": f"shop.{ZONE}"})).returncode == 0 and r, timeout=15)

    assert (f"Warning: other owners' records not checked: {INDEX} is ") in result.stderr
    assert "s old (valid 1860s)" in result.stderr


@pytest.mark.usefixtures("owners_webhook")
def test_an_index_written_in_a_tenants_namespace_is_never_read(
        kubectl, foreign_zone: str) -> None:  # type: ignore[no-untyped-def]
    """A tenant may write ConfigMaps in its own namespace, a fresh, well-formed index among
    them: the webhook reads only the one --owners-index names."""
    wait_for(lambda: apply(kubectl, foreign_zone, "probe", {
        ALPHA + "hostname": f"shop.{ZONE}"}).returncode != 0, timeout=15)
    forged = owners.encode(owners.Index(OWNER, owners.now(), 1860, (owners.Holding(
        f"free.{ZONE}", "", "A", "evil", "service/x/y"),)))
    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "dnsgate-owners", "namespace": foreign_zone}, "data": forged}))

    result = apply(kubectl, foreign_zone, "free", {ALPHA + "hostname": f"free.{ZONE}"})

    assert result.returncode == 0, result.stderr
    assert "evil" not in result.stderr
