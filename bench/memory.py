"""Memory: resident set size of the reconciler, the webhook (gunicorn master and workers
together) and each ExternalDNS release, with N Services synced and indexed.

RSS is read from /proc after every record has landed (steady RSS) along with the peak
(VmHWM). Controllers run side by side, each against its own Route53.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import ExitStack

from bench import cluster as cluster_mod
from bench import controllers, records
from bench.admission import serving_files
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig, lane
from bench.scale import Scale
from bench.table import Table, ratio
from devstack import webhook as devwebhook
from devstack.controlplane import free_port

MB = 1_000_000
BASELINE = "dnsgate reconciler, 0 Services (interpreter + libraries)"


def target(services: int) -> int:
    """The reconciler's RSS target: 150 MB up to 5,000 Services, 400 MB at 20,000."""
    return 150 * MB if services <= 5000 else 400 * MB


def _peak(pid: int, tree: bool) -> int:
    total = controllers._status_kb(pid, "VmHWM") * 1024
    if tree:
        total += sum(_peak(child, True) for child in controllers._children(pid))
    return total


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: Sequence[Controller]) -> list[Table]:
    namespace = f"memory-{scale.name}"
    kube.create_namespace(namespace)
    rig.progress(f"memory: creating {scale.memory_services} Services")
    names = kube.create_many(namespace, scale.memory_services)
    wanted = {cluster_mod.hostname(namespace, n): cluster_mod.address(i)
              for i, n in enumerate(names)}
    measured: dict[str, dict[str, float]] = {}
    with ExitStack() as stack:
        started = []
        for index, controller in enumerate(contenders):
            own = stack.enter_context(lane(rig))
            child = controllers.start(controller, rig, namespace=namespace,
                                      label=f"memory-{index}", proxy=own.proxy)
            stack.callback(controllers.stop, rig, child)
            started.append((controller.name, child, own))
        # The same reconciler watching an empty namespace: what the interpreter and its
        # libraries cost before any Service, so the per-Service share can be read off.
        empty = f"memory-empty-{scale.name}"
        kube.create_namespace(empty)
        baseline_lane = stack.enter_context(lane(rig))
        baseline = controllers.start(controllers.DNSGATE, rig, namespace=empty,
                                     label="memory-baseline", proxy=baseline_lane.proxy)
        stack.callback(controllers.stop, rig, baseline)
        ca, cert, key = serving_files(rig.state_dir / "webhook-tls-memory")
        webhook = devwebhook.start(
            rig.supervisor, port=free_port(), cert_file=cert, key_file=key, ca_file=ca,
            domain_filters=[cluster_mod.ZONE], kubeconfig=rig.stack.kubeconfig,
            name="memory-webhook")
        stack.callback(controllers.stop, rig, webhook)
        for name, _, own in started:
            left = records.wait_all(own.zone_client(), own.zone_id, wanted,
                                    timeout=scale.timeout * 2)
            measured[name] = {"missing": len(left)}
        time.sleep(5.0)
        for name, child, _ in started:
            pid = child.process.pid
            measured[name].update(rss=controllers.rss_bytes(pid), peak=_peak(pid, False))
        pid = baseline.process.pid
        measured[BASELINE] = {"missing": 0, "rss": controllers.rss_bytes(pid),
                              "peak": _peak(pid, False)}
        pid = webhook.process.pid
        measured["dnsgate webhook (gunicorn, all processes)"] = {
            "missing": 0, "rss": controllers.rss_bytes(pid, tree=True),
            "peak": _peak(pid, True)}
        workers = controllers._children(pid)  # each holds its own index of every claim
        if workers:
            measured["dnsgate webhook, largest worker"] = {
                "missing": 0, "rss": max(controllers.rss_bytes(w) for w in workers),
                "peak": max(_peak(w, False) for w in workers)}
        indexed = kube.count_services()
    rig.progress(f"memory: deleting its {scale.memory_services} Services")
    kube.delete_all(namespace)
    ours = measured[controllers.DNSGATE.name]
    per_service = (ours["rss"] - measured[BASELINE]["rss"]) / scale.memory_services
    rows = []
    for name, m in measured.items():
        rows.append((
            name, str(int(m["missing"])), f"{m['rss'] / MB:.1f} MB",
            ratio(m["rss"], ours["rss"]), f"{m['peak'] / MB:.1f} MB",
            ratio(m["rss"], target(scale.memory_services))
            if name == controllers.DNSGATE.name else "",
        ))
    return [Table(
        title=f"Memory with {scale.memory_services} Services (records synced)",
        columns=("process", "records missing", "RSS", "vs dnsgate reconciler", "peak RSS",
                 f"vs {target(scale.memory_services) // MB} MB target"),
        rows=tuple(rows),
        notes=("webhook: RSS summed over the gunicorn master and its workers (shared pages "
               "are counted in each process)",
               f"dnsgate reconciler minus its 0-Service baseline: {per_service / 1000:.1f} kB "
               "per Service (Service object, desired and cached record sets)",
               f"the webhook indexes every namespace: {indexed} Services in the cluster then, "
               "those of earlier scenarios included"),
        raw={"measured": measured, "services": scale.memory_services, "indexed": indexed},
    )]
