"""The claim rule shared by the webhook and the reconciler: who claims names at all, when two
claims conflict, who keeps a contested record set (its holder, else the senior newcomer),
and how the held record sets travel in the reconciler's condition."""

import pytest

from dnsgate import annotations
from dnsgate.claims import Claim, conflicts, held_message, held_rows, of_service, rivals, winners
from dnsgate.domains import DomainFilter

DOMAINS = DomainFilter.of(["goldentooth.net"])

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


HOLDER = Claim(NEW, "b/live", NAME, holds=True)


@pytest.mark.parametrize(("claims", "keeper"), [
    ([Claim(OLD, "a/older", NAME), HOLDER], "b/live"),
    ([HOLDER, Claim(OLD, "a/older", NAME), Claim(OLD, "c/oldest", NAME)], "b/live"),
    ([Claim(NEW, "a/newer", NAME), Claim(OLD, "z/older", NAME)], "z/older"),
    ([Claim(OLD, "b/x", NAME), Claim(OLD, "a/x", NAME)], "a/x"),
], ids=["holder-beats-an-older-newcomer", "holder-beats-every-newcomer",
        "senior-newcomer-wins", "tie-broken-by-name"])
def test_the_holder_keeps_the_name_and_seniority_decides_between_newcomers(
    claims: list[Claim], keeper: str
) -> None:
    kept, lost = winners(claims)

    assert [c.service for c in kept] == [keeper]
    assert {holder.service for _, holder in lost} == {keeper}
    assert rivals(Claim(OLD, "q/probe", NAME), claims)[0].service == keeper


def test_winners_settle_each_name_apart() -> None:
    claims = [Claim(OLD, f"ns/s{i}", f"s{i % 50}.goldentooth.net") for i in range(200)]

    kept, lost = winners(claims)

    senior = {min(f"ns/s{k + 50 * j}" for j in range(4)) for k in range(50)}  # ties: by name
    assert {c.service for c in kept} == senior
    assert len(lost) == 150 and all(w.hostname == loser.hostname for loser, w in lost)


def service(service_type: str | None, annotations: dict[str, str],
            conditions: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"metadata": {"namespace": "web", "name": "httpbin", "creationTimestamp": OLD,
                         "annotations": annotations},
            "spec": {"type": service_type} if service_type else {},
            "status": {"conditions": conditions or []}}


H = "external-dns.alpha.kubernetes.io/hostname"
SET_ID = "external-dns.alpha.kubernetes.io/set-identifier"
WEIGHT = "external-dns.alpha.kubernetes.io/aws-weight"
HELD = {"type": "dnsgate.io/DNSNamesHeld", "status": "True",
        "message": f'[["api.goldentooth.net"],["{NAME}"],["{NAME}","green"]]'}
KEY = "service/web/httpbin"


@pytest.mark.parametrize(("obj", "expected"), [
    (service("LoadBalancer", {H: NAME}), [Claim(OLD, KEY, NAME)]),
    (service("LoadBalancer", {H: NAME}, [HELD]), [Claim(OLD, KEY, NAME, holds=True)]),
    (service("LoadBalancer", {H: NAME, SET_ID: "green", WEIGHT: "1"}, [HELD]),
     [Claim(OLD, KEY, NAME, "green", holds=True)]),
    (service("LoadBalancer", {H: NAME, SET_ID: "blue", WEIGHT: "1"}, [HELD]),
     [Claim(OLD, KEY, NAME, "blue")]),
    (service("ClusterIP", {H: NAME}), []),
    (service(None, {H: NAME}), []),
    (service("NodePort", {H: "*.goldentooth.net"}), []),
    (service("LoadBalancer", {H: NAME, "external-dns.alpha.kubernetes.io/ttl": "soon"}), []),
], ids=["load-balancer", "holder", "holder-of-its-set-id", "holds-another-set-id-only",
        "cluster-ip", "no-type", "node-port", "bad-annotation"])
def test_only_a_service_that_would_be_published_claims_names(
    obj: dict[str, object], expected: list[Claim]
) -> None:
    parsed = annotations.parse(obj["metadata"]["annotations"], DOMAINS)  # type: ignore[index]

    assert list(of_service(obj, parsed, held_rows(obj))) == expected


@pytest.mark.parametrize(("conditions", "held"), [
    ([HELD], {("api.goldentooth.net", ""), (NAME, ""), (NAME, "green")}),
    ([{**HELD, "status": "False"}], set()),
    ([{**HELD, "message": '[["a.goldentooth.net"],["not a name"],[],["b.x",1],'
                          '["c.goldentooth.net","s","t"],"d.goldentooth.net"]'}],
     {("a.goldentooth.net", "")}),
    ([{**HELD, "message": '[["a.goldentooth.net"'}], set()),
    ([{**HELD, "message": f"{NAME},api.goldentooth.net"}], set()),
    ([{**HELD, "type": "dnsgate.io/DNSReady"}], set()),
    ([], set()),
], ids=["listed", "status-false", "malformed-entries-dropped", "not-json",
        "old-names-only-format-holds-no-row", "other-condition", "none"])
def test_held_rows_are_read_from_the_reconcilers_condition(
    conditions: list[dict[str, str]], held: set[tuple[str, str]]
) -> None:
    assert held_rows(service("LoadBalancer", {}, conditions)) == held


@pytest.mark.parametrize("set_identifier", [
    "blue", "a,b", "[x]", 'say "hi"', "two  spaces", "],[\\", "caf\u00e9", "a" * 128,
], ids=["plain", "comma", "brackets", "quotes", "spaces", "json-like", "unicode", "longest"])
def test_held_message_round_trips_any_set_identifier(set_identifier: str) -> None:
    rows = {(NAME, set_identifier), (NAME, ""), ("api.goldentooth.net", set_identifier)}
    condition = {**HELD, "message": held_message(rows)}

    assert held_rows(service("LoadBalancer", {}, [condition])) == rows


def test_held_message_keeps_within_the_condition_message_cap() -> None:
    rows = {(f"{i:03d}{'x' * 57}.goldentooth.net", "s" * 128) for i in range(300)}

    message = held_message(rows)
    read = held_rows(service("LoadBalancer", {}, [{**HELD, "message": message}]))

    assert len(message.encode()) <= 32 * 1024
    assert 0 < len(read) < len(rows) and read <= rows
