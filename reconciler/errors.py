"""The reconciler's exceptions, in three kinds that decide what the loop does next.

- `ConfigError` (fatal): bad flags or settings, no Kubernetes API configuration, AWS
  credentials missing or refused; no retry helps, so `dnsgate reconcile` exits with its
  one-line message (status 2), at start or at the first Route53 call that meets them, as
  every dnsgate command does (`dnsgate.errors`).
- `TransientError`: Route53 throttling, a 5xx, a dropped connection; the call is retried on
  the shared backoff (`dnsgate.backoff`). When that runs out, a failed listing fails the
  sync (the loop goes on and resyncs sooner) and failed changes wait for their retry as
  refused ones do. The Service watch handles its own errors: `dnsgate.watch.Gone` re-lists.
- `RecordRejected` (permanent for one change group): Route53 refused a change
  (InvalidChangeBatch / InvalidInput); the group is isolated by bisection, reported, and
  retried later with backoff while every other change lands.

botocore errors are wrapped at the Route53 boundary (`throttle.classify`) and chained
(`raise ... from`); kubernetes client errors stay inside the watch, the Lease and the status
reporter, which each retry or log them and never stop the loop.
"""

from __future__ import annotations

from dnsgate import errors


class ReconcileError(Exception):
    """Base of every error the reconciler raises on purpose."""


class ConfigError(ReconcileError, errors.ConfigError):
    """Settings that cannot work; the message is the one line the user sees."""


class TransientError(ReconcileError):
    """Worth retrying as is: the same call may succeed later."""


class RecordRejected(ReconcileError):
    """Route53 refused a change batch because of what is in it."""
