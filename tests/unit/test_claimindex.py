"""The claim index the webhook and the reconciler share: after any sequence of Services'
claims replaced or removed, each name's claims are exactly those of the Services claiming
it now, in the order the claim rule settles them, and `put` names every name it changed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsgate.claimindex import ClaimIndex
from dnsgate.claims import Claim

SERVICES = ["a/web", "b/web", "c/api", "d/api"]
NAMES = ["web.goldentooth.net", "api.goldentooth.net", "db.goldentooth.net"]


@st.composite
def claims_of(draw: st.DrawFn, service: str) -> tuple[Claim, ...]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=2))
    created = draw(st.sampled_from(["", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"]))
    set_id = draw(st.sampled_from([None, "blue", "green"]))
    return tuple(Claim(created, service, name, set_id, draw(st.booleans())) for name in names)


@st.composite
def a_change(draw: st.DrawFn) -> tuple[str, tuple[Claim, ...]]:
    service = draw(st.sampled_from(SERVICES))
    return service, draw(claims_of(service))  # () is a removal


@settings(max_examples=300, deadline=None)
@given(changes=st.lists(a_change(), max_size=15))
def test_index_equals_the_claims_grouped_from_scratch(
        changes: list[tuple[str, tuple[Claim, ...]]]) -> None:
    index = ClaimIndex()
    final: dict[str, tuple[Claim, ...]] = {}
    for service, made in changes:
        before = {name: index.on(name) for name in NAMES}
        touched = index.put(service, made)
        final[service] = made
        assert {name for name in NAMES if index.on(name) != before[name]} <= touched

    for name in NAMES:
        expected = sorted((c for made in final.values() for c in made if c.hostname == name),
                          key=lambda c: c.precedence)
        assert list(index.on(name)) == expected
    assert {s: index.of(s) for s in SERVICES if index.of(s)} == {
        s: made for s, made in final.items() if made}
    assert set(index.names()) == {c.hostname for made in final.values() for c in made}
