"""The reconciler's Prometheus metrics: its own under `dnsgate_`, and ExternalDNS's names.

Names mirror what ExternalDNS users already graph (docs/metrics.md) where the meaning
is the same: last successful sync time, records managed by type, errors by kind; and add
what ExternalDNS never exposed: Route53 calls by operation and outcome (the 5 requests/second
budget is what big zones run out of), changes applied by action, leader status, and changes
waiting to be applied. ExternalDNS's own names are exported too, moved at the same moments
as its controller moves them, so its users' dashboards and alerts keep working.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

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
    "Record changes applied to Route53, by action (CREATE, DELETE; an update is one of each).",
    ["action"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "dnsgate_reconciler_errors_total",
    "Errors by kind (source, route53, rejected_change, report).",
    ["kind"],
    registry=REGISTRY,
)
POLICY_INVALID = Gauge(
    "dnsgate_reconciler_domain_policy_invalid",
    "With --domain-policy: 1 while the policy ConfigMap is missing or malformed (the last "
    "valid policy stays in force; before one, nothing is synced), else 0.",
    registry=REGISTRY,
)
POLICY_REFUSED = Gauge(
    "dnsgate_reconciler_domain_policy_refused",
    "Services and Ingresses publishing nothing because a name they ask for is outside the "
    "domains their namespace may use (each also has a Warning Event and condition).",
    registry=REGISTRY,
)
LEADER = Gauge(
    "dnsgate_reconciler_leader",
    "1 while this replica holds the leader Lease and may write to Route53, else 0.",
    registry=REGISTRY,
)
DELETES_HELD = Gauge(
    "dnsgate_reconciler_deletes_held",
    "Deletes of owned record sets held back (docs/deletes.md): reason=\"threshold\", past "
    "--max-deletes; reason=\"unseen\", no reason seen. A confirmation releases them.",
    ["reason"],
    registry=REGISTRY,
)
PENDING = Gauge(
    "dnsgate_reconciler_pending_changes",
    "Changes planned but not yet applied (waiting for retry, backoff or leadership).",
    registry=REGISTRY,
)

# ---- ExternalDNS's names, with ExternalDNS's meaning (docs/metrics.md) -------------------
# Its controller moves them once per sync: the timestamp when a sync read the registry and
# the source and applied every change; the registry counter when reading the zones or
# applying the changes failed; the source counter when reading the Services failed.

EXTERNAL_DNS_LAST_SYNC = Gauge(
    "external_dns_controller_last_sync_timestamp_seconds",
    "Timestamp of last successful sync with the DNS provider (as ExternalDNS).",
    registry=REGISTRY,
)
EXTERNAL_DNS_REGISTRY_ERRORS = Counter(
    "external_dns_registry_errors_total",
    "Syncs that failed to read the zones or to apply a change (as ExternalDNS).",
    registry=REGISTRY,
)
EXTERNAL_DNS_SOURCE_ERRORS = Counter(
    "external_dns_source_errors_total",
    "Failed reads of the Services: a list or watch the apiserver refused or broke off "
    "(as ExternalDNS's source errors).",
    registry=REGISTRY,
)
_BY_TYPE = {
    "registry": Gauge("external_dns_registry_records",
                      "Records of managed types in the managed zones, by type (as ExternalDNS "
                      "v0.18+).", ["record_type"], registry=REGISTRY),
    "source": Gauge("external_dns_source_records",
                    "Records the Services ask for, by type (as ExternalDNS v0.18+).",
                    ["record_type"], registry=REGISTRY),
    "verified": Gauge("external_dns_controller_verified_records",
                      "Records the Services ask for that exist in the zones, by type (as "
                      "ExternalDNS v0.18+).", ["record_type"], registry=REGISTRY),
}
# ExternalDNS v0.14 to v0.17 (the seed runs v0.14.2) exported A and AAAA counts as names.
_BY_NAME = {
    (kind, record_type): Gauge(f"external_dns_{prefix}_{record_type.lower()}_records",
                               f"{kind.capitalize()} {record_type} records (as ExternalDNS "
                               "v0.14 to v0.17).", registry=REGISTRY)
    for kind, prefix in (("registry", "registry"), ("source", "source"),
                         ("verified", "controller_verified"))
    for record_type in ("A", "AAAA")
}


def external_dns_sync(*, refused: bool) -> None:
    """One sync finished: Route53 refused a change (or failed), or everything landed."""
    if refused:
        EXTERNAL_DNS_REGISTRY_ERRORS.inc()
    else:
        EXTERNAL_DNS_LAST_SYNC.set_to_current_time()


def external_dns_records(current: Iterable[tuple[str, str]],
                         desired: Iterable[tuple[str, str]]) -> None:
    """After a full sync: (name, type) of every record in the managed zones, and of every
    record the Services ask for. Verified: asked for and present, as ExternalDNS counts."""
    present = set(current)
    wanted = list(desired)
    counts = {"registry": collections.Counter(t for _, t in present),
              "source": collections.Counter(t for _, t in wanted),
              "verified": collections.Counter(t for n, t in wanted if (n, t) in present)}
    for kind, by_type in counts.items():
        _BY_TYPE[kind].clear()
        for record_type, count in by_type.items():
            _BY_TYPE[kind].labels(record_type).set(count)
        for record_type in ("A", "AAAA"):
            _BY_NAME[(kind, record_type)].set(by_type.get(record_type, 0))
