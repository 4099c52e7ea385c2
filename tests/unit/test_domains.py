"""--domain-filter and --exclude-domains: dot boundaries, case, trailing dots, several."""

import pytest

from dnsgate.domains import DomainFilter

TWO = DomainFilter.of(["goldentooth.net", "Example.ORG."], ["lab.goldentooth.net"])


@pytest.mark.parametrize(("name", "rejection"), [
    ("goldentooth.net", None),
    ("HTTPBIN.goldentooth.net.", None),
    ("www.example.org", None),
    ("evilgoldentooth.net", "is outside the managed domains (goldentooth.net, example.org)"),
    ("goldentooth.net.evil.com", "is outside the managed domains (goldentooth.net, example.org)"),
    ("lab.goldentooth.net", "is inside an excluded domain (lab.goldentooth.net)"),
    ("pi.LAB.goldentooth.net", "is inside an excluded domain (lab.goldentooth.net)"),
    ("mylab.goldentooth.net", None),
])
def test_several_filters_with_dot_boundaries(name: str, rejection: str | None) -> None:
    assert TWO.rejection(name) == rejection


def test_no_include_filter_manages_every_name() -> None:
    assert DomainFilter.of([], ["lab.goldentooth.net"]).matches("anything.example.com")
