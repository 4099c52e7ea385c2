"""A hostile admission corpus: AdmissionReview bodies an attacker or a careless tool could
send, for the test that asserts every verdict (tests/admission/test_hostile.py) and for the
benchmark that times the slowest answer (`python -m bench hostile`).

Every annotation dnsgate reads at the 256 KiB object-annotation limit, maps full of keys
nothing reads (at that limit, and bodies at the webhook's own size cap, which only a client
bypassing kube-apiserver can send), deep JSON, wrong types wherever dnsgate reads a field,
Gateway API routes (wrong types, the CRD's 16 hostnames), and internationalised and
look-alike hostnames. The bodies are built here
once; what each should get is the test's to say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dnsgate import annotations as dns_annotations
from webhook.settings import MAX_BODY_BYTES

DOMAIN = "goldentooth.net"
A = dns_annotations.ALPHA_PREFIX
S = dns_annotations.STABLE_PREFIX
HOSTNAME = A + dns_annotations.HOSTNAME
NAME = f"httpbin.{DOMAIN}"
OBJECT_LIMIT = 256 * 1024  # bytes of all annotations of one object (docs/admission-review.md)
CLAIMED = f"apple.{DOMAIN}"  # the test creates a Service holding it before sending the corpus


@dataclass(frozen=True)
class Case:
    id: str
    body: bytes


def review(notes: Mapping[str, Any] | None, *, operation: str = "CREATE",
           old: Mapping[str, Any] | None = None, service_type: Any = "LoadBalancer",
           namespace: str = "hostile", **extra: Any) -> dict[str, Any]:
    """A Service review as kube-apiserver sends it; `extra` replaces parts of the object."""
    def service(given: Mapping[str, Any] | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": "svc", "namespace": namespace,
                                    "creationTimestamp": "2026-01-01T00:00:00Z"}
        if given is not None:
            metadata["annotations"] = dict(given)
        return {"apiVersion": "v1", "kind": "Service", "metadata": metadata,
                "spec": {"type": service_type, "ports": [{"port": 80}]}}

    obj = service(notes)
    for path, value in extra.items():
        section, _, field = path.partition("__")
        if field:
            obj.setdefault(section, {})[field] = value
        else:
            obj[section] = value
    request = {
        "uid": "00000000-0000-4000-8000-000000000001",
        "kind": {"group": "", "version": "v1", "kind": "Service"},
        "resource": {"group": "", "version": "v1", "resource": "services"},
        "namespace": namespace, "name": "svc", "operation": operation, "object": obj,
        "oldObject": service(old) if operation == "UPDATE" else None, "dryRun": False,
        "userInfo": {"username": "mallory"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def ingress_review(spec: Mapping[str, Any], status: Any = None) -> dict[str, Any]:
    """An Ingress review as kube-apiserver sends it, with a hostname annotation."""
    body = review({HOSTNAME: NAME}, spec=dict(spec))
    request = body["request"]
    request["kind"] = {"group": "networking.k8s.io", "version": "v1", "kind": "Ingress"}
    request["resource"] = {"group": "networking.k8s.io", "version": "v1",
                           "resource": "ingresses"}
    request["object"].update(apiVersion="networking.k8s.io/v1", kind="Ingress")
    if status is not None:
        request["object"]["status"] = status
    return body


def route_review(hostnames: Any, notes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An HTTPRoute review as kube-apiserver sends it, naming `hostnames` in its spec."""
    body = review(notes, spec={"parentRefs": [{"name": "public"}], "hostnames": hostnames})
    request = body["request"]
    request["kind"] = {"group": "gateway.networking.k8s.io", "version": "v1",
                       "kind": "HTTPRoute"}
    request["resource"] = {"group": "gateway.networking.k8s.io", "version": "v1",
                           "resource": "httproutes"}
    request["object"].update(apiVersion="gateway.networking.k8s.io/v1", kind="HTTPRoute")
    return body


def at_limit(key: str, filler: str = "9", room: int = 1024) -> str:
    """A value that brings the object's annotations to the 256 KiB limit, `room` left."""
    size = OBJECT_LIMIT - len(key) - room
    return (filler * size)[:size]


def unknown_keys(count: int, *, typo: bool = True, first: int = 0) -> dict[str, str]:
    """A hostname annotation and `count` keys under the alpha prefix that dnsgate does not
    read, all of one length; each a near miss of `hostname` (so each could earn a
    suggestion) unless `typo` is False."""
    stem = "hostnam" if typo else "unread-"
    return {HOSTNAME: NAME, **{f"{A}{stem}{number:07d}": "x"
                               for number in range(first, first + count)}}


UNKNOWN_KEY_BYTES = len(f"{A}hostnam0000000") + len("x")  # as Kubernetes counts a key's size
UNKNOWN_KEYS_AT_THE_LIMIT = (OBJECT_LIMIT - len(HOSTNAME) - len(NAME)) // UNKNOWN_KEY_BYTES


def at_body_cap(operation: str) -> dict[str, Any]:
    """A review as close under MAX_BODY_BYTES as its keys allow, its annotations all unknown
    keys; on UPDATE the object and the old object hold half each."""
    objects = 2 if operation == "UPDATE" else 1
    empty = len(json.dumps(review(unknown_keys(0), operation=operation,
                                  old=unknown_keys(0) if objects == 2 else None)))
    per_key = len(json.dumps(unknown_keys(1))) - len(json.dumps(unknown_keys(0)))
    count = (MAX_BODY_BYTES - empty) // per_key // objects
    return review(unknown_keys(count), operation=operation,
                  old=unknown_keys(count, first=count) if objects == 2 else None)


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": [value]}
    return value


def _bodies() -> dict[str, Any]:
    bodies: dict[str, Any] = {}
    # every key dnsgate reads, alone at the object limit (the hostname one without others)
    for key in dns_annotations.DNSGATE_KEYS:
        notes = {} if key == dns_annotations.HOSTNAME else {HOSTNAME: NAME}
        bodies[f"{key}-at-the-object-limit"] = review({**notes, A + key: at_limit(A + key)})
    bodies["stable-hostname-at-the-object-limit"] = review(
        {S + "hostname": at_limit(S + "hostname", "a.")})
    bodies["every-key-at-32KiB"] = review(
        {A + key: "9" * 32 * 1024 for key in dns_annotations.DNSGATE_KEYS})
    bodies["hostname-of-commas-at-the-limit"] = review({HOSTNAME: at_limit(HOSTNAME, ",")})
    bodies["hostname-of-spaces-at-the-limit"] = review(
        {HOSTNAME: at_limit(HOSTNAME, " ")[:-len(NAME)] + NAME})
    bodies["100-names-of-247-characters"] = review({HOSTNAME: ",".join(
        f"n{i:03d}{'b' * 53}.{'c' * 61}.{'c' * 61}.{'d' * 49}.{DOMAIN}" for i in range(100))})
    bodies["101-hostnames"] = review(
        {HOSTNAME: ",".join(f"n{i}.{DOMAIN}" for i in range(101))})
    bodies["100-unicode-names"] = review(
        {HOSTNAME: ",".join(f"n{i}-\u0430pple.{DOMAIN}" for i in range(100))})
    bodies["ttl-of-10000-digits"] = review({HOSTNAME: NAME, A + "ttl": "9" * 10_000})
    bodies["ttl-leading-zeros"] = review({HOSTNAME: NAME, A + "ttl": "0" * 30 + "1m"})
    bodies["other-annotation-at-the-object-limit"] = review(
        {HOSTNAME: NAME, "team.example.com/notes": at_limit("team.example.com/notes", "x")})
    bodies["unknown-key-name-at-the-object-limit"] = review(
        {HOSTNAME: NAME, A + at_limit(A, "k"): "1"})
    bodies["prefixes-differ-at-the-limit"] = review(
        {HOSTNAME: NAME, A + "ttl": at_limit(A + "ttl", room=2048), S + "ttl": "60"})
    bodies["update-old-and-new-at-the-limit"] = review(
        {HOSTNAME: at_limit(HOSTNAME, "a.")}, operation="UPDATE",
        old={HOSTNAME: at_limit(HOSTNAME, "b.")})
    # maps of keys nothing reads: the legal 256 KiB, and bodies at the webhook's size cap
    most = UNKNOWN_KEYS_AT_THE_LIMIT
    bodies["unknown-keys-at-the-object-limit"] = review(unknown_keys(most))
    bodies["unknown-keys-at-the-object-limit-update"] = review(
        unknown_keys(most), operation="UPDATE", old=unknown_keys(most, first=most))
    bodies["unknown-non-typo-keys-at-the-object-limit"] = review(unknown_keys(most, typo=False))
    bodies["unknown-keys-at-the-body-cap"] = at_body_cap("CREATE")
    bodies["unknown-keys-at-the-body-cap-update"] = at_body_cap("UPDATE")
    # deep JSON
    bodies["spec-nested-300-deep"] = review({HOSTNAME: NAME}, spec__x=nested(300))
    bodies["status-nested-300-deep"] = review({HOSTNAME: NAME}, status={"x": nested(300)})
    # wrong types where strings go
    for name, value in (("number", 60), ("list", [NAME]), ("null", None), ("object", {})):
        bodies[f"annotation-value-{name}"] = review({HOSTNAME: value})
    bodies["spec-type-number"] = review({HOSTNAME: NAME}, service_type=1)
    bodies["spec-type-null"] = review({HOSTNAME: NAME}, service_type=None)
    bodies["metadata-name-list"] = review({HOSTNAME: NAME}, metadata__name=["svc"])
    bodies["creation-timestamp-number"] = review({HOSTNAME: NAME},
                                                 metadata__creationTimestamp=1)
    bodies["status-string"] = review({HOSTNAME: NAME}, status="Ready")
    bodies["conditions-number"] = review({HOSTNAME: NAME}, status={"conditions": 5})
    bodies["conditions-of-strings"] = review({HOSTNAME: NAME}, status={"conditions": ["x"]})
    bodies["held-condition-message-number"] = review({HOSTNAME: NAME}, status={"conditions": [
        {"type": "dnsgate.io/DNSNamesHeld", "status": "True", "message": 7}]})
    bodies["annotations-list"] = review(None, metadata__annotations=[HOSTNAME])
    bodies["metadata-string"] = review({HOSTNAME: NAME}, metadata="svc")
    bodies["external-ips-numbers"] = review({HOSTNAME: NAME}, spec__externalIPs=[1, 2])
    bodies["external-ips-number"] = review({HOSTNAME: NAME}, spec__externalIPs=1)
    bodies["external-name-number"] = review({HOSTNAME: NAME}, service_type="ExternalName",
                                            spec__externalName=1)
    bodies["cluster-ip-list"] = review({HOSTNAME: NAME}, service_type="ClusterIP",
                                       spec__clusterIP=["10.96.0.1"])
    for name, balancer in (("string", "x"), ("ingress-number", {"ingress": 1}),
                           ("ingress-of-numbers", {"ingress": [1]}),
                           ("ip-number", {"ingress": [{"ip": 10}]}),
                           ("hostname-list", {"ingress": [{"hostname": ["lb"]}]})):
        bodies[f"load-balancer-{name}"] = review({HOSTNAME: NAME},
                                                 status={"loadBalancer": balancer})
    old_spec_list = review({HOSTNAME: NAME}, operation="UPDATE", old={HOSTNAME: NAME})
    old_spec_list["request"]["oldObject"]["spec"] = ["LoadBalancer"]
    bodies["old-object-spec-list"] = old_spec_list
    for name, spec in (("tls-hosts-numbers", {"tls": [{"hosts": [1]}]}),
                       ("tls-hosts-number", {"tls": [{"hosts": 1}]}),
                       ("tls-number", {"tls": 1}),
                       ("rules-host-number", {"rules": [{"host": 1}]}),
                       ("rules-number", {"rules": 1}),
                       ("class-number", {"ingressClassName": 1})):
        bodies[f"ingress-{name}"] = ingress_review(spec)
    bodies["ingress-load-balancer-number"] = ingress_review(
        {"rules": [{"host": NAME}]}, status={"loadBalancer": {"ingress": 1}})
    # Gateway API routes: wrong types in spec.hostnames, the CRD's 16 names with a claimed
    # one among them, a claimed name spelt differently, the annotations at the object limit
    for name, hostnames in (("hostnames-number", 1), ("hostnames-numbers", [1]),
                            ("hostnames-string", NAME)):
        bodies[f"route-{name}"] = route_review(hostnames)
    sixteen = [f"h{number}.{DOMAIN}" for number in range(15)] + [CLAIMED]
    bodies["route-sixteen-hostnames-one-claimed"] = route_review(sixteen)
    bodies["route-claimed-name-upper-case-trailing-dot"] = route_review([CLAIMED.upper() + "."])
    bodies["route-target-at-the-object-limit"] = route_review(
        [NAME], {A + "target": at_limit(A + "target")})
    bodies["route-hostnames-disagree-at-the-object-limit"] = route_review(
        [NAME], {A + "hostname": NAME, S + "hostname": at_limit(S + "hostname", "a.")})
    # a resolution carried in the body, as the watch cache carries one: forged, malformed
    forged = route_review([CLAIMED])
    forged["request"]["object"]["dnsgate.io/resolved"] = {"hosts": [], "reasons": []}
    bodies["route-forged-resolution-without-its-claimed-name"] = forged
    malformed = route_review([NAME])
    malformed["request"]["object"]["dnsgate.io/resolved"] = {"hosts": 1}
    bodies["route-malformed-resolution"] = malformed
    # internationalised and look-alike hostnames
    for name, host in (
            ("punycode", f"xn--bcher-kva.{DOMAIN}"),
            ("punycode-upper-case", f"XN--BCHER-KVA.{DOMAIN.upper()}"),
            ("punycode-invalid", f"xn--zz.{DOMAIN}"),
            ("punycode-look-alike-of-a-claimed-name", f"xn--pple-43d.{DOMAIN}"),
            ("claimed-name-upper-case-trailing-dot", CLAIMED.upper() + "."),
            ("mixed-script-look-alike", f"\u0430pple.{DOMAIN}"),
            ("fullwidth-letters", f"\uff41pple.{DOMAIN}"),
            ("ideographic-full-stop", f"apple\u3002{DOMAIN}"),
            ("zero-width-joiner", f"ap\u200dple.{DOMAIN}"),
            ("right-to-left-override", f"\u202eelppa.{DOMAIN}"),
            ("lone-surrogate", f"a\ud800b.{DOMAIN}"),
            ("null-character", f"a\u0000b.{DOMAIN}"),
            ("emoji", f"\U0001f4a9.{DOMAIN}"),
            ("trailing-dot", f"{NAME}."),
            ("two-trailing-dots", f"{NAME}.."),
            ("empty-label", f"a..{DOMAIN}"),
            ("leading-dot", f".{DOMAIN}"),
            ("only-dots", "..."),
            ("wildcard-of-a-look-alike", f"*.xn--pple-43d.{DOMAIN}"),
    ):
        bodies[f"hostname-{name}"] = review({HOSTNAME: host})
    return bodies


def cases() -> list[Case]:
    """Every case, its body encoded as kube-apiserver would send it (lone surrogates
    escaped, so they reach the server as the JSON text `\\ud800`)."""
    return [Case(name, json.dumps(body).encode()) for name, body in _bodies().items()]


def deep_body(depth: int = 100_000) -> Case:
    """A body nested deeper than any JSON parser recurses: refused before it is a review."""
    return Case("body-nested-100000-deep", b'{"a":' * depth + b"1" + b"}" * depth)
