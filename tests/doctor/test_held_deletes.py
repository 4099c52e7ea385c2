"""`dnsgate doctor` in the reconciler's pod reports the deletes the running reconciler holds,
read from its /readyz (docs/deletes.md), against a real health server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.doctor_cli import held_deletes
from reconciler.health import HealthServer

HELD = ("degraded: holding 3 deletes of record sets dnsgate owns (3 without a reason dnsgate "
        "saw); to let held plan abcdef012345 go: kubectl ...")


@pytest.fixture
def readyz() -> Iterator[tuple[list[str], int]]:
    answer = ["ok"]
    server = HealthServer(0, alive=lambda: (True, "ok"), ready=lambda: (True, answer[0]),
                          address="127.0.0.1")
    server.start()
    yield answer, server.port
    server.stop()


def test_held_deletes_fail_the_check_naming_them(readyz: tuple[list[str], int]) -> None:
    answer, port = readyz
    answer[0] = HELD

    result = held_deletes("0.0.0.0", port)

    assert result is not None
    assert result.line() == ("FAIL  deletes held by the running reconciler: "
                             + HELD.removeprefix("degraded: "))


def test_nothing_held_passes(readyz: tuple[list[str], int]) -> None:
    result = held_deletes("127.0.0.1", readyz[1])

    assert result is not None and result.line() == (
        "ok    deletes held by the running reconciler: none")


def test_no_reconciler_on_the_port_is_no_check() -> None:
    server = HealthServer(0, alive=lambda: (True, ""), ready=lambda: (True, ""),
                          address="127.0.0.1")
    port = server.port
    server.server.server_close()  # never served: the port is free again

    assert held_deletes("127.0.0.1", port) is None
