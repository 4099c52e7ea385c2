"""Which DNS names dnsgate manages: `--domain-filter` and `--exclude-domains`.

A name matches filter `goldentooth.net` when it equals it or ends with `.goldentooth.net`:
the dot boundary keeps `evilgoldentooth.net` out, as in ExternalDNS's DomainFilter.
Comparison ignores case and one trailing dot. No include filter means every name matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def normalize(name: str) -> str:
    """Lower-case, without the trailing dot: the form every comparison in dnsgate uses."""
    return name.strip().rstrip(".").lower()


def within(name: str, domain: str) -> bool:
    name, domain = normalize(name), normalize(domain)
    return name == domain or name.endswith("." + domain)


@dataclass(frozen=True)
class DomainFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> DomainFilter:
        return cls(
            include=tuple(normalize(d) for d in include if normalize(d)),
            exclude=tuple(normalize(d) for d in exclude if normalize(d)),
        )

    def matches(self, name: str) -> bool:
        return self.rejection(name) is None

    def rejection(self, name: str) -> str | None:
        """Why `name` is not managed, phrased to follow the quoted name; None if it is."""
        if self.include and not any(within(name, d) for d in self.include):
            return f"is outside the managed domains ({', '.join(self.include)})"
        excluded = [d for d in self.exclude if within(name, d)]
        if excluded:
            return f"is inside an excluded domain ({', '.join(excluded)})"
        return None

    def describe(self) -> str:
        """`goldentooth.net, example.org` (excluding `lab.goldentooth.net`), for messages."""
        text = ", ".join(self.include) or "any domain"
        if self.exclude:
            text += f" excluding {', '.join(self.exclude)}"
        return text
