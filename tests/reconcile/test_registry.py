"""The TXT registry: names in both formats, affixes, %{record_type}, wildcards, values
plain and AES-256-GCM encrypted, and the TXT changes that go with record changes."""

from __future__ import annotations

import base64
import gzip
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reconciler import endpoint, plan, registry
from reconciler.settings import RegistrySettings

OWNER = "external-dns-external-dns"
PLAIN = RegistrySettings(owner_id=OWNER)
KEY = bytes(range(32))
SEED_VALUE = ('"heritage=external-dns,external-dns/owner=external-dns-external-dns,'
              'external-dns/resource=service/httpbin/httpbin"')
SEED_LABELS = {"owner": OWNER, "resource": "service/httpbin/httpbin"}


@pytest.mark.parametrize(("name", "kind", "settings", "new", "old"), [
    ("foo.ex.com", "A", PLAIN, "a-foo.ex.com", "foo.ex.com"),
    ("foo.ex.com", "AAAA", PLAIN, "aaaa-foo.ex.com", "foo.ex.com"),
    ("foo.ex.com", "CNAME", PLAIN, "cname-foo.ex.com", "foo.ex.com"),
    ("ex.com", "A", PLAIN, "a-ex.com", "ex.com"),
    ("foo.ex.com", "A", RegistrySettings(prefix="txt-"), "txt-a-foo.ex.com", "txt-foo.ex.com"),
    ("foo.ex.com", "A", RegistrySettings(prefix="txt."), "txt.a-foo.ex.com", "txt.foo.ex.com"),
    ("bar.zone.org", "CNAME", RegistrySettings(suffix="-txt"), "cname-bar-txt.zone.org",
     "bar-txt.zone.org"),
    ("foo.ex.com", "AAAA", RegistrySettings(prefix="%{record_type}-"), "aaaa-foo.ex.com",
     "-foo.ex.com"),
    ("foo.ex.com", "CNAME", RegistrySettings(suffix="-%{record_type}"), "foo-cname.ex.com",
     "foo-.ex.com"),
    ("*.ex.com", "A", RegistrySettings(wildcard_replacement="wild"), "a-wild.ex.com",
     "wild.ex.com"),
    ("*.ex.com", "A", RegistrySettings(prefix="txt-", wildcard_replacement="any"),
     "txt-a-any.ex.com", "txt-any.ex.com"),
])
def test_txt_names_in_both_formats(name, kind, settings, new, old) -> None:  # type: ignore[no-untyped-def]
    assert registry.txt_name(name, kind, settings) == new
    assert registry.txt_name(name, kind, settings, new_format=False) == old


def test_value_is_heritage_then_sorted_labels_in_quotes() -> None:
    assert registry.encode({"resource": "service/httpbin/httpbin", "owner": OWNER}) == SEED_VALUE


@pytest.mark.parametrize(("value", "labels"), [
    (SEED_VALUE, SEED_LABELS),
    (SEED_VALUE.strip('"'), SEED_LABELS),
    ('"heritage=external-dns,external-dns/owner=x,external-dns/resource=a=b"',
     {"owner": "x", "resource": "a=b"}),
    ('"v=spf1 include:example.com ~all"', None),
    # ExternalDNS accepts heritage anywhere; a key without its prefix is no label.
    ('"owner=x,heritage=external-dns"', {}),
    ('"external-dns/owner=x,heritage=external-dns"', {"owner": "x"}),
    ('"heritage=other,external-dns/owner=x"', None),
    ('"external-dns/owner=x"', None),
])
def test_decode_reads_ownership_and_ignores_ordinary_txt(value, labels) -> None:  # type: ignore[no-untyped-def]
    assert registry.decode(value) == labels


def test_encryption_round_trip_keeps_nonce_so_rewrite_is_identical() -> None:
    sealed = registry.encode(SEED_LABELS, KEY)

    labels = registry.decode(sealed, KEY)

    assert labels is not None and labels.pop(registry.NONCE_LABEL)
    assert labels == SEED_LABELS
    assert registry.encode(registry.decode(sealed, KEY) or {}, KEY) == sealed
    assert registry.decode(sealed) is None  # without the key it is not ours to read


def test_decrypts_value_produced_independently_per_the_spec() -> None:
    nonce = os.urandom(12)
    plaintext = SEED_VALUE.strip('"').encode()
    sealed = AESGCM(KEY).encrypt(nonce, gzip.compress(plaintext), None)
    value = '"' + base64.b64encode(nonce + sealed).decode() + '"'

    labels = registry.decode(value, KEY)

    assert labels == {**SEED_LABELS, registry.NONCE_LABEL: base64.b64encode(nonce).decode()}


def test_wrong_key_reads_as_not_ours() -> None:
    assert registry.decode(registry.encode(SEED_LABELS, KEY), bytes(32)) is None


# ---- reading a zone and writing changes ----------------------------------------------

HTTPBIN_A = endpoint.make("httpbin.goldentooth.net", "A", ["10.4.11.1"], ttl=60)
NEW_TXT = endpoint.make("a-httpbin.goldentooth.net", "TXT", [SEED_VALUE])
OLD_TXT = endpoint.make("httpbin.goldentooth.net", "TXT", [SEED_VALUE])
DESIRED = HTTPBIN_A.with_labels(resource="service/httpbin/httpbin")


@pytest.mark.parametrize(("zone", "owner", "missing"), [
    ([HTTPBIN_A, NEW_TXT, OLD_TXT], OWNER, None),
    ([HTTPBIN_A, NEW_TXT], OWNER, None),
    ([HTTPBIN_A, OLD_TXT], OWNER, "true"),
    ([HTTPBIN_A], None, None),
    ([HTTPBIN_A, endpoint.make("a-httpbin.goldentooth.net", "TXT", ['"hello"'])], None, None),
])
def test_read_finds_owner_in_either_format(zone, owner, missing) -> None:  # type: ignore[no-untyped-def]
    (record,) = registry.read(zone, PLAIN).endpoints

    assert record.label(endpoint.OWNER) == owner
    assert record.label(plan.TXT_MISSING) == missing


def changes_for(zone, desired, settings=PLAIN, policy="sync"):  # type: ignore[no-untyped-def]
    view = registry.read(zone, settings)
    planned = plan.calculate(view.endpoints, desired, policy=policy, owner_id=OWNER)
    return [(c.action, c.record.dnsname, c.record.record_type, c.record.ttl)
            for g in registry.changes(planned, view, settings) for c in g.changes]


def test_adopting_external_dns_zone_changes_nothing() -> None:
    assert changes_for([HTTPBIN_A, NEW_TXT, OLD_TXT], [DESIRED]) == []


def test_create_writes_new_format_txt_with_ttl_300() -> None:
    assert changes_for([], [DESIRED]) == [
        ("CREATE", "httpbin.goldentooth.net", "A", 60),
        ("CREATE", "a-httpbin.goldentooth.net", "TXT", 300),
    ]


def test_delete_removes_record_and_both_txt_formats_exactly_as_listed() -> None:
    view = registry.read([HTTPBIN_A, NEW_TXT, OLD_TXT], PLAIN)
    planned = plan.calculate(view.endpoints, [], policy="sync", owner_id=OWNER)

    (group,) = registry.changes(planned, view, PLAIN)

    assert [(c.action, c.record) for c in group.changes] == [
        ("DELETE", HTTPBIN_A), ("DELETE", NEW_TXT), ("DELETE", OLD_TXT)]


def test_update_deletes_exactly_what_was_read_and_creates_the_new_set() -> None:
    moved = endpoint.make("httpbin.goldentooth.net", "A", ["10.4.11.2"], ttl=60,
                          labels={"resource": "service/httpbin/httpbin"})
    view = registry.read([HTTPBIN_A, NEW_TXT], PLAIN)
    planned = plan.calculate(view.endpoints, [moved], policy="sync", owner_id=OWNER)

    (group,) = registry.changes(planned, view, PLAIN)

    # The unchanged TXT is deleted and created again: the DELETE is the condition that it
    # still names us (docs/route53.md, "Conditional writes").
    assert [(c.action, c.record) for c in group.changes] == [
        ("DELETE", HTTPBIN_A), ("DELETE", NEW_TXT), ("CREATE", moved), ("CREATE", NEW_TXT)]
    assert group.changes[3].record.targets == NEW_TXT.targets


def test_no_change_is_ever_an_upsert() -> None:
    moved = endpoint.make("httpbin.goldentooth.net", "A", ["10.4.11.2"], ttl=60,
                          labels={"resource": "service/httpbin/httpbin-v2"})

    assert {action for action, *_ in changes_for([HTTPBIN_A, NEW_TXT, OLD_TXT], [moved])} == {
        "DELETE", "CREATE"}


def test_migration_recreates_missing_new_format_txt_while_the_old_one_names_us() -> None:
    assert changes_for([HTTPBIN_A, OLD_TXT], [DESIRED]) == [
        ("DELETE", "httpbin.goldentooth.net", "TXT", 300),
        ("CREATE", "a-httpbin.goldentooth.net", "TXT", 300),
        ("CREATE", "httpbin.goldentooth.net", "TXT", 300)]


def test_weighted_txt_carries_set_identifier_and_weight() -> None:
    weighted = endpoint.make("w.goldentooth.net", "A", ["10.0.0.1"], set_identifier="blue",
                             properties={endpoint.WEIGHT: "10"}, labels={"resource": "service/a/b"})
    view = registry.read([], PLAIN)
    planned = plan.calculate([], [weighted], policy="sync", owner_id=OWNER)

    (group,) = registry.changes(planned, view, PLAIN)

    txt = group.changes[1].record
    assert (txt.dnsname, txt.set_identifier, txt.properties) == (
        "a-w.goldentooth.net", "blue", ((endpoint.WEIGHT, "10"),))


def test_encrypted_zone_is_adopted_without_rewrite() -> None:
    settings = RegistrySettings(owner_id=OWNER, aes_key=KEY)
    sealed = endpoint.make("a-httpbin.goldentooth.net", "TXT",
                           [registry.encode(SEED_LABELS, KEY)])

    assert changes_for([HTTPBIN_A, sealed], [DESIRED], settings) == []


def test_ordinary_txt_at_ownership_name_is_never_overwritten() -> None:
    ordinary = endpoint.make("a-httpbin.goldentooth.net", "TXT", ['"hello"'])

    assert changes_for([ordinary], [DESIRED]) == [
        ("CREATE", "httpbin.goldentooth.net", "A", 60),
        ("CREATE", "a-httpbin.goldentooth.net", "TXT", 300),  # Route53 refuses: reported
    ]


def test_old_format_txt_shared_by_a_and_aaaa_is_deleted_once() -> None:
    aaaa = endpoint.make("httpbin.goldentooth.net", "AAAA", ["2001:db8::1"], ttl=60)
    aaaa_txt = endpoint.make("aaaa-httpbin.goldentooth.net", "TXT", [SEED_VALUE])
    view = registry.read([HTTPBIN_A, NEW_TXT, OLD_TXT, aaaa, aaaa_txt], PLAIN)
    planned = plan.calculate(view.endpoints, [], policy="sync", owner_id=OWNER)

    deletes = [c.record for g in registry.changes(planned, view, PLAIN) for c in g.changes]

    assert sorted(r.dnsname + " " + r.record_type for r in deletes) == [
        "a-httpbin.goldentooth.net TXT", "aaaa-httpbin.goldentooth.net TXT",
        "httpbin.goldentooth.net A", "httpbin.goldentooth.net AAAA",
        "httpbin.goldentooth.net TXT"]


def test_new_owning_service_rewrites_only_the_txt() -> None:
    moved = HTTPBIN_A.with_labels(resource="service/httpbin/httpbin-v2")

    assert changes_for([HTTPBIN_A, NEW_TXT], [moved]) == [
        ("DELETE", "a-httpbin.goldentooth.net", "TXT", 300),
        ("CREATE", "a-httpbin.goldentooth.net", "TXT", 300)]


# ---- ownership read as ExternalDNS maps TXT names ---------------------------------------

def value(owner: str, resource: str) -> str:
    return registry.encode({"owner": owner, "resource": resource})


HAND_MADE_A_TEAM = endpoint.make("a-team.goldentooth.net", "A", ["203.0.113.7"])
TEAM_A = endpoint.make("team.goldentooth.net", "A", ["10.4.11.1"], ttl=60)
TEAM_TXT = endpoint.make("a-team.goldentooth.net", "TXT", [value(OWNER, "service/ns/team")])
A_TEAM_A = endpoint.make("a-team.goldentooth.net", "A", ["10.4.11.2"], ttl=60)
A_TEAM_TXT = endpoint.make("a-a-team.goldentooth.net", "TXT",
                           [value(OWNER, "service/ns/a-team")])


def owners(zone, settings=PLAIN):  # type: ignore[no-untyped-def]
    return {r.describe(): r.label(endpoint.OWNER) for r in registry.read(zone, settings).endpoints}


def test_type_prefixed_txt_belongs_to_the_unprefixed_name_never_to_itself() -> None:
    assert owners([HAND_MADE_A_TEAM, TEAM_A, TEAM_TXT]) == {
        "a-team.goldentooth.net A": None, "team.goldentooth.net A": OWNER}


def test_deleting_a_service_never_deletes_a_hand_made_record_named_like_its_txt() -> None:
    assert changes_for([HAND_MADE_A_TEAM, TEAM_A, TEAM_TXT], []) == [
        ("DELETE", "team.goldentooth.net", "A", 60),
        ("DELETE", "a-team.goldentooth.net", "TXT", 300)]


@pytest.mark.parametrize("policy", ["sync", "upsert-only", "create-only"])
def test_service_asking_for_a_hand_made_name_never_overwrites_it(policy: str) -> None:
    wants_a_team = endpoint.make("a-team.goldentooth.net", "A", ["10.9.9.9"],
                                 labels={"resource": "service/evil/a-team"})

    assert changes_for([HAND_MADE_A_TEAM, TEAM_A, TEAM_TXT],
                       [wants_a_team, TEAM_A.with_labels(resource="service/ns/team")],
                       policy=policy) == []


def test_deleting_an_a_dash_name_keeps_the_txt_of_the_name_it_prefixes() -> None:
    zone = [A_TEAM_A, A_TEAM_TXT, TEAM_A, TEAM_TXT]

    assert changes_for(zone, [TEAM_A.with_labels(resource="service/ns/team")]) == [
        ("DELETE", "a-team.goldentooth.net", "A", 60),
        ("DELETE", "a-a-team.goldentooth.net", "TXT", 300)]


@pytest.mark.parametrize(("settings", "txt_name"), [
    (RegistrySettings(owner_id=OWNER, prefix="txt-"), "txt-a-team.goldentooth.net"),
    (RegistrySettings(owner_id=OWNER, suffix="-own"), "a-team-own.goldentooth.net"),
    (RegistrySettings(owner_id=OWNER, prefix="%{record_type}."), "a.team.goldentooth.net"),
])
def test_affixed_txt_belongs_to_the_name_inside_the_affix(settings, txt_name) -> None:  # type: ignore[no-untyped-def]
    txt = endpoint.make(txt_name, "TXT", [value(OWNER, "service/ns/team")])
    hand_made = endpoint.make(txt_name, "A", ["203.0.113.7"])

    assert owners([hand_made, TEAM_A, txt], settings) == {
        f"{txt_name} A": None, "team.goldentooth.net A": OWNER}


def test_wildcard_and_a_record_named_like_its_replacement_are_both_unowned() -> None:
    settings = RegistrySettings(owner_id=OWNER, wildcard_replacement="wild")
    wildcard = endpoint.make("*.goldentooth.net", "A", ["10.0.0.1"])
    namesake = endpoint.make("wild.goldentooth.net", "A", ["203.0.113.7"])
    txt = endpoint.make("a-wild.goldentooth.net", "TXT", [value(OWNER, "service/ns/wild")])

    assert owners([wildcard, txt], settings) == {"*.goldentooth.net A": OWNER}
    assert owners([wildcard, namesake, txt], settings) == {
        "*.goldentooth.net A": None, "wild.goldentooth.net A": None}


def test_old_format_txt_of_another_owner_is_never_deleted() -> None:
    theirs = endpoint.make("httpbin.goldentooth.net", "TXT", [value("someone-else", "x")])

    assert changes_for([HTTPBIN_A, NEW_TXT, theirs], []) == [
        ("DELETE", "httpbin.goldentooth.net", "A", 60),
        ("DELETE", "a-httpbin.goldentooth.net", "TXT", 300)]


# ---- encrypted rewrites -------------------------------------------------------------------

def sealed_changes(zone, desired):  # type: ignore[no-untyped-def]
    settings = RegistrySettings(owner_id=OWNER, aes_key=KEY)
    view = registry.read(zone, settings)
    planned = plan.calculate(view.endpoints, desired, policy="sync", owner_id=OWNER)
    return [c.record for g in registry.changes(planned, view, settings) for c in g.changes]


def nonce_of(txt: endpoint.Endpoint) -> bytes:
    return base64.b64decode(txt.targets[0].strip('"'))[:registry.NONCE_SIZE]


def test_rewritten_labels_are_sealed_under_a_fresh_nonce() -> None:
    sealed = endpoint.make("a-httpbin.goldentooth.net", "TXT", [registry.encode(SEED_LABELS, KEY)])
    moved = HTTPBIN_A.with_labels(resource="service/httpbin/httpbin-v2")

    old, txt = sealed_changes([HTTPBIN_A, sealed], [moved])

    assert old == sealed
    assert registry.decode(txt.targets[0], KEY) is not None
    assert nonce_of(txt) != nonce_of(sealed)


def test_unchanged_labels_keep_their_nonce_when_only_routing_changes() -> None:
    weighted = endpoint.make("w.goldentooth.net", "A", ["10.0.0.1"], set_identifier="blue",
                             properties={endpoint.WEIGHT: "10"})
    sealed = endpoint.make("a-w.goldentooth.net", "TXT", [registry.encode(SEED_LABELS, KEY)],
                           set_identifier="blue", properties={endpoint.WEIGHT: "10"})
    heavier = endpoint.make("w.goldentooth.net", "A", ["10.0.0.1"], set_identifier="blue",
                            properties={endpoint.WEIGHT: "20"},
                            labels={"resource": SEED_LABELS["resource"]})

    old, old_txt, record, txt = sealed_changes([weighted, sealed], [heavier])

    assert (old, old_txt) == (weighted, sealed)
    assert (record.record_type, txt.properties) == ("A", ((endpoint.WEIGHT, "20"),))
    assert txt.targets == sealed.targets


ELB = "k8s-web-0123456789.us-east-1.elb.amazonaws.com"
ALIAS_PROPERTIES = {endpoint.ALIAS: "true", endpoint.EVALUATE_TARGET_HEALTH: "true"}
RESOURCE = {"resource": "service/httpbin/httpbin"}


def alias_set(kind: str = "A", labels: dict[str, str] | None = None) -> endpoint.Endpoint:
    return endpoint.make("httpbin.goldentooth.net", kind, [ELB], properties=ALIAS_PROPERTIES,
                         labels=labels)


def txt(name: str, value: str = SEED_VALUE) -> endpoint.Endpoint:
    return endpoint.make(name, "TXT", [value])


CNAME_TXT = txt("cname-httpbin.goldentooth.net")
AAAA_TXT = txt("aaaa-httpbin.goldentooth.net")


@pytest.mark.parametrize(("zone", "owner", "missing"), [
    ([alias_set(), CNAME_TXT], OWNER, None),
    ([alias_set(), NEW_TXT], OWNER, None),
    ([alias_set(), OLD_TXT], OWNER, "true"),
    ([alias_set()], None, None),
], ids=["cname-txt-up-to-v0.21", "a-txt-from-v0.22", "old-format", "none"])
def test_a_alias_is_owned_through_its_cname_or_a_txt(zone, owner, missing) -> None:  # type: ignore[no-untyped-def]
    (record,) = registry.read(zone, PLAIN).endpoints

    assert record.label(endpoint.OWNER) == owner
    assert record.label(plan.TXT_MISSING) == missing


def test_aaaa_alias_is_owned_through_its_aaaa_txt_only() -> None:
    records = registry.read([alias_set("AAAA"), CNAME_TXT], PLAIN).endpoints
    owned = registry.read([alias_set("AAAA"), AAAA_TXT], PLAIN).endpoints

    assert records[0].label(endpoint.OWNER) is None
    assert owned[0].label(endpoint.OWNER) == OWNER


def test_alias_records_get_cname_and_aaaa_txts_without_alias_properties() -> None:
    found = changes_for([], [alias_set(labels=RESOURCE), alias_set("AAAA", RESOURCE)])
    view = registry.read([], PLAIN)
    planned = plan.calculate([], [alias_set(labels=RESOURCE)], policy="sync", owner_id=OWNER)
    (group,) = registry.changes(planned, view, PLAIN)

    assert found == [
        ("CREATE", "httpbin.goldentooth.net", "A", 300),
        ("CREATE", "cname-httpbin.goldentooth.net", "TXT", 300),
        ("CREATE", "httpbin.goldentooth.net", "AAAA", 300),
        ("CREATE", "aaaa-httpbin.goldentooth.net", "TXT", 300)]
    assert group.changes[1].record.properties == ()


def test_adopting_an_external_dns_alias_zone_changes_nothing() -> None:
    zone = [alias_set(), CNAME_TXT, OLD_TXT, alias_set("AAAA"), AAAA_TXT]

    assert changes_for(zone, [alias_set(labels=RESOURCE), alias_set("AAAA", RESOURCE)]) == []


def test_cname_becoming_an_alias_keeps_its_txt_and_is_replaced_in_one_group() -> None:
    cname = endpoint.make("httpbin.goldentooth.net", "CNAME", [ELB], ttl=60)
    view = registry.read([cname, CNAME_TXT, OLD_TXT], PLAIN)
    planned = plan.calculate(view.endpoints,
                             [alias_set(labels=RESOURCE), alias_set("AAAA", RESOURCE)],
                             policy="sync", owner_id=OWNER)

    groups = registry.changes(planned, view, PLAIN)

    assert [[(c.action, c.record.dnsname, c.record.record_type) for c in g.changes]
            for g in groups] == [
        [("DELETE", "httpbin.goldentooth.net", "CNAME"),
         ("DELETE", "httpbin.goldentooth.net", "TXT"),
         ("DELETE", "cname-httpbin.goldentooth.net", "TXT"),
         ("CREATE", "httpbin.goldentooth.net", "A"),
         ("CREATE", "cname-httpbin.goldentooth.net", "TXT")],
        [("CREATE", "httpbin.goldentooth.net", "AAAA"),
         ("CREATE", "aaaa-httpbin.goldentooth.net", "TXT")]]


def test_a_record_becoming_an_alias_is_deleted_and_created_and_its_txt_renamed() -> None:
    found = changes_for([HTTPBIN_A, NEW_TXT], [alias_set(labels=RESOURCE)])

    assert found == [
        ("DELETE", "httpbin.goldentooth.net", "A", 60),
        ("DELETE", "a-httpbin.goldentooth.net", "TXT", 300),
        ("CREATE", "httpbin.goldentooth.net", "A", 300),
        ("CREATE", "cname-httpbin.goldentooth.net", "TXT", 300)]


def test_deleting_an_alias_deletes_every_txt_that_owns_it() -> None:
    found = changes_for([alias_set(), CNAME_TXT, NEW_TXT, OLD_TXT], [])

    assert found == [
        ("DELETE", "httpbin.goldentooth.net", "A", 300),
        ("DELETE", "cname-httpbin.goldentooth.net", "TXT", 300),
        ("DELETE", "httpbin.goldentooth.net", "TXT", 300),
        ("DELETE", "a-httpbin.goldentooth.net", "TXT", 300)]


OTHER_VALUE = ('"heritage=external-dns,external-dns/owner=another-cluster,'
               'external-dns/resource=service/httpbin/httpbin"')


@pytest.mark.parametrize("zone", [
    [alias_set(), CNAME_TXT, txt("a-httpbin.goldentooth.net", OTHER_VALUE)],
    [alias_set(), txt("cname-httpbin.goldentooth.net", OTHER_VALUE), NEW_TXT],
    [alias_set(), NEW_TXT, txt("httpbin.goldentooth.net", OTHER_VALUE)],
], ids=["a-txt-of-another-owner", "cname-txt-of-another-owner", "old-format-of-another"])
def test_alias_whose_txts_disagree_is_nobodys_and_left_alone(zone) -> None:  # type: ignore[no-untyped-def]
    (record,) = registry.read(zone, PLAIN).endpoints

    assert record.label(endpoint.OWNER) is None
    assert changes_for(zone, []) == []
