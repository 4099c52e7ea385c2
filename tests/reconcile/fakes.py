"""Fakes of our own seams for the controller's unit tests: an in-memory Route53Client
(`devstack.memroute53`, which the benchmarks use too) and a fixed list of Services. The e2e
tests prove the same behaviours against the real servers."""

from __future__ import annotations

from typing import Any

from devstack.memroute53 import MemoryRoute53 as MemoryRoute53
from dnsgate import objectkey


class StaticServices:
    def __init__(self, services: list[dict[str, Any]]) -> None:
        self.services = services

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.services)

    def get(self, key: str) -> dict[str, Any] | None:
        return next((s for s in self.services if objectkey.of(s) == key), None)
