"""Admission: the gunicorn-served webhook under a fixed 500 req/s for 30 s per path
(/validate, /mutate) over TLS with keep-alive, its maximum throughput, and the apiserver's
own view over 1,000 Service creates (`apiserver_admission_webhook_admission_duration_seconds`,
whose smallest bucket is 5 ms).

At the sized settings the cluster holds `admission_claims` Services claiming a name each
before the webhook starts, and load is offered only once every worker's index holds them
(`bench.webhook_variants`); the bodies then include one asking for a claimed name (refused)
beside the admitted ones (`bench.reviews`). Every serving variant of the setting is measured
in turn, a row per variant and body, and each worker's RSS is read with the claims loaded.

There is no ExternalDNS figure to compare with (it has no admission webhook), so the ratio
beside each figure is against the issue's target.
"""

from __future__ import annotations

import datetime as dt
import re
import ssl
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import cluster as cluster_mod
from bench import controllers, loadgen, profile, reviews
from bench import webhook_variants as variants
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
    if scale.admission_claims:
        rig.progress(f"admission: {scale.admission_claims} Services claiming a name each, "
                     "before the webhook starts")
    namespace, created = variants.load_claims(kube, scale.admission_claims)
    sent = reviews.bodies(rig.state_dir, namespace, scale.admission_claims)
    fixed: dict[str, Any] = {}
    maximum: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    view: dict[str, Any] | None = None
    profiled: list[Table] = []
    for variant in (variants.VARIANTS[name] for name in scale.admission_variants):
        port = free_port()
        rig.progress(f"admission ({variant.key}): starting the webhook on 127.0.0.1:{port}")
        child = devwebhook.start(rig.supervisor, port=port, cert_file=cert, key_file=key,
                                 ca_file=ca, domain_filters=[cluster_mod.ZONE],
                                 kubeconfig=rig.stack.kubeconfig, extra_args=variant.args,
                                 name=f"bench-webhook-{variant.key}")
        try:
            held = variants.wait_for_claims(port, ca, child.process.pid, variant,
                                            scale.admission_claims, scale.timeout)
            reviews.check_verdicts(port, ca, sent)
            rss = variants.worker_rss(child.process.pid)
            memory[variant.key] = {"claims": held, "rss": rss,
                           "master": controllers.rss_bytes(child.process.pid)}
            for body in sent:
                url = f"https://127.0.0.1:{port}/{body.path}"
                row = f"{variant.key} {body.label}"
                rig.progress(f"admission: {row} at {scale.admission_rate} req/s for "
                             f"{scale.admission_seconds}s")
                fixed[row] = _load(url, body.file, ca, seconds=scale.admission_seconds,
                                   rate=scale.admission_rate)
                rig.progress(f"admission: {row} maximum throughput, "
                             f"{scale.admission_max_seconds}s")
                maximum[row] = _load(url, body.file, ca, seconds=scale.admission_max_seconds,
                                     rate=None)
            if view is None:  # the first variant only: the default
                rig.progress(f"admission: {scale.admission_creates} Service creates via the "
                             "apiserver")
                view = _apiserver_view(rig, kube, scale, port, ca)
                profiled = _profile(rig, scale, f"https://127.0.0.1:{port}/validate",
                                    sent[0].file, ca, child.process.pid)
        finally:
            child.stop()
            rig.supervisor.children.remove(child)
    assert view is not None, "every scale names at least one variant"
    return [*_tables(scale, fixed, maximum, view), _memory_table(scale, memory, created),
            *profiled]


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
        (row, r["tool"], f"{scale.admission_rate}", f"{r['rate']:.0f}",
         str(r["requests"]), str(r["errors"]), ms(r["p50"]),
         ms(r["p99"]), ratio(r["p99"], TARGET_P99), ms(r["p999"]), ratio(r["p999"], TARGET_P999))
        for row, r in fixed.items())
    about = _variant_notes(scale)
    latency = Table(
        title=f"Admission latency at a fixed {scale.admission_rate} req/s for "
              f"{scale.admission_seconds} s (TLS, keep-alive, {CONNECTIONS} connections"
              f"{_with_claims(scale)})",
        columns=("variant and request", "load generator", "offered/s", "achieved/s", "requests",
                 "errors", "p50", "p99", "vs 1 ms target", "p99.9", "vs 5 ms target"),
        rows=rows, notes=about, raw={"fixed": fixed})
    max_rows = tuple(
        (row, r["tool"], f"{r['rate']:.0f}", ratio(r["rate"], TARGET_RATE),
         str(r["requests"]), str(r["errors"]), ms(r["p50"]), ms(r["p99"]))
        for row, r in maximum.items())
    throughput = Table(
        title=f"Admission maximum throughput ({scale.admission_max_seconds} s per request, "
              f"{CONNECTIONS} connections, no rate limit{_with_claims(scale)})",
        columns=("variant and request", "load generator", "req/s", "vs 3,000 target",
                 "requests", "errors", "p50", "p99"),
        rows=max_rows, notes=about, raw={"max": maximum})
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
        title=f"Admission as kube-apiserver sees it: {len(creates)} Service creates "
              f"(webhook variant {scale.admission_variants[0]}{_with_claims(scale)})",
        columns=("webhook", "calls", "<= 5 ms", "share <= 5 ms", "<= 25 ms",
                 "vs target (all <= 5 ms)"),
        rows=tuple(rows_list),
        notes=(f"client-side create latency (both webhooks, apiserver, etcd): p50 "
               f"{ms(percentile(creates, 0.5))}, p99 {ms(percentile(creates, 0.99))}",),
        raw=view)
    return [latency, throughput, apiserver]


def _with_claims(scale: Scale) -> str:
    return f", {scale.admission_claims:,} claims loaded" if scale.admission_claims else ""


def _variant_notes(scale: Scale) -> tuple[str, ...]:
    return tuple(f"{key}: {variants.VARIANTS[key].about}" for key in scale.admission_variants)


def _memory_table(scale: Scale, memory: dict[str, Any], created: int) -> Table:
    rows = []
    for key, seen in memory.items():
        claims = sorted(seen["claims"].values())
        sizes = sorted(seen["rss"].values())
        rows.append((key, str(len(sizes)), " / ".join(f"{n:,.0f}" for n in claims),
                     " / ".join(f"{b / 2**20:.1f} MB" for b in sizes),
                     f"{seen['master'] / 2**20:.1f} MB"))
    return Table(
        title=f"Webhook RSS per worker with {scale.admission_claims:,} claims loaded",
        columns=("variant", "workers", "claims per worker", "RSS per worker",
                 "gunicorn master RSS"),
        rows=tuple(rows),
        notes=(*_variant_notes(scale),
               f"read from /proc once every worker's dnsgate_webhook_claims showed the "
               f"claims, before any load; {created:,} of the Services were created by this "
               f"setting, the rest by earlier ones; claims per worker counts every Service "
               f"in the cluster with a name in the zone, earlier scenarios' included"),
        raw={"memory": memory, "claims": scale.admission_claims})
