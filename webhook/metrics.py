"""The webhook's Prometheus metrics, all under `dnsgate_webhook_`.

gunicorn runs several worker processes; prometheus-client's multiprocess mode (files in
PROMETHEUS_MULTIPROC_DIR, which `dnsgate webhook` wipes at start and gunicorn's child_exit
hook tidies) lets any worker answer /metrics for all of them. Without that variable (unit
tests, the Flask test client) the metrics live in this process only.

The latency buckets start at 100 microseconds: the budget for one review is about a
millisecond, and kube-apiserver's own histogram starts at 5 ms, too coarse to see us.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "dnsgate_webhook_requests_total",
    "Admission requests by endpoint (mutate, validate), operation and verdict "
    "(allowed, patched, denied, bad_request).",
    ["endpoint", "operation", "verdict"],
)
LATENCY = Histogram(
    "dnsgate_webhook_request_duration_seconds",
    "Time from receiving an AdmissionReview to having its answer, by endpoint.",
    ["endpoint"],
    buckets=(0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1, 0.5),
)
DENIALS = Counter(
    "dnsgate_webhook_denials_total",
    "Problems found in denied requests, by rule (hostname-domain, ttl, hostname-claimed, ...).",
    ["rule"],
)
# One series per worker (a `pid` label in multiprocess mode): each worker keeps its own
# index, and a worker still listing has fewer claims than its siblings.
CLAIMS = Gauge(
    "dnsgate_webhook_claims",
    "Hostname claims in this worker's Service index: one per Service and name the "
    "reconciler would publish for it.",
    multiprocess_mode="liveall",
)

# One series, the worst of the live workers: each worker watches the policy itself, and the
# gunicorn master (which never does) counts as 0.
POLICY_INVALID = Gauge(
    "dnsgate_webhook_domain_policy_invalid",
    "With --domain-policy: 1 while the policy ConfigMap is missing or malformed (the last "
    "valid policy stays in force; before one, no name is admitted), else 0.",
    multiprocess_mode="livemax",
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe(endpoint: str, operation: str, verdict: str, rules: tuple[str, ...],
            seconds: float) -> None:
    REQUESTS.labels(endpoint, operation, verdict).inc()
    LATENCY.labels(endpoint).observe(seconds)
    for rule in rules:
        DENIALS.labels(rule).inc()


def bad_request(endpoint: str) -> None:
    if endpoint in ("mutate", "validate"):
        REQUESTS.labels(endpoint, "unknown", "bad_request").inc()


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
