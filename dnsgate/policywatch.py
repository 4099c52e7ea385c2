"""Keeps the domain policy in force (`dnsgate.domainpolicy.Enforcement`) current, for the
webhook and the reconciler alike: a list + watch of the one policy ConfigMap
(`--domain-policy`) and of the Namespaces' labels, through `dnsgate.watch.ServiceStore` (the
same list, watch, 410 and back-off handling as the Service watch). A change applies without
a restart.

A policy that cannot be used (the ConfigMap missing, its key missing, its text malformed)
never opens anything and never withdraws anything: the last valid policy stays in force,
and `error` says what is wrong until it is fixed (logged once per change of state; each
deployable puts it on its metrics and readiness). Until a first valid policy has been read,
`loaded` stays unset: the reconciler does not sync (so it neither publishes nor deletes
anything) and the webhook refuses every name, each saying why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from dnsgate import domainpolicy, objectkey
from dnsgate.domainpolicy import Enforcement
from dnsgate.watch import KubernetesServices, ServiceStore

log = logging.getLogger("dnsgate.domainpolicy")


def _kept_config_map(item: Mapping[str, Any]) -> dict[str, Any]:
    meta = item.get("metadata") or {}
    return {"metadata": {"name": meta.get("name"), "namespace": meta.get("namespace"),
                         "resourceVersion": meta.get("resourceVersion")},
            "data": dict(item.get("data") or {})}


def _kept_namespace(item: Mapping[str, Any]) -> dict[str, Any]:
    meta = item.get("metadata") or {}
    return {"metadata": {"name": meta.get("name"), "labels": dict(meta.get("labels") or {})}}


class ConfigMaps(KubernetesServices):
    """The one ConfigMap, listed and watched by name (a field selector)."""

    def __init__(self, core: Any, namespace: str, name: str) -> None:
        super().__init__(core, namespace)
        self._name = name

    def _trim(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return _kept_config_map(item)

    def _call(self, **kwargs: Any) -> Any:
        return self._core.list_namespaced_config_map(
            self._namespace, field_selector=f"metadata.name={self._name}", **kwargs)


class Namespaces(KubernetesServices):
    """Every Namespace, with its name and labels only."""

    def _trim(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return _kept_namespace(item)

    def _call(self, **kwargs: Any) -> Any:
        return self._core.list_namespace(**kwargs)


class PolicyWatch:
    """The policy in force, from a ConfigMap store and a Namespace store."""

    def __init__(self, where: str, config_maps: Any, namespaces: Any,
                 on_change: Callable[[Enforcement], None] | None = None,
                 on_state: Callable[[str | None], None] | None = None) -> None:
        """`where`: "<namespace>/<name>" of the ConfigMap; `config_maps`, `namespaces`:
        their ServiceAPIs (`ConfigMaps`, `Namespaces`, or fakes). `on_change` hears every
        new Enforcement, `on_state` every new error (None once valid)."""
        self.where = where
        self._on_change = on_change or (lambda _: None)
        self._on_state = on_state or (lambda _: None)
        self._lock = threading.Lock()
        self._policy: domainpolicy.Policy | None = None
        self._current = Enforcement(domainpolicy.Policy(where))
        self.error: str | None = f"domain policy {where} not read yet"
        self.loaded = threading.Event()
        self._listed: set[str] = set()
        # The text last parsed and what it gave: every Namespace event refreshes the policy
        # in force, and a policy near a ConfigMap's 1 MiB takes seconds to parse, which no
        # Namespace event should cost (the webhook's reviews wait on it).
        self._parsed: tuple[str, tuple[domainpolicy.Policy | None, str | None]] | None = None
        self.policies = ServiceStore(config_maps, lambda _: self._refresh(),
                                     kept=_kept_config_map,
                                     on_relist=lambda _: self._listed_once("policy"))
        self.namespaces = ServiceStore(namespaces, lambda _: self._refresh(),
                                       kept=_kept_namespace,
                                       on_relist=lambda _: self._listed_once("namespaces"))

    def current(self) -> Enforcement:
        """The policy in force; before a first valid one, one that admits no name."""
        with self._lock:
            if self._policy is None:
                return Enforcement(self._current.policy, blocked=self.error or "")
            return self._current

    @property
    def synced(self) -> bool:
        """Both stores listed and a valid policy read."""
        return self.loaded.is_set()

    def start(self, stop: threading.Event) -> list[threading.Thread]:
        threads = [threading.Thread(target=store.run, args=(stop,), name=name, daemon=True)
                   for name, store in (("policy-watch", self.policies),
                                       ("namespace-watch", self.namespaces))]
        for thread in threads:
            thread.start()
        return threads

    def relist(self) -> None:
        """Read both once (`--once`)."""
        self.namespaces.relist()
        self.policies.relist()

    def _listed_once(self, store: str) -> None:
        with self._lock:
            self._listed.add(store)
        self._refresh()

    def _refresh(self) -> None:
        with self._lock:
            if len(self._listed) < 2:
                return  # the first lists are still coming: decide once both are in
        policy, error = self._read()
        labels = {str((ns.get("metadata") or {}).get("name")):
                  dict((ns.get("metadata") or {}).get("labels") or {})
                  for ns in self.namespaces.snapshot()}
        changed = False
        with self._lock:
            if policy is not None:
                self._policy = policy
            changed_error = error != self.error
            self.error = error
            if self._policy is not None:
                fresh = Enforcement(self._policy, labels)
                # Labels matter only where they change a namespace's domains: a namespace
                # created, deleted or relabelled otherwise changes no decision, and costs
                # the reconciler nothing.
                changed = fresh.regranted(self._current) != frozenset()
                self._current = fresh
                self.loaded.set()
        self._report(changed_error, error)
        if changed:
            log.info("domain policy %s in force: %d rules, unmatched namespaces %s",
                     self.where, len(fresh.policy.rules), fresh.policy.unmatched)
            self._on_change(fresh)

    def _report(self, changed: bool, error: str | None) -> None:
        if not changed:
            return
        if error is None:
            log.info("domain policy %s is valid", self.where)
        elif self._policy is not None:
            log.error("%s; the last valid policy stays in force until it is fixed", error)
        else:
            log.error("%s; no name is published or admitted until it is fixed", error)
        self._on_state(error)

    def _read(self) -> tuple[domainpolicy.Policy | None, str | None]:
        namespace, name = domainpolicy.reference(self.where)
        found = self.policies.get(objectkey.key(objectkey.SERVICE, namespace, name))
        if found is None:
            return None, f"domain policy ConfigMap {self.where} does not exist"
        text = (found.get("data") or {}).get(domainpolicy.POLICY_KEY)
        if text is None:
            return None, (f"domain policy ConfigMap {self.where} has no key "
                          f"{domainpolicy.POLICY_KEY}")
        if self._parsed is not None and self._parsed[0] == text:
            return self._parsed[1]
        try:
            read: tuple[domainpolicy.Policy | None, str | None] = (
                domainpolicy.parse(text, self.where), None)
        except domainpolicy.PolicyError as exc:
            read = None, f"domain policy is malformed: {exc}"
        self._parsed = text, read
        return read


def kubernetes(where: str, api_client: Any = None, **callbacks: Any) -> PolicyWatch:
    """A PolicyWatch over the API through `api_client` (default: the client's configuration
    loaded by `dnsgate.kube.load_config`)."""
    from kubernetes import client

    namespace, name = domainpolicy.reference(where)
    core = client.CoreV1Api(api_client)
    return PolicyWatch(where, ConfigMaps(core, namespace, name), Namespaces(core), **callbacks)
