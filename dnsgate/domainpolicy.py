"""Domains per namespace: which DNS names each namespace's Services and Ingresses may publish.

The cluster admin writes the policy (docs/namespace-domains.md) as YAML in one ConfigMap
(`--domain-policy`); this module parses it and decides, purely, for the webhook's review
and the reconciler's source alike, so the door and the loop never disagree:

    unmatched: allow          # or deny: namespaces no rule matches
    rules:
      - name: shop            # optional; messages name the rule by it
        namespaces: [shop, shop-staging]
        domains: [shop.goldentooth.net]
      - namespaceSelector: "tenant=blue"   # a label selector, kubectl -l syntax
        domains: [blue.goldentooth.net]

A name is within a domain as for `--domain-filter` (`dnsgate.domains.within`: the domain
itself and every name below it, never `evilshop.goldentooth.net`). The policy only narrows:
`--domain-filter` and `--exclude-domains` still apply to every name.

Decision table, for a name N of an object in namespace S:

| rules matching S | unmatched | N within one of their domains | verdict                        |
|------------------|-----------|-------------------------------|--------------------------------|
| one or more      | -         | yes                           | allowed                        |
| one or more      | -         | no                            | refused, naming their domains  |
| none             | allow     | -                             | allowed (no restriction)       |
| none             | deny      | -                             | refused: no domain for S       |

Several matching rules grant the union of their domains: each rule is a grant, so adding a
rule never takes a name from anyone. Namespaces no rule matches are unrestricted by default
so that a policy can be introduced one team at a time; `unmatched: deny` closes them.
A selector rule needs the namespace's labels; while they are not known (a Namespace the watch
has not delivered yet) the names of a namespace that no rule matches by name are refused,
never let through.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dnsgate import domains, hostnames, labels, objectkey
from dnsgate.values import Problem, Raw

POLICY_KEY = "policy.yaml"
"""The ConfigMap's data key holding the policy."""
ALLOW, DENY = "allow", "deny"
RULE_KEYS = ("name", "namespaces", "namespaceSelector", "domains")
RULE = "namespace-domain"  # the Problem's rule id, for metrics and tests
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # a DNS label (RFC 1123)
TOP_KEYS = ("unmatched", "rules")


class PolicyError(ValueError):
    """The policy text is malformed; the message names the place and what would be valid."""


@dataclass(frozen=True)
class Rule:
    name: str
    domains: tuple[str, ...]
    namespaces: frozenset[str] = frozenset()
    selector: labels.Selector | None = None

    def matches(self, namespace: str, namespace_labels: Mapping[str, str] | None) -> bool | None:
        """Whether the rule covers the namespace; None when that depends on labels not known."""
        if namespace in self.namespaces:
            return True
        if self.selector is None:
            return False
        if namespace_labels is None:
            return None
        return self.selector.matches(namespace_labels)


@dataclass(frozen=True)
class Policy:
    source: str
    """Where the policy was read, for messages: "dnsgate/dnsgate-domain-policy"."""
    rules: tuple[Rule, ...] = ()
    unmatched: str = ALLOW
    _naming: Mapping[str, tuple[int, ...]] = field(init=False, compare=False, repr=False)
    """Namespace -> the indexes of the rules naming it."""
    _selecting: tuple[int, ...] = field(init=False, compare=False, repr=False)
    """The indexes of the rules with a selector."""

    def __post_init__(self) -> None:
        # A decision is made for every name of every object, in each review and at every
        # resync: it looks at the rules naming the namespace and the selector rules only,
        # never at all of a policy that may give each of thousands of namespaces its rule.
        naming: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            for namespace in rule.namespaces:
                naming.setdefault(namespace, []).append(index)
        object.__setattr__(self, "_naming", {k: tuple(v) for k, v in naming.items()})
        object.__setattr__(self, "_selecting", tuple(
            i for i, rule in enumerate(self.rules) if rule.selector is not None))

    def grant(self, namespace: str, namespace_labels: Mapping[str, str] | None) -> Grant:
        """What the namespace may use; `namespace_labels` None when not known."""
        named = self._naming.get(namespace, ())
        verdicts = {i: self.rules[i].matches(namespace, namespace_labels)
                    for i in self._selecting if i not in named}
        matched = [self.rules[i] for i in sorted({*named, *(i for i, v in verdicts.items()
                                                            if v)})]
        unknown = any(v is None for v in verdicts.values())
        if matched:
            allowed = tuple(dict.fromkeys(d for r in matched for d in r.domains))
            return Grant(namespace, self.source, allowed, tuple(r.name for r in matched))
        if unknown:
            return Grant(namespace, self.source, (), (), labels_unknown=True)
        if self.unmatched == DENY:
            return Grant(namespace, self.source, ())
        return Grant(namespace, self.source, None)


@dataclass(frozen=True)
class Grant:
    """The domains one namespace may use under one policy; `domains` None: any."""

    namespace: str
    source: str
    domains: tuple[str, ...] | None
    rules: tuple[str, ...] = ()
    labels_unknown: bool = False

    def refusal(self, name: str, obj: str) -> str | None:
        """Why `obj` ("Service shop/web") may not publish `name`, phrased to follow the
        quoted name; None when it may."""
        if self.domains is None or any(domains.within(name, d) for d in self.domains):
            return None
        where = f"the domain policy {self.source}"
        if self.labels_unknown:
            return (f"cannot be checked yet for {obj}: the labels of namespace {self.namespace}"
                    f" are not loaded, and {where} selects namespaces by label; retry in a "
                    "few seconds")
        if not self.domains:
            return (f"is refused for {obj}: {where} gives namespace {self.namespace} no "
                    "domain (no rule matches it, and unmatched namespaces are denied); ask "
                    "the cluster admin for a rule")
        rules = ", ".join(f'"{r}"' for r in self.rules)
        return (f"is outside the domains namespace {self.namespace} may use "
                f"({', '.join(self.domains)}), so {obj} may not publish it ({where}, "
                f"rule {rules}); choose a name under those domains, or ask the cluster admin")


UNRESTRICTED = Policy("")
"""No policy: every namespace may use every name `--domain-filter` manages."""


@dataclass(frozen=True)
class Enforcement:
    """The policy in force and the namespaces' labels it may select by, as one value: the
    webhook's review and the reconciler's desired state each read one of these whole, so
    a decision never mixes an old policy with new labels."""

    policy: Policy = UNRESTRICTED
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict,
                                                             compare=False)
    """Namespace name -> its labels, as last seen; a namespace missing is not known yet."""
    blocked: str = ""
    """Why no valid policy is known yet (configured, but missing or malformed): then no
    name is allowed, never every name."""

    def grant(self, namespace: str) -> Grant:
        return self.policy.grant(namespace, self.namespace_labels.get(namespace))

    def regranted(self, before: Enforcement) -> frozenset[str] | None:
        """The namespaces whose domains differ from what `before` gave them, when only
        namespaces' labels moved; None when the policy itself differs (every decision may
        have changed). A Namespace created, deleted or relabelled in a way no selector
        cares about (an `istio-injection` label) regrants nothing."""
        if self.policy != before.policy or self.blocked != before.blocked:
            return None
        if all(rule.selector is None for rule in self.policy.rules):
            return frozenset()
        now, then = self.namespace_labels, before.namespace_labels
        return frozenset(n for n in {*now, *then}
                         if now.get(n) != then.get(n) and self.grant(n) != before.grant(n))

    def permits(self, key: str, name: str) -> bool:
        """Whether the object of this key (`dnsgate.objectkey`) may publish `name`."""
        parsed = objectkey.parse(key)
        if parsed is None:
            return True
        return not self.blocked and self.grant(parsed.namespace).refusal(name, key) is None

    def problems(self, key: str, names: Iterable[str], where: Callable[[str], Raw]
                 ) -> tuple[Problem, ...]:
        """A Problem for each of `names` the object of this key may not publish; `where`:
        the annotation (or spec field) that asks for each name."""
        parsed = objectkey.parse(key)
        if parsed is None or not (self.blocked or self.policy.rules
                                  or self.policy.unmatched == DENY):
            return ()
        grant = self.grant(parsed.namespace)
        found = []
        for name in names:
            reason = (f"cannot be admitted for {objectkey.describe(key)}: {self.blocked}; ask "
                      "the cluster admin to fix it" if self.blocked
                      else grant.refusal(name, objectkey.describe(key)))
            if reason is not None:
                found.append(Problem(where(name).key, name, reason, RULE))
        return tuple(found)


UNENFORCED = Enforcement()


def reference(text: str) -> tuple[str, str]:
    """`--domain-policy`'s "<namespace>/<name>" taken apart; ValueError when it is not one."""
    namespace, slash, name = text.partition("/")
    if not slash or not namespace or not name or "/" in name:
        raise ValueError(f'"{text}" is not <namespace>/<name> of a ConfigMap, such as '
                         '"dnsgate/dnsgate-domain-policy"')
    return namespace, name


def parse(text: str, source: str) -> Policy:
    """The policy written in `text` (YAML); raises PolicyError naming what is wrong."""
    import yaml

    # libyaml's loader where PyYAML has it (its wheels do): the same safe subset of YAML,
    # an order of magnitude faster on a policy near a ConfigMap's 1 MiB.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: {POLICY_KEY} is not YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: {POLICY_KEY} must be a mapping with keys "
                          f"{', '.join(TOP_KEYS)}; got {type(document).__name__}")
    _no_unknown(document, TOP_KEYS, f"{source}: {POLICY_KEY}")
    unmatched = document.get("unmatched", ALLOW)
    if unmatched not in (ALLOW, DENY):
        raise PolicyError(f'{source}: unmatched: "{unmatched}" is not one of {ALLOW}, {DENY}')
    raw_rules = document.get("rules") or []
    if not isinstance(raw_rules, list):
        raise PolicyError(f"{source}: rules must be a list of rules")
    rules = tuple(_rule(entry, index, source) for index, entry in enumerate(raw_rules))
    twice = sorted(n for n, count in Counter(r.name for r in rules).items() if count > 1)
    if twice:
        raise PolicyError(f"{source}: rule names must differ; used twice: {', '.join(twice)}")
    return Policy(source, rules, unmatched)


def _rule(entry: Any, index: int, source: str) -> Rule:
    where = f"{source}: rules[{index}]"
    if not isinstance(entry, dict):
        raise PolicyError(f"{where} must be a mapping with keys {', '.join(RULE_KEYS)}")
    _no_unknown(entry, RULE_KEYS, where)
    name = entry.get("name", f"rules[{index}]")
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{where}: name must be a non-empty string")
    namespaces = _strings(entry.get("namespaces") or [], f"{where}.namespaces")
    for namespace in namespaces:
        if not _NAMESPACE.fullmatch(namespace):
            raise PolicyError(f'{where}.namespaces: "{namespace}" is not a namespace name')
    selector = None
    if "namespaceSelector" in entry:
        text = entry["namespaceSelector"]
        if not isinstance(text, str) or not text.strip():
            raise PolicyError(f"{where}.namespaceSelector must be a non-empty label selector "
                              'such as "tenant=blue"')
        try:
            selector = labels.parse(text)
        except ValueError as exc:
            raise PolicyError(f'{where}.namespaceSelector: "{text}": {exc}') from exc
    if not namespaces and selector is None:
        raise PolicyError(f"{where} names no namespace: give namespaces, namespaceSelector "
                          "or both")
    allowed = _strings(entry.get("domains") or [], f"{where}.domains")
    if not allowed:
        raise PolicyError(f"{where}.domains must list at least one domain")
    for domain in allowed:
        problem = hostnames.error(domain, allow_wildcard=False)
        if problem is not None:
            raise PolicyError(f'{where}.domains: "{domain}" {problem}')
    return Rule(name, tuple(domains.normalize(d) for d in allowed), frozenset(namespaces),
                selector)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} must be a list of strings")
    return tuple(value)


def _no_unknown(mapping: Mapping[Any, Any], known: Iterable[str], where: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in known)
    if unknown:
        raise PolicyError(f"{where}: unknown key {', '.join(unknown)}; the keys are "
                          f"{', '.join(known)}")
