"""Names other owner ids hold in Route53, checked at the door: the part of the review that
reads the owners index (`dnsgate.owners`, docs/owners.md).

For each record set (name, set identifier) an object newly asks for:

| index         | another owner id holds the row?        | verdict                         |
|---------------|----------------------------------------|---------------------------------|
| off           | -                                      | nothing                         |
| not trusted   | -                                      | warned: not checked, and why    |
| trusted       | no (complete index)                    | nothing                         |
| trusted       | no, but the index was cut at its bound | warned: not fully checked       |
| trusted       | yes, every TXT names this very object  | warned: how to hand it over     |
| trusted       | yes, one for another resource          | refused: owner id, resource,    |
|               |                                        | how to take it over             |

A record another owner's TXT names for this same object (`service/ns/name`) is the one case a
deliberate hand-over can take (`reconciler.handover`), and the hand-over needs the object to
exist here: refusing it would make the hand-over impossible. But a row is held through one
TXT per record type, and those may name different resources (an A for this object, an AAAA
for another): the hand-over would take only the first, so any other resource refuses. Either
way the reconciler leaves the record alone until then. A row the object already asked for
before this request is only warned about, as for a name another Service claims
(`webhook.review`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from dnsgate import objectkey, owners
from dnsgate.claims import Claim, Row
from dnsgate.values import Problem, Raw

FOREIGN = "hostname-foreign-owner"
HANDOVER = "dnsgate reconcile --once --dry-run --migrate-from-txt-owner="


def check(new_claims: Collection[Claim], old_rows: Collection[Row],
          where: Callable[[str], Raw],
          state: owners.Index | owners.Unusable | None) -> tuple[list[Problem], list[str]]:
    """Problems and warnings for the claims an object makes, against the owners index."""
    if state is None or not new_claims:
        return [], []
    if isinstance(state, owners.Unusable):
        return [], [f"other owners' records not checked: {state.reason}"]
    problems: list[Problem] = []
    warnings: list[str] = []
    for claim in new_claims:
        held = state.at(claim.hostname, claim.set_identifier or "")
        if not held:
            if not state.complete:
                warnings.append(f"{claim.hostname}: other owners' records only partly "
                                "checked (the index is cut at its size bound)")
            continue
        # A row may be held through several TXTs (one per record type), for several
        # resources: one naming this object does not free the others (module doc).
        elsewhere = [h for h in held if h.resource != claim.service]
        if elsewhere and claim.row not in old_rows:
            problems.append(Problem(where(claim.hostname).key, claim.hostname,
                                    _refusal(elsewhere[0]), FOREIGN))
            continue
        for owner in dict.fromkeys(h.owner for h in held):
            # Warnings are cut at 120 characters: the flag is what a person needs.
            warnings.append(f'{claim.hostname}: owner "{owner}" holds it in Route53; '
                            f"take it with --migrate-from-txt-owner={owner}")
    return problems, warnings


def _refusal(holding: owners.Holding) -> str:
    row = holding.record_type + (f' record (set identifier "{holding.set_identifier}")'
                                 if holding.set_identifier else " record")
    resource = holding.resource or "no resource"
    told = (f'is owned in Route53 by owner id "{holding.owner}" ({row} for {resource}), '
            "and dnsgate never writes over another owner's record. Choose another hostname, "
            f'or have owner "{holding.owner}" release it')
    if objectkey.parse(holding.resource) is None:
        # The hand-over takes a record only for the Service or Ingress its TXT names
        # (reconciler.handover): one naming no resource, or another source's ("crd/...",
        # "node/..."), no object here can ever be.
        return told + (f"; no hand-over can take it, since its ownership TXT names "
                       f"{'no resource' if not holding.resource else 'no Service or Ingress'}")
    return told + ("; a deliberate hand-over takes a record only for the object its ownership "
                   f"TXT names ({resource}): create that object here and run "
                   f"`{HANDOVER}{holding.owner}`, then the same without --dry-run")
