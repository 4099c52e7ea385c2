"""The running webhook as operations sees it: /metrics that add up across gunicorn workers,
/readyz that tells the truth about the serving certificate, and valid reviews answered
within the apiserver's timeout while malformed requests flood it."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from certs import pki
from devstack import webhook as devstack_webhook
from tests.admission.conftest import (
    HOSTNAME,
    RunningWebhook,
    admission_review,
    running_webhook,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_webhook(stack, tmp_path: Path) -> Iterator[RunningWebhook]:
    """A webhook of this test's own, so it can be abused without disturbing the others."""
    with running_webhook(stack, tmp_path) as running:
        yield running


def _sample(metrics_text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in metrics_text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_every_request_whichever_worker_answers(own_webhook: RunningWebhook) -> None:
    good = admission_review({HOSTNAME: "app.goldentooth.net"})
    bad = admission_review({HOSTNAME: "app.example.com"})
    for number in range(12):  # a new connection each time: the kernel spreads them over workers
        body = good if number % 3 else bad
        answer = requests.post(own_webhook.url("/validate"), json=body,
                               verify=str(own_webhook.ca_file), timeout=5)
        assert answer.status_code == 200
    requests.post(own_webhook.url("/validate"), data=b"not json",
                  verify=str(own_webhook.ca_file), timeout=5)

    scrapes = [requests.get(own_webhook.url("/metrics"), verify=str(own_webhook.ca_file),
                            timeout=5).text for _ in range(4)]

    for text in scrapes:  # every worker reports the same, complete totals
        assert _sample(text, "dnsgate_webhook_requests_total", endpoint="validate",
                       operation="CREATE", verdict="allowed") == 8
        assert _sample(text, "dnsgate_webhook_requests_total", endpoint="validate",
                       operation="CREATE", verdict="denied") == 4
        assert _sample(text, "dnsgate_webhook_requests_total", endpoint="validate",
                       verdict="bad_request") == 1
        assert _sample(text, "dnsgate_webhook_denials_total", rule="hostname-domain") == 4
        assert _sample(text, "dnsgate_webhook_request_duration_seconds_count",
                       endpoint="validate") == 12
    assert 'le="0.0001"' in scrapes[0]  # sub-millisecond buckets


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_readyz_fails_while_the_certificate_is_expired_and_recovers(
    own_webhook: RunningWebhook, tmp_path: Path
) -> None:
    certificate, key = own_webhook.cert_dir / "tls.crt", own_webhook.cert_dir / "tls.key"
    shutil.copy(certificate, tmp_path / "good.crt")
    shutil.copy(key, tmp_path / "good.key")
    ca = pki.new_ca("expired-test", valid_for=dt.timedelta(days=1))
    expired = pki.issue(ca, "dnsgate-webhook", valid_for=dt.timedelta(minutes=1),
                        ip_addresses=("127.0.0.1",))  # notBefore is 5 minutes back
    pki.write_atomic(certificate, expired.cert_pem)
    pki.write_atomic(key, expired.key_pem)

    # kubelet's HTTPS probes do not verify the certificate; neither does this one.
    while_expired = requests.get(own_webhook.url("/readyz"), verify=False, timeout=5)
    shutil.copy(tmp_path / "good.crt", certificate)
    shutil.copy(tmp_path / "good.key", key)
    restored = requests.get(own_webhook.url("/readyz"), verify=str(own_webhook.ca_file),
                            timeout=5)
    alive = requests.get(own_webhook.url("/healthz"), verify=str(own_webhook.ca_file), timeout=5)

    assert while_expired.status_code == 503
    assert "missing or expired" in while_expired.json()["status"]
    assert restored.status_code == 200
    assert alive.status_code == 200


MALFORMED = (
    b"", b"{", b"[]", b"null", b'{"kind": "AdmissionReview"}',
    b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}}',
    json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": {"uid": "x", "object": "x" * 200_000}}).encode(),
    b"\xff\xfe" * 1000,
)


def test_valid_reviews_answered_within_timeout_during_malformed_flood(
    own_webhook: RunningWebhook,
) -> None:
    timeout = min(w["timeoutSeconds"] for c in devstack_webhook.load_configurations()
                  for w in c["webhooks"])
    stop = threading.Event()
    flood_codes: list[int] = []

    def flood() -> None:
        with requests.Session() as session:
            session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
            session.verify = str(own_webhook.ca_file)
            sent = 0
            while not stop.is_set() and sent < 3000:
                body = MALFORMED[sent % len(MALFORMED)]
                flood_codes.append(session.post(own_webhook.url("/validate"), data=body,
                                                timeout=30).status_code)
                sent += 1

    flooders = [threading.Thread(target=flood) for _ in range(4)]
    for thread in flooders:
        thread.start()
    latencies, verdicts = [], []
    try:
        with requests.Session() as session:
            session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
            session.verify = str(own_webhook.ca_file)
            for number in range(150):
                name = "app.goldentooth.net" if number % 2 else "app.example.com"
                started = time.monotonic()
                answer = session.post(own_webhook.url("/validate"),
                                      json=admission_review({HOSTNAME: name}), timeout=30)
                latencies.append(time.monotonic() - started)
                verdicts.append((name, answer.status_code,
                                 answer.json()["response"]["allowed"]))
    finally:
        stop.set()
        for thread in flooders:
            thread.join()

    assert all(code == 200 and allowed == name.endswith("goldentooth.net")
               for name, code, allowed in verdicts)
    assert max(latencies) < timeout
    assert len(flood_codes) > 100
    assert all(400 <= code < 500 for code in flood_codes), sorted(set(flood_codes))


def test_the_webhook_opens_no_control_socket(stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """gunicorn 25+ makes a control socket under $HOME/.gunicorn; in a pod HOME is `/` on a
    read-only root, so every pod logged "Control server error". dnsgate opens none."""
    home = tmp_path / "home"
    home.mkdir()
    environment = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}
    with running_webhook(stack, tmp_path / "webhook", environment=environment) as running:
        log = running.child.log.read_text()

    assert "Control server" not in log
    assert list(home.iterdir()) == []
