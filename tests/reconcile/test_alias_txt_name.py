"""Which ownership TXT name an A alias is written with: the one it already has (`cname-` from
ExternalDNS up to v0.21, `a-` from v0.22), else the one `--rollback-release` writes
(docs/route53-alias.md, "Which TXT name an alias gets"). Pure: the registry's changes for a
zone as each release leaves it. tests/reconcile/test_e2e_external_dns.py proves the same
with the real releases."""

from __future__ import annotations

import pytest

from dnsgate import cli
from reconciler import alias, endpoint, plan, registry, settings
from reconciler.errors import ConfigError
from reconciler.settings import RegistrySettings

OWNER = "external-dns-external-dns"
CNAME_FORMAT = RegistrySettings(owner_id=OWNER)
A_FORMAT = RegistrySettings(owner_id=OWNER, alias_txt_type="A")
NAME = "shop.goldentooth.net"
NLB = "shop-0123456789abcdef.elb.eu-central-1.amazonaws.com"
MOVED = "shop-fedcba9876543210.elb.eu-central-1.amazonaws.com"
RESOURCE = "ingress/web/shop"
VALUE = f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={RESOURCE}"'
PROPERTIES = {endpoint.ALIAS: "true", endpoint.EVALUATE_TARGET_HEALTH: "true"}


def alias_set(kind: str, target: str = NLB, **labels: str) -> endpoint.Endpoint:
    return endpoint.make(NAME, kind, [target], properties=PROPERTIES, labels=labels or None)


def txt(prefix: str) -> endpoint.Endpoint:
    return endpoint.make(prefix + NAME, "TXT", [VALUE])


def txt_changes(zone: list[endpoint.Endpoint], desired: list[endpoint.Endpoint],
                registry_settings: RegistrySettings) -> list[tuple[str, str]]:
    view = registry.read(zone, registry_settings)
    planned = plan.calculate(view.endpoints, desired, policy="sync", owner_id=OWNER)
    return [(c.action, c.record.dnsname.removesuffix(NAME))
            for group in registry.changes(planned, view, registry_settings)
            for c in group.changes if c.record.record_type == "TXT"]


# The zones each release leaves behind for an Ingress behind an NLB (A and AAAA aliases).
V0_14_ZONE = [alias_set("A"), txt("cname-"), txt(""), alias_set("AAAA"), txt("aaaa-")]
V0_23_ZONE = [alias_set("A"), txt("a-"), alias_set("AAAA"), txt("aaaa-")]
# v0.23 run over a v0.14 zone adds `a-` and keeps `cname-` (and the old format).
MIGRATED_ZONE = [alias_set("A"), txt("cname-"), txt("a-"), txt(""), alias_set("AAAA"),
                 txt("aaaa-")]
MOVED_ALIASES = [alias_set("A", MOVED, resource=RESOURCE),
                 alias_set("AAAA", MOVED, resource=RESOURCE)]


@pytest.mark.parametrize("registry_settings", [CNAME_FORMAT, A_FORMAT],
                         ids=["rollback-v0.14", "rollback-v0.23"])
@pytest.mark.parametrize(("zone", "rewritten"), [
    (V0_14_ZONE, ["cname-", "", "aaaa-"]),
    (V0_23_ZONE, ["a-", "aaaa-"]),
    (MIGRATED_ZONE, ["cname-", "a-", "", "aaaa-"]),
], ids=["from-v0.14", "from-v0.23", "both-names"])
def test_updated_alias_keeps_the_txt_names_it_has(zone, rewritten,  # type: ignore[no-untyped-def]
                                                  registry_settings) -> None:
    found = txt_changes(zone, MOVED_ALIASES, registry_settings)

    # Each TXT it has is deleted exactly as read and created again; no other name appears.
    assert sorted(name for action, name in found if action == "DELETE") == sorted(rewritten)
    assert sorted(name for action, name in found if action == "CREATE") == sorted(rewritten)


@pytest.mark.parametrize(("registry_settings", "written"), [
    (CNAME_FORMAT, "cname-"),
    (A_FORMAT, "a-"),
], ids=["rollback-v0.14", "rollback-v0.23"])
def test_new_alias_gets_the_rollback_release_txt_name(registry_settings, written) -> None:  # type: ignore[no-untyped-def]
    assert txt_changes([], MOVED_ALIASES, registry_settings) == [
        ("CREATE", written), ("CREATE", "aaaa-")]


@pytest.mark.parametrize(("registry_settings", "written"), [
    (CNAME_FORMAT, "cname-"),
    (A_FORMAT, "a-"),
], ids=["rollback-v0.14", "rollback-v0.23"])
def test_alias_owned_through_the_old_format_only_gets_the_rollback_release_txt_name(  # type: ignore[no-untyped-def]
        registry_settings, written) -> None:
    found = txt_changes([alias_set("A"), txt("")], MOVED_ALIASES[:1], registry_settings)

    assert ("CREATE", written) in found
    assert not {name for _, name in found} - {written, ""}


@pytest.mark.parametrize(("release", "kind"), [
    ("v0.14.2", "CNAME"), ("v0.21.0", "CNAME"), ("0.13", "CNAME"),
    ("v0.22.0", "A"), ("v0.23.0", "A"), ("v1.0", "A"),
])
def test_rollback_release_picks_the_alias_txt_type(release: str, kind: str) -> None:
    parsed = settings.from_args(cli.parse(["reconcile", f"--rollback-release={release}"]))

    assert parsed.registry.alias_txt_type == kind


def test_rollback_release_defaults_to_the_seed_release_cname_format() -> None:
    parsed = settings.from_args(cli.parse(["reconcile"]))

    assert (alias.ROLLBACK_RELEASE, parsed.registry.alias_txt_type) == ("v0.14.2", "CNAME")


@pytest.mark.parametrize("release", ["latest", "v0", "0.14.x", ""])
def test_rollback_release_that_is_no_release_is_refused_in_one_line(release: str) -> None:
    with pytest.raises(ConfigError) as refused:
        settings.from_args(cli.parse(["reconcile", f"--rollback-release={release}"]))

    message = str(refused.value)
    assert f'--rollback-release "{release}"' in message and "v0.14.2" in message
    assert "\n" not in message


@pytest.mark.parametrize(("registry_settings", "written"), [
    (CNAME_FORMAT, [("DELETE", ""), ("DELETE", "cname-"), ("CREATE", "cname-")]),
    (A_FORMAT, [("DELETE", ""), ("DELETE", "cname-"), ("CREATE", "a-")]),
], ids=["rollback-v0.14", "rollback-v0.23"])
def test_cname_replaced_by_an_alias_hands_over_in_one_group(registry_settings,  # type: ignore[no-untyped-def]
                                                            written) -> None:
    cname = endpoint.make(NAME, "CNAME", [NLB], ttl=60)
    zone = [cname, txt("cname-"), txt("")]
    view = registry.read(zone, registry_settings)
    planned = plan.calculate(view.endpoints, MOVED_ALIASES[:1], policy="sync", owner_id=OWNER)

    (group,) = registry.changes(planned, view, registry_settings)

    assert sorted((c.action, c.record.dnsname.removesuffix(NAME)) for c in group.changes
                  if c.record.record_type == "TXT") == sorted(written)


OLD_OWNER_VALUE = VALUE.replace(OWNER, "old-cluster")


@pytest.mark.parametrize(("zone_txts", "written"), [
    (["cname-", ""], ["cname-"]),
    (["a-"], ["a-"]),
    (["cname-", "a-", ""], ["cname-", "a-"]),
], ids=["from-v0.14", "from-v0.23", "both-names"])
def test_owner_hand_over_keeps_the_alias_txt_names(zone_txts, written) -> None:  # type: ignore[no-untyped-def]
    from reconciler import handover

    zone = [alias_set("A"), *(endpoint.make(p + NAME, "TXT", [OLD_OWNER_VALUE])
                              for p in zone_txts)]
    view = registry.read(zone, A_FORMAT)
    (record,) = view.endpoints
    taken = handover.Decision(record, handover.TAKE, "asked for here",
                              alias_set("A", resource=RESOURCE))

    groups = handover.changes([taken], view, old_owner="old-cluster", settings=A_FORMAT)

    assert sorted(c.record.dnsname.removesuffix(NAME) for g in groups for c in g.changes
                  if c.action == "CREATE" and c.record.record_type == "TXT") == sorted(written)


PLAIN_A = endpoint.make(NAME, "A", ["10.4.11.1"], ttl=60)


@pytest.mark.parametrize("registry_settings", [CNAME_FORMAT, A_FORMAT],
                         ids=["rollback-v0.14", "rollback-v0.23"])
@pytest.mark.parametrize(("zone", "left"), [
    ([endpoint.make(NAME, "TXT", [OLD_OWNER_VALUE])], ""),
    ([endpoint.make("cname-" + NAME, "TXT", [OLD_OWNER_VALUE]),
      endpoint.make(NAME, "TXT", [OLD_OWNER_VALUE])], "cname-"),
    ([endpoint.make("a-" + NAME, "TXT", [OLD_OWNER_VALUE])], "a-"),
    ([PLAIN_A, txt("a-"), endpoint.make("cname-" + NAME, "TXT", [OLD_OWNER_VALUE])], "cname-"),
], ids=["old-format-left", "v0.14-txts-left-by-v0.23", "a-left", "plain-a-becoming-alias"])
def test_alias_is_not_written_where_another_owner_s_txt_would_claim_it(  # type: ignore[no-untyped-def]
        zone, left, registry_settings) -> None:
    view = registry.read(zone, registry_settings)
    planned = plan.calculate(view.endpoints, MOVED_ALIASES[:1], policy="sync", owner_id=OWNER,
                             foreign=lambda r: registry.foreign_txt(view, r, registry_settings))

    assert (planned.creates, planned.updates) == ((), ())
    (skip,) = planned.skipped
    assert f"TXT record {left}{NAME} " in skip.reason and "old-cluster" in skip.reason


@pytest.mark.parametrize("zone", [
    [txt("a-"), txt("cname-"), txt("")],  # our own TXTs left behind
    [endpoint.make(NAME, "TXT", ['"v=spf1 -all"'])],  # an ordinary TXT at the name
    [endpoint.make("cname-" + NAME, "TXT", [OLD_OWNER_VALUE], set_identifier="blue")],
], ids=["ours", "not-an-ownership-txt", "other-set-identifier"])
def test_alias_is_written_where_no_other_owner_s_txt_would_claim_it(zone) -> None:  # type: ignore[no-untyped-def]
    view = registry.read(zone, A_FORMAT)
    planned = plan.calculate(view.endpoints, MOVED_ALIASES[:1], policy="sync", owner_id=OWNER,
                             foreign=lambda r: registry.foreign_txt(view, r, A_FORMAT))

    assert [r.describe() for r in planned.creates] == [f"{NAME} A"]
