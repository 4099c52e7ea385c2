"""`dnsgate reconcile` as users run it: a subprocess configured by flags and DNSGATE_* env
(or the seed's ExternalDNS args and EXTERNAL_DNS_* env), finding the apiserver and Route53
through KUBECONFIG and AWS_ENDPOINT_URL_ROUTE_53."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack import metallb
from devstack.controlplane import free_port
from tests.reconcile.conftest import ALPHA, OWNER, SEED_ARGS, values, wait_for, zone_records

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


def test_a_sync_never_imports_the_generated_core_v1_api(
        httpbin: str, route53, zone_id: str) -> None:
    """CoreV1Api alone costs 22 MB per process (BENCHMARKS.md, "Memory"); the reconciler
    reaches the API through dnsgate.corev1 instead."""
    # The modules still loaded when the process exits, written by an atexit hook.
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: sys.stdout.write(repr(sorted(sys.modules))))\n"
             "from dnsgate.cli import main\n"
             "sys.exit(main())\n")
    result = subprocess.run(
        [sys.executable, "-c", probe, "reconcile", "--once", "--namespace", httpbin,
         "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER],
        capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    imported = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert "dnsgate.corev1" in imported
    assert "kubernetes.client.api.core_v1_api" not in imported


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


ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"


@pytest.mark.parametrize(("flags", "env", "expected"), [
    ((), {}, [["CREATE", "web.goldentooth.net", "A", "alias", ELB, "300"],
              ["CREATE", "cname-web.goldentooth.net", "TXT"],
              ["CREATE", "web.goldentooth.net", "AAAA", "alias", ELB, "300"],
              ["CREATE", "aaaa-web.goldentooth.net", "TXT"]]),
    (("--aws-prefer-cname",), {}, [["CREATE", "web.goldentooth.net", "CNAME", ELB, "60"],
                                   ["CREATE", "cname-web.goldentooth.net", "TXT"]]),
    ((), {"DNSGATE_AWS_PREFER_CNAME": "true"},
     [["CREATE", "web.goldentooth.net", "CNAME", ELB, "60"],
      ["CREATE", "cname-web.goldentooth.net", "TXT"]]),
], ids=["alias", "prefer-cname-flag", "prefer-cname-env"])
def test_dry_run_shows_load_balancer_aliases(  # type: ignore[no-untyped-def]
        kubeconfig: Path, namespace: str, route53, zone_id: str, flags, env, expected) -> None:
    metallb.create_service(kubeconfig, namespace, "web", {
        ALPHA + "hostname": "web.goldentooth.net", ALPHA + "ttl": "60"})
    metallb.assign(kubeconfig, namespace, "web", [ELB])

    result = reconcile(namespace, "--once", "--dry-run", *flags, env=env)

    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[2:-1]]
    assert [row[:len(want)] for row, want in zip(rows, expected, strict=True)] == expected


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


def seed_credentials(tmp_path: Path) -> dict[str, str]:
    """The environment as the seed's Deployment has it: the credentials file named by
    AWS_SHARED_CREDENTIALS_FILE and nothing else from AWS (no keys, no region: the seed
    passes --aws-region); the Route53 endpoint is the test's."""
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = seed\naws_secret_access_key = seed\n")
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")
            or k == "AWS_ENDPOINT_URL_ROUTE_53"}
    return {**kept, "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "HOME": str(tmp_path),
            "AWS_EC2_METADATA_DISABLED": "true"}


def records_with(route53, zone_id: str, key: tuple[str, str, str]):  # type: ignore[no-untyped-def]
    found = zone_records(route53, zone_id)
    return found if key in found else None


def test_the_seeds_external_dns_args_publish_and_delete_the_seeds_records(
        kubeconfig: Path, kubectl, namespace: str, route53, zone_id: str,
        tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "dnsgate", "reconcile", *SEED_ARGS],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=seed_credentials(tmp_path))
    try:
        metallb.create_service(kubeconfig, namespace, "httpbin", HTTPBIN)
        metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])
        records = wait_for(lambda: records_with(
            route53, zone_id, ("a-httpbin.goldentooth.net", "TXT", "")), timeout=30)
        kubectl("-n", namespace, "delete", "service", "httpbin")
        wait_for(lambda: not zone_records(route53, zone_id), timeout=30)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert records[("httpbin.goldentooth.net", "A", "")]["TTL"] == 60
    assert values(records[("httpbin.goldentooth.net", "A", "")]) == ["10.4.11.1"]
    assert values(records[("a-httpbin.goldentooth.net", "TXT", "")]) == [
        '"heritage=external-dns,external-dns/owner=external-dns-external-dns,'
        f'external-dns/resource=service/{namespace}/httpbin"']
    assert f"Service {namespace}/httpbin synced" in stderr


def test_an_external_dns_deployments_environment_carries_over(
        httpbin: str, route53, zone_id: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile"], capture_output=True, text=True,
        timeout=60, env={**os.environ, "EXTERNAL_DNS_SOURCE": "service",
                         "EXTERNAL_DNS_PROVIDER": "aws", "EXTERNAL_DNS_REGISTRY": "txt",
                         "EXTERNAL_DNS_DOMAIN_FILTER": "goldentooth.net",
                         "EXTERNAL_DNS_TXT_OWNER_ID": OWNER, "EXTERNAL_DNS_NAMESPACE": httpbin,
                         "EXTERNAL_DNS_EVENTS": "1", "EXTERNAL_DNS_ONCE": "true"})

    assert result.returncode == 0, result.stderr
    assert values(zone_records(route53, zone_id)[("a-httpbin.goldentooth.net", "TXT", "")]) == [
        f'"heritage=external-dns,external-dns/owner={OWNER},'
        f'external-dns/resource=service/{httpbin}/httpbin"']


@pytest.mark.parametrize(("environment", "line"), [
    ({"DNSGATE_DOMAIN_FILTERS": "goldentooth.net"},
     "dnsgate reconcile: error: DNSGATE_DOMAIN_FILTERS is not a dnsgate setting; did you mean "
     "DNSGATE_DOMAIN_FILTER (--domain-filter)?"),
    ({"DNSGATE_ONCE": "ture"}, 'dnsgate reconcile: error: DNSGATE_ONCE="ture" is not a boolean'),
])
def test_a_misspelt_setting_stops_the_reconciler_before_it_touches_route53(
        httpbin: str, route53, zone_id: str, environment: dict[str, str], line: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", "reconcile", "--namespace", httpbin,
         "--txt-owner-id", OWNER], capture_output=True, text=True, timeout=60,
        env={**os.environ, **environment})

    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.splitlines()[0]]
    assert result.stderr.startswith(line)
    assert zone_records(route53, zone_id) == {}


def test_label_filter_publishes_only_the_matching_services(
        httpbin: str, kubeconfig: Path, kubectl, route53, zone_id: str) -> None:
    metallb.create_service(kubeconfig, httpbin, "labelled",
                           {ALPHA + "hostname": "labelled.goldentooth.net"})
    metallb.assign(kubeconfig, httpbin, "labelled", ["10.4.11.2"])
    kubectl("-n", httpbin, "label", "service", "labelled", "dns=public")

    result = reconcile(httpbin, "--once", "--txt-owner-id", OWNER, "--label-filter=dns=public")

    assert result.returncode == 0, result.stderr
    names = {name for name, _, _ in zone_records(route53, zone_id)}
    assert names == {"labelled.goldentooth.net", "a-labelled.goldentooth.net"}


def test_metrics_address_serves_health_and_metrics_there(httpbin: str, route53,
                                                         zone_id: str) -> None:
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dnsgate", "reconcile", "--namespace", httpbin,
         "--domain-filter", "goldentooth.net", "--txt-owner-id", OWNER,
         f"--metrics-address=127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def get(path: str) -> tuple[int, str] | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                    return r.status, r.read().decode()
            except OSError:
                return None

        ready = wait_for(lambda: (lambda answer: answer if answer and answer[0] == 200
                                  else None)(get("/readyz")), timeout=30)
        metrics = get("/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)

    assert ready == (200, "ok\n")
    assert metrics is not None and "dnsgate_reconciler_last_sync_timestamp_seconds" in metrics[1]


@pytest.mark.parametrize(("sources", "published"), [
    (("--source=service", "--source=ingress"), {"httpbin", "shop"}),
    (("--source=ingress",), {"shop"}),
    ((), {"httpbin"}),
], ids=["service-and-ingress", "ingress-only", "default-service"])
def test_sources_choose_what_is_published(  # type: ignore[no-untyped-def]
        httpbin: str, kubeconfig: Path, route53, zone_id: str, sources: tuple[str, ...],
        published: set[str]) -> None:
    from devstack import ingresses

    ingresses.apply(kubeconfig, ingresses.manifest(httpbin, "shop",
                                                   hosts=["shop.goldentooth.net"]))
    ingresses.assign(kubeconfig, httpbin, "shop", ["10.4.11.2"])

    result = reconcile(httpbin, "--once", "--txt-owner-id", OWNER, *sources)

    assert result.returncode == 0, result.stderr
    records = zone_records(route53, zone_id)
    assert {name.split(".")[0] for name, kind, _ in records if kind == "A"} == published
    if "shop" in published:
        assert values(records[("a-shop.goldentooth.net", "TXT", "")]) == [
            f'"heritage=external-dns,external-dns/owner={OWNER},'
            f'external-dns/resource=ingress/{httpbin}/shop"']
        assert f"Ingress {httpbin}/shop synced" in result.stderr


def test_an_unreachable_apiserver_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{free_port()}', "
        "insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n")

    result = reconcile("default", "--once", "--kubeconfig", str(kubeconfig))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("dnsgate reconcile: error: cannot reach the Kubernetes API at "
                           "127.0.0.1:"), last
    assert last.endswith("; fix: check KUBECONFIG or --kubeconfig/--server (in a pod: its "
                         "ServiceAccount token), and that kube-apiserver is up")


def test_a_forbidding_apiserver_is_one_line_naming_the_rule(
        kubeconfig: Path, namespace: str, tmp_path: Path) -> None:
    from devstack.serviceaccounts import token_kubeconfig

    powerless = token_kubeconfig(kubeconfig, namespace, "powerless", tmp_path / "powerless")

    result = reconcile(namespace, "--once", "--kubeconfig", str(powerless))

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("dnsgate reconcile: error: the Kubernetes API forbids it (403 "
                           f'Forbidden: services is forbidden: User "system:serviceaccount:'
                           f'{namespace}:powerless" cannot list resource "services"'), last
    assert "fix: grant the rule it names to this ServiceAccount" in last


def test_once_exits_zero_when_a_tenant_pins_a_record_to_no_zone(
        httpbin: str, kubeconfig: Path, route53, zone_id: str) -> None:
    """A pin naming no zone of the name is the Service's own setting, which ExternalDNS
    v0.23.0 skips with a warning: reported on that Service, it must not fail the sync, or one
    tenant's annotation would fail `--once`, /readyz and the last-sync metric for everyone."""
    metallb.create_service(kubeconfig, httpbin, "pinned", {
        ALPHA + "hostname": "pinned.goldentooth.net", ALPHA + "aws-hosted-zone-id": "ZNOPE"})
    metallb.assign(kubeconfig, httpbin, "pinned", ["10.4.11.2"])

    result = reconcile(httpbin, "--once", "--txt-owner-id", OWNER)

    assert result.returncode == 0, result.stderr
    assert f"Service {httpbin}/httpbin synced" in result.stderr
    assert (f"Service {httpbin}/pinned failed: aws-hosted-zone-id ZNOPE is not a hosted zone "
            "dnsgate writes pinned.goldentooth.net to") in result.stderr
    records = zone_records(route53, zone_id)
    assert ("httpbin.goldentooth.net", "A", "") in records
    assert ("pinned.goldentooth.net", "A", "") not in records
