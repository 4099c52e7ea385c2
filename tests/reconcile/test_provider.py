"""Batching within Route53's limits, bisection of refused batches, retries and rate limit,
through a fake of our own `Route53Client` seam (the e2e tests use the real one)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from dnsgate.backoff import Backoff
from dnsgate.domains import DomainFilter
from reconciler import batching, endpoint, route53, throttle
from reconciler.errors import TransientError
from reconciler.registry import Change, ChangeGroup
from reconciler.settings import Route53Settings

ZONE = route53.Zone("Z1", "goldentooth.net", private=False)


def group(i: int, action: str = "CREATE", value: str = "10.0.0.1") -> ChangeGroup:
    name = f"s{i}.goldentooth.net"
    record = endpoint.make(name, "A", [value])
    txt = endpoint.make(f"a-{name}", "TXT", ['"heritage=external-dns"'])
    return ChangeGroup(f"service/ns/s{i}", name,
                       (Change(action, record), Change(action, txt)))  # type: ignore[arg-type]


def update(created: ChangeGroup) -> ChangeGroup:
    """The group as an update sends it: each set deleted as read, then created anew."""
    return ChangeGroup(created.resource, created.dnsname, (
        *(Change("DELETE", c.record) for c in created.changes), *created.changes))


def error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} happened"},
                        "ResponseMetadata": {"HTTPStatusCode": status}},
                       "ChangeResourceRecordSets")


class FakeRoute53:
    """Refuses, as Route53 does, any batch holding a poisoned name; may throttle first."""

    def __init__(self, poisoned: set[str] = frozenset(), throttle_first: int = 0,  # type: ignore[assignment]
                 codes: tuple[str, int] = ("Throttling", 400)) -> None:
        self.poisoned = poisoned
        self.throttle_first = throttle_first
        self.codes = codes
        self.batches: list[list[dict[str, Any]]] = []
        self.landed: list[str] = []

    def list_hosted_zones(self, **kwargs: Any) -> Any:
        return {"HostedZones": [
            {"Id": "/hostedzone/Z1", "Name": "goldentooth.net.", "Config": {}},
            {"Id": "/hostedzone/Z2", "Name": "example.org.", "Config": {}},
            {"Id": "/hostedzone/Z3", "Name": "goldentooth.net.",
             "Config": {"PrivateZone": True}}]}

    def list_resource_record_sets(self, **kwargs: Any) -> Any:
        return {"ResourceRecordSets": [
            {"Name": "\\052.goldentooth.net.", "Type": "A", "TTL": 60,
             "ResourceRecords": [{"Value": "10.0.0.1"}]}]}

    def change_resource_record_sets(self, **kwargs: Any) -> Any:
        changes = kwargs["ChangeBatch"]["Changes"]
        self.batches.append(changes)
        if self.throttle_first:
            self.throttle_first -= 1
            raise error(*self.codes)
        names = [c["ResourceRecordSet"]["Name"].rstrip(".") for c in changes]
        if self.poisoned & set(names):
            raise error("InvalidChangeBatch")
        self.landed += names
        return {"ChangeInfo": {"Status": "PENDING"}}


def provider(client: FakeRoute53, **settings: Any) -> route53.Provider:
    return route53.Provider(
        client, Route53Settings(DomainFilter.of(["goldentooth.net"]), **settings),
        backoff=Backoff(base=0.0, cap=0.0), attempts=4, limiter=throttle.RateLimiter(1e6),
        sleep=lambda _: None)


def test_one_poisoned_group_among_500_is_isolated_and_the_rest_land() -> None:
    client = FakeRoute53(poisoned={"s250.goldentooth.net"})
    groups = [group(i) for i in range(501)]

    applied = provider(client).apply(ZONE, groups)

    assert len(applied.landed) == 500
    assert [f.group.dnsname for f in applied.failed] == ["s250.goldentooth.net"]
    assert "InvalidChangeBatch" in applied.failed[0].message
    assert applied.calls == len(client.batches) <= 2 + 2 * 10  # two batches + log2 bisection


@pytest.mark.parametrize(("groups", "expected_sizes"), [
    ([group(i) for i in range(500)], [500]),                       # 1000 changes: one call
    ([group(i) for i in range(501)], [500, 1]),                    # 1002 changes: two
    ([update(group(i)) for i in range(300)], [250, 50]),           # DELETE + CREATE: twice
    # 32000 value characters: 123 per group (100 for the A value, 23 for its TXT)
    ([group(i, value="1" * 100) for i in range(400)], [260, 140]),
])
def test_batches_stay_within_route53_limits(groups, expected_sizes) -> None:  # type: ignore[no-untyped-def]
    assert [len(b) for b in batching.pack(groups)] == expected_sizes


def multi(i: int, count: int) -> ChangeGroup:
    """A record with `count` values and its TXT: count + 1 values, 2 changes."""
    name = f"m{i}.goldentooth.net"
    record = endpoint.make(name, "A", [f"10.0.{n // 250}.{n % 250}" for n in range(count)])
    txt = endpoint.make(f"a-{name}", "TXT", ['"heritage=external-dns"'])
    return ChangeGroup(f"service/ns/m{i}", name,
                       (Change("CREATE", record), Change("CREATE", txt)))


@pytest.mark.parametrize(("groups", "limits", "expected_sizes"), [
    # Route53 counts record values too: 4 groups of 300 A values (+ TXT) are 1204 values.
    ([multi(i, 300) for i in range(4)], {}, [3, 1]),
    ([update(multi(i, 300)) for i in range(4)], {}, [1, 1, 1, 1]),
    # An update's DELETEs and CREATEs are never split, even by a lowered limit.
    ([update(group(i)) for i in range(3)], {"max_changes": 6}, [1, 1, 1]),
    # Limits lowered as ExternalDNS's --aws-batch-change-size(-values, -bytes) lower them.
    ([group(i) for i in range(10)], {"max_changes": 4}, [2, 2, 2, 2, 2]),
    ([group(i) for i in range(10)], {"max_values": 6}, [3, 3, 3, 1]),
    ([group(i) for i in range(10)], {"max_chars": 100}, [3, 3, 3, 1]),
    # A group larger than a lowered limit still travels whole, alone.
    ([group(i) for i in range(3)], {"max_changes": 1}, [1, 1, 1]),
])
def test_batches_stay_within_route53_and_user_limits(  # type: ignore[no-untyped-def]
        groups, limits, expected_sizes) -> None:
    assert [len(b) for b in batching.pack(groups, **limits)] == expected_sizes


def test_batch_settings_shape_the_calls_and_pause_between_them() -> None:
    client = FakeRoute53()
    slept: list[float] = []
    p = route53.Provider(
        client, Route53Settings(DomainFilter.of(["goldentooth.net"]), batch_changes=4,
                                batch_interval=1.5),
        attempts=1, limiter=throttle.RateLimiter(1e6), sleep=slept.append)

    applied = p.apply(ZONE, [group(i) for i in range(5)])

    assert [len(b) for b in client.batches] == [4, 4, 2]
    assert (applied.calls, slept) == (3, [1.5, 1.5])


@pytest.mark.parametrize(("retries", "calls"), [(0, 1), (2, 3), (5, 6)])
def test_api_retries_set_the_tries_of_a_throttled_call(retries: int, calls: int) -> None:
    client = FakeRoute53(throttle_first=10)
    p = route53.Provider(
        client, Route53Settings(DomainFilter.of(["goldentooth.net"]), api_retries=retries),
        backoff=Backoff(base=0.0, cap=0.0), limiter=throttle.RateLimiter(1e6),
        sleep=lambda _: None)

    with pytest.raises(TransientError, match="Throttling"):
        p.apply(ZONE, [group(1)])
    assert len(client.batches) == calls


def test_group_is_never_split_across_batches() -> None:
    batches = batching.pack([group(i) for i in range(501)])

    assert all(len(g.changes) == 2 for b in batches for g in b)
    assert sum(batching.cost(g)[0] for g in batches[0]) == 1000


@pytest.mark.parametrize("codes", [("Throttling", 400), ("ServiceUnavailable", 503),
                                   ("InternalError", 500), ("PriorRequestNotComplete", 400)])
def test_throttling_and_5xx_are_retried(codes: tuple[str, int]) -> None:
    client = FakeRoute53(throttle_first=2, codes=codes)

    applied = provider(client).apply(ZONE, [group(1)])

    assert len(applied.landed) == 1 and len(client.batches) == 3


def test_retries_give_up_with_a_transient_error() -> None:
    client = FakeRoute53(throttle_first=10)

    with pytest.raises(TransientError, match="Throttling"):
        provider(client).apply(ZONE, [group(1)])
    assert len(client.batches) == 4


def test_rate_limiter_spaces_calls_within_five_per_second() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = throttle.RateLimiter(5.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(11):
        limiter.wait()

    assert now[0] == pytest.approx(2.0)  # 11 calls: the first at 0, then every 0.2 s


@pytest.mark.parametrize(("settings", "zones"), [
    ({}, ["Z1", "Z3"]),
    ({"zone_type": "public"}, ["Z1"]),
    ({"zone_type": "private"}, ["Z3"]),
    ({"zone_ids": ("Z3",)}, ["Z3"]),
])
def test_zones_by_domain_filter_type_and_id(settings, zones) -> None:  # type: ignore[no-untyped-def]
    assert [z.id for z in provider(FakeRoute53(), **settings).zones()] == zones


def test_wildcard_name_is_decoded_from_octal() -> None:
    (record,) = provider(FakeRoute53()).records(ZONE)

    assert record.dnsname == "*.goldentooth.net"


def test_stop_finishes_the_batch_in_flight_and_sends_no_more() -> None:
    import threading

    stop = threading.Event()
    client = FakeRoute53()
    original = client.change_resource_record_sets

    def sigterm_during_first_call(**kwargs: Any) -> Any:
        stop.set()
        return original(**kwargs)

    client.change_resource_record_sets = sigterm_during_first_call  # type: ignore[method-assign]

    applied = provider(client).apply(ZONE, [group(i) for i in range(1200)], stop)

    assert len(client.batches) == 1
    assert len(applied.landed) == 500 and applied.failed == ()


PUBLIC = route53.Zone("Z1", "goldentooth.net", private=False)
PRIVATE = route53.Zone("Z2", "goldentooth.net", private=True)
SUB_PUBLIC = route53.Zone("Z3", "sub.goldentooth.net", private=False)
SUB_PRIVATE = route53.Zone("Z4", "sub.goldentooth.net", private=True)
OTHER = route53.Zone("Z5", "example.org", private=True)


@pytest.mark.parametrize(("name", "zones", "expected"), [
    ("www.goldentooth.net", [PUBLIC], [PUBLIC]),
    ("www.goldentooth.net", [PUBLIC, PRIVATE], [PRIVATE, PUBLIC]),  # split horizon: both
    ("www.sub.goldentooth.net", [PUBLIC, SUB_PUBLIC], [SUB_PUBLIC]),  # the nearest public
    ("www.sub.goldentooth.net", [PUBLIC, PRIVATE, SUB_PUBLIC, SUB_PRIVATE],
     [PRIVATE, SUB_PRIVATE, SUB_PUBLIC]),  # every private zone that holds it
    ("www.goldentooth.net", [SUB_PUBLIC, OTHER], []),
])
def test_a_name_goes_to_every_private_zone_and_the_nearest_public_one(  # type: ignore[no-untyped-def]
        name, zones, expected) -> None:
    assert list(route53.zones_for(name, zones)) == expected
