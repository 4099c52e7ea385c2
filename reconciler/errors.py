"""The reconciler's exceptions, in three kinds that decide what the loop does next.

- `ConfigError` (fatal): bad flags or settings; `dnsgate reconcile` exits at start with
  its one-line message.
- `TransientError`: throttling, 5xx, a dropped connection, a watch that must re-list;
  retried with exponential backoff + jitter, and the loop goes on.
- `RecordRejected` (permanent for one change group): Route53 refused a change
  (InvalidChangeBatch / InvalidInput); the group is isolated by bisection, reported, and
  retried later with backoff while every other change lands.

botocore and kubernetes errors are wrapped at the boundary and chained (`raise ... from`).
"""

from __future__ import annotations


class ReconcileError(Exception):
    """Base of every error the reconciler raises on purpose."""


class ConfigError(ReconcileError):
    """Settings that cannot work; the message is the one line the user sees."""


class TransientError(ReconcileError):
    """Worth retrying as is: the same call may succeed later."""


class RecordRejected(ReconcileError):
    """Route53 refused a change batch because of what is in it."""
