"""Logs as operations reads them: one structured line per applied change, and never a
credential or key, at any level, in a log line or an Event."""

from __future__ import annotations

import json
import logging

import pytest

from dnsgate import logs
from tests.production.conftest import OWNER, wait_for, zone

AWS_SECRET = "wJalrXUtnFEMI-dnsgate-test-secret-K7MDENG"
AES_KEY = "dnsgate-test-aes-key-of-32-bytes"  # 32 raw bytes, as ExternalDNS accepts


@pytest.mark.e2e
def test_json_log_has_one_line_per_change_and_no_secret(
    start_reconciler, services, route53, zone_id: str, namespace: str, kubectl, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    reconciler = start_reconciler("--log-format=json", "--log-level=debug",
                                  "--txt-encrypt-enabled", f"--txt-encrypt-aes-key={AES_KEY}")
    services({"web": "web.goldentooth.net"})
    wait_for(lambda: ("a-web.goldentooth.net", "TXT") in zone(route53, zone_id), 20, "records")
    wait_for(lambda: '"action": "CREATE"' in reconciler.log(), 10, "the change lines")

    lines = [json.loads(line) for line in reconciler.log().splitlines() if line.startswith("{")]
    changes = [line for line in lines if "action" in line]
    events = kubectl("-n", namespace, "get", "events", "-o", "json").stdout

    assert lines and len(lines) == len(reconciler.log().splitlines())  # every line is JSON
    assert {(c["action"], c["record"], c["type"]) for c in changes} == {
        ("CREATE", "web.goldentooth.net", "A"), ("CREATE", "a-web.goldentooth.net", "TXT")}
    a_line = next(c for c in changes if c["type"] == "A")
    assert a_line["targets"] == ["10.4.11.2"]
    assert a_line["service"] == f"service/{namespace}/web"
    for text in (reconciler.log(), events):
        assert AWS_SECRET not in text
        assert AES_KEY not in text
    txt = zone(route53, zone_id)[("a-web.goldentooth.net", "TXT")]["ResourceRecords"][0]
    assert OWNER not in txt["Value"]  # encrypted, as asked


@pytest.mark.parametrize(("field", "redacted"), [
    ("aws_secret_access_key", True), ("txt_encrypt_aes_key", True), ("token", True),
    ("password", True), ("credentials", True), ("record", False), ("targets", False),
])
def test_json_formatter_redacts_fields_named_like_secrets(field: str, redacted: bool) -> None:
    record = logging.makeLogRecord({"msg": "x", field: "value-123"})

    entry = json.loads(logs.JSONFormatter().format(record))

    assert (entry[field] == "[redacted]") is redacted
