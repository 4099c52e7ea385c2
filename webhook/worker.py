"""gunicorn's threaded worker, changed so that no client can hold a thread for long.

gunicorn 27's gthread worker (docs/admission-review.md, "Slow clients") gives a new
connection a thread at once; the thread waits up to 5 s for its first byte, then reads the
TLS handshake and the request with no timeout at all. Its `timeout` setting only restarts a
worker whose main loop stops, which a blocked thread does not. So a client that opens a
connection and sends nothing holds a thread for 5 s, one that sends a byte holds it for as
long as it keeps the connection open, and as many such clients as there are threads stop
every review.

`DeadlineWorker` changes three things:
- A new connection waits in the worker's poller, with no thread, until it is readable, as
  gthread already lets a kept-alive connection wait. It may wait `head_timeout` seconds; a
  worker keeps at most `MAX_IDLE` of them, closing the oldest first.
- Once it has a thread, a connection has `head_timeout` seconds to finish its TLS handshake
  and send its request's head (line and headers), then `request_timeout` seconds for the
  body and the answer. A watchdog thread shuts down the socket of a connection past its
  deadline, which ends the blocked read at once: gunicorn then closes the connection and the
  thread takes the next one.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import threading
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

# Seconds between the watchdog's looks: a slow connection is cut at most this late.
CHECK_INTERVAL = 0.25
# Seconds a connection may take to send its first byte, and then, in a thread, to finish the
# TLS handshake and send the head of its request. kube-apiserver sends its ClientHello as it
# connects and the whole request right after the handshake, so within a cluster all of it
# arrives in milliseconds; 2.5 s, half the WebhookConfigurations' timeoutSeconds (5), leaves
# a CPU-starved pod plenty of room and bounds what each slow client costs a thread.
HEAD_TIMEOUT = 2.5
# Connections per worker that have sent nothing yet. A genuine one waits in that state for
# milliseconds, so 256 are never reached but by a flood; the oldest are closed first, and
# the newest (possibly kube-apiserver's) are kept. 256 keeps each worker far below
# gunicorn's worker_connections (1000), at which it would stop accepting altogether, and
# below the 1024 file descriptors of the smallest common limit.
MAX_IDLE = 256

_ACCEPT_AGAIN = (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK)


class DeadlineWorker(ThreadWorker):  # type: ignore[misc]
    request_timeout = 10.0
    """Seconds a connection may hold a thread for a request's body and its answer."""

    @property
    def head_timeout(self) -> float:
        """Seconds for the first byte, then for the handshake and the request's head; never
        more than the request timeout, so a shorter --request-timeout shortens it too."""
        return min(HEAD_TIMEOUT, self.request_timeout)

    def init_process(self) -> None:
        # connection id -> (deadline, connection, seconds given, what was awaited)
        self._busy: dict[int, tuple[float, Any, float, str]] = {}
        self._busy_lock = threading.Lock()
        threading.Thread(target=self._cut_overdue, name="request-deadlines",
                         daemon=True).start()
        super().init_process()  # runs the worker's loop until it stops

    def accept(self, listener: Any) -> None:
        """gthread's accept, but the connection goes to the poller, not to a thread: gthread
        hands it over when it is readable and closes it when `conn.timeout` has passed
        (`on_pending_socket_readable`, `murder_pending`)."""
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno in _ACCEPT_AGAIN:
                return
            raise
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + self.head_timeout
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ,
                             partial(self.on_pending_socket_readable, conn))
        while len(self.pending_conns) > MAX_IDLE:
            self._drop(self.pending_conns.popleft())

    def _drop(self, conn: Any) -> None:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def handle(self, conn: Any) -> Any:
        self._watch(conn, self.head_timeout, "its TLS handshake and request")
        try:
            return super().handle(conn)
        finally:
            with self._busy_lock:
                self._busy.pop(id(conn), None)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The request's head is in: its body and the answer get the full request timeout.
        self._watch(conn, self.request_timeout, "its request body and answer")
        return super().handle_request(req, conn)

    def _watch(self, conn: Any, seconds: float, awaited: str) -> None:
        with self._busy_lock:
            self._busy[id(conn)] = (time.monotonic() + seconds, conn, seconds, awaited)

    def _cut_overdue(self) -> None:
        while True:
            time.sleep(CHECK_INTERVAL)
            now = time.monotonic()
            with self._busy_lock:
                overdue = [entry for entry in self._busy.values() if entry[0] <= now]
            for _, conn, seconds, awaited in overdue:
                self.log.warning("closing the connection from %s: %s took over %.1f s "
                                 "(a client too slow, or one holding a thread on purpose)",
                                 conn.client, awaited, seconds)
                # The plain socket's shutdown, not SSLSocket's: the TLS state belongs to the
                # thread blocked reading it, and only the file descriptor is ours. It may be
                # closed meanwhile.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(conn.sock, socket.SHUT_RDWR)


def with_timeout(seconds: float) -> type[DeadlineWorker]:
    """A DeadlineWorker class with this `request_timeout` (gunicorn takes a class)."""
    return type("DeadlineWorker", (DeadlineWorker,), {"request_timeout": seconds})
