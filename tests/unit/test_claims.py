"""The hostname conflict rule and seniority, shared by the webhook and the reconciler."""

import pytest

from dnsgate.claims import Claim, conflicts, rivals, winners

OLD = "2024-01-01T00:00:00Z"
NEW = "2025-06-01T00:00:00Z"
NAME = "httpbin.goldentooth.net"


@pytest.mark.parametrize(("a", "b", "conflict"), [
    (Claim(OLD, "a/httpbin", NAME), Claim(NEW, "b/httpbin", NAME), True),
    (Claim(OLD, "a/httpbin", NAME), Claim(NEW, "a/httpbin", NAME), False),
    (Claim(OLD, "a/httpbin", NAME), Claim(NEW, "b/httpbin", "api.goldentooth.net"), False),
    (Claim(OLD, "a/x", NAME, "blue"), Claim(NEW, "b/x", NAME, "green"), False),
    (Claim(OLD, "a/x", NAME, "blue"), Claim(NEW, "b/x", NAME, "blue"), True),
    (Claim(OLD, "a/x", NAME, "blue"), Claim(NEW, "b/x", NAME), True),
], ids=["other-service", "same-service", "other-name", "different-set-ids",
        "same-set-id", "one-set-id"])
def test_conflict_rule(a: Claim, b: Claim, conflict: bool) -> None:
    assert conflicts(a, b) is conflict
    assert conflicts(b, a) is conflict


def test_earliest_created_keeps_the_name() -> None:
    newer, older = Claim(NEW, "a/httpbin", NAME), Claim(OLD, "z/httpbin", NAME)

    kept, lost = winners([newer, older])

    assert kept == [older]
    assert lost == [(newer, older)]


def test_same_age_ties_break_on_namespace_and_name() -> None:
    first, second = Claim(OLD, "a/httpbin", NAME), Claim(OLD, "b/httpbin", NAME)

    assert winners([second, first])[0] == [first]


def test_rivals_lists_the_most_senior_first() -> None:
    mine = Claim(NEW, "c/httpbin", NAME)
    others = [Claim(NEW, "b/httpbin", NAME), Claim(OLD, "a/httpbin", NAME),
              Claim(OLD, "c/httpbin", NAME)]

    assert [r.service for r in rivals(mine, others)] == ["a/httpbin", "b/httpbin"]
