"""The list+watch loop feeding the index, against a scripted `ServiceAPI` (our seam). The
kubernetes client's own Watch parses the stream, so ERROR/410 and BOOKMARK handling is the
library's real behaviour."""

import json
from collections.abc import Iterator
from typing import Any

from dnsgate.domains import DomainFilter
from webhook.index import ClaimIndex
from webhook.watch import ServiceWatcher

A = "external-dns.alpha.kubernetes.io/"


def service(namespace: str, hostname: str, version: str) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": {
        "namespace": namespace, "name": "httpbin", "resourceVersion": version,
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "annotations": {A + "hostname": hostname}}}


class Listed:
    def __init__(self, items: list[dict[str, Any]], version: str) -> None:
        self.data = json.dumps({"kind": "ServiceList", "metadata": {"resourceVersion": version},
                                "items": items}).encode()


class Streamed:
    """What urllib3 hands the Watch: newline-separated JSON events."""

    status = 200

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.body = b"".join(json.dumps(e).encode() + b"\n" for e in events)

    def stream(self, amt: Any = None, decode_content: Any = None) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


class ScriptedServices:
    def __init__(self, script: list[Any], watcher_box: list[ServiceWatcher]) -> None:
        self.script = script
        self.calls: list[dict[str, Any]] = []
        self.box = watcher_box

    def list_service_for_all_namespaces(self, **kwargs: Any) -> Any:
        self.calls.append({k: v for k, v in kwargs.items() if not k.startswith("_")})
        if not self.script:
            self.box[0].stop()
            return Streamed([])
        return self.script.pop(0)


GONE = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired",
                                    "message": "too old resource version: 10 (15)"}}


def test_watch_resumes_from_bookmarks_and_relists_after_gone() -> None:
    index = ClaimIndex(DomainFilter.of(["goldentooth.net"]))
    box: list[ServiceWatcher] = []
    services = ScriptedServices([
        Listed([service("a", "a.goldentooth.net", "9")], "10"),
        Streamed([{"type": "ADDED", "object": service("b", "b.goldentooth.net", "11")},
                  {"type": "BOOKMARK", "object": {"kind": "Service",
                                                  "metadata": {"resourceVersion": "15"}}}]),
        Streamed([GONE]),
        Listed([service("c", "c.goldentooth.net", "19")], "20"),
    ], box)
    box.append(ServiceWatcher(index, services))

    box[0].run()

    assert [(c.get("watch", False), c.get("resource_version")) for c in services.calls] == [
        (False, None), (True, "10"), (True, "15"), (False, None), (True, "20")]
    assert all(c["allow_watch_bookmarks"] for c in services.calls if c.get("watch"))
    assert index.synced
    assert index.claims_on("a.goldentooth.net") == ()
    assert index.claims_on("b.goldentooth.net") == ()  # re-list forgot it
    assert [c.service for c in index.claims_on("c.goldentooth.net")] == ["c/httpbin"]
