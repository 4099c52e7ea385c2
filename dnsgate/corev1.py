"""The core/v1 calls dnsgate makes, sent through the kubernetes client's
ApiClient (its configuration, credentials, TLS and timeouts) without
`kubernetes.client.CoreV1Api`.

Why not CoreV1Api: since kubernetes 37 each of its 413 methods is wrapped in pydantic's
`validate_call`, built when the module is imported. That costs 22 MB of resident memory in
every process that imports it, for the few methods used (BENCHMARKS.md, "Memory"). The
methods here take the same arguments and keyword names as CoreV1Api's, so the callers and
their test doubles need not know which one they hold.
"""

from __future__ import annotations

import json
from typing import Any

# CoreV1Api's keyword names -> the API server's query parameter names.
_QUERY = {
    "label_selector": "labelSelector",
    "field_selector": "fieldSelector",
    "limit": "limit",
    "_continue": "continue",
    "watch": "watch",
    "resource_version": "resourceVersion",
    "allow_watch_bookmarks": "allowWatchBookmarks",
    "timeout_seconds": "timeoutSeconds",
    "field_manager": "fieldManager",
    "force": "force",
}


class CoreV1:
    """`list_namespaced_service`, `list_service_for_all_namespaces`,
    `read_namespaced_service`, `read_namespaced_config_map`,
    `patch_namespaced_service_status` and `create_namespaced_event`, as CoreV1Api has them;
    `list_namespaced_config_map` and `patch_namespaced_config_map` for the owners index
    (`dnsgate.owners`); `list_namespace` and `list_at` (any list path) for the Gateway API
    route stores (`dnsgate.routewatch`, the reconciler's and the webhook's).

    With `_preload_content=False` a call returns the raw urllib3 response (a watch reads it
    line by line); otherwise the decoded JSON body as a dict, not a typed model. A status
    outside 2xx raises the client's `ApiException`, as CoreV1Api does."""

    def __init__(self, api_client: Any = None) -> None:
        if api_client is None:
            from kubernetes.client.api_client import ApiClient

            api_client = ApiClient()
        self.api_client = api_client

    def list_namespaced_service(self, namespace: str, **kwargs: Any) -> Any:
        return self._call("GET", "/api/v1/namespaces/{namespace}/services",
                          {"namespace": namespace}, **kwargs)

    def list_service_for_all_namespaces(self, **kwargs: Any) -> Any:
        return self._call("GET", "/api/v1/services", {}, **kwargs)

    def read_namespaced_service(self, name: str, namespace: str, **kwargs: Any) -> Any:
        return self._call("GET", "/api/v1/namespaces/{namespace}/services/{name}",
                          {"namespace": namespace, "name": name}, **kwargs)

    def read_namespaced_config_map(self, name: str, namespace: str, **kwargs: Any) -> Any:
        return self._call("GET", "/api/v1/namespaces/{namespace}/configmaps/{name}",
                          {"namespace": namespace, "name": name}, **kwargs)

    def patch_namespaced_service_status(self, name: str, namespace: str, body: Any,
                                        **kwargs: Any) -> Any:
        return self._call("PATCH", "/api/v1/namespaces/{namespace}/services/{name}/status",
                          {"namespace": namespace, "name": name}, body=body, **kwargs)

    def create_namespaced_event(self, namespace: str, body: Any, **kwargs: Any) -> Any:
        return self._call("POST", "/api/v1/namespaces/{namespace}/events",
                          {"namespace": namespace}, body=body, **kwargs)

    def list_namespaced_config_map(self, namespace: str, **kwargs: Any) -> Any:
        return self._call("GET", "/api/v1/namespaces/{namespace}/configmaps",
                          {"namespace": namespace}, **kwargs)

    def patch_namespaced_config_map(self, name: str, namespace: str, body: Any,
                                    **kwargs: Any) -> Any:
        return self._call("PATCH", "/api/v1/namespaces/{namespace}/configmaps/{name}",
                          {"namespace": namespace, "name": name}, body=body, **kwargs)

    def list_namespace(self, **kwargs: Any) -> Any:
        return self._call("GET", "/api/v1/namespaces", {}, **kwargs)

    def list_at(self, path: str, **kwargs: Any) -> Any:
        """A list (or, with `watch=True`, a watch) at any API path: the Gateway API's
        Gateways and routes, custom resources that CoreV1Api has no method for."""
        return self._call("GET", path, {}, **kwargs)

    def _call(self, method: str, path: str, path_params: dict[str, str], *,
              body: Any = None, _preload_content: bool = True,
              _request_timeout: Any = None, _content_type: str = "application/json",
              **query: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        unknown = sorted(set(query) - set(_QUERY))
        if unknown:
            raise TypeError(f"{method} {path}: unsupported arguments {', '.join(unknown)}")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = _content_type
        request = self.api_client.param_serialize(
            method=method, resource_path=path, path_params=path_params,
            query_params=[(_QUERY[k], v) for k, v in query.items() if v is not None],
            header_params=headers, body=body, auth_settings=["BearerToken"])
        response = self.api_client.call_api(*request, _request_timeout=_request_timeout)
        if not 200 <= response.status <= 299:
            response.read()
            raise ApiException.from_response(
                http_resp=response, body=response.data.decode("utf-8", "replace"), data=None)
        if not _preload_content:
            return response.response
        return json.loads(response.read() or b"null")
