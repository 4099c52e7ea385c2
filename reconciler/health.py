"""The reconciler's small HTTP server: /healthz, /readyz and /metrics.

- /healthz: the process is alive and its loop is turning (ExternalDNS answers 200 whatever
  happens; a wedged loop here fails the liveness probe and gets the pod restarted).
- /readyz: the Service watch is established and, on the leader, the last sync succeeded
  recently. A standby is ready when its watch is: it must be able to take over.
- /metrics: Prometheus text format.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reconciler import metrics

Check = Callable[[], tuple[bool, str]]


class HealthServer:
    def __init__(self, port: int, *, alive: Check, ready: Check,
                 address: str = "0.0.0.0") -> None:
        checks = {"/healthz": alive, "/readyz": ready}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST)
                elif path in checks:
                    ok, detail = checks[path]()
                    self._send(200 if ok else 503, (detail + "\n").encode(), "text/plain")
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _send(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds would drown the change log

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="health",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
