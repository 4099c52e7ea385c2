"""A relist reads the apiserver's chunked list (limit + continue) and trims each page as it
arrives, so the whole list of a big cluster is never held as full JSON at once; every
object still arrives, and the list's resourceVersion is the one a watch can start from."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dnsgate import watch
from dnsgate.corev1 import CoreV1

pytestmark = pytest.mark.e2e

HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"


def test_a_list_longer_than_a_page_arrives_whole_page_by_page(
    stack, namespace: str, create_services, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    from kubernetes import client

    monkeypatch.setattr(watch, "LIST_PAGE", 10)
    create_services({f"svc-{n}": {HOSTNAME: f"svc-{n}.goldentooth.net"} for n in range(23)})
    api = watch.KubernetesServices(CoreV1(), namespace)
    pages: list[dict[str, Any]] = []
    call = api._call

    def counted(**kwargs: Any) -> Any:
        pages.append(kwargs)
        return call(**kwargs)

    monkeypatch.setattr(api, "_call", counted)

    items, version = api.list()

    assert sorted(i["metadata"]["name"] for i in items) == sorted(f"svc-{n}" for n in range(23))
    assert [p["limit"] for p in pages] == [10, 10, 10]
    assert [bool(p.get("_continue")) for p in pages] == [False, True, True]
    assert all(set(i) == {"metadata", "spec", "status"} for i in items)  # trimmed (`slim`)
    assert "managedFields" not in items[0]["metadata"]
    # A watch can start from the list's version: the next change arrives.
    stop = threading.Event()
    client.CoreV1Api().patch_namespaced_service(
        "svc-0", namespace, {"metadata": {"annotations": {HOSTNAME: "moved.goldentooth.net"}}})
    seen = next(iter(api.watch(version, stop)))
    assert seen["object"]["metadata"]["name"] == "svc-0"
