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


def _check_object(obj: Mapping[str, Any], where: str) -> None:
    """The parts of an object `review` reads: metadata strings and annotations, spec.type,
    status.conditions (where the reconciler reports the names a Service holds)."""
    metadata = obj.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise BadReview(f"{where}.metadata is not an object")
        for field in ("name", "namespace", "creationTimestamp"):
            if metadata.get(field) is not None and not isinstance(metadata[field], str):
                raise BadReview(f"{where}.metadata.{field} is not a string")
        annotations = metadata.get("annotations")
        if annotations is not None and not (
            isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values())
        ):
            raise BadReview(f"{where}.metadata.annotations is not a map of strings")
    spec = obj.get("spec")
    if spec is not None and not (isinstance(spec, dict) and isinstance(spec.get("type", ""), str)):
        raise BadReview(f"{where}.spec is not an object with a string type")
    status = obj.get("status")
    if status is not None:
        conditions = status.get("conditions") if isinstance(status, dict) else None
        if not isinstance(status, dict) or not (conditions is None or (
                isinstance(conditions, list) and all(isinstance(c, dict) for c in conditions))):
            raise BadReview(f"{where}.status is not an object with a list of conditions")


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
