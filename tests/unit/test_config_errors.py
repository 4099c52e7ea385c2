"""Every dnsgate command refuses a bad configuration the same way: exit code 2 and one line,
`dnsgate <command>: error: ...`, whether argparse, the environment, the settings or the
start-up (a kubeconfig, a file, a missing choice) found the problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
"""

CASES = [
    # (argv, extra environment, the line)
    (["nope"], {}, "dnsgate: error: argument COMMAND: invalid choice: 'nope'"),
    (["reconcile", "--txt-owner-id"], {},
     "dnsgate reconcile: error: argument --txt-owner-id: expected one argument"),
    (["reconcile", "--policy", "nope"], {},
     'dnsgate reconcile: error: --policy "nope" is not a policy'),
    (["reconcile", "--google-project=dnsgate"], {},
     "dnsgate reconcile: error: --google-project is an ExternalDNS flag that dnsgate does not "
     "implement"),
    (["reconcile"], {"DNSGATE_ONCE": "ture"},
     'dnsgate reconcile: error: DNSGATE_ONCE="ture" is not a boolean'),
    (["reconcile"], {"DNSGATE_DOMAIN_FILTERS": "goldentooth.net"},
     "dnsgate reconcile: error: DNSGATE_DOMAIN_FILTERS is not a dnsgate setting; did you mean "
     "DNSGATE_DOMAIN_FILTER (--domain-filter)?"),
    (["reconcile", "--once", "--kubeconfig", "/nonexistent/kubeconfig"], {},
     "dnsgate reconcile: error: no Kubernetes API: --kubeconfig /nonexistent/kubeconfig is not "
     "a usable kubeconfig"),
    (["webhook"], {},
     "dnsgate webhook: error: --domain-filter is required; give it, or set "
     "DNSGATE_DOMAIN_FILTER or EXTERNAL_DNS_DOMAIN_FILTER"),
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=/nonexistent/tls.crt",
      "--tls-key-file=/nonexistent/tls.key"], {},
     "dnsgate webhook: error: cannot reach the Kubernetes API to watch Services"),
    # The webhook keeps no certificate: the keeper's flags are not its own.
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=c", "--tls-key-file=k",
      "--certificate-secret=dnsgate-webhook-tls"], {"KUBECONFIG": "SELF"},
     "dnsgate webhook: error: --certificate-secret is not a flag of dnsgate webhook"),
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=/nonexistent/tls.crt",
      "--tls-key-file=/nonexistent/tls.key"], {"KUBECONFIG": "SELF"},
     "dnsgate webhook: error: --tls-cert-file /nonexistent/tls.crt: no such file; mount the "
     "webhook's TLS Secret there"),
    (["webhook"], {"DNSGATE_DOMAIN_FILTER": "goldentooth.net", "DNSGATE_TLS_CERT_FILE": "c",
                   "DNSGATE_TLS_KEY_FILE": "k", "DNSGATE_DEFAULT_TTL": "0"},
     "dnsgate webhook: error: --default-ttl 0 is out of range; use 1 to 2147483647 seconds"),
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=c", "--tls-key-file=k",
      "--txt-prefix=p-", "--txt-suffix=-s"], {},
     'dnsgate webhook: error: --txt-prefix "p-" and --txt-suffix "-s" are mutually exclusive'),
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=c", "--tls-key-file=k",
      "--txt-wildcard-replacement=Wild"], {},
     'dnsgate webhook: error: --txt-wildcard-replacement "Wild" is not a lower-case DNS label; '
     "use 1 to 63 of a-z, 0-9 and inner hyphens"),
    (["reconcile", "--txt-wildcard-replacement=Wild"], {},
     'dnsgate reconcile: error: --txt-wildcard-replacement "Wild" is not a lower-case DNS '
     "label; use 1 to 63 of a-z, 0-9 and inner hyphens"),
    (["reconcile"], {"EXTERNAL_DNS_TXT_WILDCARD_REPLACEMENT": "wild.card"},
     'dnsgate reconcile: error: --txt-wildcard-replacement "wild.card" is not a lower-case DNS '
     "label"),
    (["reconcile", "--txt-prefix=%{record_type}"], {},
     'dnsgate reconcile: error: --txt-prefix "%{record_type}" puts %{record_type} straight '
     "against the record's name, so two records can share a TXT name"),
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=c", "--tls-key-file=k",
      "--txt-suffix=own%{record_type}"], {},
     'dnsgate webhook: error: --txt-suffix "own%{record_type}" puts %{record_type} straight '
     "against the record's name"),
    (["doctor", "--txt-wildcard-replacement=*"], {},
     'dnsgate doctor: error: --txt-wildcard-replacement "*" is not a lower-case DNS label'),
    (["webhook", "--domain-filter=goldentooth.net", "--tls-cert-file=c", "--tls-key-file=k",
      "--request-timeout=0"], {},
     "dnsgate webhook: error: --request-timeout 0.0: use a number of seconds above 0"),
    (["certs"], {}, "dnsgate certs: error: give --out-dir, --secret or both"),
    (["certs", "--out-dir=/tmp/x", "--keep", "--check-interval=0"], {},
     "dnsgate certs: error: --check-interval 0.0: use a number of seconds above 0"),
    (["doctor", "--policy", "nope"], {},
     'dnsgate doctor: error: --policy "nope" is not a policy'),
    (["doctor", "--source=istio-gateway"], {},
     'dnsgate doctor: error: --source "istio-gateway" is not implemented by dnsgate; '
     "supported: service, ingress, gateway-httproute, gateway-grpcroute, gateway-tlsroute, "
     "gateway-tcproute, gateway-udproute"),
    (["doctor", "--gateway-label-filter=tier in edge"], {},
     'dnsgate doctor: error: --gateway-label-filter "tier in edge" is not a label selector'),
    (["reconcile", "--domain-filter=goldentooth.net", "--gateway-label-filter=tier!=edge"], {},
     'dnsgate reconcile: error: --gateway-label-filter "tier!=edge" is not a label selector: '
     "'!=' is not supported in a label selector object"),
    (["iam-policy", "--offline"], {},
     "dnsgate iam-policy: error: --offline needs --domain-filter or --zone-id-filter"),
    (["certs", "--validity-days=a year"], {},
     "dnsgate certs: error: argument --validity-days: invalid int value: 'a year'"),
]


@pytest.mark.parametrize(("argv", "environment", "line"), CASES,
                         ids=[" ".join(c[0]) + "".join(f" {k}" for k in c[1]) for c in CASES])
def test_every_command_refuses_bad_configuration_in_one_line_with_exit_2(
        argv: list[str], environment: dict[str, str], line: str, tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DNSGATE_", "EXTERNAL_DNS_", "KUBERNETES_SERVICE"))}
    if environment.get("KUBECONFIG") == "SELF":  # a kubeconfig that loads; nothing is called
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(KUBECONFIG)
        environment = {**environment, "KUBECONFIG": str(kubeconfig)}
    result = subprocess.run(
        [sys.executable, "-m", "dnsgate", *argv], capture_output=True, text=True, timeout=60,
        env={**clean, "KUBECONFIG": str(tmp_path / "none"), **environment}, check=False)

    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(line), result.stderr
    assert result.stdout == ""
