"""The real parts themselves: a kube-apiserver that stores Services, serves their status
subresource and enforces RBAC; a Route53 endpoint that boto3 reaches from the environment;
and `python -m devstack`, which brings both up for a person and takes them down without orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack import kubectl as kubectl_cli
from devstack import metallb

pytestmark = pytest.mark.e2e


def test_loadbalancer_ip_set_through_status_subresource_reads_back(
    kubeconfig: Path, kubectl, namespace: str
) -> None:
    metallb.create_service(kubeconfig, namespace, "httpbin",
                           {"external-dns.alpha.kubernetes.io/hostname": "httpbin.goldentooth.net"})
    metallb.assign(kubeconfig, namespace, "httpbin", ["10.4.11.1"])

    service = json.loads(kubectl("-n", namespace, "get", "service", "httpbin", "-o", "json").stdout)

    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["clusterIP"].startswith("10.96.")
    ingress = service["status"]["loadBalancer"]["ingress"]
    assert [entry["ip"] for entry in ingress] == ["10.4.11.1"]
    assert ingress[0]["ipMode"] == "VIP"  # defaulted by the apiserver, as in a real cluster


def test_a_record_round_trips_through_boto3(route53, zone_id: str) -> None:
    record = {"Name": "httpbin.goldentooth.net.", "Type": "A", "TTL": 60,
              "ResourceRecords": [{"Value": "10.4.11.1"}]}
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]},
    )

    listed = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]

    assert record in listed
    assert os.environ["AWS_ENDPOINT_URL_ROUTE_53"].startswith("http://127.0.0.1:")


def test_route53_refuses_a_duplicate_create(route53, zone_id: str) -> None:
    change = {"Action": "CREATE", "ResourceRecordSet": {
        "Name": "dup.goldentooth.net.", "Type": "A", "TTL": 60,
        "ResourceRecords": [{"Value": "10.4.11.2"}]}}
    route53.change_resource_record_sets(HostedZoneId=zone_id,
                                        ChangeBatch={"Changes": [change]})

    with pytest.raises(route53.exceptions.InvalidChangeBatch):
        route53.change_resource_record_sets(HostedZoneId=zone_id,
                                            ChangeBatch={"Changes": [change]})


def test_service_account_without_roles_is_refused(
    kubeconfig: Path, kubectl, namespace: str, tmp_path: Path
) -> None:
    kubectl("-n", namespace, "create", "serviceaccount", "nobody")
    token = kubectl("-n", namespace, "create", "token", "nobody").stdout.strip()
    config = json.loads(kubeconfig.read_text())
    config["users"][0]["user"] = {"token": token}
    as_nobody = tmp_path / "nobody.kubeconfig"
    as_nobody.write_text(json.dumps(config))

    denied = kubectl_cli.run(as_nobody, "-n", namespace, "get", "services", check=False)
    allowed = kubectl("-n", namespace, "get", "services")

    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()
    assert f"system:serviceaccount:{namespace}:nobody" in denied.stderr
    assert allowed.returncode == 0


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_devstack_writes_env_and_leaves_no_process(
    tmp_path: Path, stack, stop_signal: signal.Signals
) -> None:
    state = tmp_path / "dev"
    dev = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--state-dir", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (state / "env").exists():
            assert dev.poll() is None, dev.stdout.read() if dev.stdout else ""
            assert time.monotonic() < deadline, "python -m devstack did not write its env file"
            time.sleep(0.2)
        env_lines = (state / "env").read_text().splitlines()
        env = dict(line.split("=", 1) for line in env_lines)
        assert set(env) == {"KUBECONFIG", "AWS_ENDPOINT_URL_ROUTE_53", "AWS_ACCESS_KEY_ID",
                            "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
        sourced = subprocess.run(
            ["bash", "-c", f"set -a; . {state / 'env'}; set +a; "
             f"kubectl get --raw /readyz && echo && {sys.executable} -c "
             "'import boto3; print([z[\"Name\"] for z in "
             "boto3.client(\"route53\").list_hosted_zones()[\"HostedZones\"]])'"],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        )
        assert sourced.returncode == 0, sourced.stderr
        assert sourced.stdout.splitlines() == ["ok", "['goldentooth.net.']"]
        started = _children(dev.pid)
        assert len(started) == 3  # etcd, kube-apiserver, moto server
    finally:
        dev.send_signal(stop_signal)
        output, _ = dev.communicate(timeout=60)

    assert dev.returncode == 0, output
    assert "stopped; no process left running" in output
    assert not [pid for pid in started if Path(f"/proc/{pid}").exists()]
