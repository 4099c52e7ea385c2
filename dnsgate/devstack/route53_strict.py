"""A Route53 front for moto that enforces a rule moto skips, and counts calls.

Route53 refuses a CREATE when a record set of that name, type and SetIdentifier already
exists, whatever its values, and fails the whole ChangeResourceRecordSets call with
InvalidChangeBatch ("Tried to create resource record set ... but it already exists").
moto 5.2 refuses only an identical duplicate, and silently accepts the rest. This proxy
checks each CREATE against the zone moto holds and answers exactly as moto itself answers
a duplicate; every other request is forwarded to moto untouched. Nothing is injected: a
batch passes or fails here as it would at Route53.

Calls are counted per operation (`counts`), for tests and benchmarks that assert how many
Route53 requests a sync makes.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from dnsgate.devstack import route53

_NS = "{https://route53.amazonaws.com/doc/2013-04-01/}"
_RRSET = re.compile(r"^/2013-04-01/hostedzone/([^/]+)/rrset/?$")
_ERROR = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error>'
    "<Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>{message}</Message></Error>"
    "<RequestId>dnsgate-route53-strict</RequestId></ErrorResponse>"
)


def _key(name: str, kind: str, set_identifier: str | None) -> tuple[str, str, str]:
    name = name.replace("\\052", "*").rstrip(".").lower()
    return name, kind, set_identifier or ""


class StrictRoute53:
    """`with StrictRoute53(moto_url) as proxy:` then point boto3 at `proxy.url`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.counts: Counter[str] = Counter()
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StrictRoute53:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL_ROUTE_53": self.url, **route53.CREDENTIALS,
                "AWS_DEFAULT_REGION": route53.REGION}

    def _count(self, operation: str) -> None:
        with self._lock:
            self.counts[operation] += 1

    def existing_create(self, zone_id: str, body: bytes) -> str | None:
        """The message Route53 gives for the first CREATE of an existing set, or None."""
        creates = []
        for change in ET.fromstring(body).iter(f"{_NS}Change"):
            if change.findtext(f"{_NS}Action") != "CREATE":
                continue
            rrset = change.find(f"{_NS}ResourceRecordSet")
            assert rrset is not None
            creates.append((rrset.findtext(f"{_NS}Name") or "", rrset.findtext(f"{_NS}Type") or "",
                            rrset.findtext(f"{_NS}SetIdentifier")))
        if not creates:
            return None
        client = route53.client(urllib.parse.urlunsplit(self.upstream))
        existing = {
            _key(r["Name"], r["Type"], r.get("SetIdentifier"))
            for page in client.get_paginator("list_resource_record_sets").paginate(
                HostedZoneId=zone_id)
            for r in page["ResourceRecordSets"]
        }
        for name, kind, set_identifier in creates:
            if _key(name, kind, set_identifier) in existing:
                fqdn = _key(name, kind, None)[0] + "."
                return (f"Tried to create resource record set [name='{fqdn}', type='{kind}'"
                        f"{', set-identifier=' + repr(set_identifier) if set_identifier else ''}"
                        "] but it already exists")
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urllib.parse.urlsplit(self.path).path
                match = _RRSET.match(path)
                operation = {
                    ("POST", True): "change_resource_record_sets",
                    ("GET", True): "list_resource_record_sets",
                }.get((self.command, bool(match)), f"{self.command} {path}")
                proxy._count(operation)
                if match and self.command == "POST":
                    message = proxy.existing_create(match.group(1), body)
                    if message is not None:
                        proxy.refused.append(message)
                        self._answer(400, {"Content-Type": "application/xml"},
                                     _ERROR.format(message=message).encode())
                        return
                upstream = http.client.HTTPConnection(proxy.upstream.hostname or "127.0.0.1",
                                                      proxy.upstream.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body or None,
                                     headers=dict(self.headers.items()))
                    response = upstream.getresponse()
                    self._answer(response.status, dict(response.getheaders()), response.read())
                finally:
                    upstream.close()

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection",
                                            "transfer-encoding", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_PUT = _relay

        return Handler
