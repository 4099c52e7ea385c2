"""One pass of keeping the webhook's certificate in place: load, decide, store, inject.

`dnsgate certs` runs one pass and exits; `dnsgate certs --keep` (the `dnsgate-certs`
Deployment) runs one at start and then one every minute (renewal, and repair of a caBundle
that something overwrote). The webhook itself runs none: it only reads the serving Secret
the kubelet mounts into its pods (docs/security.md).

Several processes may run a pass at the same moment (during a rolling update the old and
the new keeper pod overlap; someone runs `dnsgate certs` by hand). The only write that must
not be lost is the first CA: if two processes each created one, each would inject a
different caBundle. Creating a Secret is atomic in the apiserver (the second create is
refused with 409 AlreadyExists), so a pass whose create is refused starts over from what the
winner stored. Two concurrent renewals of the serving certificate need no such care: both
are signed by the same CA, so whichever is served is trusted, and the next pass copies the
stored one everywhere.

A configuration that does not exist yet is no failure of the pass: under Argo CD sync waves
the configurations are applied only once the webhook and this keeper are ready, which the
keeper must be without them (docs/install.md, "Sync waves"). The pass names it in
`Report.missing`, and the caller decides: the keeper's loop looks again soon, a one-shot
`dnsgate certs` fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from certs import inject, pki, rotation
from certs.stores import Store, StoreConflict

# A pass that lost a race re-reads and tries again; a third loss in a row means something
# other than a sibling replica is rewriting the Secrets, which is worth an error.
ATTEMPTS = 3

Configuration = tuple[inject.Kind, str]


@dataclass(frozen=True)
class Report:
    """What one pass found and did, as lines for a person to read."""

    lines: tuple[str, ...]
    wrote: bool
    # The configurations the CA bundle could not go into because they do not exist yet,
    # as "MutatingWebhookConfiguration dnsgate".
    missing: tuple[str, ...] = ()


def ensure(
    stores: Sequence[Store],
    wanted: rotation.Wanted,
    *,
    configurations: Sequence[Configuration] = (),
    admission_api: Any = None,
    at: dt.datetime | None = None,
) -> Report:
    """Make every store hold a valid bundle and every configuration trust its CA."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _pass(stores, wanted, configurations, admission_api, at or pki.now())
        except StoreConflict:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _pass(
    stores: Sequence[Store],
    wanted: rotation.Wanted,
    configurations: Sequence[Configuration],
    admission_api: Any,
    at: dt.datetime,
) -> Report:
    lines: list[str] = []
    loaded = [(store, store.load()) for store in stores]
    # The first store that has a CA is the source of truth (the Secret when both are given).
    source = next((stored for _, stored in loaded if stored.ca is not None), rotation.Stored())
    outcome = rotation.ensure(source, wanted, at)
    serving = outcome.bundle.serving.cert
    if outcome.reason is None:
        lines.append(f"serving certificate {serving.subject.rfc4514_string()} is valid until "
                     f"{serving.not_valid_after_utc:%Y-%m-%d %H:%M}Z "
                     f"({pki.remaining_fraction(serving, at):.0%} of its lifetime left)")
    else:
        lines.append(f"issued a serving certificate valid until "
                     f"{serving.not_valid_after_utc:%Y-%m-%d %H:%M}Z: {outcome.reason}")
    wrote = False
    for store, stored in loaded:
        if stored != rotation.Stored(outcome.bundle.ca, outcome.bundle.serving):
            store.save(outcome.bundle)
            lines.append(f"wrote {store.describe()}")
            wrote = True
    missing: list[str] = []
    for kind, name in configurations:
        try:
            patched = inject.inject(admission_api, kind, name, outcome.bundle.ca.cert_pem)
        except inject.MissingConfiguration:
            missing.append(f"{kind.capitalize()}WebhookConfiguration {name}")
            lines.append(f"{missing[-1]} does not exist (yet): no CA bundle injected into it")
            continue
        if patched:
            lines.append(f"injected the CA bundle into {patched} webhook(s) of "
                         f"{kind.capitalize()}WebhookConfiguration {name}")
            wrote = True
    if not wrote and not missing:
        lines.append("nothing to do: certificates valid and CA bundle in place; nothing written")
    return Report(tuple(lines), wrote, tuple(missing))

