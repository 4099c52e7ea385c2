"""Bodies of the wrong shape or size through the app's WSGI entry point (the plain review
routes, then Flask): a wrong type anywhere in a Service, an Ingress or an HTTPRoute gets a 400
naming the field, never a 5xx; a body over the size cap is refused unread. Counted, not timed."""

import copy
import io
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder, run_wsgi_app

from dnsgate.domains import DomainFilter
from dnsgate.ingress import IngressSettings
from tests.admission.conftest import DOMAIN, HOSTNAME, FakeLookup
from webhook import payloads
from webhook.app import create_app
from webhook.settings import MAX_BODY_BYTES, AdmissionSettings

NAME = f"web.{DOMAIN}"
# The Ingress source on, with a class filter, so that every field an Ingress is read by is;
# HTTPRoutes reviewed too.
REVIEWING = AdmissionSettings(domains=DomainFilter.of([DOMAIN]), sync_wait=0.0,
                              ingresses=IngressSettings(classes=("nginx",)),
                              route_kinds=("HTTPRoute",))
HELD = {"type": "dnsgate.io/DNSNamesHeld", "status": "True", "message": f'[["{NAME}"]]'}
METADATA = {"name": "web", "namespace": "apps", "creationTimestamp": "2026-01-01T00:00:00Z",
            "annotations": {HOSTNAME: NAME, "kubernetes.io/ingress.class": "nginx"}}
LOAD_BALANCER = {"ingress": [{"ip": "10.4.11.1"}, {"hostname": "lb.example.com"}]}
SERVICE = {
    "apiVersion": "v1", "kind": "Service", "metadata": METADATA,
    "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10", "externalName": "x.example.com",
             "externalIPs": ["192.0.2.1"], "ports": [{"port": 80}]},
    "status": {"conditions": [HELD], "loadBalancer": LOAD_BALANCER},
}
INGRESS = {
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": METADATA,
    "spec": {"ingressClassName": "nginx", "rules": [{"host": NAME}],
             "tls": [{"hosts": [NAME, f"www.{DOMAIN}"]}]},
    "status": {"loadBalancer": LOAD_BALANCER},
}
PARENT = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "gw",
          "name": "public", "sectionName": "https", "port": 443}
HTTPROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": METADATA,
    "spec": {"parentRefs": [PARENT], "hostnames": [NAME, f"*.{DOMAIN}"],
             "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [{"name": "web", "port": 80}]}]},
    "status": {"parents": [{"parentRef": PARENT, "controllerName": "example.com/gw",
                            "conditions": [{"type": "Accepted", "status": "True"}]}]},
}
KINDS = {"Service": ("", SERVICE), "Ingress": ("networking.k8s.io", INGRESS),
         "HTTPRoute": ("gateway.networking.k8s.io", HTTPROUTE)}


def review(kind: str, obj: dict[str, Any] | None = None) -> dict[str, Any]:
    group, sample = KINDS[kind]
    obj = copy.deepcopy(sample) if obj is None else obj
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "0f1e2d3c-0000-4000-8000-000000000002",
        "kind": {"group": group, "version": "v1", "kind": kind},
        "namespace": "apps", "name": "web", "operation": "UPDATE",
        "object": obj, "oldObject": copy.deepcopy(obj)}}


def post(path: str, body: bytes) -> Any:
    client = create_app(REVIEWING, FakeLookup()).test_client()
    return client.post(path, data=body, content_type="application/json")


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside `value`, containers and scalars alike."""
    if path:
        yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()
    for key, child in children:
        yield from leaves(child, (*path, key))


def replaced(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(obj)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return changed


def shown(path: tuple[Any, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


WRONG = {"a number": 7, "a string": "x", "a list": [7], "an object": {"x": 7}, "a boolean": True}


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


CONFUSIONS = [(kind, path, wrong) for kind, (_, sample) in KINDS.items()
              for path in leaves(sample)
              for wrong, value in WRONG.items()
              if type(value) is not type(_at(sample, path))]


@pytest.mark.parametrize(("kind", "path", "wrong"), CONFUSIONS,
                         ids=[f"{k}{shown(p)}-{w.split()[-1]}" for k, p, w in CONFUSIONS])
def test_a_wrong_type_anywhere_gets_a_verdict_or_a_400_never_a_5xx(
        kind: str, path: tuple[Any, ...], wrong: str) -> None:
    obj = replaced(KINDS[kind][1], path, WRONG[wrong])

    for field in ("object", "oldObject"):
        body = review(kind)
        body["request"][field] = obj
        for route in ("/validate", "/mutate"):
            reply = post(route, json.dumps(body).encode())
            assert reply.status_code in (200, 400), reply.json
            if reply.status_code == 400:
                assert f"request.{field}." in reply.json["error"]


def _read(shape: Any, path: tuple[Any, ...]) -> bool:
    """Whether `payloads.OBJECT_SHAPE` says dnsgate reads the field at `path`."""
    for step in path:
        if isinstance(shape, list):
            shape = shape[0]
        elif isinstance(shape, dict) and step in shape:
            shape = shape[step]
        else:
            return shape == payloads.STRING_MAP
    return True


READ = [(kind, path, wrong) for kind, path, wrong in CONFUSIONS
        if _read(payloads.OBJECT_SHAPE, path)]


@pytest.mark.parametrize(("kind", "path", "wrong"), READ,
                         ids=[f"{k}{shown(p)}-{w.split()[-1]}" for k, p, w in READ])
def test_a_wrong_type_in_a_field_dnsgate_reads_is_a_400_naming_it(
        kind: str, path: tuple[Any, ...], wrong: str) -> None:
    body = review(kind, replaced(KINDS[kind][1], path, WRONG[wrong]))

    for route in ("/validate", "/mutate"):
        reply = post(route, json.dumps(body).encode())
        assert reply.status_code == 400, reply.json
        error = reply.json["error"]
        named = shown(path if path[:2] != ("metadata", "annotations") else path[:2])
        assert error.startswith(f"request.object{named} is not "), error
        assert f": it is {wrong}" in error or f"is {wrong}" in error, error


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_samples_themselves_are_reviewed(kind: str) -> None:
    for route in ("/validate", "/mutate"):
        assert post(route, json.dumps(review(kind)).encode()).status_code == 200


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8)
PATHS = [(kind, path) for kind, (_, sample) in KINDS.items() for path in leaves(sample)]


@settings(max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), JSON, st.sampled_from(["/validate", "/mutate"]))
def test_any_field_replaced_by_any_json_never_gets_a_5xx(
        where: tuple[str, tuple[Any, ...]], value: Any, route: str) -> None:
    kind, path = where
    reply = post(route, json.dumps(review(kind, replaced(KINDS[kind][1], path, value))).encode())

    assert reply.status_code in (200, 400), reply.json


class Unread(io.RawIOBase):
    """A request body that counts the bytes read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.read_bytes += len(buffer)
        buffer[:] = b" " * len(buffer)
        return len(buffer)


@pytest.mark.parametrize("route", ["/validate", "/mutate"])
def test_a_body_over_the_cap_is_refused_unread_and_unparsed(route: str) -> None:
    body = Unread()
    environ = EnvironBuilder(path=route, method="POST", content_type="application/json"
                             ).get_environ()
    environ.update({"wsgi.input": body, "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1)})

    with mock.patch.object(payloads, "parse", wraps=payloads.parse) as parse:
        _, status, _ = run_wsgi_app(create_app(REVIEWING, FakeLookup()), environ)

    assert status.startswith("413 ")
    assert (body.read_bytes, parse.call_count) == (0, 0)


def test_an_update_of_an_object_at_the_etcd_limit_is_read() -> None:
    """etcd stores at most 1.5 MiB per object; an UPDATE carries the object twice."""
    stored = 1536 * 1024 - 4096
    obj = copy.deepcopy(SERVICE)
    obj["metadata"]["labels"] = {f"l{i:05d}": "v" * 100 for i in range(stored // 112)}
    body = json.dumps(review("Service", obj)).encode()
    assert 3 * 1024 * 1024 < len(body) <= MAX_BODY_BYTES

    for route in ("/validate", "/mutate"):
        assert post(route, body).status_code == 200
