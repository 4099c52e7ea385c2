"""The Kubernetes rights the reconciler uses, in one place.

`RIGHTS` is what the reconciler's ClusterRole and leader-election Role grant
(manifests/base/rbac-reconciler.yaml, and for the Gateway API sources the rules
manifests/components/gateway-api adds to the ClusterRole; a test holds them equal, so neither
can drift), and the Namespace reads the base grants in the ClusterRole shared with the webhook
(manifests/base/rbac-domain-policy.yaml), each with the reason dnsgate needs it and the
--source values that use it.
`needed(settings)` picks the rights one configuration uses and the namespace each is used in;
`dnsgate doctor` asks the apiserver about every one of them (a SelfSubjectAccessReview each)
and names the missing rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dnsgate import gateway
from reconciler.settings import Settings

Scope = Literal["watched", "gateways", "cluster", "lease"]
"""Where a right is used: in the watched namespaces (every namespace, or --namespace; granted
by the ClusterRole), in the Gateways' namespaces (every namespace, or --gateway-namespace:
a route may attach to a Gateway elsewhere; the ClusterRole), cluster-wide (Namespaces; a
ClusterRole), or in the leader-election namespace (granted by the namespaced Role)."""

CLUSTER_ROLE = "dnsgate-reconciler"
LEASE_ROLE = "dnsgate-reconciler-leader-election"
NAMESPACE_ROLE = "dnsgate-namespace-labels"
BASE = "manifests/base/rbac-reconciler.yaml"
NAMESPACE_RBAC = "manifests/base/rbac-domain-policy.yaml"
GATEWAY_COMPONENT = "manifests/components/gateway-api"
GATEWAY_SOURCES = tuple(gateway.SOURCES)


@dataclass(frozen=True)
class Right:
    verb: str
    resource: str
    """A resource, or resource/subresource ("services/status") as RBAC rules write it."""
    group: str
    scope: Scope
    why: str
    writes: bool = False
    """A write a --dry-run never makes."""
    sources: tuple[str, ...] = ()
    """The --source values that use it ("service", "gateway-httproute"); () for every
    configuration."""
    granted_in: str = BASE
    """The manifest whose rules grant it."""
    role: str = CLUSTER_ROLE
    """The ClusterRole holding it (the lease scope's is always LEASE_ROLE)."""

    def describe(self, namespace: str) -> str:
        where = (f"in namespace {namespace}" if namespace else "cluster-wide"
                 if self.resource == "namespaces" else "in all namespaces")
        group = f".{self.group}" if self.group else ""
        return f"{self.verb} {self.resource}{group} {where}"

    def rule(self) -> str:
        """The RBAC rule that grants it, as it would be written in the Role."""
        return (f'{{apiGroups: ["{self.group}"], resources: ["{self.resource}"], '
                f'verbs: ["{self.verb}"]}}')


def _services(verb: str, why: str) -> Right:
    return Right(verb, "services", "", "watched", why, sources=("service",))


def _ingresses(verb: str, why: str) -> Right:
    return Right(verb, "ingresses", "networking.k8s.io", "watched", why, sources=("ingress",))


_GATEWAY_VERBS = (("get", "read one {} when reporting on it"),
                  ("list", "read every {} at start and after a watch expires"),
                  ("watch", "follow {} changes as they happen"))


def _routes(source: str, kind: str) -> tuple[Right, ...]:
    """A route kind's rights, used by its own source only (its resource is the kind's
    lower-case plural, as the CRD names it)."""
    return tuple(Right(verb, f"{kind.lower()}s", gateway.GROUP, "watched", why.format(kind),
                       sources=(source,), granted_in=GATEWAY_COMPONENT)
                 for verb, why in _GATEWAY_VERBS)


def _gateways(verb: str, why: str) -> Right:
    """A right every Gateway API source uses: Gateways' listeners and addresses decide a
    route's records."""
    return Right(verb, "gateways", gateway.GROUP, "gateways", why, sources=GATEWAY_SOURCES,
                 granted_in=GATEWAY_COMPONENT)


def _namespaces(verb: str) -> Right:
    """Every Gateway API source reads namespaces' labels (a listener's allowedRoutes may
    select routes' namespaces by label); the base grants this to both deployables for the
    domain policy already."""
    return Right(verb, "namespaces", "", "cluster",
                 "read the namespace labels Gateway listeners select routes by",
                 sources=GATEWAY_SOURCES, granted_in=NAMESPACE_RBAC, role=NAMESPACE_ROLE)


def _events(group: str, verb: str) -> Right:
    return Right(verb, "events", group, "watched",
                 "report each Service's DNS outcome as an Event", writes=True)


def _lease(verb: str) -> Right:
    return Right(verb, "leases", "coordination.k8s.io", "lease",
                 "hold the leader Lease, so only one replica writes to Route53")


CONFIRMATION = Right("get", "configmaps", "", "lease",
                     "read the confirmation that lets held deletes go (--confirm-deletes)")

RIGHTS: tuple[Right, ...] = (
    _services("get", "read a Service when reporting on it"),
    _services("list", "read every Service at start and after a watch expires"),
    _services("watch", "follow Service changes as they happen"),
    Right("patch", "services/status", "", "watched",
          "write the dnsgate.io/DNSReady condition on each Service", writes=True,
          sources=("service",)),
    _ingresses("get", "read an Ingress when reporting on it"),
    _ingresses("list", "read every Ingress at start and after a watch expires"),
    _ingresses("watch", "follow Ingress changes as they happen"),
    *(right for source, kind in gateway.SOURCES.items() for right in _routes(source, kind.name)),
    *(_gateways(verb, why.format("Gateway")) for verb, why in _GATEWAY_VERBS),
    _namespaces("list"), _namespaces("watch"),
    _events("", "create"), _events("", "patch"),
    _events("events.k8s.io", "create"), _events("events.k8s.io", "patch"),
    _lease("get"), _lease("create"), _lease("update"),
    CONFIRMATION,
)


def needed(settings: Settings) -> tuple[tuple[Right, str], ...]:
    """(right, namespace) for each right this configuration uses; namespace "" is all."""
    found: list[tuple[Right, str]] = []
    for right in RIGHTS:
        if right.sources and not set(right.sources) & set(settings.source.sources):
            continue
        if right is CONFIRMATION:  # in the Lease's Role, and its namespace by default
            if settings.leader_election is not None:
                found.append((right, settings.controller.guard.namespace))
        elif right.scope == "lease":
            if settings.leader_election is not None:
                found.append((right, settings.leader_election.namespace))
        elif right.scope == "cluster":
            found.append((right, ""))
        elif right.scope == "gateways":
            found.append((right, settings.source.gateway.namespace))
        elif not (right.writes and settings.controller.dry_run):
            found.append((right, settings.source.namespace))
    return tuple(found)


def remedy(right: Right, namespace: str) -> str:
    role = (f"the Role {LEASE_ROLE} in namespace {namespace}" if right.scope == "lease"
            else f"the ClusterRole {right.role}")
    holds = ("adds it to the ClusterRole; the base holds the binding"
             if right.granted_in == GATEWAY_COMPONENT else "holds both")
    return (f"add the rule {right.rule()} to {role} and bind it to this identity "
            f"({right.granted_in} {holds})")
