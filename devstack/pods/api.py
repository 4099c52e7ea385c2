"""The pod runner's own API client: plain JSON over the kubernetes client's transport, with
the admin kubeconfig (the runner plays the controllers and the kubelet, which hold their own
credentials in a cluster; the pods never see these)."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
from typing import Any

import yaml


class NotFound(LookupError):
    pass


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.status = status
        try:
            message = json.loads(body).get("message", body)
        except ValueError:
            message = body
        super().__init__(f"{method} {path}: {status} {message}")


class Api:
    def __init__(self, kubeconfig: Path) -> None:
        from kubernetes import config

        self.kubeconfig = kubeconfig
        self.client = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig))

    def request(self, method: str, path: str, body: Any = None,
                query: dict[str, str] | None = None,
                content_type: str = "application/json") -> Any:
        serialized = self.client.param_serialize(
            method, path, query_params=list((query or {}).items()),
            header_params={"Accept": "application/json", "Content-Type": content_type},
            body=body, auth_settings=["BearerToken"])
        response = self.client.call_api(*serialized)
        data = response.read()
        if response.status == 404:
            raise NotFound(f"{method} {path}: not found")
        if not 200 <= response.status < 300:
            raise ApiError(method, path, response.status, data.decode(errors="replace"))
        return json.loads(data)

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except NotFound:
            return None

    def items(self, path: str, **query: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.request("GET", path, query=query)["items"]
        return items

    def create(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def merge_patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")

    def delete(self, path: str, grace_seconds: int | None = None) -> None:
        query = {} if grace_seconds is None else {"gracePeriodSeconds": str(grace_seconds)}
        with contextlib.suppress(NotFound):
            self.request("DELETE", path, query=query)

    def cluster_ca(self) -> bytes:
        """The CA that signs kube-apiserver's serving certificate, from the kubeconfig, as
        the root-ca-cert-publisher publishes it in every namespace."""
        config = yaml.safe_load(self.kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        return base64.b64decode(cluster["certificate-authority-data"])

    def server(self) -> tuple[str, int]:
        config = yaml.safe_load(self.kubeconfig.read_text())
        host, _, port = config["clusters"][0]["cluster"]["server"].removeprefix(
            "https://").partition(":")
        return host, int(port or 443)


def namespaced(namespace: str, resource: str, name: str = "", *,
               group: str = "", version: str = "v1") -> str:
    base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    path = f"{base}/namespaces/{namespace}/{resource}"
    return f"{path}/{name}" if name else path
