"""What a user sees at `kubectl apply`, with the webhook registered in the real apiserver
through the shipped WebhookConfigurations (url + caBundle injected by `dnsgate certs`)."""

import contextlib
import json
import time
from collections.abc import Iterator, Mapping

import pytest

from devstack import metallb
from tests.admission.conftest import HOSTNAME
from webhook import patch

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registered")]

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
VALIDATE = 'admission webhook "validate.dnsgate.io" denied the request: '


def manifest(namespace: str, annotations: Mapping[str, str] | None, name: str = "httpbin",
             service_type: str = "LoadBalancer", **spec: object) -> str:
    return json.dumps(metallb.service_manifest(namespace, name, annotations,
                                               service_type=service_type, spec=spec))


def annotations_of(kubectl, namespace: str, name: str = "httpbin") -> dict[str, str]:
    service = json.loads(kubectl("-n", namespace, "get", "service", name, "-o", "json").stdout)
    return service["metadata"].get("annotations", {})


@pytest.fixture
def other_namespace(kubectl, namespace: str) -> Iterator[str]:
    name = f"{namespace[:55]}-other"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "services", "--all", "-n", name, "--wait=true", check=False)


REFUSED = [
    ({HOSTNAME: "httpbin.example.com"},
     'external-dns.alpha.kubernetes.io/hostname: "httpbin.example.com" is outside the '
     "managed domains (goldentooth.net)"),
    ({HOSTNAME: "httpbin.goldentooth.net", A + "ttl": "10 minutes"},
     'external-dns.alpha.kubernetes.io/ttl: "10 minutes" is not a valid TTL'),
    ({HOSTNAME: "httpbin.goldentooth.net", A + "aws-weight": "10"},
     'external-dns.alpha.kubernetes.io/aws-weight: "10" needs a set-identifier annotation'),
    ({HOSTNAME: "httpbin.goldentooth.net", S + "hostname": "api.goldentooth.net"},
     'external-dns.kubernetes.io/hostname: "api.goldentooth.net" differs from '
     'external-dns.alpha.kubernetes.io/hostname: "httpbin.goldentooth.net"'),
]


@pytest.mark.parametrize(("annotations", "message"), REFUSED,
                         ids=["outside-domain", "bad-ttl", "weight-alone", "prefixes-differ"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "dry-run"])
def test_bad_annotations_are_refused_naming_the_problem(
    kubectl, namespace: str, annotations: dict[str, str], message: str, dry_run: bool
) -> None:
    extra = ["--dry-run=server"] if dry_run else []
    result = kubectl("apply", *extra, "-f", "-", input=manifest(namespace, annotations),
                     check=False)

    assert result.returncode != 0
    assert VALIDATE + message in result.stderr
    assert kubectl("-n", namespace, "get", "service", "httpbin", check=False).returncode != 0


NAME = "httpbin.goldentooth.net"
REFUSED_FOR_TYPE = [
    ({HOSTNAME: NAME}, "NodePort", {},
     f'{HOSTNAME}: "{NAME}" is on a NodePort Service, which dnsgate does not publish '
     "(ExternalDNS gives such a Service its nodes' addresses and SRV records); use type "
     f"LoadBalancer, or set {A}target"),
    ({A + "internal-hostname": NAME}, "ClusterIP", {"clusterIP": "None"},
     f'{A}internal-hostname: "{NAME}" is on a headless Service (clusterIP: None), which '
     "dnsgate does not publish (ExternalDNS gives it the addresses of its pods); give it a "
     f"cluster IP, or set {A}target"),
    ({HOSTNAME: NAME, A + "alias": "false"}, "LoadBalancer", {},
     f'{A}alias: "false" must be "true": ExternalDNS reads only "true" here'),
    ({HOSTNAME: NAME, A + "set-identifier": "de", A + "aws-geolocation-continent-code": "EU",
      A + "aws-geolocation-country-code": "DE"}, "LoadBalancer", {},
     f'{A}aws-geolocation-country-code: "DE" cannot be combined with '
     f"{A}aws-geolocation-continent-code: Route53 refuses a continent together with a "
     "country or subdivision"),
    ({HOSTNAME: NAME, A + "set-identifier": "x", A + "aws-region": "mars-1"}, "LoadBalancer",
     {}, f'{A}aws-region: "mars-1" is not a Route53 latency region'),
]


@pytest.mark.parametrize(("annotations", "service_type", "spec", "message"), REFUSED_FOR_TYPE,
                         ids=["node-port", "headless", "alias-false", "continent-and-country",
                              "unknown-region"])
def test_services_dnsgate_cannot_publish_as_asked_are_refused(
    kubectl, namespace: str, annotations: dict[str, str], service_type: str,
    spec: dict[str, object], message: str
) -> None:
    result = kubectl("apply", "-f", "-", check=False,
                     input=manifest(namespace, annotations, service_type=service_type, **spec))

    assert result.returncode != 0
    assert VALIDATE + message in result.stderr


@pytest.mark.parametrize(("annotations", "service_type", "spec", "warning"), [
    ({HOSTNAME: NAME, A + "controller": "kops", A + "ttl": "soon"}, "LoadBalancer", {},
     f'{A}controller is "kops", not "dns-controller": dnsgate, like ExternalDNS, leaves this'),
    ({HOSTNAME: NAME, A + "target": "10.1.2.3"}, "NodePort", {}, None),
    ({A + "internal-hostname": NAME}, "ClusterIP", {}, None),
    ({HOSTNAME: NAME, A + "access": "private"}, "LoadBalancer", {},
     f"{A}access has no effect here: it picks node addresses of a NodePort Service only"),
    ({HOSTNAME: NAME}, "ExternalName", {"externalName": "db.example.org"}, None),
], ids=["other-controller", "node-port-with-target", "internal-hostname-on-cluster-ip",
        "access-on-load-balancer", "external-name"])
def test_services_published_as_external_dns_would_are_admitted(
    kubectl, namespace: str, annotations: dict[str, str], service_type: str,
    spec: dict[str, object], warning: str | None
) -> None:
    result = kubectl("apply", "-f", "-",
                     input=manifest(namespace, annotations, service_type=service_type, **spec))

    assert result.returncode == 0
    if warning is not None:
        assert f"Warning: {warning}" in result.stderr


def test_internal_hostname_is_claimed_like_a_hostname(
    kubectl, namespace: str, other_namespace: str
) -> None:
    kubectl("apply", "-f", "-", input=manifest(namespace, {A + "internal-hostname": NAME}))

    result = kubectl("apply", "-f", "-", check=False,
                     input=manifest(other_namespace, {HOSTNAME: NAME}))

    assert result.returncode != 0
    assert f"is already claimed by Service {namespace}/httpbin" in result.stderr


def test_one_denial_lists_every_problem(kubectl, namespace: str) -> None:
    result = kubectl("apply", "-f", "-", check=False, input=manifest(namespace, {
        HOSTNAME: "httpbin.example.com,a_b.goldentooth.net", A + "ttl": "0"}))

    lines = result.stderr.split(VALIDATE, 1)[1].strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [HOSTNAME, HOSTNAME, A + "ttl"]


@pytest.mark.parametrize(("given", "expected"), [
    ({HOSTNAME: "httpbin.goldentooth.net"},
     {HOSTNAME: "httpbin.goldentooth.net", A + "ttl": "60"}),
    ({HOSTNAME: "httpbin.goldentooth.net", A + "ttl": "300"},
     {HOSTNAME: "httpbin.goldentooth.net", A + "ttl": "300"}),
    ({S + "hostname": "httpbin.goldentooth.net"},
     {S + "hostname": "httpbin.goldentooth.net", S + "ttl": "60"}),
    ({HOSTNAME: "httpbin.goldentooth.net", "team": "web"},
     {HOSTNAME: "httpbin.goldentooth.net", "team": "web", A + "ttl": "60"}),
], ids=["default-ttl-added", "explicit-ttl-kept", "stable-prefix", "other-annotations-kept"])
def test_admitted_service_reads_back_with_a_ttl(
    kubectl, namespace: str, given: dict[str, str], expected: dict[str, str]
) -> None:
    kubectl("apply", "-f", "-", input=manifest(namespace, given))

    stored = annotations_of(kubectl, namespace)
    assert {k: v for k, v in stored.items() if not k.startswith("kubectl.")} == expected


def test_server_dry_run_shows_the_mutation_and_stores_nothing(kubectl, namespace: str) -> None:
    result = kubectl("apply", "--dry-run=server", "-o", "json", "-f", "-",
                     input=manifest(namespace, {HOSTNAME: "httpbin.goldentooth.net"}))

    assert json.loads(result.stdout)["metadata"]["annotations"][A + "ttl"] == "60"
    assert kubectl("-n", namespace, "get", "service", "httpbin", check=False).returncode != 0


def _refused_eventually(kubectl, document: str) -> None:
    """Wait until the webhook's watch has seen the first claimant (dry-run: no side effect)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        result = kubectl("apply", "--dry-run=server", "-f", "-", input=document, check=False)
        if result.returncode != 0:
            return
        time.sleep(0.1)


def test_hostname_claimed_in_another_namespace_is_refused(
    kubectl, namespace: str, other_namespace: str
) -> None:
    claimed = {HOSTNAME: "httpbin.goldentooth.net"}
    kubectl("apply", "-f", "-", input=manifest(namespace, claimed))
    hijack = manifest(other_namespace, claimed)
    _refused_eventually(kubectl, hijack)

    result = kubectl("apply", "-f", "-", input=hijack, check=False)
    dry_run = kubectl("apply", "--dry-run=server", "-f", "-", input=hijack, check=False)

    expected = (f'{VALIDATE}{HOSTNAME}: "httpbin.goldentooth.net" is already claimed by '
                f"Service {namespace}/httpbin")
    assert result.returncode != 0 and expected in result.stderr
    assert dry_run.returncode != 0 and expected in dry_run.stderr


def test_claimant_may_edit_itself(kubectl, namespace: str) -> None:
    claimed = {HOSTNAME: "httpbin.goldentooth.net"}
    kubectl("apply", "-f", "-", input=manifest(namespace, claimed))
    _refused_eventually(kubectl, manifest(f"{namespace}", claimed, name="second"))

    edited = kubectl("apply", "-f", "-", input=manifest(namespace, {**claimed, "team": "web"}))

    assert edited.returncode == 0
    assert annotations_of(kubectl, namespace)["team"] == "web"


def test_different_set_identifiers_share_a_name(
    kubectl, namespace: str, other_namespace: str
) -> None:
    blue = {HOSTNAME: "shared.goldentooth.net", A + "set-identifier": "blue",
            A + "aws-weight": "50"}
    green = {**blue, A + "set-identifier": "green"}
    kubectl("apply", "-f", "-", input=manifest(namespace, blue))
    _refused_eventually(kubectl, manifest(other_namespace, blue))

    same_id = kubectl("apply", "-f", "-", input=manifest(other_namespace, blue), check=False)
    other_id = kubectl("apply", "-f", "-", input=manifest(other_namespace, green))

    assert same_id.returncode != 0 and "already claimed" in same_id.stderr
    assert other_id.returncode == 0
    assert annotations_of(kubectl, other_namespace)[A + "set-identifier"] == "green"


def test_hostname_on_a_clusterip_service_is_admitted_with_a_warning(
    kubectl, namespace: str
) -> None:
    result = kubectl("apply", "-f", "-", input=manifest(
        namespace, {HOSTNAME: "httpbin.goldentooth.net"}, service_type="ClusterIP"))

    assert result.returncode == 0
    assert (f"Warning: {HOSTNAME}: a ClusterIP Service is published only with "
            "--publish-internal-services\n") in result.stderr


@pytest.mark.parametrize("existing", [None, {"team": "web"}], ids=["no-map", "map"])
def test_apiserver_accepts_the_annotation_patch(
    kubectl, namespace: str, existing: dict[str, str] | None
) -> None:
    # `create`, not `apply`: apply would add its last-applied annotation, so a map.
    kubectl("create", "-f", "-", input=manifest(namespace, existing))
    current = json.loads(kubectl("-n", namespace, "get", "service", "httpbin", "-o",
                                 "json").stdout)
    added = {"dnsgate.io/owner": "web"}

    operations = patch.add_annotations(current, added)
    whole_map = operations[0]["path"] == "/metadata/annotations"
    assert whole_map is (existing is None)
    kubectl("-n", namespace, "patch", "service", "httpbin", "--type=json",
            "-p", json.dumps(operations))

    assert annotations_of(kubectl, namespace) == {**(existing or {}), **added}


def test_deleting_the_claimant_frees_its_name(
    kubectl, namespace: str, other_namespace: str
) -> None:
    claimed = {HOSTNAME: "moving.goldentooth.net"}
    kubectl("apply", "-f", "-", input=manifest(namespace, claimed))
    _refused_eventually(kubectl, manifest(other_namespace, claimed))
    kubectl("-n", namespace, "delete", "service", "httpbin", "--wait=true")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        taken = kubectl("apply", "-f", "-", input=manifest(other_namespace, claimed),
                        check=False)
        if taken.returncode == 0:
            break
        time.sleep(0.1)

    assert taken.returncode == 0, taken.stderr


@contextlib.contextmanager
def webhook_bypassed(kubectl, namespace: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Leave `namespace` out of both webhooks for a while, as a cluster was before dnsgate's
    webhook was installed: what is applied meanwhile is stored unchecked."""
    path = "/webhooks/0/namespaceSelector/matchExpressions/0/values"
    shipped = ["dnsgate", "kube-system"]

    def select(values: list[str]) -> None:
        for kind in ("mutatingwebhookconfiguration", "validatingwebhookconfiguration"):
            kubectl("patch", kind, "dnsgate", "--type=json", "-p",
                    json.dumps([{"op": "replace", "path": path, "value": values}]))

    probe = manifest(namespace, {HOSTNAME: "probe.example.com"}, name="probe")

    def refused() -> bool:
        result = kubectl("apply", "--dry-run=server", "-f", "-", input=probe, check=False)
        return "denied the request" in result.stderr

    select([*shipped, namespace])
    try:
        _wait(lambda: not refused(), "the webhook to let the namespace through")
        yield
    finally:
        select(shipped)
        _wait(refused, "the webhook to check the namespace again")


def _wait(check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _index_has_seen(kubectl, namespace: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the webhook's index holds a claim made after everything applied so far
    (one watch delivers events in order)."""
    # 57 characters: with "cname-" in front its ownership TXT label still fits in 63.
    marker = f"marker-{namespace}"[:57].rstrip("-") + ".goldentooth.net"
    kubectl("apply", "-f", "-", input=manifest(namespace, {HOSTNAME: marker}, name="marker"))
    _refused_eventually(kubectl, manifest(namespace, {HOSTNAME: marker}, name="marker-probe"))


@pytest.mark.parametrize("name", ["www.goldentooth.net", "*.goldentooth.net", "goldentooth.net"],
                         ids=["www", "wildcard", "apex"])
def test_a_service_that_is_never_published_cannot_squat_a_name(
    kubectl, namespace: str, other_namespace: str, name: str
) -> None:
    squat = kubectl("apply", "-f", "-", input=manifest(namespace, {HOSTNAME: name},
                                                       name="squat", service_type="ClusterIP"))
    _index_has_seen(kubectl, namespace)

    published = kubectl("apply", "-f", "-", input=manifest(other_namespace, {HOSTNAME: name}),
                        check=False)

    assert "a ClusterIP Service is published only with --publish-internal-services" in (
        squat.stderr)
    assert published.returncode == 0, published.stderr


def test_a_service_turned_load_balancer_cannot_bring_a_claimed_name(
    kubectl, namespace: str, other_namespace: str
) -> None:
    claimed = {HOSTNAME: "turned.goldentooth.net"}
    kubectl("apply", "-f", "-", input=manifest(other_namespace, claimed))
    kubectl("apply", "-f", "-", input=manifest(namespace, claimed, service_type="ClusterIP"))
    _index_has_seen(kubectl, other_namespace)

    turned = kubectl("apply", "-f", "-", input=manifest(namespace, claimed), check=False)

    assert turned.returncode != 0
    assert (f'{VALIDATE}{HOSTNAME}: "turned.goldentooth.net" is already claimed by Service '
            f"{other_namespace}/httpbin") in turned.stderr


def test_an_update_cannot_add_a_claimed_name_past_an_old_invalid_annotation(
    kubectl, namespace: str, other_namespace: str
) -> None:
    name = "taken.goldentooth.net"
    kubectl("apply", "-f", "-", input=manifest(other_namespace, {HOSTNAME: name}))
    with webhook_bypassed(kubectl, namespace):
        kubectl("apply", "-f", "-", input=manifest(namespace, {HOSTNAME: name, A + "ttl": "soon"}))
    _index_has_seen(kubectl, other_namespace)

    fixed = kubectl("apply", "-f", "-", check=False,
                    input=manifest(namespace, {HOSTNAME: name, A + "ttl": "60"}))

    assert fixed.returncode != 0
    assert (f'{VALIDATE}{HOSTNAME}: "{name}" is already claimed by Service '
            f"{other_namespace}/httpbin") in fixed.stderr
    assert annotations_of(kubectl, namespace)[A + "ttl"] == "soon"


LONG_LABEL = "a" * 63 + ".goldentooth.net"
NAME_253 = ".".join(["b" * 61] * 3 + ["b" * 51, "goldentooth.net"])


@pytest.mark.parametrize(("annotations", "message"), [
    ({HOSTNAME: "httpbin.goldentooth.net", A + "ttl": "9" * 10_000},
     f'{A}ttl: "{"9" * 256}..." is 10000 characters long; this annotation takes at most 32'),
    ({HOSTNAME: ",".join(f"n{i}.goldentooth.net" for i in range(101))},
     "has 101 hostnames; one Service may ask for at most 100"),
    ({HOSTNAME: LONG_LABEL},
     f'{HOSTNAME}: "{LONG_LABEL}" needs the ownership TXT record "cname-{LONG_LABEL}", whose '
     'label "cname-aaaaaaaaaaaaaa..." is 69 characters long; a label has at most 63; shorten '
     "the hostname"),
    ({HOSTNAME: NAME_253},
     f'{HOSTNAME}: "{NAME_253}" needs the ownership TXT record "cname-{NAME_253}", which is '
     "259 characters long; a DNS name has at most 253; shorten the hostname"),
], ids=["ttl-of-10000-digits", "101-hostnames", "txt-label-65-and-more", "txt-name-259"])
def test_what_cannot_be_published_is_refused_naming_the_limit(
    kubectl, namespace: str, annotations: dict[str, str], message: str
) -> None:
    result = kubectl("apply", "-f", "-", input=manifest(namespace, annotations), check=False)

    assert result.returncode != 0
    assert VALIDATE in result.stderr and message in result.stderr


