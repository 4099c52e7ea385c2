"""plan.calculate, table-driven in the manner of ExternalDNS's plan tests: named record
sets, then (current, desired, expected) rows per policy."""

from __future__ import annotations

import pytest

from reconciler import endpoint, plan
from reconciler.endpoint import Endpoint

ME, OTHER = "external-dns-external-dns", "someone-else"


def ep(name: str, kind: str, *targets: str, ttl: int = 300, owner: str | None = None,
       resource: str = "service/web/app", set_id: str = "", weight: str | None = None,
       missing_txt: bool = False) -> Endpoint:
    labels = {endpoint.RESOURCE: resource}
    if owner:
        labels[endpoint.OWNER] = owner
    if missing_txt:
        labels[plan.TXT_MISSING] = "true"
    properties = {endpoint.WEIGHT: weight} if weight else {}
    return endpoint.make(name, kind, list(targets), ttl=ttl, set_identifier=set_id,
                         properties=properties, labels=labels)


FOO_A_1 = ep("foo.goldentooth.net", "A", "10.0.0.1")
FOO_A_1_MINE = ep("foo.goldentooth.net", "A", "10.0.0.1", owner=ME)
FOO_A_1_OTHERS = ep("foo.goldentooth.net", "A", "10.0.0.1", owner=OTHER)
FOO_A_1_UNOWNED = endpoint.make("foo.goldentooth.net", "A", ["10.0.0.1"])
FOO_A_2 = ep("foo.goldentooth.net", "A", "10.0.0.2")
FOO_A_1_TTL60 = ep("foo.goldentooth.net", "A", "10.0.0.1", ttl=60)
FOO_A_1_MOVED = ep("foo.goldentooth.net", "A", "10.0.0.1", resource="service/web/other")
FOO_AAAA = ep("foo.goldentooth.net", "AAAA", "2001:db8::1")
FOO_CNAME_UNOWNED = endpoint.make("foo.goldentooth.net", "CNAME", ["lb.example.com"])
BAR_A_MINE = ep("bar.goldentooth.net", "A", "10.0.0.9", owner=ME)
BAR_A_OTHERS = ep("bar.goldentooth.net", "A", "10.0.0.9", owner=OTHER)
BAR_A_UNOWNED = endpoint.make("bar.goldentooth.net", "A", ["10.0.0.9"])
W_ONE = ep("w.goldentooth.net", "A", "10.0.0.1", set_id="one", weight="10")
W_ONE_MINE = ep("w.goldentooth.net", "A", "10.0.0.1", set_id="one", weight="10", owner=ME)
W_ONE_HEAVIER = ep("w.goldentooth.net", "A", "10.0.0.1", set_id="one", weight="20")
W_TWO = ep("w.goldentooth.net", "A", "10.0.0.2", set_id="two", weight="20")
W_TWO_OTHERS = ep("w.goldentooth.net", "A", "10.0.0.2", set_id="two", weight="20", owner=OTHER)
FOO_CNAME = ep("foo.goldentooth.net", "CNAME", "lb.example.com")
FOO_CNAME_MINE = ep("foo.goldentooth.net", "CNAME", "lb.example.com", owner=ME)
OLD_FORMAT_ONLY = ep("foo.goldentooth.net", "A", "10.0.0.1", owner=ME, missing_txt=True)


Row = tuple[str, tuple[str, ...], int, tuple[tuple[str, str], ...], str | None]


def full(e: Endpoint) -> Row:
    """A record set as Route53 would hold it, plus the Service it is written for: an update
    that carried the old targets, TTL or routing would not compare equal."""
    return (e.describe(), e.targets, e.ttl, e.properties, e.label(endpoint.RESOURCE))


def summary(result: plan.Plan) -> dict[str, list[Row]]:
    """What the plan does, per kind of change; updates as the values they write."""
    return {
        "create": [full(e) for e in result.creates],
        "update": [full(u.new) for u in result.updates],
        "delete": [full(e) for e in result.deletes],
        "repair": [full(e) for e in result.repairs],
        "skip": [full(s.endpoint) for s in result.skipped],
    }


def expect(create=(), update=(), delete=(), repair=(), skip=()):  # type: ignore[no-untyped-def]
    return {"create": [full(e) for e in create], "update": [full(e) for e in update],
            "delete": [full(e) for e in delete], "repair": [full(e) for e in repair],
            "skip": [full(e) for e in skip]}


def test_update_keeps_the_record_it_replaces_as_old() -> None:
    result = plan.calculate([FOO_A_1_MINE], [FOO_A_2], policy="sync", owner_id=ME)

    (update,) = result.updates
    assert (full(update.old), full(update.new)) == (full(FOO_A_1_MINE), full(FOO_A_2))


CASES = [
    # name, current, desired, policy, expected
    ("first_round_creates", [], [FOO_A_1], "sync", expect(create=[FOO_A_1])),
    ("second_round_plans_nothing", [FOO_A_1_MINE], [FOO_A_1], "sync", expect()),
    ("changed_target_updates", [FOO_A_1_MINE], [FOO_A_2], "sync", expect(update=[FOO_A_2])),
    ("changed_ttl_updates", [FOO_A_1_MINE], [FOO_A_1_TTL60], "sync",
     expect(update=[FOO_A_1_TTL60])),
    ("changed_resource_updates_ownership", [FOO_A_1_MINE], [FOO_A_1_MOVED], "sync",
     expect(update=[FOO_A_1_MOVED])),
    ("new_type_beside_own_record_creates", [FOO_A_1_MINE], [FOO_A_1, FOO_AAAA], "sync",
     expect(create=[FOO_AAAA])),
    ("no_longer_wanted_deletes", [FOO_A_1_MINE, BAR_A_MINE], [FOO_A_1], "sync",
     expect(delete=[BAR_A_MINE])),
    ("foreign_owner_untouched", [FOO_A_1_OTHERS], [FOO_A_2], "sync", expect(skip=[FOO_A_2])),
    ("unowned_record_untouched", [FOO_A_1_UNOWNED], [FOO_A_2], "sync", expect(skip=[FOO_A_2])),
    ("foreign_record_of_other_type_blocks_create", [FOO_CNAME_UNOWNED], [FOO_A_1], "sync",
     expect(skip=[FOO_A_1])),
    ("foreign_and_unowned_never_deleted", [BAR_A_OTHERS, BAR_A_UNOWNED], [], "sync", expect()),
    ("weighted_sets_create_independently", [], [W_ONE, W_TWO], "sync",
     expect(create=[W_ONE, W_TWO])),
    ("weight_change_updates_one_set", [W_ONE_MINE], [W_ONE_HEAVIER, W_TWO], "sync",
     expect(create=[W_TWO], update=[W_ONE_HEAVIER])),
    ("weighted_set_of_another_owner_does_not_block_ours", [W_TWO_OTHERS], [W_ONE], "sync",
     expect(create=[W_ONE])),
    ("cname_gives_way_to_another_type_wanted_at_its_name", [], [FOO_CNAME, FOO_A_1], "sync",
     expect(create=[FOO_A_1])),
    ("own_cname_deleted_when_another_type_is_wanted_too", [FOO_CNAME_MINE],
     [FOO_CNAME, FOO_A_1], "sync", expect(create=[FOO_A_1], delete=[FOO_CNAME_MINE])),
    ("missing_txt_recreated_for_owned_record", [OLD_FORMAT_ONLY], [FOO_A_1], "sync",
     expect(repair=[FOO_A_1])),
    ("upsert_only_updates_but_never_deletes", [FOO_A_1_MINE, BAR_A_MINE], [FOO_A_2],
     "upsert-only", expect(update=[FOO_A_2])),
    ("create_only_creates_but_never_updates_or_deletes", [FOO_A_1_MINE, BAR_A_MINE],
     [FOO_A_2, W_ONE], "create-only", expect(create=[W_ONE])),
    ("create_only_still_recreates_missing_txt", [OLD_FORMAT_ONLY], [FOO_A_1], "create-only",
     expect(repair=[FOO_A_1])),
]


@pytest.mark.parametrize(("current", "desired", "policy", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan(current, desired, policy, expected) -> None:  # type: ignore[no-untyped-def]
    result = plan.calculate(current, desired, policy=policy, owner_id=ME)

    assert summary(result) == expected


def test_created_records_carry_our_owner_label() -> None:
    result = plan.calculate([], [FOO_A_1], policy="sync", owner_id=ME)

    assert result.creates[0].label(endpoint.OWNER) == ME
    assert result.creates[0].label(endpoint.RESOURCE) == "service/web/app"


@pytest.mark.parametrize("policy", ["sync", "upsert-only", "create-only"])
def test_second_run_of_unchanged_world_plans_nothing(policy: str) -> None:
    first = plan.calculate([], [FOO_A_1, W_ONE, W_TWO], policy=policy, owner_id=ME)
    applied = [*first.creates]  # what Route53 holds after the first round, labels and all

    second = plan.calculate(applied, [FOO_A_1, W_ONE, W_TWO], policy=policy, owner_id=ME)

    assert second.empty and not second.skipped


def test_skip_reason_names_record_and_owner() -> None:
    result = plan.calculate([FOO_A_1_OTHERS], [FOO_A_2], policy="sync", owner_id=ME)

    assert result.skipped[0].reason == (
        'foo.goldentooth.net A (10.0.0.1) is owned by "someone-else"; dnsgate leaves it '
        "untouched")
