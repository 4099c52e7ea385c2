"""Slow clients against the real gunicorn server over TLS: a connection that sends nothing
must not take a worker thread at all, one that sends a byte and then nothing must not keep
one beyond the short deadline for its request, and reviews must be answered meanwhile.

The webhook here runs one worker with two threads and the production request timeout (10 s),
and as many slow clients as it has threads take them all: without a deadline the review sent
next would wait for ever; with only the request timeout it would wait 10 s, twice what
kube-apiserver waits (docs/admission-review.md, "Slow clients").
"""

import json
import math
import select
import socket
import ssl
import threading
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
from webhook import worker

pytestmark = pytest.mark.e2e

THREADS = 2
REQUEST_TIMEOUT = 10.0
# Seconds a review may take while attackers hold connections: far below the WebhookConfigurations'
# timeoutSeconds (5), and generous for a busy 2-core machine (a review takes milliseconds).
REVIEW_BOUND = 1.0
IDLE_CONNECTIONS = 64


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
    started = time.monotonic()
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
    # Cut by the deadline for a request's head, not by the longer one for its answer.
    assert time.monotonic() - started < worker.HEAD_TIMEOUT + 2 < REQUEST_TIMEOUT
    for connection in slow:
        connection.close()
    log = small_webhook.child.log.read_text()
    assert log.count("closing the connection from") >= THREADS
    assert small_webhook.child.alive()


def idle_connection(webhook: RunningWebhook) -> socket.socket:
    """A TCP connection that sends nothing at all."""
    return socket.create_connection(("127.0.0.1", webhook.port), timeout=30)


def review_seconds(webhook: RunningWebhook) -> float:
    """Seconds one review takes on a new connection (a TLS handshake included, as when
    kube-apiserver opens one); infinity when none came within five times the bound."""
    review = admission_review({HOSTNAME: f"httpbin.{DOMAIN}"})
    started = time.monotonic()
    try:
        answer = requests.post(webhook.url("/validate"), data=json.dumps(review),
                               headers={"Content-Type": "application/json"},
                               verify=str(webhook.ca_file), timeout=REVIEW_BOUND * 5)
    except requests.RequestException:
        return math.inf
    assert answer.json()["response"]["allowed"] is True
    return time.monotonic() - started


def test_idle_connections_hold_no_thread_and_reviews_are_answered_at_once(
    small_webhook: RunningWebhook
) -> None:
    """An attacker keeps 64 connections open that send nothing, far more than the two
    threads, and re-opens each one the server closes, while reviews are timed over longer
    than an idle connection may wait."""
    stop = threading.Event()

    def attack() -> None:
        idle = [idle_connection(small_webhook) for _ in range(IDLE_CONNECTIONS)]
        while not stop.is_set():
            closed, _, _ = select.select(idle, [], [], 0.1)  # readable: the server hung up
            for connection in closed:
                connection.close()
                idle[idle.index(connection)] = idle_connection(small_webhook)
        for connection in idle:
            connection.close()

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    try:
        time.sleep(0.5)
        seconds = []
        for _ in range(8):  # over about four seconds
            seconds.append(review_seconds(small_webhook))
            time.sleep(0.5)
    finally:
        stop.set()
        attacker.join()

    assert max(seconds) < REVIEW_BOUND, [f"{s:.2f}" for s in seconds]
    assert small_webhook.child.alive()


def hung_up(connection: socket.socket, within: float) -> bool:
    connection.settimeout(within)
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_connections_beyond_the_cap_are_dropped_oldest_first(
    small_webhook: RunningWebhook
) -> None:
    """A worker keeps at most MAX_IDLE connections that have sent nothing, so they cannot use
    up its file descriptors or gunicorn's worker_connections: the oldest are closed at once,
    long before the head deadline, and the newest (maybe kube-apiserver's) stay."""
    connections = [idle_connection(small_webhook) for _ in range(worker.MAX_IDLE + 8)]
    try:
        oldest, newest = connections[:8], connections[-8:]

        assert [hung_up(connection, within=1.0) for connection in oldest] == [True] * 8
        assert [hung_up(connection, within=0.1) for connection in newest] == [False] * 8
        assert review_seconds(small_webhook) < REVIEW_BOUND
    finally:
        for connection in connections:
            connection.close()
