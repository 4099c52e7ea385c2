"""Stay within Route53's request rate, and retry what is worth retrying.

Route53 allows 5 requests/second per account and answers beyond that with Throttling; big
zones listed too often hit it (docs/route53.md). A client-side limiter
spaces our calls, and throttling, 5xx and dropped connections are retried on dnsgate's one
backoff (`dnsgate.backoff`). botocore's own retries are switched off so the call count is ours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from dnsgate.backoff import Backoff
from reconciler import metrics
from reconciler.errors import ConfigError, RecordRejected, TransientError

T = TypeVar("T")

TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "PriorRequestNotComplete", "RequestLimitExceeded",
    "ServiceUnavailable", "InternalError", "InternalFailure",
})
REJECTED_CODES = frozenset({"InvalidChangeBatch", "InvalidInput"})

# Six tries, the last 3 to 6 seconds after the first: long enough to ride out a burst of
# throttling, short enough that an outage fails the sync and the loop's backoff takes over.
ATTEMPTS = 6
CALL_BACKOFF = Backoff(base=0.2, cap=10.0)


class RateLimiter:
    """At most `rate` calls per second, spaced evenly (no bursts above the limit)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


def classify(exc: Exception) -> Exception:
    """Wrap a botocore error as ConfigError (credentials refused or missing), RecordRejected
    (the batch's content refused), TransientError (worth retrying), or return it unchanged."""
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ConfigError(f"no usable AWS credentials ({exc}); boto3 reads them from "
                           "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                           "AWS_SHARED_CREDENTIALS_FILE, or the pod's role")

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in REJECTED_CODES:
            # Route53's own words name the record set and the rule; keep just those.
            return RecordRejected(exc.response.get("Error", {}).get("Message") or str(exc))
        if code in TRANSIENT_CODES or status >= 500 or status == 429:
            return TransientError(str(exc))
        if code in ("AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch"):
            return ConfigError(f"Route53 refused our credentials: {exc}")
    if isinstance(exc, ConnectionError | HTTPClientError):
        return TransientError(str(exc))
    return exc


def operation(fn: Callable[[], object]) -> str:
    """The Route53 API name of a (partial of a) boto3 method: ListResourceRecordSets."""
    name = getattr(getattr(fn, "func", fn), "__name__", "unknown")
    return "".join(part.capitalize() for part in name.split("_"))


def outcome(exc: Exception | None, wrapped: Exception | None = None) -> str:
    """The `outcome` label of dnsgate_route53_requests_total for one attempt."""
    if exc is None:
        return "ok"
    if isinstance(wrapped, RecordRejected):
        return "rejected"
    text = str(exc)
    if isinstance(wrapped, TransientError) and "Throttl" in text:
        return "throttled"
    if isinstance(wrapped, TransientError):
        return "server_error"
    return "error"


def call(fn: Callable[[], T], limiter: RateLimiter, backoff: Backoff = CALL_BACKOFF,
         attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep, *,
         counted: bool = True) -> T:
    """`fn()` under the rate limit, tried up to `attempts` times; transient failures retried
    after `backoff`, others raised wrapped. Every attempt is counted in
    dnsgate_route53_requests_total, unless not `counted` (the doctor's probes, whose
    refusals are the point and must not read as sync errors)."""
    name = operation(fn)
    for attempt in range(1, attempts + 1):
        limiter.wait()
        try:
            result = fn()
        except Exception as exc:
            wrapped = classify(exc)
            if counted:
                metrics.ROUTE53_CALLS.labels(name, outcome(exc, wrapped)).inc()
            if wrapped is exc:
                raise
            if isinstance(wrapped, TransientError) and attempt < attempts:
                sleep(backoff.delay(attempt))
                continue
            raise wrapped from exc
        else:
            if counted:
                metrics.ROUTE53_CALLS.labels(name, "ok").inc()
            return result
    raise AssertionError("unreachable: the last attempt returns or raises")
