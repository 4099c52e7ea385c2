"""gunicorn's threaded worker with a deadline on every connection's turn in a thread.

gunicorn's gthread worker (docs/admission-review.md, "Slow clients") waits a few seconds for
a new connection's first byte without a thread, but once that byte is there it gives the
connection a thread and reads the TLS handshake and the request with no timeout at all; its
`timeout` setting only restarts a worker whose main loop stops, which a blocked thread does
not. So a client that sends one byte and then nothing holds a thread for as long as it keeps
the connection open, and as many such clients as there are threads stop every review.

`DeadlineWorker` remembers when each connection took a thread; a watchdog thread shuts down
the socket of any connection still there after `request_timeout` seconds, which ends the
blocked read at once: gunicorn then closes the connection and the thread takes the next one.
The deadline covers handshake, request and answer together. A review takes milliseconds,
and kube-apiserver gives up on a webhook after its `timeoutSeconds` (5 here, 30 at most),
so no answer the apiserver could still use is ever cut. Kept-alive connections between
requests wait in gunicorn's poller, not in a thread, and are not affected.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# Seconds between the watchdog's looks: a slow connection is cut at most this late.
CHECK_INTERVAL = 0.25


class DeadlineWorker(ThreadWorker):  # type: ignore[misc]
    request_timeout = 10.0
    """Seconds a connection may hold a thread for one handshake, request and answer."""

    def init_process(self) -> None:
        self._busy: dict[int, tuple[float, Any]] = {}
        self._busy_lock = threading.Lock()
        threading.Thread(target=self._cut_overdue, name="request-deadlines",
                         daemon=True).start()
        super().init_process()  # runs the worker's loop until it stops

    def handle(self, conn: Any) -> Any:
        with self._busy_lock:
            self._busy[id(conn)] = (time.monotonic() + self.request_timeout, conn)
        try:
            return super().handle(conn)
        finally:
            with self._busy_lock:
                self._busy.pop(id(conn), None)

    def _cut_overdue(self) -> None:
        while True:
            time.sleep(CHECK_INTERVAL)
            now = time.monotonic()
            with self._busy_lock:
                overdue = [conn for deadline, conn in self._busy.values() if deadline <= now]
            for conn in overdue:
                self.log.warning("closing the connection from %s: no answer within %.0f s "
                                 "(a client too slow to send its request)", conn.client,
                                 self.request_timeout)
                # The plain socket's shutdown, not SSLSocket's: the TLS state belongs to the
                # thread blocked reading it, and only the file descriptor is ours. It may be
                # closed meanwhile.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(conn.sock, socket.SHUT_RDWR)


def with_timeout(seconds: float) -> type[DeadlineWorker]:
    """A DeadlineWorker class with this `request_timeout` (gunicorn takes a class)."""
    return type("DeadlineWorker", (DeadlineWorker,), {"request_timeout": seconds})
