"""Ownership TXTs that map to one record and name different owners: the record is nobody's,
whatever order the zone is listed in (docs/externaldns-txt-registry.md, "TXTs that
disagree")."""

from __future__ import annotations

import pytest

from reconciler import endpoint, plan, registry
from reconciler.endpoint import Endpoint
from reconciler.settings import RegistrySettings

ZONE = "goldentooth.net"
ME, OTHER = "me", "someone-else"
KEY = b"0123456789abcdef0123456789abcdef"
TYPED = RegistrySettings(owner_id=ME, prefix="%{record_type}-")
TYPED_SUFFIX = RegistrySettings(owner_id=ME, suffix="-%{record_type}")
SEALED = RegistrySettings(owner_id=ME, prefix="%{record_type}-", aes_key=KEY)
NOBODY = None

TEAM_CNAME = endpoint.make(f"team.{ZONE}", "CNAME", ["lb1.example.org"])
TEAM_A = endpoint.make(f"team.{ZONE}", "A", ["10.4.11.1"], labels={
    endpoint.RESOURCE: "service/web/team"})
WANTED_CNAME = endpoint.make(f"team.{ZONE}", "CNAME", ["lb2.example.org"], labels={
    endpoint.RESOURCE: "service/web/team"})


def txt(first: str, owner: str | None, key: bytes | None = None) -> Endpoint:
    labels = {endpoint.RESOURCE: "service/web/team"} | ({endpoint.OWNER: owner} if owner else {})
    return endpoint.make(f"{first}.{ZONE}", "TXT", [registry.encode(labels, key)])


def sealed_elsewhere(first: str) -> Endpoint:
    """A TXT sealed by another ExternalDNS under its own key."""
    value = registry.encode({endpoint.OWNER: ME, endpoint.RESOURCE: "service/web/team"},
                            bytes(range(32)))
    assert registry.decode(value, KEY) is None
    return endpoint.make(f"{first}.{ZONE}", "TXT", [value])


CASES = {
    # Both names map to (team, CNAME) under `%{record_type}-`: `-cname-team` is the old-format
    # name of a record `cname-team`. The case the safety property found.
    "typed key, new-format name vs template-less name": (
        TYPED, [TEAM_CNAME, txt("cname-team", ME), txt("-cname-team", OTHER), txt("a-team", ME)],
        NOBODY),
    "typed key, same under a suffix template": (
        TYPED_SUFFIX, [TEAM_CNAME, txt("team-cname", OTHER), txt("cname-team-", ME)], NOBODY),
    "typed key, one TXT names no owner": (
        TYPED, [TEAM_CNAME, txt("cname-team", ME), txt("-cname-team", None)], NOBODY),
    "typed key, one TXT sealed under another key": (
        SEALED, [TEAM_CNAME, txt("cname-team", ME, KEY), sealed_elsewhere("-cname-team")],
        NOBODY),
    "typed key, the same owner twice": (
        TYPED, [TEAM_CNAME, txt("cname-team", ME), txt("-cname-team", ME)], ME),
    # The new format decides over the old (type ""), as every release looks them up.
    "new format ours, old format theirs": (
        TYPED, [TEAM_CNAME, txt("cname-team", ME), txt("-team", OTHER)], ME),
    "new format theirs, old format ours": (
        TYPED, [TEAM_CNAME, txt("cname-team", OTHER), txt("-team", ME)], OTHER),
}


def owner_read(zone: list[Endpoint], settings: RegistrySettings) -> str | None:
    view = registry.read(zone, settings)
    return next(r for r in view.endpoints if r.key == TEAM_CNAME.key).label(endpoint.OWNER)


def changes(zone: list[Endpoint], settings: RegistrySettings,
            desired: list[Endpoint]) -> list[tuple[str, Endpoint]]:
    view = registry.read(zone, settings)
    planned = plan.calculate(view.endpoints, desired, policy="sync", owner_id=ME,
                             sharing=lambda r: registry.sharing(view, r, settings))
    return [(c.action, c.record) for g in registry.changes(planned, view, settings)
            for c in g.changes]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("listing", ["as given", "reversed"])
def test_owner_of_a_record_does_not_hang_on_the_listing_order(name: str, listing: str) -> None:
    settings, zone, owner = CASES[name]
    listed = zone if listing == "as given" else zone[::-1]

    assert owner_read(listed, settings) == owner


@pytest.mark.parametrize("name", [n for n, (_, _, owner) in CASES.items() if owner != ME])
@pytest.mark.parametrize("listing", ["as given", "reversed"])
def test_a_record_whose_txts_disagree_is_never_deleted_or_updated(name: str,
                                                                  listing: str) -> None:
    settings, zone, _ = CASES[name]
    listed = zone if listing == "as given" else zone[::-1]

    for desired in ([TEAM_A], [WANTED_CNAME], [TEAM_A, WANTED_CNAME]):
        touched = [(action, r.describe()) for action, r in changes(listed, settings, desired)
                   if r.dnsname == TEAM_CNAME.dnsname]
        assert touched == [], desired


@pytest.mark.parametrize("name", [n for n, (_, _, owner) in CASES.items() if owner == ME])
@pytest.mark.parametrize("listing", ["as given", "reversed"])
def test_a_record_whose_txts_agree_on_us_is_replaced_as_ours(name: str, listing: str) -> None:
    settings, zone, _ = CASES[name]
    listed = zone if listing == "as given" else zone[::-1]

    assert ("DELETE", TEAM_CNAME) in changes(listed, settings, [TEAM_A])
