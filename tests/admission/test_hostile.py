"""The hostile admission corpus (devstack/hostile.py) against the running gunicorn server over
TLS: every review gets a verdict or a 4xx naming what is wrong, never a 5xx, and the verdicts
and messages are the ones below. How long the slowest takes is measured by
`python -m bench hostile`, not here."""

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from devstack import hostile
from devstack.hostile import CLAIMED, HOSTNAME, A, S
from dnsgate import unknown_keys
from tests.admission.conftest import RunningWebhook
from tests.admission.test_kubectl import manifest

pytestmark = pytest.mark.e2e

TOO_LONG = "characters long; this annotation takes at most"
NOT_ASCII = "has characters outside ASCII; DNS names are written in ASCII"


@dataclass(frozen=True)
class Expected:
    status: int = 200  # HTTP
    allowed: bool | None = None
    lines: tuple[str, ...] = ()  # each problem line starts with one of these, in order
    contains: tuple[str, ...] = ()  # fragments of the message (or of the 4xx error)
    warnings: tuple[str, ...] = ()  # fragments, one per warning, in order
    code: int = 400  # status.code of a denial


def refused(*contains: str, lines: tuple[str, ...] = (), code: int = 400) -> Expected:
    return Expected(allowed=False, contains=contains, lines=lines, code=code)


def admitted(*warnings: str) -> Expected:
    return Expected(allowed=True, warnings=warnings)


def bad_request(error: str) -> Expected:
    return Expected(status=400, contains=(error,))


CAPS = {"hostname": 25_600, "ttl": 32, "target": 25_600, "set-identifier": 128,
        "aws-weight": 3, "aws-failover": 9, "aws-health-check-id": 36,
        "aws-evaluate-target-health": 5, "internal-hostname": 25_600, "alias": 16,
        "aws-region": 64, "aws-geolocation-continent-code": 16,
        "aws-geolocation-country-code": 16, "aws-geolocation-subdivision-code": 16,
        "aws-multi-value-answer": 16,
        "aws-geoproximity-region": 64, "aws-geoproximity-local-zone-group": 64,
        "aws-geoproximity-coordinates": 14, "aws-geoproximity-bias": 3,
        "aws-hosted-zone-id": 44, "aws-target-hosted-zone": 44, "access": 16}
SIZE = {key: len(hostile.at_limit(A + key)) for key in CAPS}
ANNOTATIONS_NOT_STRINGS = "request.object.metadata.annotations is not a map of strings"
NAMED = tuple(f"{A}hostnam{number:07d} is not an annotation dnsgate knows; did you mean "
              "hostname?" for number in range(unknown_keys.NAMED_MAX))
MORE = "and more keys under external-dns.alpha.kubernetes.io and external-dns.kubernetes.io"


def not_a(field: str, expected: str, found: str) -> Expected:
    return bad_request(f"request.{field} is not {expected}: it is {found}")


EXPECTED = {
    **{f"{key}-at-the-object-limit": refused(
        f"{SIZE[key]} {TOO_LONG} {cap}", lines=(f'{A}{key}: "{"9" * 256}..."',))
       for key, cap in CAPS.items()},
    # A bias alone is also a bias with no location: a second line, on the same annotation.
    "aws-geoproximity-bias-at-the-object-limit": refused(
        f"{SIZE['aws-geoproximity-bias']} {TOO_LONG} 3",
        lines=(f'{A}aws-geoproximity-bias: "{"9" * 256}..."',) * 2),
    # Only compared with "dns-controller": any other value leaves the Service alone.
    "controller-at-the-object-limit": admitted(f'{A}controller is "{"9" * 60}'),
    "stable-hostname-at-the-object-limit": refused(f"{TOO_LONG} 25600",
                                                   lines=(f'{S}hostname: "a.a.',)),
    "every-key-at-32KiB": Expected(allowed=False, lines=tuple(f"{A}{key}: " for key in CAPS),
                                   warnings=(f'{A}controller is "999',)),
    "hostname-of-commas-at-the-limit": refused(f"{TOO_LONG} 25600"),
    "hostname-of-spaces-at-the-limit": refused(f"{TOO_LONG} 25600"),
    "100-names-of-247-characters": admitted(),
    "101-hostnames": refused("has 101 hostnames; one Service may ask for at most 100"),
    "100-unicode-names": refused(NOT_ASCII, lines=(f"{HOSTNAME}: ",) * 100),
    "ttl-of-10000-digits": refused(f"is 10000 {TOO_LONG} 32", lines=(f"{A}ttl: ",)),
    "ttl-leading-zeros": admitted(),
    "other-annotation-at-the-object-limit": admitted(),
    "unknown-key-name-at-the-object-limit": admitted(f"{A}kkkkkkkk"),
    "prefixes-differ-at-the-limit": refused(
        f'differs from {A}ttl: "{"9" * 256}..."', f"{TOO_LONG} 32",
        lines=(f'{S}ttl: "60" differs', f"{A}ttl: ")),
    "update-old-and-new-at-the-limit": refused(f"{TOO_LONG} 25600"),
    "spec-nested-300-deep": admitted(),
    "status-nested-300-deep": admitted(),
    "annotation-value-number": bad_request(ANNOTATIONS_NOT_STRINGS),
    "annotation-value-list": bad_request(ANNOTATIONS_NOT_STRINGS),
    "annotation-value-null": bad_request(ANNOTATIONS_NOT_STRINGS),
    "annotation-value-object": bad_request(ANNOTATIONS_NOT_STRINGS),
    "annotations-list": bad_request(ANNOTATIONS_NOT_STRINGS),
    "spec-type-number": not_a("object.spec.type", "a string", "a number"),
    # null is an unset field, as kube-apiserver decodes it: a ClusterIP Service.
    "spec-type-null": admitted(f"{HOSTNAME}: a ClusterIP Service is published only with"),
    "metadata-name-list": not_a("object.metadata.name", "a string", "a list"),
    "creation-timestamp-number": not_a("object.metadata.creationTimestamp", "a string",
                                       "a number"),
    "status-string": not_a("object.status", "an object", "a string"),
    "conditions-number": not_a("object.status.conditions", "a list", "a number"),
    "conditions-of-strings": not_a("object.status.conditions[0]", "an object", "a string"),
    "held-condition-message-number": not_a("object.status.conditions[0].message", "a string",
                                           "a number"),
    "metadata-string": not_a("object.metadata", "an object", "a string"),
    "external-ips-numbers": not_a("object.spec.externalIPs[0]", "a string", "a number"),
    "external-ips-number": not_a("object.spec.externalIPs", "a list", "a number"),
    "external-name-number": not_a("object.spec.externalName", "a string", "a number"),
    "cluster-ip-list": not_a("object.spec.clusterIP", "a string", "a list"),
    "load-balancer-string": not_a("object.status.loadBalancer", "an object", "a string"),
    "load-balancer-ingress-number": not_a("object.status.loadBalancer.ingress", "a list",
                                          "a number"),
    "load-balancer-ingress-of-numbers": not_a("object.status.loadBalancer.ingress[0]",
                                              "an object", "a number"),
    "load-balancer-ip-number": not_a("object.status.loadBalancer.ingress[0].ip", "a string",
                                     "a number"),
    "load-balancer-hostname-list": not_a("object.status.loadBalancer.ingress[0].hostname",
                                         "a string", "a list"),
    "old-object-spec-list": not_a("oldObject.spec", "an object", "a list"),
    "ingress-tls-hosts-numbers": not_a("object.spec.tls[0].hosts[0]", "a string", "a number"),
    "ingress-tls-hosts-number": not_a("object.spec.tls[0].hosts", "a list", "a number"),
    "ingress-tls-number": not_a("object.spec.tls", "a list", "a number"),
    "ingress-rules-host-number": not_a("object.spec.rules[0].host", "a string", "a number"),
    "ingress-rules-number": not_a("object.spec.rules", "a list", "a number"),
    "ingress-class-number": not_a("object.spec.ingressClassName", "a string", "a number"),
    "ingress-load-balancer-number": not_a("object.status.loadBalancer.ingress", "a list",
                                          "a number"),
    "route-hostnames-number": not_a("object.spec.hostnames", "a list", "a number"),
    "route-hostnames-numbers": not_a("object.spec.hostnames[0]", "a string", "a number"),
    "route-hostnames-string": not_a("object.spec.hostnames", "a list", "a string"),
    "route-sixteen-hostnames-one-claimed": refused(
        f'spec.hostnames: "{CLAIMED}" is already claimed by Service ', code=403,
        lines=("spec.hostnames: ",)),
    "route-claimed-name-upper-case-trailing-dot": refused(
        f'"{CLAIMED}" is already claimed by Service ', code=403),
    "route-target-at-the-object-limit": refused(
        f"{A}target: ", "on a HTTPRoute: ExternalDNS reads the target annotation on the "
        "Gateway"),
    "route-hostnames-disagree-at-the-object-limit": refused(
        f"{S}hostname: ", f'differs from {A}hostname: "{hostile.NAME}"'),
    # The names a route resolves to are computed, never read from a body.
    "route-forged-resolution-without-its-claimed-name": refused(
        f'spec.hostnames: "{CLAIMED}" is already claimed by Service ', code=403),
    "route-malformed-resolution": admitted(),
    "unknown-keys-at-the-object-limit": admitted(*NAMED, MORE),
    "unknown-keys-at-the-object-limit-update": admitted(*NAMED, MORE),
    "unknown-non-typo-keys-at-the-object-limit": admitted(
        *(f"{A}unread-{number:07d} is not an annotation dnsgate knows"
          for number in range(unknown_keys.NAMED_MAX)), MORE),
    "unknown-keys-at-the-body-cap": admitted(*NAMED, MORE),
    "unknown-keys-at-the-body-cap-update": admitted(*NAMED, MORE),
    "hostname-punycode": admitted(),
    "hostname-punycode-upper-case": admitted(),
    "hostname-punycode-invalid": refused('has a label "xn--zz" that starts with "xn--" but is '
                                        "not the punycode of an internationalised label"),
    "hostname-punycode-look-alike-of-a-claimed-name": admitted(),
    "hostname-claimed-name-upper-case-trailing-dot": refused(
        f'"{CLAIMED}" is already claimed by Service ', code=403),
    "hostname-mixed-script-look-alike": refused(
        f'{NOT_ASCII}; write an internationalised name in its ASCII form '
        f'("xn--pple-43d.goldentooth.net")'),
    "hostname-fullwidth-letters": refused(f'{NOT_ASCII}; write an internationalised name in '
                                          'its ASCII form ("apple.goldentooth.net")'),
    "hostname-ideographic-full-stop": refused(f'{NOT_ASCII}; write an internationalised name '
                                              'in its ASCII form ("apple.goldentooth.net")'),
    # IDNA 2008 gives neither a joiner in this place nor a symbol an ASCII form.
    "hostname-zero-width-joiner": refused(f"{NOT_ASCII}; give a bare name"),
    "hostname-right-to-left-override": refused(f"{NOT_ASCII}; give a bare name"),
    "hostname-lone-surrogate": refused(f"{NOT_ASCII}; give a bare name"),
    "hostname-null-character": refused("with characters other than letters, digits and inner "
                                       "hyphens"),
    "hostname-emoji": refused(f"{NOT_ASCII}; give a bare name"),
    "hostname-trailing-dot": admitted(),
    "hostname-two-trailing-dots": refused("ends in more than one dot"),
    "hostname-empty-label": refused("has an empty label"),
    "hostname-leading-dot": refused("has an empty label"),
    "hostname-only-dots": refused("ends in more than one dot"),
    "hostname-wildcard-of-a-look-alike": admitted(),
    "body-nested-100000-deep": bad_request("body is not JSON"),
}
CASES = [*hostile.cases(), hostile.deep_body()]


def test_every_case_has_an_expected_verdict() -> None:
    assert sorted(case.id for case in CASES) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def session(webhook: RunningWebhook) -> Iterator[requests.Session]:
    with requests.Session() as client:
        client.trust_env = False
        client.verify = str(webhook.ca_file)
        yield client


@pytest.fixture(scope="module")
def claimant(kubectl, webhook: RunningWebhook,  # type: ignore[no-untyped-def]
             session: requests.Session) -> Iterator[str]:
    """A Service holding CLAIMED, in the index of every webhook worker before the corpus."""
    namespace = "hostile-claimant"
    kubectl("create", "namespace", namespace, check=False)
    kubectl("apply", "-f", "-", input=manifest(namespace, {HOSTNAME: CLAIMED}, name="apple"))
    body = next(c.body for c in CASES if c.id == "hostname-claimed-name-upper-case-trailing-dot")
    for _ in range(100):  # each worker has its own index; any of them may answer
        replies = [session.post(webhook.url("/validate"), data=body, timeout=10).json()
                   for _ in range(8)]
        if all(not r["response"]["allowed"] for r in replies):
            break
    else:
        raise AssertionError("the webhook's workers never saw the claimant")
    yield f"{namespace}/apple"
    kubectl("delete", "services", "--all", "-n", namespace, "--wait=true", check=False)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_review_gets_its_verdict(
    session: requests.Session, webhook: RunningWebhook, claimant: str, case: hostile.Case
) -> None:
    expected = EXPECTED[case.id]

    for path in ("/validate", "/mutate"):
        reply = session.post(webhook.url(path), data=case.body, timeout=30,
                             headers={"Content-Type": "application/json"})
        assert reply.status_code < 500, reply.text
        assert reply.status_code == expected.status, reply.text[:500]

    if expected.status != 200:
        assert all(fragment in reply.json()["error"] for fragment in expected.contains)
        return
    reply = session.post(webhook.url("/validate"), data=case.body, timeout=30)
    response = reply.json()["response"]
    message = response.get("status", {}).get("message", "")
    assert response["allowed"] is expected.allowed, message[:2000]
    if not expected.allowed:
        assert response["status"]["code"] == expected.code
        assert all(fragment in message for fragment in expected.contains), message[:2000]
        if expected.lines:
            lines = message.split("\n")
            assert len(lines) == len(expected.lines)
            assert all(line.startswith(start)
                       for line, start in zip(lines, expected.lines, strict=True))
        assert len(message) < 64 * 1024  # bounded, whatever the input's size
    warnings = response.get("warnings", [])
    assert all(len(w) <= 120 for w in warnings)
    assert len(warnings) == len(expected.warnings), warnings
    assert all(fragment in w for fragment, w in zip(expected.warnings, warnings, strict=True))
    assert json.loads(case.body)  # the body itself was valid JSON
