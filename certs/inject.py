"""Put the CA bundle into every webhook of the named WebhookConfigurations.

Like Gatekeeper's cert-controller, this also repairs a caBundle that someone overwrote
(a `kubectl apply` of the manifests blanks it): every run compares, and patches only the
webhooks whose caBundle differs. The JSON patch tests each webhook's name first, so a
configuration edited between read and patch fails instead of being patched at a wrong index.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

Kind = Literal["mutating", "validating"]


class MissingConfiguration(LookupError):
    pass


def bundle_patch(webhooks: list[dict[str, Any]], ca_bundle: str) -> list[dict[str, Any]]:
    """JSON patch operations setting caBundle on each webhook that lacks this one."""
    operations: list[dict[str, Any]] = []
    for index, webhook in enumerate(webhooks):
        if (webhook.get("clientConfig") or {}).get("caBundle") != ca_bundle:
            operations += [
                {"op": "test", "path": f"/webhooks/{index}/name", "value": webhook["name"]},
                {"op": "add", "path": f"/webhooks/{index}/clientConfig/caBundle",
                 "value": ca_bundle},
            ]
    return operations


def inject(api: Any, kind: Kind, name: str, ca_pem: bytes) -> int:
    """Patch configuration `name`; returns how many webhooks needed the bundle."""
    import json

    from kubernetes.client import ApiException

    read = getattr(api, f"read_{kind}_webhook_configuration")
    patch = getattr(api, f"patch_{kind}_webhook_configuration")
    try:
        response = read(name, _preload_content=False)
    except ApiException as exc:
        if exc.status == 404:
            raise MissingConfiguration(
                f"{kind.capitalize()}WebhookConfiguration {name} does not exist; apply "
                "manifests/base/webhook-configurations.yaml first") from exc
        raise
    webhooks = json.loads(response.data).get("webhooks") or []
    operations = bundle_patch(webhooks, base64.b64encode(ca_pem).decode())
    if operations:
        patch(name, operations)
    return len(operations) // 2
