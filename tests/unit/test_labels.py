"""`--label-filter`: dnsgate.labels parses and matches a selector as apimachinery does, so the
webhook's review picks the objects the API server's list and watch pick (tests/scope holds the
two equal against the real apiserver)."""

from __future__ import annotations

import pytest

from dnsgate import labels

PUBLIC = {"dns": "public"}
PRIVATE = {"dns": "private"}
NONE: dict[str, str] = {}
TIER_7 = {"tier": "7"}

MATCHES = [
    # (selector, labels, matches)
    ("", NONE, True),
    ("   ", PUBLIC, True),
    ("dns=public", PUBLIC, True),
    ("dns=public", PRIVATE, False),
    ("dns=public", NONE, False),
    ("dns==public", PUBLIC, True),
    ("dns!=public", PRIVATE, True),
    ("dns!=public", NONE, True),  # absent key: != holds
    ("dns!=public", PUBLIC, False),
    ("dns in (public,edge)", PUBLIC, True),
    ("dns in (edge)", PUBLIC, False),
    ("dns notin (public)", NONE, True),  # absent key: notin holds
    ("dns notin (public)", PUBLIC, False),
    ("dns", PUBLIC, True),
    ("dns", NONE, False),
    ("!dns", NONE, True),
    ("!dns", PUBLIC, False),
    ("dns=", {"dns": ""}, True),
    ("dns in (,x)", {"dns": ""}, True),
    ("dns in ()", {"dns": ""}, True),
    ("dns=public,!legacy", {**PUBLIC, "legacy": "1"}, False),
    ("dns=public , tier", {**PUBLIC, **TIER_7}, True),
    ("tier>5", TIER_7, True),
    ("tier<5", TIER_7, False),
    ("tier>5", {"tier": "seven"}, False),
    ("tier>5", NONE, False),
    ("in in (in)", {"in": "in"}, True),  # keywords are identifiers where values go
    ("example.com/dns=public", {"example.com/dns": "public"}, True),
]


@pytest.mark.parametrize(("text", "given", "expected"), MATCHES)
def test_a_selector_matches_as_the_api_server_matches(
        text: str, given: dict[str, str], expected: bool) -> None:
    assert labels.parse(text).matches(given) is expected


REFUSED = [
    # (selector, part of the reason)
    ("dns=public=x", "found '=', expected: ',' or end of string"),
    ("dns public", "found 'public', expected: in, notin, =, ==, !=, gt, lt"),
    ("dns in public", "found 'public', expected: '('"),
    ("dns in (a b)", "found 'b', expected: ',' or ')'"),
    ("dns=public,", "found '', expected: identifier after ','"),
    ("=public", "found '=', expected: !, identifier, or end of string"),
    ("!dns=public", "found '=', expected: ',' or end of string"),
    ("-dns=public", "label key '-dns'"),
    ("a/b/c=d", "more than one '/'"),
    ("Example.com/dns=x", "prefix that is not a DNS subdomain"),
    ("dns=-public", "label value '-public'"),
    ("dns=" + "x" * 64, "label value"),
    ("tier>seven", "must be an integer"),
    ("tier>99999999999999999999", "must be an integer"),
    ("tier>-5", "label value '-5'"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_a_selector_the_api_server_refuses_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as refused:
        labels.parse(text)

    assert reason in str(refused.value)


def test_the_text_given_is_what_the_watch_sends() -> None:
    assert labels.parse(" dns = public ").text == " dns = public "


OBJECT_SELECTORS = [
    # (--gateway-label-filter, what ExternalDNS then matches, as text)
    ("", ""),
    ("tier=edge", "tier=edge"),
    ("tier==edge", "tier=edge"),
    ("tier=internal,tier=edge", "tier=edge"),  # matchLabels: the later term replaces
    ("tier=edge,tier=internal", "tier=internal"),
    ("tier in (a,b),!legacy,zone", "!legacy,tier in (a,b),zone"),
    ("zone=a,tier notin (x)", "zone=a,tier notin (x)"),
]


@pytest.mark.parametrize(("text", "meant"), OBJECT_SELECTORS)
def test_a_selector_object_keeps_the_last_value_given_for_a_key(text: str, meant: str) -> None:
    assert labels.parse_object(text).text == meant


@pytest.mark.parametrize("text", ["tier!=edge", "tier>1", "tier<1", "zone=a,tier!=edge"])
def test_a_selector_object_refuses_inequalities(text: str) -> None:
    with pytest.raises(ValueError, match="not supported in a label selector object"):
        labels.parse_object(text)
