"""The review's decision table for names other owner ids hold (`webhook.foreign`), through
the pure `review.validate` with the index given by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dnsgate import owners
from tests.admission.conftest import HOSTNAME, SETTINGS, FakeLookup, admission_review
from webhook import foreign, review

NOW = datetime.now(UTC)
SHOP = owners.Holding("shop.goldentooth.net", "", "A", "cluster-b", "service/shop/web")
MINE = owners.Holding("mine.goldentooth.net", "", "A", "cluster-b", "service/apps/httpbin")
DUAL_A = owners.Holding("dual.goldentooth.net", "", "A", "cluster-b", "service/apps/httpbin")
DUAL_AAAA = owners.Holding("dual.goldentooth.net", "", "AAAA", "cluster-c", "service/other/db")
BARE = owners.Holding("bare.goldentooth.net", "", "A", "cluster-b", "")
CRD = owners.Holding("crd.goldentooth.net", "", "A", "cluster-b", "crd/shop/web")
INDEX = owners.Index("default", NOW, 1860, (SHOP, MINE, DUAL_A, DUAL_AAAA, BARE, CRD))


class Fixed:
    def __init__(self, state: owners.Index | owners.Unusable | None) -> None:
        self._state = state

    def state(self) -> owners.Index | owners.Unusable | None:
        return self._state


def verdict(hostname: str, state: Any, *, old: str | None = None) -> review.Verdict:
    body = admission_review({HOSTNAME: hostname}, operation="UPDATE" if old else "CREATE",
                            old_annotations={HOSTNAME: old} if old else None)
    return review.validate(body["request"], SETTINGS, FakeLookup(), owners=Fixed(state))


@pytest.mark.parametrize(("hostname", "state", "old", "allowed", "says"), [
    ("shop.goldentooth.net", INDEX, None, False, 'owned in Route53 by owner id "cluster-b"'),
    ("shop.goldentooth.net", INDEX, "shop.goldentooth.net", True,
     '"cluster-b" holds it in Route53'),
    ("mine.goldentooth.net", INDEX, None, True, "--migrate-from-txt-owner=cluster-b"),
    ("dual.goldentooth.net", INDEX, None, False,
     'owner id "cluster-c" (AAAA record for service/other/db)'),
    ("bare.goldentooth.net", INDEX, None, False,
     "(A record for no resource), and dnsgate never writes over another owner's record. "
     'Choose another hostname, or have owner "cluster-b" release it; no hand-over can take it, '
     "since its ownership TXT names no resource"),
    ("crd.goldentooth.net", INDEX, None, False,
     "release it; no hand-over can take it, since its ownership TXT names no Service or "
     "Ingress"),
    ("free.goldentooth.net", INDEX, None, True, ""),
    ("shop.goldentooth.net", owners.Unusable("x is 9000s old (valid 1860s)"), None, True,
     "other owners' records not checked: x is 9000s old"),
    ("shop.goldentooth.net", None, None, True, ""),
], ids=["held-elsewhere-refused", "already-asked-warned", "named-for-this-object-warned",
        "one-type-named-for-this-object-another-elsewhere-refused",
        "no-resource-refused-without-a-hand-over", "other-source-refused-without-a-hand-over",
        "free", "stale-warned",
        "no-index"])
def test_names_other_owners_hold(hostname: str, state: Any, old: str | None, allowed: bool,
                                 says: str) -> None:
    found = verdict(hostname, state, old=old)

    assert found.allowed is allowed
    text = found.message + "\n".join(found.warnings)
    assert says in text if says else not text
    if not allowed:
        assert found.rules == (foreign.FOREIGN,) and found.code == 403
