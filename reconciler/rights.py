"""The Kubernetes rights the reconciler uses, in one place.

`RIGHTS` is what the reconciler's ClusterRole and leader-election Role grant
(manifests/base/rbac-reconciler.yaml; a test holds the two equal, so neither can drift), each
with the reason dnsgate needs it. `needed(settings)` picks the rights one configuration uses
and the namespace each is used in; `dnsgate doctor` asks the apiserver about every one of them
(a SelfSubjectAccessReview each) and names the missing rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.settings import Settings

Scope = Literal["watched", "lease"]
"""Where a right is used: in the watched namespaces (every namespace, or --namespace; granted
by the ClusterRole), or in the leader-election namespace (granted by the namespaced Role)."""

CLUSTER_ROLE = "dnsgate-reconciler"
LEASE_ROLE = "dnsgate-reconciler-leader-election"


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
    source: str = ""
    """The --source that uses it ("service", "ingress"); "" for every configuration."""

    def describe(self, namespace: str) -> str:
        where = f"in namespace {namespace}" if namespace else "in all namespaces"
        group = f".{self.group}" if self.group else ""
        return f"{self.verb} {self.resource}{group} {where}"

    def rule(self) -> str:
        """The RBAC rule that grants it, as it would be written in the Role."""
        return (f'{{apiGroups: ["{self.group}"], resources: ["{self.resource}"], '
                f'verbs: ["{self.verb}"]}}')


def _services(verb: str, why: str) -> Right:
    return Right(verb, "services", "", "watched", why, source="service")


def _ingresses(verb: str, why: str) -> Right:
    return Right(verb, "ingresses", "networking.k8s.io", "watched", why, source="ingress")


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
          source="service"),
    _ingresses("get", "read an Ingress when reporting on it"),
    _ingresses("list", "read every Ingress at start and after a watch expires"),
    _ingresses("watch", "follow Ingress changes as they happen"),
    _events("", "create"), _events("", "patch"),
    _events("events.k8s.io", "create"), _events("events.k8s.io", "patch"),
    _lease("get"), _lease("create"), _lease("update"),
    CONFIRMATION,
)


def needed(settings: Settings) -> tuple[tuple[Right, str], ...]:
    """(right, namespace) for each right this configuration uses; namespace "" is all."""
    found: list[tuple[Right, str]] = []
    for right in RIGHTS:
        if right.source and right.source not in settings.source.sources:
            continue
        if right is CONFIRMATION:  # in the Lease's Role, and its namespace by default
            if settings.leader_election is not None:
                found.append((right, settings.controller.guard.namespace))
        elif right.scope == "lease":
            if settings.leader_election is not None:
                found.append((right, settings.leader_election.namespace))
        elif not (right.writes and settings.controller.dry_run):
            found.append((right, settings.source.namespace))
    return tuple(found)


def remedy(right: Right, namespace: str) -> str:
    role = (f"the Role {LEASE_ROLE} in namespace {namespace}" if right.scope == "lease"
            else f"the ClusterRole {CLUSTER_ROLE}")
    return (f"add the rule {right.rule()} to {role} and bind it to this identity "
            "(manifests/base/rbac-reconciler.yaml holds both)")
