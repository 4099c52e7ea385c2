"""What dnsgate calls each object it publishes records for: its key, "<kind>/<namespace>/<name>"
("service/shop/web", "ingress/shop/web"). The key is also the `resource` label of the
object's ownership TXT records, as ExternalDNS writes that label
(docs/externaldns-txt-registry.md), so a label read back from Route53 is a key as it is.

Every key starts with its kind, and a namespace or name never holds a "/" (Kubernetes names
are DNS labels or subdomains), so two objects of different kinds never share a key whatever
their namespaces are called: the Service "shop" in a namespace called `ingress` is
"service/ingress/shop", never taken for an Ingress. This module alone turns keys into kinds
and back; each Gateway API route kind ("httproute/<namespace>/<name>") is one more `Kind` in
`KINDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    """One kind of object dnsgate publishes for."""

    label: str
    """The key's first segment, and the resource label's kind, as ExternalDNS writes it."""
    name: str
    """The Kubernetes kind, as the API, Events and messages name it."""
    api_version: str
    plural: str
    """How a message names several of them."""
    source: str = ""
    """The --source value that publishes this kind (ExternalDNS's source name); default the
    label."""

    @property
    def source_name(self) -> str:
        return self.source or self.label

    @property
    def resource(self) -> str:
        """The API's resource name (lower-case plural), as RBAC and URLs name it."""
        return self.plural.lower()

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


SERVICE = Kind("service", "Service", "v1", "Services")
INGRESS = Kind("ingress", "Ingress", "networking.k8s.io/v1", "Ingresses")
_ROUTES = "gateway.networking.k8s.io"
HTTPROUTE = Kind("httproute", "HTTPRoute", f"{_ROUTES}/v1", "HTTPRoutes",
                 "gateway-httproute")
GRPCROUTE = Kind("grpcroute", "GRPCRoute", f"{_ROUTES}/v1", "GRPCRoutes",
                 "gateway-grpcroute")
TLSROUTE = Kind("tlsroute", "TLSRoute", f"{_ROUTES}/v1", "TLSRoutes",
                 "gateway-tlsroute")
TCPROUTE = Kind("tcproute", "TCPRoute", f"{_ROUTES}/v1alpha2", "TCPRoutes",
                 "gateway-tcproute")
UDPROUTE = Kind("udproute", "UDPRoute", f"{_ROUTES}/v1alpha2", "UDPRoutes",
                 "gateway-udproute")
ROUTE_KINDS = (HTTPROUTE, GRPCROUTE, TLSROUTE, TCPROUTE, UDPROUTE)
"""Gateway API routes (docs/gateway-api.md): the API versions ExternalDNS v0.23.0 reads."""
KINDS = (SERVICE, INGRESS, *ROUTE_KINDS)
_BY_LABEL = {kind.label: kind for kind in KINDS}
_BY_NAME = {kind.name: kind for kind in KINDS}


@dataclass(frozen=True)
class ObjectKey:
    """A key taken apart."""

    kind: Kind
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.label}/{self.namespace}/{self.name}"


def key(kind: Kind, namespace: str, name: str) -> str:
    return str(ObjectKey(kind, namespace, name))


def kind_of_object(obj: Mapping[str, Any]) -> Kind:
    """The object's kind: list items carry none, so the watch cache marks each copy of an
    object that is not a Service with its kind (`dnsgate.ingress.slim`); unmarked is a
    Service."""
    return _BY_NAME.get(str(obj.get("kind") or ""), SERVICE)


def of(obj: Mapping[str, Any]) -> str:
    """The key of an object given as JSON (marked with its kind unless a Service)."""
    meta = obj.get("metadata") or {}
    return key(kind_of_object(obj), str(meta.get("namespace") or ""),
               str(meta.get("name") or ""))


def parse(text: str) -> ObjectKey | None:
    """The key `text` taken apart; None when it is no key of a kind dnsgate publishes for
    (a resource label of ExternalDNS's other sources: "node/...", "crd/...")."""
    label, _, rest = text.partition("/")
    namespace, _, name = rest.partition("/")
    kind = _BY_LABEL.get(label)
    if kind is None or not namespace or not name or "/" in name:
        return None
    return ObjectKey(kind, namespace, name)


def kind_of(text: str) -> Kind | None:
    parsed = parse(text)
    return parsed.kind if parsed is not None else None


def in_namespace(text: str, namespace: str) -> bool:
    """Whether the key (or resource label) names an object of ours in `namespace`."""
    parsed = parse(text)
    return parsed is not None and parsed.namespace == namespace


def describe(text: str) -> str:
    """The object as a message names it: "Service ns/name", "Ingress ns/name"."""
    parsed = parse(text)
    if parsed is None:
        return text
    return f"{parsed.kind.name} {parsed.namespace}/{parsed.name}"
