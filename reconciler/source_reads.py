"""The Service source's reads from the apiserver, with each failure counted the way
ExternalDNS counts its source errors (`external_dns_source_errors_total`).

ExternalDNS counts one when its source cannot produce the endpoints. dnsgate plans from a
watch cache, which cannot fail; what can is the list or watch that keeps it current (RBAC
refuses it, the apiserver is down or breaks the stream). Each failed attempt counts once; a
watch that expires (410 Gone) is the protocol working, not an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dnsgate.watch import Gone, ServiceAPI


class CountingServiceAPI:
    """A `ServiceAPI` that calls `on_error` for every list or watch that fails."""

    def __init__(self, api: ServiceAPI, on_error: Callable[[], None]) -> None:
        self._api = api
        self._on_error = on_error

    def list(self) -> tuple[list[dict[str, Any]], str]:
        try:
            return self._api.list()
        except Exception:
            self._on_error()
            raise

    def watch(self, resource_version: str, stop: threading.Event) -> Iterable[dict[str, Any]]:
        return self._counted(self._api.watch(resource_version, stop))

    def _counted(self, events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        try:
            yield from events
        except Gone:
            raise
        except Exception:
            self._on_error()
            raise
