"""The reconciler's Prometheus metrics, all under `dnsgate_`.

Names mirror what ExternalDNS users already graph (docs/metrics.md) where the meaning
is the same: last successful sync time, records managed by type, errors by kind; and add
what ExternalDNS never exposed: Route53 calls by operation and outcome (the 5 requests/second
budget is what big zones run out of), changes applied by action, leader status, and changes
waiting to be applied.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

SYNC_DURATION = Histogram(
    "dnsgate_reconciler_sync_duration_seconds",
    "Time to plan and apply one sync (incremental or full resync).",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
LAST_SYNC = Gauge(
    "dnsgate_reconciler_last_sync_timestamp_seconds",
    "Unix time of the last sync that applied every change it planned.",
    registry=REGISTRY,
)
RECORDS = Gauge(
    "dnsgate_reconciler_records",
    "Records dnsgate owns in Route53, by type (ownership TXTs included as TXT).",
    ["record_type"],
    registry=REGISTRY,
)
ROUTE53_CALLS = Counter(
    "dnsgate_route53_requests_total",
    "Route53 API calls by operation and outcome (ok, throttled, server_error, rejected, error).",
    ["operation", "outcome"],
    registry=REGISTRY,
)
CHANGES = Counter(
    "dnsgate_reconciler_changes_total",
    "Record changes applied to Route53, by action (CREATE, UPSERT, DELETE).",
    ["action"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "dnsgate_reconciler_errors_total",
    "Errors by kind (source, route53, rejected_change, report).",
    ["kind"],
    registry=REGISTRY,
)
LEADER = Gauge(
    "dnsgate_reconciler_leader",
    "1 while this replica holds the leader Lease and may write to Route53, else 0.",
    registry=REGISTRY,
)
PENDING = Gauge(
    "dnsgate_reconciler_pending_changes",
    "Changes planned but not yet applied (waiting for retry, backoff or leadership).",
    registry=REGISTRY,
)
