"""When `dnsgate certs` (re)issues: the pure decision in certs.rotation, and the caBundle
patch in certs.inject. No cluster needed."""

import datetime as dt

import pytest

from certs import inject, pki, rotation

WANTED = rotation.Wanted(service="dnsgate-webhook", namespace="dnsgate", ips=("127.0.0.1",))
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def fresh() -> rotation.Bundle:
    return rotation.ensure(rotation.Stored(), WANTED, pki.now()).bundle


def test_first_run_issues_ca_and_serving_certificate(fresh: rotation.Bundle) -> None:
    outcome = rotation.ensure(rotation.Stored(), WANTED, pki.now())
    names, ips = pki.subject_alt_names(outcome.bundle.serving.cert)

    assert outcome.reason == "no CA yet"
    assert names == {"dnsgate-webhook", "dnsgate-webhook.dnsgate", "dnsgate-webhook.dnsgate.svc",
                     "dnsgate-webhook.dnsgate.svc.cluster.local"}
    assert ips == {"127.0.0.1"}
    assert pki.issued_by(outcome.bundle.serving.cert, outcome.bundle.ca.cert)
    assert outcome.bundle.serving.private_key().curve.name == "secp256r1"


@pytest.mark.parametrize(("age", "renewed"), [
    (DAY * 0, False), (DAY * 240, False), (DAY * 242, False), (DAY * 245, True),
    (DAY * 400, True),
], ids=["new", "240-days", "just-over-a-third-left", "under-a-third-left", "expired"])
def test_serving_certificate_renews_with_a_third_of_its_life_left(
    fresh: rotation.Bundle, age: dt.timedelta, renewed: bool
) -> None:
    stored = rotation.Stored(fresh.ca, fresh.serving)

    outcome = rotation.ensure(stored, WANTED, pki.now() + age)

    assert (outcome.reason is not None) is renewed
    assert outcome.bundle.ca == fresh.ca
    assert (outcome.bundle.serving != fresh.serving) is renewed


@pytest.mark.parametrize(("change", "reason"), [
    (lambda b: rotation.Stored(b.ca, None), "no serving certificate yet"),
    (lambda b: rotation.Stored(b.ca, pki.KeyPair(b.serving.cert_pem, b.ca.key_pem)),
     "the serving key does not match the serving certificate"),
    (lambda b: rotation.Stored(b.ca, pki.issue(pki.new_ca("other", DAY * 99), "x",
                                               valid_for=DAY * 9,
                                               dns_names=WANTED.dns_names,
                                               ip_addresses=WANTED.ips)),
     "the serving certificate is not signed by the stored CA"),
    (lambda b: rotation.Stored(b.ca, pki.issue(b.ca, "x", valid_for=DAY * 365,
                                               dns_names=WANTED.dns_names)),
     "the serving certificate's names differ from the wanted ones"),
], ids=["missing", "wrong-key", "other-issuer", "names-differ"])
def test_unfit_serving_certificate_is_replaced_under_the_same_ca(
    fresh: rotation.Bundle, change, reason: str
) -> None:
    outcome = rotation.ensure(change(fresh), WANTED, pki.now())

    assert outcome.reason == reason
    assert outcome.bundle.ca == fresh.ca


def test_ca_near_its_end_is_replaced(fresh: rotation.Bundle) -> None:
    outcome = rotation.ensure(rotation.Stored(fresh.ca, fresh.serving), WANTED,
                              pki.now() + DAY * 3000)

    assert outcome.reason is not None and outcome.reason.startswith("the CA has")
    assert outcome.bundle.ca != fresh.ca


def test_ca_bundle_patch_touches_only_webhooks_that_lack_it() -> None:
    webhooks = [{"name": "mutate.dnsgate.io", "clientConfig": {"caBundle": "Q0E="}},
                {"name": "other.dnsgate.io", "clientConfig": {"url": "https://x"}}]

    assert inject.bundle_patch(webhooks, "Q0E=") == [
        {"op": "test", "path": "/webhooks/1/name", "value": "other.dnsgate.io"},
        {"op": "add", "path": "/webhooks/1/clientConfig/caBundle", "value": "Q0E="},
    ]
    assert inject.bundle_patch(webhooks[:1], "Q0E=") == []
