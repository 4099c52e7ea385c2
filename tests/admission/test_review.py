"""The pure review through Flask's test client: verdicts, messages, patches, robustness.

No cluster here: the claim index is the `FakeLookup` seam.
"""

import base64
import json
from typing import Any

import jsonpatch
import pytest

from dnsgate import claims, txtname
from dnsgate.claims import Claim
from tests.admission.conftest import HOSTNAME, SETTINGS, FakeLookup, admission_review
from webhook import review
from webhook.app import create_app
from webhook.settings import MAX_BODY_BYTES, AdmissionSettings

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
NAME = "httpbin.goldentooth.net"
HELD = Claim("2024-01-01T00:00:00Z", "service/web/httpbin", NAME)
HELD_BLUE = Claim("2024-01-01T00:00:00Z", "service/web/httpbin", NAME, "blue")


def post(path: str, body: Any, lookup: FakeLookup | None = None,
         settings: AdmissionSettings = SETTINGS) -> Any:
    client = create_app(settings, lookup or FakeLookup()).test_client()
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, content_type="application/json")


def response_of(path: str, body: Any, lookup: FakeLookup | None = None,
                settings: AdmissionSettings = SETTINGS) -> dict[str, Any]:
    reply = post(path, body, lookup, settings)
    assert reply.status_code == 200, reply.json
    assert reply.json["apiVersion"] == "admission.k8s.io/v1"
    assert reply.json["kind"] == "AdmissionReview"
    result: dict[str, Any] = reply.json["response"]
    assert result["uid"] == body["request"]["uid"]
    return result


@pytest.mark.parametrize(("body", "lookup", "allowed", "message", "code"), [
    (admission_review({HOSTNAME: NAME}), FakeLookup(), True, None, None),
    (admission_review({HOSTNAME: "httpbin.example.com"}), FakeLookup(), False,
     f'{HOSTNAME}: "httpbin.example.com" is outside the managed domains (goldentooth.net)',
     400),
    (admission_review({HOSTNAME: NAME}, namespace="intruder"), FakeLookup((HELD,)), False,
     f'{HOSTNAME}: "{NAME}" is already claimed by Service web/httpbin; choose another '
     "hostname, or give both Services different set-identifier annotations to share it "
     "through Route53 weighted or failover routing", 403),
    (admission_review({HOSTNAME: NAME}, namespace="web"), FakeLookup((HELD,)), True, None,
     None),
    (admission_review({HOSTNAME: NAME, A + "set-identifier": "green"}, namespace="b"),
     FakeLookup((HELD_BLUE,)), True, None, None),
    (admission_review({HOSTNAME: NAME, A + "set-identifier": "blue"}, namespace="b"),
     FakeLookup((HELD_BLUE,)), False, None, 403),
    (admission_review({HOSTNAME: f"{NAME},httpbin.example.com"}, namespace="b"),
     FakeLookup((HELD,)), False,
     f'{HOSTNAME}: "httpbin.example.com" is outside the managed domains (goldentooth.net)\n'
     f'{HOSTNAME}: "{NAME}" is already claimed by Service web/httpbin; choose another '
     "hostname, or give both Services different set-identifier annotations to share it "
     "through Route53 weighted or failover routing", 400),
    (admission_review({HOSTNAME: NAME}), FakeLookup(synced=False), False,
     f'{HOSTNAME}: "{NAME}" cannot be checked against other Services yet: dnsgate is still '
     "loading the cluster's Services; retry in a few seconds", 403),
    (admission_review({HOSTNAME: "bad_name.goldentooth.net"}, dry_run=True), FakeLookup(),
     False, None, 400),
    (admission_review({HOSTNAME: "httpbin.example.com"}, operation="DELETE"), FakeLookup(),
     True, None, None),
    (admission_review({HOSTNAME: "httpbin.example.com"}, operation="CONNECT"), FakeLookup(),
     True, None, None),
    (admission_review({HOSTNAME: "httpbin.example.com"}, kind="ConfigMap"), FakeLookup(),
     True, None, None),
    (admission_review({"app": "x"}), FakeLookup(synced=False), True, None, None),
    (admission_review(None), FakeLookup(), True, None, None),
], ids=["valid", "outside-domain", "claimed-elsewhere", "claimant-itself",
        "different-set-ids", "same-set-id", "every-problem-at-once", "index-not-synced",
        "dry-run-same-verdict", "delete-untouched", "connect-untouched", "not-a-service",
        "no-dns-annotations", "no-annotations"])
def test_validate_verdicts(body: dict[str, Any], lookup: FakeLookup, allowed: bool,
                           message: str | None, code: int | None) -> None:
    result = response_of("/validate", body, lookup)

    assert result["allowed"] is allowed
    assert "patch" not in result
    if allowed:
        assert "status" not in result
    else:
        assert result["status"]["code"] == code
        assert "reason" not in result["status"]
        if message is not None:
            assert result["status"]["message"] == message


def test_update_keeps_a_name_it_already_had_with_a_warning() -> None:
    body = admission_review({HOSTNAME: f"{NAME},new.goldentooth.net", "team": "x"},
                            operation="UPDATE", namespace="late",
                            old_annotations={HOSTNAME: NAME})
    held_new = Claim("2024-01-01T00:00:00Z", "service/web/new", "new.goldentooth.net")

    result = response_of("/validate", body, FakeLookup((HELD, held_new)))

    assert result["allowed"] is False
    assert result["status"]["message"] == (
        f'{HOSTNAME}: "new.goldentooth.net" is already claimed by Service web/new; choose '
        "another hostname, or give both Services different set-identifier annotations to "
        "share it through Route53 weighted or failover routing")
    assert result["warnings"] == [f"{NAME} is also claimed by Service web/httpbin, which keeps "
                                  "the record: it is the senior claim"]


CLAIMED = (f'{HOSTNAME}: "{NAME}" is already claimed by Service web/httpbin; choose another '
           "hostname, or give both Services different set-identifier annotations to share it "
           "through Route53 weighted or failover routing")


@pytest.mark.parametrize(("old_annotations", "old_type"), [
    ({HOSTNAME: NAME, A + "ttl": "soon"}, "LoadBalancer"),
    ({HOSTNAME: NAME, A + "aws-weight": "1"}, "LoadBalancer"),
    ({HOSTNAME: f"{NAME},bad_name.goldentooth.net"}, "LoadBalancer"),
    ({HOSTNAME: NAME}, "ClusterIP"),
], ids=["old-ttl-invalid", "old-weight-without-set-id", "old-hostname-list-invalid",
        "old-type-never-published"])
def test_an_update_cannot_carry_a_claimed_name_in_through_an_old_object_that_claimed_nothing(
    old_annotations: dict[str, str], old_type: str
) -> None:
    body = admission_review({HOSTNAME: NAME, A + "ttl": "60"}, operation="UPDATE",
                            namespace="late", old_annotations=old_annotations)
    body["request"]["oldObject"]["spec"]["type"] = old_type

    result = response_of("/validate", body, FakeLookup((HELD,)))

    assert result["allowed"] is False
    assert result["status"]["message"] == CLAIMED


def with_status(body: dict[str, Any], held: str) -> dict[str, Any]:
    condition = {"type": claims.HELD_CONDITION, "status": "True", "message": held}
    for side in ("object", "oldObject"):
        if body["request"].get(side):
            body["request"][side]["status"] = {"conditions": [condition]}
    return body


def test_the_holder_may_ask_for_its_name_again_while_a_newcomer_claims_it() -> None:
    newcomer = Claim("2026-01-01T00:00:00Z", "service/web/httpbin", NAME)
    body = with_status(admission_review({HOSTNAME: NAME}, operation="UPDATE",
                                        namespace="live", old_annotations={"team": "x"}),
                       claims.held_message([(NAME, "")]))

    result = response_of("/validate", body, FakeLookup((newcomer,)))

    assert result["allowed"] is True
    assert result["warnings"] == [f"{NAME} is also claimed by Service web/httpbin; this Service "
                                  "keeps the record: it holds it"]


def test_an_older_service_cannot_take_a_name_from_its_holder() -> None:
    holder = Claim("2026-01-01T00:00:00Z", "service/web/httpbin", NAME, holds=True)
    body = admission_review({HOSTNAME: NAME}, operation="UPDATE", namespace="old",
                            old_annotations={"team": "x"})
    body["request"]["object"]["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"

    result = response_of("/validate", body, FakeLookup((holder,)))

    assert result["allowed"] is False
    assert result["status"]["message"] == CLAIMED


def test_a_contested_name_kept_from_before_is_warned_naming_its_holder() -> None:
    holder = Claim("2026-01-01T00:00:00Z", "service/web/httpbin", NAME, holds=True)
    body = admission_review({HOSTNAME: NAME, "team": "y"}, operation="UPDATE", namespace="old",
                            old_annotations={HOSTNAME: NAME})
    body["request"]["object"]["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"

    result = response_of("/validate", body, FakeLookup((holder,)))

    assert result["allowed"] is True
    assert result["warnings"] == [f"{NAME} is also claimed by Service web/httpbin, which keeps "
                                  "the record: it holds it"]


SET_ID, WEIGHT = A + "set-identifier", A + "aws-weight"
GREEN = {HOSTNAME: NAME, SET_ID: "green", WEIGHT: "1"}
TEAM_A_BLUE = Claim("2026-01-01T00:00:00Z", "service/team-a/web", NAME, "blue", holds=True)


@pytest.mark.parametrize(("asked", "held"), [
    ({HOSTNAME: NAME, SET_ID: "blue", WEIGHT: "1"}, [(NAME, "green")]),
    ({HOSTNAME: NAME}, [(NAME, "green")]),
    ({HOSTNAME: NAME, SET_ID: "blue", WEIGHT: "1"}, None),
], ids=["moves-to-the-held-set-id", "drops-its-set-id", "old-names-only-condition"])
def test_an_older_service_cannot_move_its_claim_onto_a_record_set_another_holds(
        asked: dict[str, str], held: list[tuple[str, str]] | None) -> None:
    """Team B's older Service holds (name, green); team A's newer one holds (name, blue).
    Team B's edit to a record set that conflicts with team A's is a new claim, refused."""
    team_b_green = Claim("2020-01-01T00:00:00Z", "service/team-b/web", NAME, "green",
                         holds=True)
    body = with_status(admission_review(asked, operation="UPDATE", namespace="team-b",
                                        name="web", old_annotations=GREEN),
                       claims.held_message(held) if held is not None else NAME)
    body["request"]["object"]["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"

    result = response_of("/validate", body, FakeLookup((team_b_green, TEAM_A_BLUE)))

    assert result["allowed"] is False
    assert result["status"]["message"].startswith(
        f'{HOSTNAME}: "{NAME}" is already claimed by Service team-a/web (with set-identifier '
        '"blue"); choose another hostname')


def test_an_edit_keeping_its_record_set_keeps_the_old_contest_with_a_warning() -> None:
    team_b_green = Claim("2020-01-01T00:00:00Z", "service/team-b/web", NAME, "green")
    rival = Claim("2019-01-01T00:00:00Z", "service/team-c/web", NAME, "green")
    body = admission_review({**GREEN, "team": "b"}, operation="UPDATE", namespace="team-b",
                            name="web", old_annotations=GREEN)

    result = response_of("/validate", body, FakeLookup((team_b_green, rival)))

    assert result["allowed"] is True
    assert result["warnings"] == [f"{NAME} is also claimed by Service team-c/web, which keeps "
                                  "the record: it is the senior claim"]


def test_a_service_never_published_is_not_held_to_claims_it_does_not_make() -> None:
    body = admission_review({HOSTNAME: NAME}, namespace="squat", service_type="ClusterIP")

    result = response_of("/validate", body, FakeLookup((HELD,)))

    assert result["allowed"] is True
    assert result["warnings"] == [f"{HOSTNAME}: a ClusterIP Service is published only with "
                                  "--publish-internal-services"]


def test_with_publish_internal_services_a_cluster_ip_service_is_held_to_its_claims() -> None:
    body = admission_review({HOSTNAME: NAME}, namespace="squat", service_type="ClusterIP")
    settings = AdmissionSettings(SETTINGS.domains, sync_wait=0.0, publish_internal=True)
    client = create_app(settings, FakeLookup((HELD,))).test_client()

    result = client.post("/validate", data=json.dumps(body),
                         content_type="application/json").json["response"]

    assert result["allowed"] is False
    assert "is already claimed by Service web/httpbin;" in result["status"]["message"]


def test_a_node_port_service_is_refused_saying_what_would_work() -> None:
    result = response_of("/validate", admission_review({HOSTNAME: NAME}, service_type="NodePort"))

    assert result["allowed"] is False
    assert result["status"]["message"] == (
        f'{HOSTNAME}: "{NAME}" is on a NodePort Service, which dnsgate does not publish '
        "(ExternalDNS gives such a Service its nodes' addresses and SRV records); use type "
        f"LoadBalancer, or set {A}target")


@pytest.mark.parametrize(("settings", "name", "txt"), [
    (SETTINGS, f"{'a' * 63}.goldentooth.net", f"cname-{'a' * 63}.goldentooth.net"),
    (AdmissionSettings(SETTINGS.domains, txt=txtname.TXTNaming(prefix="dnsgate-"),
                       sync_wait=0.0),
     f"{'a' * 50}.goldentooth.net", f"dnsgate-cname-{'a' * 50}.goldentooth.net"),
], ids=["type-prefix", "txt-prefix-flag"])
def test_a_name_whose_ownership_txt_cannot_exist_is_refused_naming_it(
    settings: AdmissionSettings, name: str, txt: str
) -> None:
    result = response_of("/validate", admission_review({HOSTNAME: name}), settings=settings)

    label = txt.split(".")[0]
    assert result["allowed"] is False
    assert result["status"]["message"] == (
        f'{HOSTNAME}: "{name}" needs the ownership TXT record "{txt}", whose label '
        f'"{label[:20]}..." is {len(label)} characters long; a label has at most 63; shorten '
        "the hostname")


def test_unrelated_edit_of_a_contested_service_is_admitted() -> None:
    body = admission_review({HOSTNAME: NAME, "team": "x"}, operation="UPDATE",
                            namespace="late", old_annotations={HOSTNAME: NAME})

    result = response_of("/validate", body, FakeLookup((HELD,)))

    assert result["allowed"] is True
    assert len(result["warnings"]) == 1


@pytest.mark.parametrize(("annotations", "service_type", "warning"), [
    ({HOSTNAME: NAME}, "ClusterIP",
     f"{HOSTNAME}: a ClusterIP Service is published only with --publish-internal-services"),
    ({HOSTNAME: NAME, A + "hostnmae": "x"}, "LoadBalancer",
     f"{A}hostnmae is not an annotation dnsgate knows; did you mean hostname?"),
    ({A + "ttl": "60"}, "LoadBalancer", f"{A}ttl has no effect without a hostname annotation"),
    ({HOSTNAME: NAME, A + "x" * 100: "1"}, "LoadBalancer",
     f"{A}{'x' * 100} is not an annotation dnsgate knows"[:117] + "..."),
], ids=["not-a-loadbalancer", "typo", "ttl-without-hostname", "truncated-to-120"])
def test_legal_but_useless_input_is_admitted_with_a_warning(
    annotations: dict[str, str], service_type: str, warning: str
) -> None:
    result = response_of("/validate", admission_review(annotations, service_type=service_type))

    assert result["allowed"] is True
    assert warning in result["warnings"]
    assert all(len(w) <= review.WARNING_MAX for w in result["warnings"])


def _patched(body: dict[str, Any]) -> dict[str, Any]:
    result = response_of("/mutate", body)
    assert result["allowed"] is True
    assert result["patchType"] == "JSONPatch"
    operations = json.loads(base64.b64decode(result["patch"]))
    patched: dict[str, Any] = jsonpatch.apply_patch(body["request"]["object"], operations)
    return patched["metadata"]["annotations"]


@pytest.mark.parametrize(("annotations", "expected"), [
    ({HOSTNAME: NAME}, {HOSTNAME: NAME, A + "ttl": "60"}),
    ({S + "hostname": NAME}, {S + "hostname": NAME, S + "ttl": "60"}),
    ({HOSTNAME: NAME, S + "hostname": NAME},
     {HOSTNAME: NAME, S + "hostname": NAME, A + "ttl": "60", S + "ttl": "60"}),
    ({HOSTNAME: "bad_name"}, {HOSTNAME: "bad_name", A + "ttl": "60"}),
], ids=["alpha", "stable", "both-prefixes", "invalid-hostname-still-defaulted"])
def test_mutate_adds_the_default_ttl_under_the_hostname_prefix(
    annotations: dict[str, str], expected: dict[str, str]
) -> None:
    assert _patched(admission_review(annotations)) == expected


@pytest.mark.parametrize("body", [
    admission_review({HOSTNAME: NAME, A + "ttl": "300"}),
    admission_review({HOSTNAME: NAME, S + "ttl": "300"}),
    admission_review({"team": "web"}),
    admission_review(None),
    admission_review({HOSTNAME: NAME}, operation="DELETE"),
    admission_review({HOSTNAME: NAME}, kind="ConfigMap"),
], ids=["ttl-set", "ttl-under-other-prefix", "no-hostname", "no-annotations", "delete",
        "not-a-service"])
def test_mutate_leaves_everything_else_unpatched(body: dict[str, Any]) -> None:
    result = response_of("/mutate", body)

    assert result == {"uid": body["request"]["uid"], "allowed": True}


def _review_with(**changes: Any) -> dict[str, Any]:
    body = admission_review({HOSTNAME: NAME})
    body["request"].update(changes)
    return body


def _without(key: str) -> dict[str, Any]:
    body = admission_review({HOSTNAME: NAME})
    del body["request"][key]
    return body


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"not json", 400, "body is not JSON"),
    (b"\xff\xfe", 400, "body is not JSON"),
    (b"[" * 100_000, 400, "body is not JSON"),
    (b"[]", 400, "body is a JSON list, not an AdmissionReview object"),
    ({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}},
     400, 'apiVersion/kind is "admission.k8s.io/v1beta1"/"AdmissionReview"'),
    ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, 400,
     "request is missing or not an object"),
    (_without("uid"), 400, "request.uid is missing or not a non-empty string"),
    (_review_with(uid=""), 400, "request.uid is missing or not a non-empty string"),
    (_review_with(uid=7), 400, "request.uid is missing or not a non-empty string"),
    (_review_with(operation="PATCH"), 400, 'request.operation is "PATCH"'),
    (_review_with(kind="Service"), 400, "request.kind is missing or not an object"),
    (_review_with(kind={"group": "", "version": "v1"}), 400,
     "request.kind.kind is missing or not a string"),
    (_review_with(dryRun="yes"), 400, "request.dryRun is not a boolean"),
    (_review_with(namespace=["a"]), 400, "request.namespace is not a string"),
    (_review_with(object=[]), 400, "request.object is missing or not an object"),
    (_review_with(object={"metadata": "x"}), 400, "request.object.metadata is not an object"),
    (_review_with(object={"metadata": {"annotations": {HOSTNAME: 5}}}), 400,
     "request.object.metadata.annotations is not a map of strings"),
    (_review_with(object={"metadata": {"annotations": [HOSTNAME]}}), 400,
     "request.object.metadata.annotations is not a map of strings"),
    (_review_with(oldObject={"spec": {"type": 1}}), 400,
     "request.oldObject.spec.type is not a string: it is a number"),
    (b" " * (MAX_BODY_BYTES + 1), 413, "exceeds the capacity limit"),
], ids=["not-json", "not-utf8", "deeply-nested", "json-list", "wrong-api-version",
        "no-request", "no-uid", "empty-uid", "uid-not-string", "unknown-operation",
        "kind-not-object", "kind-without-kind", "dry-run-not-bool", "namespace-not-string",
        "object-not-object", "metadata-not-object", "annotation-not-string",
        "annotations-list", "spec-type-not-string", "too-large"])
def test_malformed_bodies_get_a_clear_4xx(body: Any, status: int, error: str) -> None:
    for path in ("/validate", "/mutate"):
        reply = post(path, body)

        assert reply.status_code == status
        assert error in reply.json["error"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/validate", 405), ("put", "/mutate", 405), ("get", "/nowhere", 404),
])
def test_wrong_routes_get_a_json_4xx(method: str, path: str, status: int) -> None:
    reply = getattr(create_app(SETTINGS, FakeLookup()).test_client(), method)(path)

    assert reply.status_code == status
    assert reply.json["error"]


@pytest.mark.parametrize(("synced", "status"), [(True, 200), (False, 503)])
def test_readyz_waits_for_the_index_healthz_does_not(synced: bool, status: int) -> None:
    client = create_app(SETTINGS, FakeLookup(synced=synced)).test_client()

    assert client.get("/readyz").status_code == status
    assert client.get("/healthz").status_code == 200


def test_verdict_carries_the_rule_of_each_problem() -> None:
    body = admission_review({HOSTNAME: "httpbin.example.com", A + "ttl": "0"},
                            namespace="b")
    request = body["request"]

    verdict = review.validate(request, SETTINGS, FakeLookup())

    assert verdict.rules == ("hostname-domain", "ttl")


@pytest.mark.parametrize(("operation", "old", "parses", "allowed"), [
    ("CREATE", None, 1, False), ("UPDATE", {HOSTNAME: NAME}, 2, True),
    ("UPDATE", {"team": "x"}, 1, False),
], ids=["create", "update", "update-from-no-dns-annotations"])
def test_each_object_is_parsed_once_per_review(
    monkeypatch: pytest.MonkeyPatch, operation: str, old: dict[str, str] | None, parses: int,
    allowed: bool
) -> None:
    from dnsgate import annotations, values

    calls: list[str] = []
    for module, name in ((annotations, "parse"), (values, "hostnames")):
        real = getattr(module, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    body = admission_review({HOSTNAME: NAME, A + "ttl": "60"}, operation=operation,
                            old_annotations=old)

    verdict = review.validate(body["request"], SETTINGS, FakeLookup((HELD,)))

    assert calls == ["parse", "hostnames"] * parses
    assert verdict.allowed is allowed
