"""The mass-delete guard's Kubernetes calls (docs/deletes.md): an object looked up by name,
the confirmation ConfigMap read, the held plan announced as an Event.

Each call is bounded by `TIMEOUT`: the guard asks them from the loop, and an API server
that hangs must hold the loop for seconds, not minutes. A failure reads as "no answer": a
lookup that fails holds the delete (`reconciler.witness`), a confirmation that cannot be
read confirms nothing, an Event that cannot be written is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dnsgate import objectkey
from reconciler.deleteguard import Decision, GuardSettings

log = logging.getLogger("dnsgate.reconcile")

TIMEOUT = (5, 10)  # seconds to connect, and to read an answer
COMPONENT = "dnsgate-reconciler"


class Kubernetes:
    def __init__(self, core: Any, networking: Any, settings: GuardSettings,
                 custom: Any = None) -> None:
        self.core = core
        self.networking = networking
        self.settings = settings
        self.custom = custom
        """CustomObjectsApi: Gateway API routes are read through it."""

    def exists(self, resource: str) -> bool:
        """Whether the object of this key exists: False only on a 404 for that very name."""
        from kubernetes.client.exceptions import ApiException

        key = objectkey.parse(resource)
        if key is None:
            raise ValueError(f'"{resource}" names no object dnsgate reads')
        try:
            if key.kind is objectkey.SERVICE:
                self.core.read_namespaced_service(key.name, key.namespace,
                                                  _request_timeout=TIMEOUT)
            elif key.kind is objectkey.INGRESS:
                self.networking.read_namespaced_ingress(key.name, key.namespace,
                                                        _request_timeout=TIMEOUT)
            else:
                self.custom.get_namespaced_custom_object(
                    key.kind.group, key.kind.version, key.namespace, key.kind.resource,
                    key.name, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status == 404 and _not_found(exc, key):
                return False
            raise
        return True

    def confirmed(self) -> str | None:
        """The plan hash in the confirmation ConfigMap's `data.plan`; None if there is none."""
        from kubernetes.client.exceptions import ApiException

        try:
            found = self.core.read_namespaced_config_map(
                self.settings.name, self.settings.namespace, _request_timeout=TIMEOUT)
        except ApiException as exc:
            if exc.status != 404:
                log.warning("cannot read the deletes confirmation ConfigMap %s (%s %s)",
                            self.settings.confirmation, exc.status, exc.reason)
            return None
        except Exception as exc:  # any failure to read confirms nothing
            log.warning("cannot read the deletes confirmation ConfigMap %s (%s)",
                        self.settings.confirmation, exc)
            return None
        plan = ((found or {}).get("data") or {}).get("plan")
        return str(plan).strip() if plan else None

    def announce(self, decision: Decision, message: str) -> None:
        """A Warning Event `DNSDeletesHeld` on the confirmation ConfigMap, where the
        confirmation goes (the ConfigMap need not exist for its Events to be listed)."""
        now = dt.datetime.now(dt.UTC).isoformat()
        namespace, name = self.settings.namespace, self.settings.name
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{name}.dnsgate-", "namespace": namespace},
            "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "name": name,
                               "namespace": namespace},
            "reason": "DNSDeletesHeld", "message": message[:1024], "type": "Warning",
            "source": {"component": COMPONENT}, "reportingComponent": COMPONENT,
            "reportingInstance": COMPONENT, "firstTimestamp": now, "lastTimestamp": now,
            "count": 1,
        }
        try:
            self.core.create_namespaced_event(namespace, event, _request_timeout=TIMEOUT)
        except Exception as exc:  # the log line carries the same message
            log.warning("cannot write the DNSDeletesHeld Event in %s (%s)", namespace, exc)


def _not_found(exc: Any, key: objectkey.ObjectKey) -> bool:
    """A 404 about this object, not a 404 from a proxy or a missing API (an Ingress API
    not served is no proof that the Ingress was deleted)."""
    import json

    try:
        details = (json.loads(exc.body or "{}").get("details") or {})
    except ValueError:
        return False
    return bool(details.get("name") == key.name
                and details.get("kind") == key.kind.plural.lower())
