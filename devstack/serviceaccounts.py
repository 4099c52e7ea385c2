"""Act as a ServiceAccount against the dev apiserver, as a pod would: a kubeconfig holding a
token from the TokenRequest API (what the kubelet mounts into a pod) and nothing else, so
RBAC sees exactly that ServiceAccount."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def token_kubeconfig(admin_kubeconfig: Path, namespace: str, name: str, out: Path, *,
                     seconds: int = 3600) -> Path:
    """Create the ServiceAccount if needed, request a token for it, write a kubeconfig."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(
        config.new_client_from_config(str(admin_kubeconfig)))  # type: ignore[no-untyped-call]
    try:
        core.create_namespaced_service_account(
            namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name)))
    except ApiException as exc:
        if exc.status != 409:
            raise
    issued = core.create_namespaced_service_account_token(
        name, namespace, client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=seconds)))
    assert issued.status is not None, "TokenRequest answered without a token"
    token = issued.status.token
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    user = f"system:serviceaccount:{namespace}:{name}"
    out.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "dev", "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "dev", "context": {"cluster": "dev", "user": user}}],
        "current-context": "dev",
    }, indent=2))
    out.chmod(0o600)
    return out
