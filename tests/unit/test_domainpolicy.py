"""Domains per namespace: the rule both the webhook and the reconciler apply, table-driven."""

from __future__ import annotations

import pytest

from dnsgate import claims, domainpolicy, ingress
from dnsgate.domainpolicy import Enforcement, PolicyError
from dnsgate.domains import DomainFilter
from dnsgate.values import Raw

SOURCE = "dnsgate/dnsgate-domain-policy"
POLICY = domainpolicy.parse("""
rules:
  - name: shop
    namespaces: [shop, shop-staging]
    domains: [shop.goldentooth.net]
  - name: blue
    namespaceSelector: "tenant=blue"
    domains: [blue.goldentooth.net, blue.example.org]
  - name: shared-api
    namespaces: [shop]
    domains: [api.goldentooth.net]
""", SOURCE)
DENY_UNMATCHED = domainpolicy.parse("""
unmatched: deny
rules:
  - namespaces: [shop]
    domains: [shop.goldentooth.net]
""", SOURCE)
LABELS = {"shop": {}, "shop-staging": {}, "team-b": {"tenant": "blue"}, "other": {},
          "both": {"tenant": "blue"}}


@pytest.mark.parametrize(("policy", "namespace", "name", "allowed"), [
    # a rule by name: its domain and every name below it, never a look-alike
    (POLICY, "shop", "shop.goldentooth.net", True),
    (POLICY, "shop", "www.shop.goldentooth.net", True),
    (POLICY, "shop", "WWW.Shop.Goldentooth.net.", True),
    (POLICY, "shop", "evilshop.goldentooth.net", False),
    (POLICY, "shop", "blue.goldentooth.net", False),
    (POLICY, "shop-staging", "staging.shop.goldentooth.net", True),
    # two rules match: the union of their domains
    (POLICY, "shop", "v1.api.goldentooth.net", True),
    (POLICY, "shop-staging", "v1.api.goldentooth.net", False),
    # a rule by label selector
    (POLICY, "team-b", "www.blue.example.org", True),
    (POLICY, "team-b", "www.shop.goldentooth.net", False),
    # no rule matches: unrestricted unless unmatched is deny
    (POLICY, "other", "anything.goldentooth.net", True),
    (DENY_UNMATCHED, "other", "anything.goldentooth.net", False),
    (DENY_UNMATCHED, "shop", "www.shop.goldentooth.net", True),
    # labels not known yet, a selector rule exists: refused, never let through
    (POLICY, "unseen", "anything.goldentooth.net", False),
    # wildcards: below the domain, yes; one covering other teams' names, no
    (POLICY, "shop", "*.shop.goldentooth.net", True),
    (POLICY, "shop", "*.goldentooth.net", False),
    # an ownership-TXT-like name of another team's record is just another name outside
    (POLICY, "shop", "a-www.blue.goldentooth.net", False),
    # no policy at all
    (domainpolicy.UNRESTRICTED, "shop", "anything.example.com", True),
])
def test_name_allowed_by_namespace(policy: domainpolicy.Policy, namespace: str, name: str,
                                   allowed: bool) -> None:
    enforcement = Enforcement(policy, LABELS)
    assert enforcement.permits(f"service/{namespace}/web", name) is allowed


@pytest.mark.parametrize(("policy", "namespace", "message"), [
    (POLICY, "shop", 'is outside the domains namespace shop may use (shop.goldentooth.net, '
                     'api.goldentooth.net), so Service shop/web may not publish it (the domain '
                     'policy dnsgate/dnsgate-domain-policy, rule "shop", "shared-api")'),
    (DENY_UNMATCHED, "other", "gives namespace other no domain"),
    (POLICY, "unseen", "the labels of namespace unseen are not loaded"),
])
def test_refusal_names_object_namespace_and_allowed_domains(
        policy: domainpolicy.Policy, namespace: str, message: str) -> None:
    problems = Enforcement(policy, LABELS).problems(
        f"service/{namespace}/web", ["www.elsewhere.example.com"],
        lambda name: Raw("external-dns.alpha.kubernetes.io/hostname", name))
    assert len(problems) == 1
    assert problems[0].rule == domainpolicy.RULE
    assert str(problems[0]).startswith(
        'external-dns.alpha.kubernetes.io/hostname: "www.elsewhere.example.com" ')
    assert message in str(problems[0])


def test_blocked_policy_admits_no_name() -> None:
    blocked = Enforcement(blocked="domain policy ConfigMap dnsgate/p does not exist")
    assert not blocked.permits("service/shop/web", "www.shop.goldentooth.net")
    problems = blocked.problems("ingress/shop/web", ["www.shop.goldentooth.net"],
                                lambda name: Raw("spec.rules[].host", name))
    assert "does not exist" in str(problems[0]) and "Ingress shop/web" in str(problems[0])


@pytest.mark.parametrize(("text", "message"), [
    ("rules: [", "is not YAML"),
    ("- a\n- b", "must be a mapping"),
    ("unmatched: maybe", '"maybe" is not one of allow, deny'),
    ("rule: []", "unknown key rule"),
    ("rules:\n  - domains: [a.example.com]", "rules[0] names no namespace"),
    ("rules:\n  - namespaces: [a]", "rules[0].domains must list at least one domain"),
    ("rules:\n  - namespaces: [a]\n    domains: a.example.com", "must be a list of strings"),
    ("rules:\n  - namespaces: [a]\n    domains: ['*.example.com']", '"*.example.com"'),
    ("rules:\n  - namespaces: [a]\n    domains: ['http://example.com']", "URL scheme"),
    ("rules:\n  - namespaces: [Shop]\n    domains: [example.com]", '"Shop" is not a namespace'),
    ("rules:\n  - namespaceSelector: 'tenant in blue'\n    domains: [example.com]",
     "namespaceSelector"),
    ("rules:\n  - namespaces: [a]\n    domain: [example.com]", "unknown key domain"),
    ("rules:\n  - {name: x, namespaces: [a], domains: [a.com]}\n"
     "  - {name: x, namespaces: [b], domains: [b.com]}", "used twice: x"),
])
def test_malformed_policy_is_refused_naming_the_place(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as refused:
        domainpolicy.parse(text, SOURCE)
    assert SOURCE in str(refused.value) and message in str(refused.value)


def test_empty_text_is_malformed_but_no_rules_restricts_nothing() -> None:
    with pytest.raises(PolicyError):
        domainpolicy.parse("", SOURCE)  # an emptied key is a mistake, never "allow all"
    policy = domainpolicy.parse("rules: []", SOURCE)
    assert Enforcement(policy).permits("service/any/web", "x.example.com")


@pytest.mark.parametrize(("kind", "annotations", "hosts", "refused_field"), [
    ("Service", {"external-dns.alpha.kubernetes.io/hostname": "www.elsewhere.goldentooth.net"},
     (), "external-dns.alpha.kubernetes.io/hostname"),
    ("Service", {"external-dns.alpha.kubernetes.io/hostname": "www.shop.goldentooth.net",
                 "external-dns.alpha.kubernetes.io/internal-hostname":
                     "int.elsewhere.goldentooth.net"},
     (), "external-dns.alpha.kubernetes.io/internal-hostname"),
    ("Ingress", {}, ("www.elsewhere.goldentooth.net",), ingress.SPEC_HOSTS),
])
def test_parse_refuses_names_outside_the_namespace_domains(
        kind: str, annotations: dict[str, str], hosts: tuple[str, ...],
        refused_field: str) -> None:
    obj = {"kind": kind, "metadata": {"name": "web", "namespace": "shop",
                                      "annotations": annotations},
           "spec": ({"type": "LoadBalancer"} if kind == "Service"
                    else {"rules": [{"host": h} for h in hosts]})}
    parsed = claims.parse(obj, DomainFilter.of(["goldentooth.net"]),
                          policy=Enforcement(POLICY, LABELS))
    assert parsed.dns is None
    assert [p.annotation for p in parsed.problems] == [refused_field]
    assert claims.of_service(obj, parsed) == ()
    allowed = claims.parse(obj, DomainFilter.of(["goldentooth.net"]))
    assert not allowed.problems


def rule_per_namespace(count: int) -> str:
    """A policy giving each of `count` namespaces its own domain, plus one selector rule:
    near a ConfigMap's 1 MiB at 12,000."""
    return "rules:\n" + "".join(
        f"  - name: team-{i}\n    namespaces: [team-{i}]\n    domains: [t{i}.goldentooth.net]\n"
        for i in range(count)) + (
        "  - namespaceSelector: tenant=blue\n    domains: [blue.goldentooth.net]\n")


def test_a_policy_near_the_config_map_limit_is_read_whole() -> None:
    """Both deployables read it at start and at every edit. How long that takes is not
    asserted here (speed is measured, not timed in tests): libyaml's loader and one count of
    rule names keep it to about two seconds at this size, against 23 s before."""
    text = rule_per_namespace(12_000)
    assert len(text.encode()) < 1024 * 1024
    policy = domainpolicy.parse(text, SOURCE)
    assert len(policy.rules) == 12_001


def test_a_decision_reads_the_rules_naming_the_namespace_and_the_selectors_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name of every object is decided in each review and at every resync: a rule
    per namespace must not make each decision scan thousands of rules."""
    policy = domainpolicy.parse(rule_per_namespace(2_000), SOURCE)
    looked: list[str] = []
    real = domainpolicy.Rule.matches
    monkeypatch.setattr(domainpolicy.Rule, "matches", lambda rule, namespace, labels: (
        looked.append(rule.name) or real(rule, namespace, labels)))
    enforcement = Enforcement(policy, {"team-7": {}, "b": {"tenant": "blue"}})

    assert enforcement.permits("service/team-7/web", "www.t7.goldentooth.net")
    assert not enforcement.permits("service/team-7/web", "www.t8.goldentooth.net")
    assert enforcement.permits("service/b/web", "www.blue.goldentooth.net")
    assert not enforcement.permits("service/b/web", "www.t7.goldentooth.net")
    assert len(looked) <= 8
