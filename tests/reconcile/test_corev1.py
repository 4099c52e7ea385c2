"""dnsgate.corev1.CoreV1 against the real kube-apiserver: the four calls the reconciler
makes, with CoreV1Api's argument names, and without importing CoreV1Api (whose validated
methods cost 22 MB per process)."""

from __future__ import annotations

import json
import threading

import pytest

from dnsgate import watch
from dnsgate.corev1 import CoreV1

pytestmark = pytest.mark.e2e

HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"


def test_lists_a_namespace_and_every_namespace_by_label(
    namespace: str, create_services, kubectl  # type: ignore[no-untyped-def]
) -> None:
    create_services({"one": {HOSTNAME: "one.goldentooth.net"},
                     "two": {HOSTNAME: "two.goldentooth.net"}})
    kubectl("-n", namespace, "label", "service", "two", "pick=me")
    core = CoreV1()

    here = core.list_namespaced_service(namespace)
    picked = core.list_service_for_all_namespaces(label_selector="pick=me")

    assert sorted(i["metadata"]["name"] for i in here["items"]) == ["one", "two"]
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in picked["items"]] \
        == [(namespace, "two")]


def test_a_watch_streams_raw_lines_from_the_given_version(
    namespace: str, create_services, kubectl  # type: ignore[no-untyped-def]
) -> None:
    create_services({"one": {HOSTNAME: "one.goldentooth.net"}})
    api = watch.KubernetesServices(CoreV1(), namespace)
    _, version = api.list()
    kubectl("-n", namespace, "annotate", "service", "one", f"{HOSTNAME}=moved.goldentooth.net",
            "--overwrite")

    seen = next(iter(api.watch(version, threading.Event())))

    assert seen["type"] == "MODIFIED"
    assert seen["object"]["metadata"]["annotations"][HOSTNAME] == "moved.goldentooth.net"


def test_status_is_applied_server_side_and_an_event_is_created(
    namespace: str, create_services, kubectl  # type: ignore[no-untyped-def]
) -> None:
    create_services({"one": {HOSTNAME: "one.goldentooth.net"}})
    core = CoreV1()
    condition = {"type": "dnsgate.io/Test", "status": "True", "reason": "Tested",
                 "message": "applied", "lastTransitionTime": "2026-11-26T19:00:00Z"}

    core.patch_namespaced_service_status(
        "one", namespace,
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "one", "namespace": namespace},
         "status": {"conditions": [condition]}},
        field_manager="dnsgate-test", force=True,
        _content_type="application/apply-patch+yaml")
    created = core.create_namespaced_event(namespace, {
        "metadata": {"generateName": "one.test-", "namespace": namespace},
        "involvedObject": {"apiVersion": "v1", "kind": "Service", "name": "one",
                           "namespace": namespace},
        "reason": "Tested", "message": "an event", "type": "Normal",
        "firstTimestamp": "2026-11-26T19:00:00+00:00", "count": 1})

    service = json.loads(kubectl("-n", namespace, "get", "service", "one", "-o", "json",
                                 "--show-managed-fields").stdout)
    assert service["status"]["conditions"] == [condition]
    managers = {f["manager"] for f in service["metadata"]["managedFields"]}
    assert "dnsgate-test" in managers
    event = json.loads(kubectl("-n", namespace, "get", "event", created["metadata"]["name"],
                               "-o", "json").stdout)
    assert (event["reason"], event["message"], event["involvedObject"]["name"]) \
        == ("Tested", "an event", "one")


@pytest.mark.parametrize(("call", "status"), [
    (lambda core, ns: core.patch_namespaced_service_status(
        "absent", ns, {"status": {}}, _content_type="application/merge-patch+json"), 404),
    (lambda core, ns: core.list_namespaced_service(ns, label_selector="=bad"), 400),
])
def test_a_refusal_raises_the_clients_api_exception_with_its_status(
    namespace: str, call, status: int  # type: ignore[no-untyped-def]
) -> None:
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as raised:
        call(CoreV1(), namespace)

    assert raised.value.status == status


def test_an_argument_corev1api_has_but_this_does_not_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="pretty"):
        CoreV1(api_client=object()).list_service_for_all_namespaces(pretty="true")
