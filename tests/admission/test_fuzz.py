"""Thousands of random and malformed bodies against the running gunicorn server over TLS:
no answer is a 5xx, no worker dies, and every 200 is a well-formed AdmissionReview that
carries the request's uid. Among them, a Service and an Ingress with every field dnsgate
reads set, one of their fields (any, at any depth) replaced by arbitrary JSON."""

import base64
import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.admission import test_body_shapes as shapes
from tests.admission.conftest import RunningWebhook, admission_review

pytestmark = pytest.mark.e2e

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
KEYS = ["hostname", "ttl", "target", "set-identifier", "aws-weight", "aws-failover",
        "aws-health-check-id", "aws-evaluate-target-health", "hostnam", "internal-hostname"]
VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["httpbin.goldentooth.net", "*.goldentooth.net", "a.example.com",
                     "10.0.0.1", "60", "1h30m", "-1", "PRIMARY", "blue", "", " , ",
                     "x" * 300, "9" * 5000]),
)
ANNOTATIONS = st.dictionaries(
    st.one_of(st.builds(lambda p, k: p + k, st.sampled_from([A, S]), st.sampled_from(KEYS)),
              st.text(max_size=30)),
    VALUES, max_size=6,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=20,
)


@st.composite
def reviews(draw: st.DrawFn) -> dict[str, Any]:
    """Plausible AdmissionReviews, then some field replaced by arbitrary JSON."""
    body = admission_review(
        draw(st.none() | ANNOTATIONS),
        operation=draw(st.sampled_from(["CREATE", "UPDATE", "DELETE", "CONNECT"])),
        kind=draw(st.sampled_from(["Service", "Service", "ConfigMap"])),
        service_type=draw(st.sampled_from(["LoadBalancer", "ClusterIP"])),
        old_annotations=draw(st.none() | ANNOTATIONS),
        uid=draw(st.text(min_size=1, max_size=40)),
        dry_run=draw(st.booleans()),
    )
    if draw(st.booleans()):
        request = body["request"]
        field = draw(st.sampled_from(["uid", "kind", "operation", "namespace", "name",
                                      "object", "oldObject", "dryRun"]))
        if draw(st.booleans()):
            request[field] = draw(JSON)
        elif request.get("object"):
            target = draw(st.sampled_from(["metadata", "spec", "annotations"]))
            if target == "annotations":
                request["object"]["metadata"]["annotations"] = draw(JSON)
            else:
                request["object"][target] = draw(JSON)
    return body


@st.composite
def confused(draw: st.DrawFn) -> dict[str, Any]:
    """A full Service or Ingress review, one field of its object replaced by any JSON."""
    kind, path = draw(st.sampled_from(shapes.PATHS))
    return shapes.review(kind, shapes.replaced(shapes.KINDS[kind][1], path, draw(JSON)))


BODIES = st.one_of(
    confused().map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    reviews().map(lambda value: json.dumps(value).encode()),
    reviews().map(lambda value: json.dumps(value).encode()),
    reviews().map(lambda value: json.dumps(value).encode()),
)


def check(client: requests.Session, url: str, body: bytes) -> str:
    """Assert the answer is well-formed; return what kind of answer it was."""
    reply = client.post(url, data=body, headers={"Content-Type": "application/json"},
                        timeout=10)
    assert reply.status_code < 500, reply.text
    if reply.status_code != 200:
        assert 400 <= reply.status_code < 500 and reply.json()["error"]
        return "4xx"
    document = reply.json()
    response = document["response"]
    assert document["apiVersion"] == "admission.k8s.io/v1"
    assert document["kind"] == "AdmissionReview"
    assert response["uid"] == json.loads(body)["request"]["uid"]
    assert isinstance(response["allowed"], bool)
    if not response["allowed"]:
        assert response["status"]["code"] >= 400 and response["status"]["message"]
    assert all(isinstance(w, str) and len(w) <= 120 for w in response.get("warnings", []))
    if "patch" in response:
        assert response["patchType"] == "JSONPatch"
        assert isinstance(json.loads(base64.b64decode(response["patch"])), list)
        return "patched"
    return "allowed" if response["allowed"] else "denied"


@pytest.mark.parametrize(("path", "answers"), [
    ("/validate", {"4xx", "allowed", "denied"}), ("/mutate", {"4xx", "allowed", "patched"}),
])
def test_random_bodies_never_get_a_5xx(
    webhook: RunningWebhook, path: str, answers: set[str]
) -> None:
    seen: set[str] = set()
    with requests.Session() as client:
        # Not the environment's REQUESTS_CA_BUNDLE (which would override session.verify):
        # only the webhook's own CA.
        client.trust_env = False
        client.verify = str(webhook.ca_file)

        @settings(max_examples=1000, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(body=BODIES)
        def post(body: bytes) -> None:
            seen.add(check(client, webhook.url(path), body))

        post()
    assert webhook.child.alive()
    assert seen == answers  # the bodies reached every branch, not only the 400s
