"""The owners index as written and read: no TXT value can forge a line, an index that cannot
be trusted says why, and the size bound marks it incomplete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dnsgate import owners

WHERE = owners.Location("dnsgate", "dnsgate-owners")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SHOP = owners.Holding("shop.goldentooth.net", "", "A", "cluster-b", "service/shop/web")


def index(*holdings: owners.Holding, at: datetime = NOW, owner: str = "us") -> owners.Index:
    return owners.Index(owner, at, 1860, holdings)


def test_an_owner_id_with_a_newline_forges_no_line() -> None:
    hostile = owners.Holding("a.goldentooth.net", "", "A",
                             'x"]\n["www.goldentooth.net", "", "A", "evil", "', "service/a/b")

    read = owners.decode(owners.encode(index(hostile)), "us", NOW, WHERE)

    assert isinstance(read, owners.Index)
    assert read.holdings == (hostile,)
    assert read.at("www.goldentooth.net", "") == ()


@pytest.mark.parametrize(("data", "reason"), [
    (None, "dnsgate/dnsgate-owners not written yet"),
    ({"records": "not json"}, "dnsgate/dnsgate-owners unreadable"),
    (owners.encode(index(SHOP, owner="them")), 'lists for owner id "them", not "us"'),
    (owners.encode(index(SHOP, at=NOW - timedelta(seconds=2000))), "is 2000s old (valid 1860s)"),
    (owners.encode(index(SHOP, at=NOW + timedelta(hours=1))), "is -3600s old"),
], ids=["absent", "malformed", "other-owner-id", "stale", "from-the-future"])
def test_an_index_that_cannot_be_trusted_says_why(data, reason: str) -> None:  # type: ignore[no-untyped-def]
    read = owners.decode(data, "us", NOW, WHERE)

    assert isinstance(read, owners.Unusable)
    assert reason in read.reason


def test_rows_are_name_and_set_identifier() -> None:
    blue = owners.Holding("w.goldentooth.net", "blue", "A", "cluster-b", "service/shop/blue")
    read = owners.decode(owners.encode(index(SHOP, blue)), "us", NOW, WHERE)

    assert isinstance(read, owners.Index)
    assert read.at("SHOP.goldentooth.net.", "") == (SHOP,)
    assert read.at("w.goldentooth.net", "blue") == (blue,)
    assert read.at("w.goldentooth.net", "green") == ()


def test_past_the_size_bound_the_index_is_cut_and_marked_incomplete() -> None:
    many = [owners.Holding(f"n{i:05}.goldentooth.net", "", "A", "b", "service/x/y" * 5)
            for i in range(20_000)]

    data = owners.encode(index(*many))
    read = owners.decode(data, "us", NOW, WHERE)

    assert len(data[owners.RECORDS]) <= owners.MAX_RECORD_CHARS
    assert isinstance(read, owners.Index)
    assert not read.complete
    assert 0 < len(read.holdings) < len(many)
