"""Names two records share: `*.<zone>` and a record named like --txt-wildcard-replacement.

Their ownership TXT names coincide across types (an A alias's `cname-` TXT is a CNAME's) and
across the old format (a TXT at the replacement's own name, read by every type but AAAA), so
the registry owns neither, creates neither beside the other, and the claim rule keeps such
pairs apart (docs/externaldns-txt-registry.md, "Names two records share")."""

from __future__ import annotations

import pytest

from dnsgate import claims, txtname
from dnsgate.claims import Claim
from dnsgate.domains import DomainFilter
from reconciler import endpoint, plan, registry, source
from reconciler.endpoint import Endpoint
from reconciler.settings import RegistrySettings, SourceSettings
from tests.reconcile.test_source import service

ME = "me"
ZONE = "goldentooth.net"
STAR, WILD = f"*.{ZONE}", f"wild.{ZONE}"
ELB = "k8s-web-1.us-east-1.elb.amazonaws.com"
WILD_SETTINGS = RegistrySettings(owner_id=ME, wildcard_replacement="wild")
MIXED_CASE = RegistrySettings(owner_id=ME, wildcard_replacement="Wild")


def txt(name: str, resource: str = "service/web/star") -> Endpoint:
    return endpoint.make(name, "TXT", [registry.encode({"owner": ME, "resource": resource})])


def a(name: str) -> Endpoint:
    return endpoint.make(name, "A", ["10.0.0.1"])


def aaaa(name: str) -> Endpoint:
    return endpoint.make(name, "AAAA", ["2001:db8::1"])


def cname(name: str) -> Endpoint:
    return endpoint.make(name, "CNAME", ["lb.example.org"])


def alias(name: str) -> Endpoint:
    return endpoint.make(name, "A", [ELB], properties={"alias": "true"})


# (the zone's records and TXTs, the records dnsgate calls ours)
SHARING = [
    pytest.param([alias(STAR), cname(WILD), txt(f"cname-{WILD}")], set(),
                 id="alias-wildcard-and-cname-share-cname-txt"),
    pytest.param([a(STAR), cname(WILD), txt(f"a-{WILD}"), txt(WILD)], set(),
                 id="a-wildcard-and-cname-share-the-old-format-txt"),
    pytest.param([a(STAR), cname(WILD), txt(f"a-{WILD}")], set(),
                 id="old-format-txt-that-could-be-written-is-shared-too"),
    pytest.param([cname(STAR), a(WILD), txt(f"cname-{WILD}"), txt(f"a-{WILD}", "x/y")], set(),
                 id="cname-wildcard-and-a-namesake"),
    pytest.param([aaaa(STAR), a(WILD), txt(f"aaaa-{WILD}"), txt(f"a-{WILD}", "x/y")],
                 {f"{STAR} AAAA", f"{WILD} A"}, id="aaaa-and-a-share-nothing"),
    pytest.param([a(STAR), txt(f"a-{WILD}")], {f"{STAR} A"}, id="a-wildcard-alone-is-owned"),
    pytest.param([alias(STAR), aaaa(WILD), txt(f"cname-{WILD}"), txt(f"aaaa-{WILD}", "x/y")],
                 {f"{STAR} A", f"{WILD} AAAA"}, id="alias-and-aaaa-share-nothing"),
]


@pytest.mark.parametrize(("zone", "ours"), SHARING)
def test_records_a_txt_could_own_both_are_nobodys(zone: list[Endpoint], ours: set[str]) -> None:
    view = registry.read(zone, WILD_SETTINGS)

    assert {r.describe() for r in view.endpoints if r.label(endpoint.OWNER) == ME} == ours


def test_mixed_case_replacement_never_owns_a_record_named_like_it() -> None:
    # ExternalDNS writes `a-wild` for `*` but looks `*` up as `Wild.<zone>`: the TXT would
    # own the hand-made `wild` record instead.
    view = registry.read([a(STAR), a(WILD), txt(f"a-{WILD}")], MIXED_CASE)

    assert [r.label(endpoint.OWNER) for r in view.endpoints] == [None, None]


def changes(zone: list[Endpoint], desired: list[Endpoint],
            settings: RegistrySettings = WILD_SETTINGS) -> tuple[plan.Plan, list[str]]:
    view = registry.read(zone, settings)
    planned = plan.calculate(view.endpoints, desired, policy="sync", owner_id=ME,
                             sharing=lambda r: registry.sharing(view, r, settings))
    return planned, [f"{c.action} {c.record.describe()}"
                     for g in registry.changes(planned, view, settings) for c in g.changes]


@pytest.mark.parametrize("settings", [WILD_SETTINGS, MIXED_CASE], ids=["wild", "Wild"])
def test_resync_leaves_a_hand_made_record_of_the_other_type_alone(
        settings: RegistrySettings) -> None:
    wanted = alias(STAR).with_labels(resource="service/web/star")

    _, written = changes([alias(STAR), cname(WILD), txt(f"cname-{WILD}")], [wanted], settings)

    assert not [c for c in written if c.startswith(("DELETE", "UPSERT"))]


def test_a_namesake_is_not_created_beside_a_held_wildcard() -> None:
    wanted = a(WILD).with_labels(resource="service/web/wild")

    planned, written = changes([a(STAR), txt(f"a-{WILD}")], [a(STAR).with_labels(
        resource="service/web/star"), wanted])

    assert written == []  # in particular no UPSERT of `a-wild`, the wildcard's TXT
    assert [s.endpoint.describe() for s in planned.skipped] == [f"{WILD} A"]
    assert "could be owned through the same ownership TXT record" in planned.skipped[0].reason


def test_a_record_replaced_at_its_own_name_keeps_the_txt_it_shares() -> None:
    # A CNAME turning into an alias shares `cname-<name>` with it: one name, not ambiguous.
    mine = txt(f"cname-{WILD}", "service/web/wild")
    wanted = alias(WILD).with_labels(resource="service/web/wild")

    _, written = changes([cname(WILD), mine], [wanted])

    # The TXT keeps its name; it is deleted with its exact read value and created again in
    # the same batch, the condition that it still names us (docs/route53.md, "Conditional
    # writes").
    assert written == [f"DELETE {WILD} CNAME", f"DELETE cname-{WILD} TXT", f"CREATE {WILD} A",
                       f"CREATE cname-{WILD} TXT"]


# ---- the claim rule ----------------------------------------------------------------------

NAMES = txtname.Mapper.of("", "", "wild")


@pytest.mark.parametrize(("name", "namesake"), [
    (STAR, WILD), (WILD, STAR), ("*.apps.goldentooth.net", "wild.apps.goldentooth.net"),
    ("web.goldentooth.net", None), ("wild", None), ("*.WILD.goldentooth.net",
                                                    "wild.wild.goldentooth.net"),
])
def test_namesake_is_the_one_other_name_with_the_same_anchor(name: str,
                                                             namesake: str | None) -> None:
    assert NAMES.namesake(name) == namesake
    if namesake is not None:
        assert NAMES.anchor(name) == NAMES.anchor(namesake)


@pytest.mark.parametrize(("a_id", "b_id", "conflict"), [
    (None, None, True), ("blue", None, True), ("blue", "blue", True), ("blue", "green", False),
])
def test_claims_on_namesakes_conflict_as_claims_on_one_name(
        a_id: str | None, b_id: str | None, conflict: bool) -> None:
    star = Claim("2026-01-01T00:00:00Z", "service/web/star", STAR, a_id)
    wild = Claim("2026-01-02T00:00:00Z", "service/web/wild", WILD, b_id)

    assert claims.conflicts(wild, star, NAMES) is conflict
    assert claims.conflicts(wild, star) is False  # without the TXT naming: two names


def test_reconciler_gives_the_shared_txt_to_the_holder_and_reports_the_namesake() -> None:
    settings = SourceSettings(DomainFilter.of([ZONE]))
    ip = [{"ip": "10.0.0.1"}]
    older = service("wild", {"external-dns.alpha.kubernetes.io/hostname": WILD}, ingress=ip,
                    created="2026-01-01T00:00:00Z")
    holder = service("star", {"external-dns.alpha.kubernetes.io/hostname": STAR}, ingress=ip,
                     created="2026-01-02T00:00:00Z")

    found = source.desired([older, holder], settings, naming=WILD_SETTINGS,
                           holders={(STAR, ""): frozenset({"service/apps/star"})})

    assert [e.dnsname for e in found.endpoints] == [STAR]
    assert found.conflicts == (
        source.Conflict("service/apps/wild", WILD, "service/apps/star", True, STAR),)


def test_one_object_asking_for_both_namesakes_is_refused() -> None:
    both = {"external-dns.alpha.kubernetes.io/hostname": f"{STAR},{WILD}"}

    parsed = claims.parse(service("both", both), DomainFilter.of([ZONE]), WILD_SETTINGS)

    assert [(p.value, p.rule) for p in parsed.problems] == [(WILD, "hostname-txt-shared")]
    assert "(<type>-wild.goldentooth.net) with *.goldentooth.net" in str(parsed.problems[0])
