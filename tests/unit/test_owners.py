"""The owners index as written and read: no TXT value can forge a line, an index that cannot
be trusted says why, and the size bound marks it incomplete, cuts between rows and is
reported by the reconciler."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from dnsgate import owners
from dnsgate.domains import DomainFilter
from reconciler import endpoint
from reconciler.endpoint import Endpoint
from reconciler.owners_index import Publisher
from webhook.owners import OwnersWatch

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


def dual(name: str) -> tuple[owners.Holding, owners.Holding]:
    return (owners.Holding(name, "", "A", "cluster-b", "service/apps/web"),
            owners.Holding(name, "", "AAAA", "cluster-c", "service/other/db"))


def test_the_cut_falls_between_rows_never_inside_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A row listed with its A but not its AAAA would read as held for one resource only."""
    first, (a, aaaa) = SHOP, dual("www.goldentooth.net")
    whole = owners.encode(index(first, a, aaaa))[owners.RECORDS]
    monkeypatch.setattr(owners, "MAX_RECORD_CHARS", len(whole) - 1)

    read = owners.decode(owners.encode(index(first, a, aaaa)), "us", NOW, WHERE)

    assert isinstance(read, owners.Index)
    assert not read.complete
    assert read.holdings == (first,)


class Core:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def patch_namespaced_config_map(self, name: str, namespace: str, body: str,
                                    **_: object) -> None:
        self.data = json.loads(body)["data"]


def test_a_cut_index_is_reported_with_what_it_lists(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    many = [Endpoint(f"n{i}.goldentooth.net", "A", ("192.0.2.1",), labels=endpoint.pairs({
        endpoint.OWNER: "cluster-b", endpoint.RESOURCE: "service/x/y"})) for i in range(30)]
    monkeypatch.setattr(owners, "MAX_RECORD_CHARS", 1000)
    core = Core()

    Publisher(core, WHERE, "us", DomainFilter.of(["goldentooth.net"]), 60.0).publish(many)

    listed = len(core.data[owners.RECORDS].splitlines())
    assert 0 < listed < 30
    assert (f"owners index {WHERE} is cut at its size bound (1000 characters): {listed} of 30 "
            "record sets held by other owner ids listed") in caplog.text


class Store:
    """What `webhook.owners.OwnersWatch` reads of its watch: the one ConfigMap as last seen."""

    def __init__(self, version: str, data: dict[str, str]) -> None:
        self.synced = threading.Event()
        self.synced.set()
        self.items = [{"metadata": {"name": "dnsgate-owners", "resourceVersion": version},
                       "data": data}]

    def snapshot(self) -> list[dict[str, object]]:
        return self.items


def test_the_webhook_parses_the_index_once_per_version() -> None:
    """Every review asks for the index; a full one is thousands of JSON lines to parse."""
    watch = OwnersWatch(WHERE, "us")
    watch.store = Store("7", owners.encode(index(SHOP, at=owners.now())))  # type: ignore[assignment]

    first, again = watch.state(), watch.state()
    watch.store = Store("8", owners.encode(index(at=owners.now())))  # type: ignore[assignment]
    changed = watch.state()

    assert isinstance(first, owners.Index) and isinstance(changed, owners.Index)
    assert again is first
    assert changed.holdings == ()
