"""AdmissionReview v1 as typed dicts, and the checks that turn an untrusted body into one.

kube-apiserver sends `{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
"request": {...}}` and accepts only a response of the same apiVersion and kind carrying the
request's uid (docs/admission-review.md). Anything else that reaches the port is refused with
`BadReview`, a 400 naming the field and what it should hold: never a 5xx.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict, cast

API_VERSION: Literal["admission.k8s.io/v1"] = "admission.k8s.io/v1"
OPERATIONS = ("CREATE", "UPDATE", "DELETE", "CONNECT")
Operation = Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]


class BadReview(ValueError):
    """The body is not an AdmissionReview v1 request; the message says what is wrong."""


class GroupVersionKind(TypedDict):
    group: str
    version: str
    kind: str


class AdmissionRequest(TypedDict):
    uid: str
    kind: GroupVersionKind
    operation: Operation
    namespace: NotRequired[str]
    name: NotRequired[str]
    object: NotRequired[dict[str, Any] | None]
    oldObject: NotRequired[dict[str, Any] | None]
    dryRun: NotRequired[bool]


class Status(TypedDict):
    code: int
    message: str


class AdmissionResponse(TypedDict):
    uid: str
    allowed: bool
    status: NotRequired[Status]
    warnings: NotRequired[list[str]]
    patchType: NotRequired[Literal["JSONPatch"]]
    patch: NotRequired[str]


class AdmissionReview(TypedDict):
    apiVersion: Literal["admission.k8s.io/v1"]
    kind: Literal["AdmissionReview"]
    response: AdmissionResponse


def parse(body: bytes) -> AdmissionRequest:
    """The request inside an AdmissionReview body, with the types `review` relies on."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadReview(f"body is not JSON: {str(exc)[:200]}") from exc
    if not isinstance(document, dict):
        raise BadReview(f"body is a JSON {type(document).__name__}, not an AdmissionReview object")
    if document.get("apiVersion") != API_VERSION or document.get("kind") != "AdmissionReview":
        raise BadReview(
            f'apiVersion/kind is "{_short(document.get("apiVersion"))}"/'
            f'"{_short(document.get("kind"))}"; dnsgate serves {API_VERSION}/AdmissionReview only'
        )
    request = _mapping(document, "request", "request")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid:
        raise BadReview("request.uid is missing or not a non-empty string")
    kind = _mapping(request, "kind", "request.kind")
    for field in ("group", "version", "kind"):
        if not isinstance(kind.get(field), str):
            raise BadReview(f"request.kind.{field} is missing or not a string")
    if request.get("operation") not in OPERATIONS:
        raise BadReview(f'request.operation is "{_short(request.get("operation"))}"; '
                        f"expected one of {', '.join(OPERATIONS)}")
    for field in ("namespace", "name"):
        if field in request and not isinstance(request[field], str):
            raise BadReview(f"request.{field} is not a string")
    if "dryRun" in request and not isinstance(request["dryRun"], bool):
        raise BadReview("request.dryRun is not a boolean")
    for field in ("object", "oldObject"):
        if request.get(field) is not None:
            _check_object(_mapping(request, field, f"request.{field}"), f"request.{field}")
    return cast(AdmissionRequest, request)


# The fields of an object that dnsgate reads (Services, Ingresses, Gateway API routes at the
# door: `dnsgate.claims`, `dnsgate.ingress`, `dnsgate.gateway`, `dnsgate.service_types`),
# each with the JSON type the rules rely on: a dict is an object (other fields are not looked
# at), a one-item list a list of that shape. kube-apiserver always sends these typed, so a
# mismatch is a body from elsewhere; null stands for an unset field, as in Kubernetes' own
# JSON decoding, except inside a list or a map, where Go would invent a zero value.
STRING_MAP = "map of strings"
OBJECT_SHAPE: dict[str, Any] = {
    "kind": str,
    "metadata": {"name": str, "namespace": str, "generateName": str,
                 "creationTimestamp": str, "annotations": STRING_MAP, "labels": STRING_MAP},
    "spec": {"type": str, "clusterIP": str, "externalName": str, "externalIPs": [str],
             "ingressClassName": str, "rules": [{"host": str}], "tls": [{"hosts": [str]}],
             "hostnames": [str]},
    "status": {"conditions": [{"type": str, "status": str, "message": str}],
               "loadBalancer": {"ingress": [{"ip": str, "hostname": str}]}},
}


def _check_object(obj: Mapping[str, Any], where: str) -> None:
    _check_fields(obj, OBJECT_SHAPE, where)


def _check_fields(obj: Mapping[str, Any], fields: Mapping[str, Any], where: str) -> None:
    for name, shape in fields.items():
        value = obj.get(name)
        if value is not None:
            _check(value, shape, f"{where}.{name}")


def _check(value: Any, shape: Any, where: str) -> None:
    """Raise `BadReview` naming the first part of `value` that does not have `shape`; one
    pass over the value, C loops for the long parts (lists of strings, annotation maps)."""
    if shape is str:
        if not isinstance(value, str):
            raise BadReview(f"{where} is not a string: it is {_json_type(value)}")
    elif shape == STRING_MAP:
        if not isinstance(value, dict):
            raise BadReview(f"{where} is not a {STRING_MAP}: it is {_json_type(value)}")
        if not set(map(type, value.values())) <= {str}:
            key = next(k for k, v in value.items() if not isinstance(v, str))
            raise BadReview(f'{where} is not a {STRING_MAP}: "{_short(key)}" is '
                            f"{_json_type(value[key])}")
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise BadReview(f"{where} is not a list: it is {_json_type(value)}")
        if shape[0] is str and set(map(type, value)) <= {str}:
            return
        for index, item in enumerate(value):
            _check(item, shape[0], f"{where}[{index}]")
    else:
        if not isinstance(value, dict):
            raise BadReview(f"{where} is not an object: it is {_json_type(value)}")
        _check_fields(value, shape, where)


_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _mapping(parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise BadReview(f"{where} is missing or not an object")
    return value


def _short(value: object) -> str:
    return str(value)[:60]


def review(response: AdmissionResponse) -> AdmissionReview:
    return {"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response}


def encode_patch(operations: list[dict[str, Any]]) -> str:
    return base64.b64encode(json.dumps(operations).encode()).decode()
