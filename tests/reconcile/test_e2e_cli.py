"""`dnsgate reconcile` as users run it: a subprocess configured by flags and DNSGATE_* env,
finding the apiserver and Route53 through KUBECONFIG and AWS_ENDPOINT_URL_ROUTE_53."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack import metallb
from tests.reconcile.conftest import ALPHA, OWNER, values, wait_for, zone_records

pytestmark = pytest.mark.e2e

HTTPBIN = {ALPHA + "hostname": "httpbin.goldentooth.net", ALPHA + "ttl": "60"}


def reconcile(namespace: str, *flags: str, env: dict[str, str] | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--namespace", namespace,
         "--domain-filter", "goldentooth.net", *flags],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def httpbin(kubeconfig: Path, namespace: str) -> str:
    metallb.create_service(kubeconfig, namespace, "httpbin", HTTPBIN)
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
    return namespace


def test_once_syncs_and_exits_zero(httpbin: str, route53, zone_id: str) -> None:
    result = reconcile(httpbin, "--once", env={"DNSGATE_TXT_OWNER_ID": OWNER})

    assert result.returncode == 0, result.stderr
    records = zone_records(route53, zone_id)
    assert values(records[("httpbin.goldentooth.net", "A", "")]) == ["10.4.11.1"]
    assert values(records[("a-httpbin.goldentooth.net", "TXT", "")]) == [
        f'"heritage=external-dns,external-dns/owner={OWNER},'
        f'external-dns/resource=service/{httpbin}/httpbin"']
    assert f"Service {httpbin}/httpbin synced" in result.stderr


def test_dry_run_prints_plan_table_and_changes_nothing(
        httpbin: str, route53, zone_id: str) -> None:
    result = reconcile(httpbin, "--once", "--dry-run", "--txt-owner-id", OWNER)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["ACTION", "NAME", "TYPE", "TARGETS", "TTL", "OWNER/RESOURCE"]
    assert lines[2].split() == ["CREATE", "httpbin.goldentooth.net", "A", "10.4.11.1", "60",
                                OWNER, f"service/{httpbin}/httpbin"]
    assert lines[3].split()[:5] == ["CREATE", "a-httpbin.goldentooth.net", "TXT",
                                    f'"heritage=external-dns,external-dns/owner={OWNER},'
                                    f'external-dns/resource=service/{httpbin}/httpbin"', "300"]
    assert "2 change(s) planned; dry run, nothing sent." in result.stdout
    assert zone_records(route53, zone_id) == {}


def test_once_exits_nonzero_when_a_change_is_refused(
        httpbin: str, route53, zone_id: str, strict_route53) -> None:
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": "a-httpbin.goldentooth.net.", "Type": "TXT", "TTL": 300,
            "ResourceRecords": [{"Value": '"not-ownership"'}]}}]})

    result = reconcile(httpbin, "--once", "--txt-owner-id", OWNER, env=strict_route53.env())

    assert result.returncode == 1, result.stderr
    # Route53's own message, as the reconciler reports it (brackets included).
    assert f"Service {httpbin}/httpbin failed: [Tried to create resource record set " \
           "[name='a-httpbin.goldentooth.net.', type='TXT'] but it already exists]" in result.stderr
    assert ("httpbin.goldentooth.net", "A", "") not in zone_records(route53, zone_id)


def test_sigterm_stops_cleanly(httpbin: str, route53, zone_id: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dnsgate", "reconcile", "--namespace", httpbin,
         "--txt-owner-id", OWNER, "--domain-filter", "goldentooth.net"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: ("a-httpbin.goldentooth.net", "TXT", "") in zone_records(
            route53, zone_id), timeout=30)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0, stderr
    assert time.monotonic() - started < 5
    assert "stopped" in stderr


def test_credentials_come_from_boto3_chain_shared_file(
        httpbin: str, route53, zone_id: str, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = from-file\n"
                           "aws_secret_access_key = from-file\n")
    isolated = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "",
                "AWS_SECRET_ACCESS_KEY": ""}

    without = reconcile(httpbin, "--once", "--txt-owner-id", OWNER,
                        env={**isolated, "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no")})
    with_file = reconcile(httpbin, "--once", "--txt-owner-id", OWNER,
                          env={**isolated, "AWS_SHARED_CREDENTIALS_FILE": str(credentials)})

    assert without.returncode == 2
    assert without.stderr.strip().splitlines()[-1].startswith(
        "dnsgate reconcile: error: no usable AWS credentials")
    assert with_file.returncode == 0, with_file.stderr
    assert ("httpbin.goldentooth.net", "A", "") in zone_records(route53, zone_id)
