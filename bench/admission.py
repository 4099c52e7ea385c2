"""Admission: the gunicorn-served webhook under a fixed 500 req/s for 30 s per path
(/validate, /mutate) over TLS with keep-alive, its maximum throughput, and the apiserver's
own view over 1,000 Service creates (`apiserver_admission_webhook_admission_duration_seconds`,
whose smallest bucket is 5 ms).

There is no ExternalDNS figure to compare with (it has no admission webhook), so the ratio
beside each figure is against the issue's target.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
import time
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import cluster as cluster_mod
from bench import loadgen, profile
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, ms, percentile, ratio
from certs import pki
from devstack import webhook as devwebhook
from devstack.controlplane import free_port

METRIC = "apiserver_admission_webhook_admission_duration_seconds"
CONNECTIONS = 16
TARGET_P99, TARGET_P999, TARGET_RATE = 0.001, 0.005, 3000.0


def serving_files(directory: Path) -> tuple[Path, Path, Path]:
    """CA, certificate and key for a webhook on https://127.0.0.1."""
    day = dt.timedelta(days=1)
    ca = pki.new_ca("dnsgate-bench-webhook-ca", valid_for=day)
    leaf = pki.issue(ca, "dnsgate-webhook", valid_for=day, ip_addresses=("127.0.0.1",),
                     dns_names=("localhost",))
    directory.mkdir(parents=True, exist_ok=True)
    files = (directory / "ca.pem", directory / "tls.crt", directory / "tls.key")
    for path, data in zip(files, (ca.cert_pem, leaf.cert_pem, leaf.key_pem), strict=True):
        pki.write_atomic(path, data)
    return files


def review_body(namespace: str, name: str) -> bytes:
    """A Service CREATE review as kube-apiserver v1.36 sends it (no ttl: /mutate patches)."""
    service = {
        "kind": "Service", "apiVersion": "v1",
        "metadata": {
            "name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
            "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": name},
            "annotations": {cluster_mod.HOSTNAME: cluster_mod.hostname(namespace, name)},
        },
        "spec": {
            "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": name}, "clusterIP": "10.96.12.34", "clusterIPs": ["10.96.12.34"],
            "type": "LoadBalancer", "sessionAffinity": "None", "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack", "allocateLoadBalancerNodePorts": True,
            "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    }
    group_version = {"group": "", "version": "v1"}
    review = {
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": {**group_version, "kind": "Service"},
            "resource": {**group_version, "resource": "services"},
            "requestKind": {**group_version, "kind": "Service"},
            "requestResource": {**group_version, "resource": "services"},
            "name": name, "namespace": namespace, "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin",
                         "groups": ["system:masters", "system:authenticated"]},
            "object": service, "oldObject": None, "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1",
                        "fieldManager": "kubectl-client-side-apply"},
        },
    }
    return json.dumps(review).encode()


def _load(url: str, body_file: Path, ca: Path, *, seconds: int, rate: int | None) -> dict[str, Any]:
    binary = loadgen.oha_binary()
    if binary is not None:
        result = loadgen.oha(binary, url, body_file, seconds=seconds, rate=rate,
                             connections=CONNECTIONS)
    else:  # CI smoke: no oha; a "max" run offers 4x the fixed rate
        result = loadgen.python_fixed_rate(url, body_file.read_bytes(), seconds=seconds,
                                           rate=rate or 4 * 50, ca_file=ca)
        samples = result.latencies
        result = loadgen.LoadResult(
            tool=result.tool, requests=result.requests, errors=result.errors,
            seconds=result.seconds, p50=percentile(samples, 0.5),
            p99=percentile(samples, 0.99), p999=percentile(samples, 0.999))
    return {"tool": result.tool, "requests": result.requests, "errors": result.errors,
            "seconds": result.seconds, "rate": result.rate, "p50": result.p50,
            "p99": result.p99, "p999": result.p999}


def apiserver_metrics(rig: Rig) -> str:
    plane = rig.stack.control_plane
    assert plane is not None and plane.files is not None
    context = ssl.create_default_context(cafile=str(plane.files.ca))
    context.load_cert_chain(str(plane.files.admin_cert), str(plane.files.admin_key))
    with urllib.request.urlopen(f"{plane.url}/metrics", timeout=30, context=context) as reply:
        return str(reply.read().decode())


def webhook_histogram(text: str) -> dict[str, dict[str, float]]:
    """webhook name -> {"le=<bound>": cumulative count, "count": n} for CREATE calls."""
    found: dict[str, dict[str, float]] = {}
    pattern = re.compile(rf"^{METRIC}_(bucket|count)\{{(.*)\}} (\S+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
        if labels.get("operation") != "CREATE":
            continue
        entry = found.setdefault(labels["name"], {})
        key = "count" if match.group(1) == "count" else f"le={labels['le']}"
        entry[key] = entry.get(key, 0.0) + float(match.group(3))
    return found


def _apiserver_view(rig: Rig, kube: Cluster, scale: Scale, port: int, ca: Path) -> dict[str, Any]:
    configurations = devwebhook.local_configurations(port, ca.read_bytes())
    devwebhook.register(rig.stack.kubeconfig, configurations)
    namespace = f"admission-{scale.name}"
    kube.create_namespace(namespace)
    time.sleep(2.0)  # the apiserver picks up new webhook configurations asynchronously
    before = webhook_histogram(apiserver_metrics(rig))
    durations = []
    try:
        for index in range(scale.admission_creates):
            name = f"adm-{index}"
            started = time.perf_counter()
            kube.create(namespace, name,
                        {cluster_mod.HOSTNAME: cluster_mod.hostname(namespace, name)})
            durations.append(time.perf_counter() - started)
    finally:
        devwebhook.unregister(rig.stack.kubeconfig, configurations)
    after = webhook_histogram(apiserver_metrics(rig))
    delta = {name: {k: v - before.get(name, {}).get(k, 0.0) for k, v in buckets.items()}
             for name, buckets in after.items()}
    return {"histogram": delta, "create_seconds": durations}


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    ca, cert, key = serving_files(rig.state_dir / "webhook-tls")
    port = free_port()
    rig.progress(f"admission: starting the webhook on 127.0.0.1:{port}")
    child = devwebhook.start(rig.supervisor, port=port, cert_file=cert, key_file=key, ca_file=ca,
                             domain_filters=[cluster_mod.ZONE], kubeconfig=rig.stack.kubeconfig,
                             name="bench-webhook")
    body_file = rig.state_dir / "review.json"
    body_file.write_bytes(review_body("bench-admission", "httpbin"))
    fixed, maximum = {}, {}
    try:
        for path in ("validate", "mutate"):
            url = f"https://127.0.0.1:{port}/{path}"
            rig.progress(f"admission: /{path} at {scale.admission_rate} req/s for "
                         f"{scale.admission_seconds}s")
            fixed[path] = _load(url, body_file, ca, seconds=scale.admission_seconds,
                                rate=scale.admission_rate)
            rig.progress(f"admission: /{path} maximum throughput, {scale.admission_max_seconds}s")
            maximum[path] = _load(url, body_file, ca, seconds=scale.admission_max_seconds,
                                  rate=None)
        rig.progress(f"admission: {scale.admission_creates} Service creates via the apiserver")
        view = _apiserver_view(rig, kube, scale, port, ca)
        profiled = _profile(rig, scale, f"https://127.0.0.1:{port}/validate", body_file, ca,
                            child.process.pid)
    finally:
        child.stop()
        rig.supervisor.children.remove(child)
    return _tables(scale, fixed, maximum, view) + profiled


def _profile(rig: Rig, scale: Scale, url: str, body_file: Path, ca: Path, pid: int
             ) -> list[Table]:
    """An extra, unmeasured fixed-rate run of /validate with py-spy on every worker."""
    out = rig.state_dir / "profile-webhook.txt"
    seconds = max(2, scale.admission_seconds // 3)
    sampler = profile.start(pid, out, seconds=seconds + 1, subprocesses=True)
    if sampler is None:
        return []
    _load(url, body_file, ca, seconds=seconds, rate=scale.admission_rate)
    sampler.wait(timeout=60)
    if not out.is_file():
        return []
    return [profile.summarize(out, title=f"Profile: webhook workers serving /validate at "
                                         f"{scale.admission_rate} req/s")]


def _tables(scale: Scale, fixed: dict[str, Any], maximum: dict[str, Any],
            view: dict[str, Any]) -> list[Table]:
    rows = tuple(
        (f"/{path}", r["tool"], f"{scale.admission_rate}", f"{r['rate']:.0f}",
         str(r["requests"]), str(r["errors"]), ms(r["p50"]),
         ms(r["p99"]), ratio(r["p99"], TARGET_P99), ms(r["p999"]), ratio(r["p999"], TARGET_P999))
        for path, r in fixed.items())
    latency = Table(
        title=f"Admission latency at a fixed {scale.admission_rate} req/s for "
              f"{scale.admission_seconds} s (TLS, keep-alive, {CONNECTIONS} connections)",
        columns=("path", "load generator", "offered/s", "achieved/s", "requests", "errors",
                 "p50", "p99", "vs 1 ms target", "p99.9", "vs 5 ms target"),
        rows=rows, raw={"fixed": fixed})
    max_rows = tuple(
        (f"/{path}", r["tool"], f"{r['rate']:.0f}", ratio(r["rate"], TARGET_RATE),
         str(r["requests"]), str(r["errors"]), ms(r["p50"]), ms(r["p99"]))
        for path, r in maximum.items())
    throughput = Table(
        title=f"Admission maximum throughput ({scale.admission_max_seconds} s per path, "
              f"{CONNECTIONS} connections, no rate limit)",
        columns=("path", "load generator", "req/s", "vs 3,000 target", "requests", "errors",
                 "p50", "p99"),
        rows=max_rows, raw={"max": maximum})
    rows_list = []
    for name, buckets in sorted(view["histogram"].items()):
        count = buckets.get("count", 0.0)
        fast = buckets.get("le=0.005", 0.0)
        rows_list.append((name, f"{count:.0f}", f"{fast:.0f}",
                          f"{100 * fast / count:.1f} %" if count else "n/a",
                          f"{buckets.get('le=0.025', 0.0):.0f}",
                          ratio(fast, count)))
    creates = view["create_seconds"]
    apiserver = Table(
        title=f"Admission as kube-apiserver sees it: {len(creates)} Service creates",
        columns=("webhook", "calls", "<= 5 ms", "share <= 5 ms", "<= 25 ms",
                 "vs target (all <= 5 ms)"),
        rows=tuple(rows_list),
        notes=(f"client-side create latency (both webhooks, apiserver, etcd): p50 "
               f"{ms(percentile(creates, 0.5))}, p99 {ms(percentile(creates, 0.99))}",),
        raw=view)
    return [latency, throughput, apiserver]
