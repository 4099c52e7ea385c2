"""Slow clients against the real gunicorn server over TLS: a connection that sends a byte and
then nothing must not keep a worker thread, and reviews must be answered meanwhile.

The webhook here runs one worker with two threads and a 3-second request timeout, and as
many slow clients as it has threads take them all: without a deadline the review sent next
would wait for ever.
"""

import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from devstack import webhook as devstack_webhook
from devstack.controlplane import free_port
from devstack.processes import Supervisor
from tests.admission.conftest import (
    DOMAIN,
    HOSTNAME,
    RunningWebhook,
    admission_review,
    certs_args,
    dnsgate,
)

pytestmark = pytest.mark.e2e

THREADS = 2
REQUEST_TIMEOUT = 3.0


@pytest.fixture
def small_webhook(stack, tmp_path: Path) -> Iterator[RunningWebhook]:
    certs = tmp_path / "certs"
    dnsgate(*certs_args(certs))
    supervisor = Supervisor(tmp_path / "logs")
    port = free_port()
    try:
        child = devstack_webhook.start(
            supervisor, port=port, cert_file=certs / "tls.crt", key_file=certs / "tls.key",
            ca_file=certs / "ca.crt", domain_filters=[DOMAIN], kubeconfig=stack.kubeconfig,
            extra_args=["--workers", "1", "--threads", str(THREADS),
                        "--request-timeout", str(REQUEST_TIMEOUT)])
        yield RunningWebhook(port, certs, child)
    finally:
        supervisor.stop_all()


def one_byte_of_handshake(webhook: RunningWebhook) -> socket.socket:
    """The first byte of a TLS record, then silence: the server waits in its handshake."""
    raw = socket.create_connection(("127.0.0.1", webhook.port), timeout=30)
    raw.sendall(b"\x16")
    return raw


def one_line_of_request(webhook: RunningWebhook) -> socket.socket:
    """A finished handshake and the request line, then silence: the server reads headers."""
    context = ssl.create_default_context(cafile=str(webhook.ca_file))
    raw = socket.create_connection(("127.0.0.1", webhook.port), timeout=30)
    tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"POST /validate HTTP/1.1\r\n")
    return tls


def one_byte_after_a_kept_alive_request(webhook: RunningWebhook) -> socket.socket:
    """A whole request answered on a kept-alive connection, then one byte of the next."""
    context = ssl.create_default_context(cafile=str(webhook.ca_file))
    raw = socket.create_connection(("127.0.0.1", webhook.port), timeout=30)
    tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    reply = b""
    while not reply.endswith(b"}\n"):
        reply += tls.recv(4096)
    assert reply.startswith(b"HTTP/1.1 200")
    tls.sendall(b"P")
    return tls


def closed_by_server(connection: socket.socket) -> bool:
    """Read until the server hangs up (or the 30 s socket timeout says it never did)."""
    try:
        while connection.recv(4096):
            pass
    except (ConnectionResetError, ssl.SSLError):
        pass
    except TimeoutError:
        return False
    return True


@pytest.mark.parametrize("slow_client", [
    one_byte_of_handshake, one_line_of_request, one_byte_after_a_kept_alive_request,
], ids=["mid-handshake", "mid-request", "kept-alive"])
def test_slow_clients_are_cut_and_reviews_are_answered_meanwhile(
    small_webhook: RunningWebhook, slow_client: Callable[[RunningWebhook], socket.socket]
) -> None:
    slow = [slow_client(small_webhook) for _ in range(THREADS)]
    time.sleep(0.5)  # let them take the threads
    review = admission_review({HOSTNAME: f"httpbin.{DOMAIN}"})

    with requests.Session() as client:
        client.trust_env = False
        client.verify = str(small_webhook.ca_file)
        answer = client.post(small_webhook.url("/validate"), data=json.dumps(review),
                             headers={"Content-Type": "application/json"},
                             timeout=REQUEST_TIMEOUT * 5)

    assert answer.status_code == 200
    assert answer.json()["response"]["allowed"] is True
    assert [closed_by_server(connection) for connection in slow] == [True] * THREADS
    for connection in slow:
        connection.close()
    log = small_webhook.child.log.read_text()
    assert log.count("closing the connection from") >= THREADS
    assert small_webhook.child.alive()
