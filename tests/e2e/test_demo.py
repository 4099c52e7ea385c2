"""`make demo`, run as CI runs it (no TTY), tells the seed's story and checks every step."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_runs_every_step_non_interactively() -> None:
    result = subprocess.run(
        ["make", "-s", "demo"], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=600, env={**os.environ, "DEMO_EXIT": "1"},
    )
    out = result.stdout

    assert result.returncode == 0, out + result.stderr
    steps = re.split(r"^Step \d/5: ", out, flags=re.M)[1:]
    assert len(steps) == 5, out
    refused, admitted, assigned, records, removed = steps
    assert 'admission webhook "validate.dnsgate.io" denied the request' in refused
    assert ('external-dns.alpha.kubernetes.io/hostname: "httpbin.example.com" is outside the '
            "managed domains (goldentooth.net)") in refused
    assert "service/httpbin created" in admitted
    assert "external-dns.alpha.kubernetes.io/ttl: 60" in admitted
    assert "ips = ['10.4.11.1']" in assigned
    assert re.search(r"^\s+httpbin\.goldentooth\.net\.\s+A\s+60\s+10\.4\.11\.1$", records, re.M)
    assert re.search(
        r'^\s+a-httpbin\.goldentooth\.net\.\s+TXT\s+300\s+"heritage=external-dns,'
        r"external-dns/owner=external-dns-external-dns,"
        r'external-dns/resource=service/httpbin/httpbin"$', records, re.M)
    assert re.search(r"appeared \d+\.\d\ds after the IP was assigned", records)
    assert "(none)" in removed
    assert out.count("[ok]") == 5 and "[FAILED]" not in out
    assert "All 5 steps did what they said." in out
