"""Ownership TXT names both ways, as ExternalDNS's affix name mapper maps them: a TXT name
stands for (record name, record type), with "" for the old format."""

from __future__ import annotations

import pytest

from dnsgate import txtname
from dnsgate.txtname import Mapper

PLAIN = Mapper()
PREFIX = Mapper.of("txt-", "", "")
DOT_PREFIX = Mapper.of("_own.", "", "")
SUFFIX = Mapper.of("", "-txt", "")
DOT_SUFFIX = Mapper.of("", ".own", "")
TYPED_PREFIX = Mapper.of("%{record_type}-", "", "")
TYPED_DOT_PREFIX = Mapper.of("%{record_type}.", "", "")
TYPED_SUFFIX = Mapper.of("", "-%{record_type}", "")
WILD = Mapper.of("", "", "wild")


@pytest.mark.parametrize(("mapper", "txt", "record"), [
    # the type before the first dash of the name decides, never the record's own name
    (PLAIN, "a-team.ex.com", ("team.ex.com", "A")),
    (PLAIN, "aaaa-team.ex.com", ("team.ex.com", "AAAA")),
    (PLAIN, "cname-team.ex.com", ("team.ex.com", "CNAME")),
    (PLAIN, "a-a-team.ex.com", ("a-team.ex.com", "A")),
    (PLAIN, "team.ex.com", ("team.ex.com", "")),
    (PLAIN, "A-Team.Ex.Com", ("team.ex.com", "A")),
    (PLAIN, "mx-team.ex.com", ("team.ex.com", "MX")),
    (PLAIN, "txt-team.ex.com", ("team.ex.com", "TXT")),
    (PLAIN, "ab-team.ex.com", ("ab-team.ex.com", "")),
    (PLAIN, "a.b-c.ex.com", ("a.b-c.ex.com", "")),
    # prefixes: dropped first, then the type
    (PREFIX, "txt-a-foo.ex.com", ("foo.ex.com", "A")),
    (PREFIX, "txt-foo.ex.com", ("foo.ex.com", "")),
    (PREFIX, "a-foo.ex.com", None),
    (DOT_PREFIX, "_own.cname-foo.ex.com", ("foo.ex.com", "CNAME")),
    # suffixes wrap the first label (or as many labels as the suffix has dots)
    (SUFFIX, "cname-bar-txt.zone.org", ("bar.zone.org", "CNAME")),
    (SUFFIX, "bar-txt.zone.org", ("bar.zone.org", "")),
    (SUFFIX, "bar.zone.org", None),
    (DOT_SUFFIX, "a-bar.own.zone.org", ("bar.zone.org", "A")),
    # %{record_type} in the affix: the type comes from the affix
    (TYPED_PREFIX, "aaaa-foo.ex.com", ("foo.ex.com", "AAAA")),
    (TYPED_PREFIX, "-foo.ex.com", ("foo.ex.com", "")),
    (TYPED_DOT_PREFIX, "cname.foo.ex.com", ("foo.ex.com", "CNAME")),
    (TYPED_SUFFIX, "foo-cname.ex.com", ("foo.ex.com", "CNAME")),
    (TYPED_SUFFIX, "foo-.ex.com", ("foo.ex.com", "")),
    # the wildcard replacement is not undone: the record side applies it before looking up
    (WILD, "a-wild.ex.com", ("wild.ex.com", "A")),
])
def test_txt_name_maps_to_the_record_it_stands_for(mapper, txt, record) -> None:  # type: ignore[no-untyped-def]
    assert mapper.record_of(txt) == record


@pytest.mark.parametrize("mapper", [PLAIN, PREFIX, DOT_PREFIX, SUFFIX, DOT_SUFFIX, TYPED_PREFIX,
                                    TYPED_DOT_PREFIX, TYPED_SUFFIX])
@pytest.mark.parametrize("name", ["team.ex.com", "a-team.ex.com", "aaaa-x.ex.com", "ex.com"])
@pytest.mark.parametrize("kind", ["A", "AAAA", "CNAME"])
def test_new_format_name_maps_back_to_its_record(mapper, name, kind) -> None:  # type: ignore[no-untyped-def]
    assert mapper.record_of(mapper.txt_name(name, kind)) == (name, kind)


def test_wildcard_is_looked_up_under_its_replacement() -> None:
    assert WILD.txt_name("*.ex.com", "A") == "a-wild.ex.com"
    assert WILD.lookup_name("*.ex.com") == "wild.ex.com"
    assert PLAIN.lookup_name("*.ex.com") == "*.ex.com"


@pytest.mark.parametrize("mapper", [WILD, Mapper.of("txt-", "", "wild"),
                                    Mapper.of("", "-own", "any"), Mapper.of("", "", "Wild")])
@pytest.mark.parametrize("name", ["*.ex.com", "wild.ex.com", "*.a.ex.com"])
@pytest.mark.parametrize("kind", ["A", "AAAA", "CNAME"])
def test_a_wildcards_txt_maps_back_to_its_anchor(mapper, name, kind) -> None:  # type: ignore[no-untyped-def]
    assert mapper.record_of(mapper.txt_name(name, kind)) == (mapper.anchor(name), kind)


@pytest.mark.parametrize(("replacement", "refused"), [
    ("", False), ("wild", False), ("w", False), ("wild-1", False), ("0", False),
    ("w" * 63, False), ("Wild", True), ("WILD", True), ("wild.card", True), ("-wild", True),
    ("wild-", True), ("w" * 64, True), ("*", True), ("wild_card", True), ("wïld", True),
])
def test_a_wildcard_replacement_must_be_a_lower_case_label(replacement: str,
                                                           refused: bool) -> None:
    error = txtname.wildcard_replacement_error(replacement)

    assert (error is not None) is refused
    if error is not None:
        assert error.startswith(f'--txt-wildcard-replacement "{replacement}" is not a '
                                "lower-case DNS label; use 1 to 63 of a-z, 0-9 and inner hyphens")


@pytest.mark.parametrize(("prefix", "suffix", "refused"), [
    ("%{record_type}-", "", False), ("%{record_type}.", "", False), ("_%{record_type}_", "", False),
    ("", "-%{record_type}", False), ("", ".%{record_type}", False), ("txt-", "", False),
    ("%{record_type}", "", True), ("own%{record_type}", "", True), ("%{record_type}x-", "", True),
    ("", "%{record_type}", True), ("", "-own%{record_type}", True),
])
def test_a_type_template_must_be_set_apart_from_the_name(prefix: str, suffix: str,
                                                         refused: bool) -> None:
    error = txtname.template_error(prefix, suffix)

    assert (error is not None) is refused
    if refused:
        assert error is not None and "two records can share a TXT name" in error


@pytest.mark.parametrize(("prefix", "suffix"), [
    ("%{record_type}-", ""), ("%{record_type}.", ""), ("_%{record_type}_", ""),
    ("", "-%{record_type}"), ("", ".%{record_type}"), ("%{record_type}", ""),
    ("", "%{record_type}"),
])
def test_an_accepted_template_gives_every_record_its_own_txt_name(prefix: str,
                                                                  suffix: str) -> None:
    labels = ["x", "a", "aa", "aaa", "aaax", "xaaa", "cname", "a-x", "x-a", "aaaa-x", "ax", "xa"]
    records = [(f"{label}.ex.com", kind) for label in labels for kind in ("A", "AAAA", "CNAME")]
    mapper = Mapper.of(prefix, suffix, "")

    shared = len(records) - len({mapper.txt_name(name, kind) for name, kind in records})

    assert (shared == 0) is (txtname.template_error(prefix, suffix) is None)
