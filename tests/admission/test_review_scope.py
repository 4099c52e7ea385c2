"""The review and the reconciler's --namespace, --label-filter and --source: an object the
reconciler never reads publishes nothing and claims nothing, so the webhook leaves it alone
(no annotation check, no claim check, no default TTL); one it reads is reviewed in full, also
when a label change is what brings it in.

The pure review through Flask's test client; tests/scope does the same through kubectl."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dnsgate import labels
from dnsgate.claims import Claim
from dnsgate.ingress import IngressSettings
from dnsgate.publication import Scope
from tests.admission.conftest import HOSTNAME, SETTINGS, FakeLookup, admission_review
from webhook.app import create_app
from webhook.settings import AdmissionSettings

NAME = "www.goldentooth.net"
HELD = Claim("2024-01-01T00:00:00Z", "service/web/www", NAME)
PUBLIC = {"dns": "public"}
SCOPED = replace(SETTINGS, scope=Scope(namespace="apps", labels=labels.parse("dns=public")))
INGRESSES_ONLY = replace(SETTINGS, ingresses=IngressSettings(),
                         scope=Scope(sources=("ingress",)))
TAKES_HELD = {HOSTNAME: NAME}
BAD = {HOSTNAME: "www.example.com", "external-dns.alpha.kubernetes.io/ttl": "soon"}


def labelled(body: dict[str, Any], new: dict[str, str] | None,
             old: dict[str, str] | None = None) -> dict[str, Any]:
    request = body["request"]
    for part, given in (("object", new), ("oldObject", old)):
        if request.get(part) is not None and given is not None:
            request[part]["metadata"]["labels"] = given
    return body


def answer(path: str, body: dict[str, Any], settings: AdmissionSettings,
           lookup: FakeLookup | None = None) -> dict[str, Any]:
    client = create_app(settings, lookup or FakeLookup((HELD,))).test_client()
    reply = client.post(path, json=body)
    assert reply.status_code == 200, reply.json
    response: dict[str, Any] = reply.json["response"]
    return response


OUT_OF_SCOPE = [
    # (settings, the write) of objects the reconciler never reads
    (SCOPED, labelled(admission_review(TAKES_HELD, namespace="apps"), None)),
    (SCOPED, labelled(admission_review(TAKES_HELD, namespace="apps"), {"dns": "private"})),
    (SCOPED, labelled(admission_review(TAKES_HELD, namespace="other"), PUBLIC)),
    (SCOPED, labelled(admission_review(BAD, namespace="apps"), None)),
    (INGRESSES_ONLY, admission_review(TAKES_HELD, namespace="apps")),
    (INGRESSES_ONLY, admission_review(BAD, namespace="apps")),
]
OUT_IDS = ["no-label", "other-label", "other-namespace", "bad-annotations-no-label",
           "service-without-service-source", "bad-service-without-service-source"]


@pytest.mark.parametrize(("settings", "body"), OUT_OF_SCOPE, ids=OUT_IDS)
def test_an_object_the_reconciler_never_reads_is_left_alone(
        settings: AdmissionSettings, body: dict[str, Any]) -> None:
    validated = answer("/validate", body, settings)
    mutated = answer("/mutate", body, settings)

    assert (validated["allowed"], validated.get("status"), validated.get("warnings")) == (
        True, None, None)
    assert (mutated["allowed"], mutated.get("patch")) == (True, None)


IN_SCOPE = [
    (SCOPED, labelled(admission_review(TAKES_HELD, namespace="apps"), PUBLIC), 403),
    (SCOPED, labelled(admission_review(BAD, namespace="apps"), PUBLIC), 400),
    (replace(SETTINGS, scope=Scope(labels=labels.parse("dns notin (private)"))),
     admission_review(TAKES_HELD, namespace="apps"), 403),
]


@pytest.mark.parametrize(("settings", "body", "code"), IN_SCOPE,
                         ids=["label-takes-held-name", "label-bad-annotations",
                              "notin-matches-no-label"])
def test_an_object_the_reconciler_reads_is_reviewed_in_full(
        settings: AdmissionSettings, body: dict[str, Any], code: int) -> None:
    validated = answer("/validate", body, settings)

    assert (validated["allowed"], validated["status"]["code"]) == (False, code)


def test_the_label_that_brings_an_object_in_cannot_carry_a_held_name_with_it() -> None:
    """Unlabelled, the Service claimed nothing (the reconciler never read it): adding the
    label is a new claim, refused, not an old one kept with a warning."""
    body = labelled(admission_review(TAKES_HELD, namespace="apps", operation="UPDATE",
                                     old_annotations=TAKES_HELD), PUBLIC, old={})

    validated = answer("/validate", body, SCOPED)

    assert validated["allowed"] is False
    assert "is already claimed by Service web/www" in validated["status"]["message"]


def test_mutate_adds_the_ttl_to_an_object_the_reconciler_reads() -> None:
    body = labelled(admission_review(TAKES_HELD, namespace="apps"), PUBLIC)

    mutated = answer("/mutate", body, SCOPED)

    assert mutated.get("patch")


@pytest.mark.parametrize("wrong", ["dns=public", ["dns", "public"], {"dns": 1}])
def test_labels_that_are_not_a_map_of_strings_are_a_400_not_a_guess(wrong: Any) -> None:
    """The review reads the labels now; kube-apiserver always sends a map of strings."""
    body = labelled(admission_review(TAKES_HELD, namespace="apps"), wrong)
    client = create_app(SCOPED, FakeLookup((HELD,))).test_client()

    reply = client.post("/validate", json=body)

    assert reply.status_code == 400
    assert "request.object.metadata.labels is not a map of strings" in reply.json["error"]
