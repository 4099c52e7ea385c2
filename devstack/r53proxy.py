"""A counting, fault-injecting HTTP forwarder in front of the Route53 server, on loopback.

Route53 speaks REST (`/2013-04-01/hostedzone/{id}/rrset` ...), so the operation a client
called is known from the method and path alone; `operation()` maps them to the API's names
and the proxy counts every call by name. The benchmarks read the counts (how many listings
and change batches a controller spends); the resilience tests turn on faults:

- `throttle`: that fraction of calls answered 400 `Throttling` in Route53's XML error shape
  (what Route53 returns beyond its 5 requests/second per account);
- `unavailable`: that fraction answered 503 `ServiceUnavailable`;
- `reset`: that fraction of calls get their TCP connection reset (RST, no answer);
- `poison`: ChangeResourceRecordSets batches naming one of these records are refused with
  400 `InvalidChangeBatch`, the way one bad change fails a whole batch on Route53.

Every ChangeResourceRecordSets body is kept as sent (`batches`): what a client asked for
where moto stores less (it drops `GeoProximityLocation`, docs/route53-alias.md).

`strict=True` is not a fault but fidelity: Route53 refuses a CREATE of a record set that
exists whatever its values, and a DELETE that does not match the set exactly; moto 5.2 does
neither (`devstack.r53strict`). The proxy checks each batch against the zone moto holds and
refuses it as Route53 would.

Clients that cannot be pointed at a custom endpoint (aws-sdk-go v1, as in ExternalDNS
v0.14) reach it through HTTPS_PROXY: given `intercept` (a TLS context holding a certificate
for route53.amazonaws.com, trusted by the client, e.g. through SSL_CERT_FILE), the proxy answers
CONNECT, terminates TLS itself and treats the tunnelled requests like direct ones. Nothing
leaves loopback.

Fault choice is deterministic (see `devstack.r53api`, which holds the operation
table, the fault plan and the error bodies). Faults and counters can be changed while the
proxy runs.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from devstack import r53strict, route53
from devstack.r53api import (
    NO_FAULTS,
    Call,
    Faults,
    choose_fault,
    error_xml,
    invalid_change_batch_xml,
    operation,
    poisoned_names,
)

__all__ = ["NO_FAULTS", "Call", "Faults", "Route53Proxy", "counts_delta", "operation"]

PROXY_FAULT_HEADER = "x-dnsgate-proxy-fault"

_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te",
    "trailer",
})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # resets and clients hanging up are expected here; counts tell the story


class Route53Proxy:
    """`with Route53Proxy(upstream) as proxy:` serves on `proxy.url` until the block ends."""

    def __init__(
        self, upstream: str, *, faults: Faults = NO_FAULTS, port: int = 0,
        intercept: ssl.SSLContext | None = None, strict: bool = False,
    ) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"Route53Proxy upstream {upstream!r}: use http://HOST:PORT")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.intercept = intercept
        self.strict = strict
        self.refused: list[str] = []  # messages of strict refusals, for tests
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()
        self._faults = faults
        self._calls = 0
        self._journal: list[Call] = []
        self._batches: list[tuple[str, bytes]] = []
        self._server = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Route53Proxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="r53proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Route53Proxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def configure(self, faults: Faults) -> None:
        """Replace the faults; the deterministic call numbering starts again at 0."""
        with self._lock:
            self._faults = faults
            self._calls = 0

    def counts(self) -> dict[str, int]:
        """Calls received per operation (faulted ones included) since the last reset."""
        with self._lock:
            return dict(self._counts)

    def faulted(self) -> dict[str, int]:
        """Calls spoiled per fault kind ("throttle", "poison", ...) since the last reset."""
        with self._lock:
            return dict(self._faulted)

    def journal(self, since: float = 0.0) -> list[Call]:
        """Answered calls (resets excluded) at or after monotonic time `since`, in order."""
        with self._lock:
            return [call for call in self._journal if call.at >= since]

    def batches(self) -> list[tuple[str, bytes]]:
        """(zone id, body) of every ChangeResourceRecordSets call, as the client sent it:
        the request itself, where the server behind may store less than it was sent."""
        with self._lock:
            return list(self._batches)

    def reset_counts(self) -> dict[str, int]:
        """Zero the counters and return what they held."""
        with self._lock:
            before = dict(self._counts)
            self._counts.clear()
            self._faulted.clear()
            self._journal.clear()
            self._batches.clear()
            return before

    def _admit(self, op: str) -> tuple[str | None, Faults]:
        with self._lock:
            self._counts[op] += 1
            faults = self._faults
            fault = choose_fault(faults, self._calls, op)
            self._calls += 1
            if fault is not None:
                self._faulted[fault] += 1
            return fault, faults

    def strict_refusal(self, path: str, body: bytes) -> bytes | None:
        """Route53's refusal of the batch in `body`, checked against the zone moto holds."""
        zone_id = path.rstrip("/").split("/")[-2]
        client = route53.client(f"http://{self.upstream_host}:{self.upstream_port}")
        listed = [r for page in client.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone_id) for r in page["ResourceRecordSets"]]
        return r53strict.refusal(body, listed)

    def _record(self, op: str, status: int) -> None:
        with self._lock:
            self._journal.append(Call(op, status, time.monotonic()))

    def _note_poison(self) -> None:
        with self._lock:
            self._faulted["poison"] += 1


def _handler_for(proxy: Route53Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive both ways: AWS SDKs reuse connections, and so must the benchmark.
        protocol_version = "HTTP/1.1"
        upstream: http.client.HTTPConnection | None = None

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per call would dominate a benchmark's output

        def do_GET(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def do_DELETE(self) -> None:
            self._relay()

        def do_PUT(self) -> None:
            self._relay()

        def do_CONNECT(self) -> None:
            if proxy.intercept is None:
                self.send_error(405, "CONNECT needs Route53Proxy(intercept=...)")
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            # The client sends its ClientHello only after reading the 200, so nothing is
            # buffered yet: re-wrap the socket and keep reading requests from the tunnel.
            # (`setup()` re-reads `self.request`.)
            self.request = proxy.intercept.wrap_socket(self.connection, server_side=True)
            self.setup()
            # http.client tunnels with an HTTP/1.0 CONNECT, which would end the connection.
            self.close_connection = False

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            op = operation(self.command, self.path)
            fault, faults = proxy._admit(op)
            if fault == "reset":
                self._reset()
                return
            if fault == "throttle":
                self._answer(op, 400, error_xml("Throttling", "Rate exceeded"), fault)
                return
            if fault == "unavailable":
                message = "Service is temporarily unavailable"
                self._answer(op, 503, error_xml("ServiceUnavailable", message, sender=False), fault)
                return
            if op == "ChangeResourceRecordSets":
                with proxy._lock:
                    proxy._batches.append((self.path.rstrip("/").split("/")[-2], body))
                names = poisoned_names(body, faults.poison)
                if names:
                    proxy._note_poison()
                    self._answer(op, 400, invalid_change_batch_xml(names), "poison")
                    return
                refused = proxy.strict and proxy.strict_refusal(self.path, body)
                if refused:
                    proxy.refused.append(refused.decode())
                    self._answer(op, 400, refused, "strict")
                    return
            self._forward(op, body)

        def _forward(self, op: str, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            for attempt in (1, 2):  # a kept-alive upstream connection may have been closed
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection(
                        proxy.upstream_host, proxy.upstream_port, timeout=120
                    )
                try:
                    self.upstream.request(self.command, self.path, body=body, headers=headers)
                    response = self.upstream.getresponse()
                    data = response.read()
                    break
                except (http.client.HTTPException, OSError):
                    self.upstream.close()
                    self.upstream = None
                    if attempt == 2:
                        raise
            # Journal first: a client that has its answer must find the call recorded.
            proxy._record(op, response.status)
            self.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, op: str, status: int, body: bytes, fault: str) -> None:
            proxy._record(op, status)
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header(PROXY_FAULT_HEADER, fault)
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN: the
            # client sees "connection reset by peer", as behind a failing load balancer.
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.close_connection = True
            self.connection.close()

        def finish(self) -> None:
            with contextlib.suppress(OSError):  # the socket was reset on purpose
                super().finish()

    return Handler


def counts_delta(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    """Per-operation difference of two `counts()` snapshots, zero entries dropped."""
    return {
        op: after.get(op, 0) - before.get(op, 0)
        for op in sorted(set(after) | set(before))
        if after.get(op, 0) != before.get(op, 0)
    }
