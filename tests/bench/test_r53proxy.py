"""The counting, fault-injecting Route53 proxy, against a real moto Route53 server."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from devstack import r53api, r53proxy, r53strict
from devstack.r53proxy import Faults, Route53Proxy
from tests.bench.conftest import no_retry_client

Z = "/2013-04-01/hostedzone/Z123"


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/2013-04-01/hostedzone", "ListHostedZones"),
    ("GET", "/2013-04-01/hostedzone?maxitems=100", "ListHostedZones"),
    ("POST", "/2013-04-01/hostedzone", "CreateHostedZone"),
    ("GET", Z, "GetHostedZone"),
    ("DELETE", Z, "DeleteHostedZone"),
    ("GET", f"{Z}/rrset", "ListResourceRecordSets"),
    ("GET", f"{Z}/rrset?name=a.example.&type=A", "ListResourceRecordSets"),
    ("POST", f"{Z}/rrset/", "ChangeResourceRecordSets"),
    ("GET", "/2013-04-01/change/C2682N5HXP0BZ4", "GetChange"),
    ("GET", "/2013-04-01/hostedzonesbyname?dnsname=example.com", "ListHostedZonesByName"),
    ("GET", "/2013-04-01/hostedzonecount", "GetHostedZoneCount"),
    ("GET", "/2013-04-01/tags/hostedzone/Z123", "ListTagsForResource"),
    ("POST", "/2013-04-01/tags/hostedzone", "ListTagsForResources"),
    ("PUT", f"{Z}/rrset", "Other PUT"),
    ("GET", "/moto-api/", "Other GET"),
])
def test_operation_named_from_method_and_path(method: str, path: str, expected: str) -> None:
    assert r53api.operation(method, path) == expected


Change = tuple[str, str, str, str]  # (action, name, type, value); TTL 60


def change_batch(*changes: Change) -> bytes:
    body = "".join(
        f"<Change><Action>{action}</Action><ResourceRecordSet><Name>{name}</Name>"
        f"<Type>{kind}</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>{value}"
        "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
        for action, name, kind, value in changes)
    return (f'<ChangeResourceRecordSetsRequest xmlns="{r53api.XMLNS}"><ChangeBatch><Changes>'
            f"{body}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>").encode()


LISTED_A = {"Name": "a.example.", "Type": "A", "TTL": 60,
            "ResourceRecords": [{"Value": "10.0.0.1"}]}


@pytest.mark.parametrize(("changes", "refused"), [
    ((("CREATE", "b.example.", "A", "10.0.0.2"),), None),
    ((("CREATE", "a.example.", "A", "10.0.0.2"),), "already exists"),
    ((("DELETE", "a.example.", "A", "10.0.0.1"), ("CREATE", "a.example.", "A", "10.0.0.2")),
     None),
    ((("CREATE", "a.example.", "A", "10.0.0.2"), ("DELETE", "a.example.", "A", "10.0.0.1")),
     "already exists"),
    ((("DELETE", "a.example.", "A", "10.0.0.9"), ("CREATE", "a.example.", "A", "10.0.0.2")),
     "do not match"),
    ((("DELETE", "b.example.", "A", "10.0.0.1"),), "not found"),
    ((("DELETE", "a.example.", "CNAME", "x.example"), ("CREATE", "a.example.", "A", "10.0.0.2")),
     "not found"),
], ids=["create", "create-of-existing", "delete-then-create-replaces", "create-before-delete",
        "delete-of-other-values", "delete-of-absent", "other-type-deleted"])
def test_strict_checks_follow_route53_and_the_batch_order(
        changes: tuple[Change, ...], refused: str | None) -> None:
    answer = r53strict.refusal(change_batch(*changes), [LISTED_A])
    if refused is None:
        assert answer is None
    else:
        assert answer is not None and refused in answer.decode()


def _a(action: str, value: str) -> dict[str, Any]:
    return {"Action": action, "ResourceRecordSet": {
        "Name": "s.goldentooth.net.", "Type": "A", "TTL": 60,
        "ResourceRecords": [{"Value": value}]}}


@pytest.mark.parametrize(("name", "stale"), [
    ("delete-of-values-since-overwritten", [_a("DELETE", "198.18.0.1")]),
    ("create-of-existing-set", [_a("CREATE", "198.18.0.5")]),
])
def test_moto_takes_what_route53_refuses_and_the_strict_proxy_refuses_it(
        moto_url: str, zone: str, name: str, stale: list[dict[str, Any]]) -> None:
    """moto's gaps (docs/route53.md, "What moto checks"): each batch is refused through the
    strict proxy, as on Route53, and taken by moto alone."""
    direct = no_retry_client(moto_url)

    def fresh() -> None:  # written as ours, then overwritten out of band
        for change in [_a("CREATE", "198.18.0.1"), _a("UPSERT", "198.18.0.9")]:
            direct.change_resource_record_sets(HostedZoneId=zone,
                                               ChangeBatch={"Changes": [change]})

    fresh()
    with (Route53Proxy(moto_url, strict=True) as strict,
          pytest.raises(botocore.exceptions.ClientError) as caught):
        no_retry_client(strict.url).change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Changes": stale})
    assert caught.value.response["Error"]["Code"] == "InvalidChangeBatch"
    direct.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": stale})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"throttle": 1.5}, "Faults.throttle=1.5"),
    ({"reset": -0.1}, "Faults.reset=-0.1"),
    ({"throttle": 0.6, "unavailable": 0.6}, "at most 1.0"),
])
def test_fault_fractions_out_of_range_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults(**kwargs)  # type: ignore[arg-type]


def test_fault_choice_is_deterministic_and_near_its_fraction() -> None:
    faults = Faults(throttle=0.2, unavailable=0.1, reset=0.05, seed=7)
    first = [r53api.choose_fault(faults, n, "GetChange") for n in range(2000)]
    again = [r53api.choose_fault(faults, n, "GetChange") for n in range(2000)]
    assert first == again
    assert 350 <= first.count("throttle") <= 450
    assert 150 <= first.count("unavailable") <= 250
    assert 60 <= first.count("reset") <= 140
    other_seed = [r53api.choose_fault(Faults(throttle=0.2, seed=8), n, "GetChange")
                  for n in range(2000)]
    assert other_seed != [f if f == "throttle" else None for f in first]


def test_faults_limited_to_named_operations() -> None:
    faults = Faults(throttle=1.0, operations=("ChangeResourceRecordSets",))
    assert r53api.choose_fault(faults, 0, "ListResourceRecordSets") is None
    assert r53api.choose_fault(faults, 0, "ChangeResourceRecordSets") == "throttle"


def _create(client: Any, zone: str, name: str) -> Any:
    return client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "198.18.0.1"}],
        }}]})


def test_every_call_counted_by_operation(proxy: Route53Proxy, zone: str) -> None:
    client = no_retry_client(proxy.url)
    client.list_hosted_zones()
    client.list_resource_record_sets(HostedZoneId=zone)
    change = _create(client, zone, "a.goldentooth.net")
    client.get_change(Id=change["ChangeInfo"]["Id"])
    assert proxy.counts() == {"ListHostedZones": 1, "ListResourceRecordSets": 1,
                              "ChangeResourceRecordSets": 1, "GetChange": 1}
    assert [c.status for c in proxy.journal()] == [200, 200, 200, 200]
    assert proxy.reset_counts()["GetChange"] == 1
    assert proxy.counts() == {}


@pytest.mark.parametrize(("faults", "code", "status"), [
    (Faults(throttle=1.0), "Throttling", 400),
    (Faults(unavailable=1.0), "ServiceUnavailable", 503),
    (Faults(poison=("b.goldentooth.net.",)), "InvalidChangeBatch", 400),
])
def test_fault_answered_in_route53_error_format(
    proxy: Route53Proxy, zone: str, faults: Faults, code: str, status: int
) -> None:
    proxy.configure(faults)
    client = no_retry_client(proxy.url)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        _create(client, zone, "B.goldentooth.net")
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert proxy.journal()[-1].status == status
    proxy.configure(r53proxy.NO_FAULTS)
    _create(client, zone, "b.goldentooth.net")  # the record never reached Route53


def test_poison_spares_batches_without_the_name(proxy: Route53Proxy, zone: str) -> None:
    proxy.configure(Faults(poison=("b.goldentooth.net",)))
    _create(no_retry_client(proxy.url), zone, "c.goldentooth.net")
    assert proxy.faulted() == {}


def test_reset_fault_drops_the_connection(proxy: Route53Proxy, zone: str) -> None:
    proxy.configure(Faults(reset=1.0))
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        no_retry_client(proxy.url).list_hosted_zones()
    assert proxy.faulted() == {"reset": 1}
    proxy.configure(r53proxy.NO_FAULTS)
    assert no_retry_client(proxy.url).list_hosted_zones()["HostedZones"]


def test_sdk_without_endpoint_setting_reaches_route53_through_connect(
    proxy: Route53Proxy, zone: str, intercept: tuple[ssl.SSLContext, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from botocore.config import Config

    # Without an endpoint setting, as the SDK in question: the session's stack fixture (when
    # an earlier test started it) exports AWS_ENDPOINT_URL_ROUTE_53 for every boto3 client.
    monkeypatch.delenv("AWS_ENDPOINT_URL_ROUTE_53", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    client = boto3.client(
        "route53", region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", verify=str(intercept[1]),
        config=Config(proxies={"https": proxy.url}),
    )
    zones = client.list_hosted_zones()["HostedZones"]
    assert [z["Name"] for z in zones] == ["goldentooth.net."]
    assert client.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert proxy.counts() == {"ListHostedZones": 1, "ListResourceRecordSets": 1}


def test_connect_refused_without_intercept(moto_url: str) -> None:
    import http.client

    with Route53Proxy(moto_url) as plain:
        host, port = plain.url.rsplit(":", 1)
        connection = http.client.HTTPConnection(host.removeprefix("http://"), int(port))
        connection.request("CONNECT", "route53.amazonaws.com:443")
        assert connection.getresponse().status == 405
