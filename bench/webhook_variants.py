"""The webhook as the admission scenario runs it: the serving variants it compares, the
claims loaded before it starts, and what it holds once they are in.

Each variant is one way of serving the same review (`dnsgate webhook` flags): the default,
every route through Flask (`--review-routes=flask`), and one worker with more threads. All
variants of a run answer the same bodies at the same rates, one after the other, so their
rows compare like with like.

At the sized settings the cluster first holds that many annotated LoadBalancer Services in
one namespace (created before the webhook starts, as in a cluster it joins), and every
worker's `dnsgate_webhook_claims` gauge must show them before any load is offered: the
figures are then for a full index, not an empty one still listing.
"""

from __future__ import annotations

import re
import ssl
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench import controllers
from bench.cluster import Cluster

CLAIMS_NAMESPACE = "admission-claims"
CLAIMS_METRIC = re.compile(r'^dnsgate_webhook_claims\{pid="(\d+)"\} (\S+)$', re.MULTILINE)


@dataclass(frozen=True)
class Variant:
    key: str  # short, in every row it measures
    about: str  # what it is, in the table's notes
    workers: int = 2
    threads: int = 4
    plain_reviews: bool = True

    @property
    def args(self) -> tuple[str, ...]:
        routes = "plain-wsgi" if self.plain_reviews else "flask"
        return ("--workers", str(self.workers), "--threads", str(self.threads),
                "--review-routes", routes)


VARIANTS = {variant.key: variant for variant in (
    Variant("default", "the defaults: 2 workers x 4 threads, plain WSGI review routes"),
    Variant("flask", "2 workers x 4 threads, every route through Flask "
                     "(--review-routes=flask, the path before the plain WSGI routes)",
            plain_reviews=False),
    Variant("1x8", "1 worker x 8 threads, plain WSGI review routes", workers=1, threads=8),
)}


def load_claims(kube: Cluster, count: int) -> tuple[str, int]:
    """`count` Services claiming a name each in CLAIMS_NAMESPACE (svc-0 ...), creating only
    those an earlier setting of the same run has not; returns the namespace and how many
    were created now."""
    from kubernetes.client import ApiException

    if count == 0:
        return CLAIMS_NAMESPACE, 0
    try:
        kube.create_namespace(CLAIMS_NAMESPACE)
    except ApiException as exc:
        if exc.status != 409:  # 409: there from an earlier setting
            raise
    start = len(kube.core.list_namespaced_service(CLAIMS_NAMESPACE).items)
    if start >= count:
        return CLAIMS_NAMESPACE, 0
    # No IPs: a Service claims its names from its annotations and type alone.
    kube.create_many(CLAIMS_NAMESPACE, count - start, with_ips=False, start=start)
    return CLAIMS_NAMESPACE, count - start


def claims_by_worker(port: int, ca: Path) -> dict[int, float]:
    """Every live worker's `dnsgate_webhook_claims`, by pid, from /metrics."""
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/metrics", timeout=10,
                                context=context) as reply:
        text = reply.read().decode()
    return {int(pid): float(value) for pid, value in CLAIMS_METRIC.findall(text)}


def wait_for_claims(port: int, ca: Path, master: int, variant: Variant, claims: int,
                    timeout: float) -> dict[int, float]:
    """Wait until each of the variant's workers (the children of gunicorn's `master`) holds
    at least `claims` claims. The master has a series too, always 0: it imports the metrics
    but never indexes."""
    deadline = time.monotonic() + timeout
    held: dict[int, float] = {}
    while time.monotonic() < deadline:
        workers = controllers._children(master)
        held = {pid: n for pid, n in claims_by_worker(port, ca).items() if pid in workers}
        if len(held) == variant.workers and all(n >= claims for n in held.values()):
            return held
        time.sleep(0.5)
    raise TimeoutError(f"webhook ({variant.key}): workers hold {held} claims after {timeout:.0f}"
                       f" s; expected {variant.workers} workers with at least {claims} each")


def worker_rss(master: int) -> dict[int, int]:
    """RSS in bytes of each gunicorn worker (the master's children)."""
    return {pid: controllers.rss_bytes(pid) for pid in controllers._children(master)}
