"""Who may have a hostname: the rule behind the webhook's hijack check and the
reconciler's tie-break, so both settle a contested name the same way.

Two Services conflict over a name unless both carry set-identifiers and those differ:
weighted or failover routing across Services is how Route53 shares a name on purpose
(ExternalDNS itself merges or flips between such Services: docs/annotations.md). Among conflicting
Services the earliest created keeps the name (ties broken by `namespace/name`), so the
Service that held it first is never displaced by a newcomer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Claim:
    """A Service's claim on one hostname. Ordered by seniority: the smallest wins."""

    created: str  # metadata.creationTimestamp (RFC 3339 sorts as text)
    service: str  # "namespace/name"
    hostname: str
    set_identifier: str | None = None


def conflicts(a: Claim, b: Claim) -> bool:
    if a.hostname != b.hostname or a.service == b.service:
        return False
    shared_routing = (
        a.set_identifier is not None
        and b.set_identifier is not None
        and a.set_identifier != b.set_identifier
    )
    return not shared_routing


def rivals(claim: Claim, others: Iterable[Claim]) -> list[Claim]:
    """The other claims that `claim` conflicts with, most senior first."""
    return sorted(other for other in others if conflicts(claim, other))


def winners(claims: Iterable[Claim]) -> tuple[list[Claim], list[tuple[Claim, Claim]]]:
    """Split claims into those that keep their name and (loser, winner) pairs."""
    kept: list[Claim] = []
    lost: list[tuple[Claim, Claim]] = []
    for claim in sorted(claims):
        holder = next((k for k in kept if conflicts(claim, k)), None)
        if holder is None:
            kept.append(claim)
        else:
            lost.append((claim, holder))
    return kept, lost
