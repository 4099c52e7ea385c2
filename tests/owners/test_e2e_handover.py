"""The deliberate hand-over, as a user runs it: `dnsgate reconcile --once
--migrate-from-txt-owner=OLD`, first with --dry-run, against the real apiserver and moto.

It takes exactly the records whose TXT names OLD and whose resource is an object here asking
for them: OLD's records for objects absent here stay (ExternalDNS v0.23.0 deletes them,
its issue 5993), a third owner's stay, and a record whose owner alone changes gets its TXT
rewritten (ExternalDNS v0.23.0 on Route53 leaves it, its issue 6671)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack import metallb
from tests.owners.zone import ZONE, owned_a, prefill, txt_value
from tests.reconcile.conftest import ALPHA, OWNER, values, zone_records

pytestmark = pytest.mark.e2e

OLD = "cluster-old"
THIRD = "cluster-c"


def reconcile(namespace: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--once", "--namespace", namespace,
         "--domain-filter", ZONE, "--txt-owner-id", OWNER, *flags],
        capture_output=True, text=True, timeout=120, env=dict(os.environ))


@pytest.fixture
def handed(kubeconfig: Path, namespace: str, route53, zone_id: str) -> str:  # type: ignore[no-untyped-def]
    """Services web, api and third here; a zone where OLD holds web (same record), api (old
    address) and gone (an object absent here), and THIRD holds third."""
    for name, ip in (("web", "10.4.21.1"), ("api", "10.4.21.2"), ("third", "10.4.21.3")):
        metallb.create_service(kubeconfig, namespace, name, {
            ALPHA + "hostname": f"{name}.{ZONE}", ALPHA + "ttl": "300"})
        metallb.assign(kubeconfig, namespace, name, [ip])
    prefill(route53, zone_id, [
        *owned_a(f"web.{ZONE}", "10.4.21.1", OLD, f"service/{namespace}/web"),
        *owned_a(f"api.{ZONE}", "10.4.21.9", OLD, f"service/{namespace}/api"),
        *owned_a(f"gone.{ZONE}", "10.4.21.4", OLD, "service/elsewhere/gone"),
        *owned_a(f"third.{ZONE}", "10.4.21.5", THIRD, f"service/{namespace}/third"),
    ])
    return namespace


def test_dry_run_shows_the_hand_over_table_and_changes_nothing(
        handed: str, route53, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    before = zone_records(route53, zone_id)

    result = reconcile(handed, "--dry-run", "--migrate-from-txt-owner", OLD)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("HAND-OVER"))
    assert lines[start].split() == ["HAND-OVER", "NAME", "TYPE", "RESOURCE", "WHY"]
    rows = [line.split(None, 4) for line in lines[start + 1:start + 4]]
    assert rows == [
        ["TAKE", f"api.{ZONE}", "A", f"service/{handed}/api",
         f"service/{handed}/api asks for it here; the sync then updates it"],
        ["LEAVE", f"gone.{ZONE}", "A", "service/elsewhere/gone",
         "service/elsewhere/gone is not in this cluster"],
        ["TAKE", f"web.{ZONE}", "A", f"service/{handed}/web",
         f"service/{handed}/web asks for it here"],
    ]
    assert lines[start + 4] == (f'2 of 3 record set(s) owned by "{OLD}" to be owned by '
                                f'"{OWNER}"; dry run, nothing sent.')
    assert zone_records(route53, zone_id) == before


def test_hand_over_takes_exactly_this_clusters_records(
        handed: str, route53, zone_id: str) -> None:  # type: ignore[no-untyped-def]
    before = zone_records(route53, zone_id)

    result = reconcile(handed, "--migrate-from-txt-owner", OLD)

    assert result.returncode == 0, result.stdout + result.stderr
    after = zone_records(route53, zone_id)
    # Taken with nothing else changing: the record as it was, the TXT naming us.
    assert after[(f"web.{ZONE}", "A", "")] == before[(f"web.{ZONE}", "A", "")]
    assert values(after[(f"a-web.{ZONE}", "TXT", "")]) == [
        txt_value(OWNER, f"service/{handed}/web")]
    # Taken, then brought to what the Service asks for by the sync that follows.
    assert values(after[(f"api.{ZONE}", "A", "")]) == ["10.4.21.2"]
    assert values(after[(f"a-api.{ZONE}", "TXT", "")]) == [
        txt_value(OWNER, f"service/{handed}/api")]
    # OLD's record for an object absent here, and a third owner's: untouched.
    for name in ("gone", "third"):
        for key in ((f"{name}.{ZONE}", "A", ""), (f"a-{name}.{ZONE}", "TXT", "")):
            assert after[key] == before[key], key
    assert set(after) == set(before)


def test_without_once_the_hand_over_is_refused_at_start(namespace: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--namespace", namespace,
         "--domain-filter", ZONE, "--txt-owner-id", OWNER, "--migrate-from-txt-owner", OLD],
        capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "--migrate-from-txt-owner \"cluster-old\" takes records over once" in result.stderr
