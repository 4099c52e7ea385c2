"""The work one parse of the annotations does is bounded whatever the map holds: counted in
calls and keys read, not timed. A legal object carries up to 256 KiB of annotations (about
5,500 unknown keys under the alpha prefix); a body sent straight to the webhook, ten times
that."""

import difflib
from collections.abc import Iterator
from unittest import mock

import pytest

from dnsgate import annotations, unknown_keys

A = annotations.ALPHA_PREFIX
H = A + annotations.HOSTNAME
NAME = "httpbin.goldentooth.net"


def typos(count: int) -> dict[str, str]:
    """`count` keys each a near miss of "hostname", so each could earn a suggestion."""
    return {H: NAME, **{f"{A}hostnam{number:06d}": "x" for number in range(count)}}


@pytest.mark.parametrize("count", [1, 6, 2_868, 30_000])
def test_suggestions_are_looked_for_a_bounded_number_of_times(count: int, domains) -> None:
    with mock.patch.object(difflib, "get_close_matches",
                           wraps=difflib.get_close_matches) as suggest:
        parsed = annotations.parse(typos(count), domains)

    assert suggest.call_count == min(count, unknown_keys.NAMED_MAX)
    assert parsed.ok


@pytest.mark.parametrize(("count", "named"), [
    (1, 1), (unknown_keys.NAMED_MAX, unknown_keys.NAMED_MAX),
    (unknown_keys.NAMED_MAX + 1, unknown_keys.NAMED_MAX), (30_000, unknown_keys.NAMED_MAX),
])
def test_unknown_keys_are_named_up_to_a_cap_then_summed_up_in_one_warning(
        count: int, named: int, domains) -> None:
    warnings = annotations.parse(typos(count), domains).warnings

    assert sum("is not an annotation dnsgate knows; did you mean hostname?" in w
               for w in warnings) == named
    more = [w for w in warnings if w.startswith("and more keys under")]
    assert len(more) == (1 if count > named else 0)
    assert len(warnings) <= unknown_keys.NAMED_MAX + 1


def test_keys_are_read_only_until_one_past_the_named_ones() -> None:
    read = 0

    def keys() -> Iterator[str]:
        nonlocal read
        for number in range(30_000):
            read += 1
            yield f"{A}hostnam{number:06d}"

    unknown_keys.warnings(keys(), annotations.PREFIXES, annotations.KNOWN_KEYS,
                          annotations.DNSGATE_KEYS)

    assert read == unknown_keys.NAMED_MAX + 1


@pytest.mark.parametrize("key", [
    "h" * 200, "Hostname-With-Capitals", "host name", "hostname\u0430",
    "x" * (max(map(len, annotations.DNSGATE_KEYS)) + 4),
], ids=["long", "capitals", "space", "non-ascii", "longer-than-any-key-by-4"])
def test_a_key_that_cannot_be_a_typo_gets_no_suggestion_search(key: str, domains) -> None:
    with mock.patch.object(difflib, "get_close_matches") as suggest:
        warnings = annotations.parse({H: NAME, A + key: "1"}, domains).warnings

    assert suggest.call_count == 0
    assert any(w.startswith(A) and "did you mean" not in w for w in warnings)
