"""The plain WSGI review routes answer exactly as Flask does: same status, headers, bytes
and metrics, for every kind of request; and ordinary review POSTs never reach Flask."""

import io
import json
from typing import Any

import flask
import pytest
from prometheus_client import REGISTRY

from dnsgate.claims import Claim
from tests.admission.conftest import HOSTNAME, SETTINGS, FakeLookup, admission_review
from webhook.app import create_app
from webhook.settings import MAX_BODY_BYTES

NAME = "httpbin.goldentooth.net"
HELD = Claim("2024-01-01T00:00:00Z", "service/web/httpbin", NAME)
ADMITTED = json.dumps(admission_review({HOSTNAME: "new.goldentooth.net"})).encode()
CLAIMED = json.dumps(admission_review({HOSTNAME: NAME})).encode()
BAD_TTL = json.dumps(admission_review({HOSTNAME: NAME, HOSTNAME[:-8] + "ttl": "soon"})).encode()
UNICODE = json.dumps(admission_review({HOSTNAME: "bücher.goldentooth.net"})).encode()
JSON = {"Content-Type": "application/json"}


class BrokenLookup(FakeLookup):
    def claims_on(self, hostname: str) -> tuple[Claim, ...]:
        raise RuntimeError("index broken")


# (method, path, body, headers, environ overrides); the ids say what each request is.
REQUESTS: dict[str, tuple[str, str, bytes, dict[str, str], dict[str, Any]]] = {
    "validate-admitted": ("POST", "/validate", ADMITTED, JSON, {}),
    "validate-refused-claimed": ("POST", "/validate", CLAIMED, JSON, {}),
    "validate-refused-bad-ttl": ("POST", "/validate", BAD_TTL, JSON, {}),
    "validate-unicode-hostname": ("POST", "/validate", UNICODE, JSON, {}),
    "mutate-patched": ("POST", "/mutate", ADMITTED, JSON, {}),
    "not-json": ("POST", "/validate", b"not json", JSON, {}),
    "json-list": ("POST", "/mutate", b"[]", JSON, {}),
    "no-uid": ("POST", "/validate", json.dumps({"apiVersion": "admission.k8s.io/v1",
               "kind": "AdmissionReview", "request": {}}).encode(), JSON, {}),
    "empty-body": ("POST", "/validate", b"", JSON, {}),
    "wrong-content-type": ("POST", "/validate", CLAIMED, {"Content-Type": "text/plain"}, {}),
    "no-content-type": ("POST", "/mutate", ADMITTED, {}, {}),
    "oversized": ("POST", "/validate", b" " * (MAX_BODY_BYTES + 1), JSON, {}),
    "shorter-than-content-length": ("POST", "/validate", ADMITTED[:100], JSON,
                                    {"CONTENT_LENGTH": str(len(ADMITTED))}),
    "chunked": ("POST", "/validate", ADMITTED, {**JSON, "Transfer-Encoding": "chunked"}, {}),
    "get-validate": ("GET", "/validate", b"", {}, {}),
    "put-mutate": ("PUT", "/mutate", ADMITTED, JSON, {}),
    "trailing-slash": ("POST", "/validate/", ADMITTED, JSON, {}),
    "unknown-path": ("POST", "/nowhere", ADMITTED, JSON, {}),
    "healthz": ("GET", "/healthz", b"", {}, {}),
    "readyz": ("GET", "/readyz", b"", {}, {}),
}
# Requests the plain callable answers itself; every other one is Flask's.
PLAIN = {"validate-admitted", "validate-refused-claimed", "validate-refused-bad-ttl",
         "validate-unicode-hostname", "mutate-patched", "not-json", "json-list", "no-uid",
         "wrong-content-type", "no-content-type"}


def _send(plain: bool, case: str, lookup: FakeLookup) -> tuple[Any, list[float], int]:
    """The reply, the request counters it moved, and how many requests Flask handled."""
    method, path, body, headers, overrides = REQUESTS[case]
    app = create_app(SETTINGS, lookup, plain_reviews=plain)
    seen: list[object] = []

    def started(sender: object, **extra: object) -> None:
        seen.append(sender)

    flask.request_started.connect(started, app, weak=False)
    before = _counters()
    environ = {"wsgi.input": io.BytesIO(body), **overrides} if overrides else {}
    try:
        reply = app.test_client().open(path, method=method, headers=headers,
                                       data=None if overrides else body,
                                       environ_overrides=environ)
    finally:
        flask.request_started.disconnect(started, app)
    return reply, [a - b for a, b in zip(_counters(), before, strict=True)], len(seen)


def _counters() -> list[float]:
    return [REGISTRY.get_sample_value("dnsgate_webhook_requests_total",
                                      {"endpoint": e, "operation": o, "verdict": v}) or 0.0
            for e in ("validate", "mutate") for o in ("CREATE", "unknown")
            for v in ("allowed", "patched", "denied", "bad_request")]


@pytest.mark.parametrize("case", list(REQUESTS))
def test_plain_routes_answer_exactly_as_flask(case: str) -> None:
    lookup = FakeLookup((HELD,))
    by_flask, flask_counted, _ = _send(False, case, lookup)
    by_plain, plain_counted, _ = _send(True, case, lookup)

    assert by_plain.status == by_flask.status
    assert by_plain.data == by_flask.data
    assert by_plain.headers.get("Content-Type") == by_flask.headers.get("Content-Type")
    assert by_plain.headers.get("Content-Length") == by_flask.headers.get("Content-Length")
    assert plain_counted == flask_counted


@pytest.mark.parametrize("case", list(REQUESTS))
def test_only_ordinary_review_posts_skip_flask(case: str) -> None:
    _, _, handled_by_flask = _send(True, case, FakeLookup((HELD,)))

    assert handled_by_flask == (0 if case in PLAIN else 1)


def test_a_review_that_fails_is_a_500_as_in_flask() -> None:
    by_flask, flask_counted, _ = _send(False, "validate-admitted", BrokenLookup())
    by_plain, plain_counted, _ = _send(True, "validate-admitted", BrokenLookup())

    assert by_flask.status_code == 500
    assert (by_plain.status, by_plain.data) == (by_flask.status, by_flask.data)
    assert plain_counted == flask_counted
