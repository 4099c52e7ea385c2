"""Two builders sharing the cache (worktrees, the background build `make test` starts) take
turns: the second waits for the first and says it is waiting, instead of building the same
image beside it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from devstack import imagestore


def test_second_holder_waits_for_the_first_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path))
    monkeypatch.setattr(imagestore, "HEARTBEAT_SECONDS", 0.1)
    events: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with imagestore.locked("image-arm64"):
            first_holds.set()
            time.sleep(1.0)
            events.append("first done")

    holder = threading.Thread(target=first)
    holder.start()
    first_holds.wait(5)
    heard: list[str] = []
    with imagestore.locked("image-arm64", heard.append):
        events.append("second in")
    holder.join()
    assert events == ["first done", "second in"]
    assert heard and "waiting" in heard[0] and "image-arm64" in heard[0]


def test_different_locks_do_not_wait_for_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSGATE_CACHE", str(tmp_path))
    with imagestore.locked("image-amd64"):
        started = time.monotonic()
        with imagestore.locked("image-arm64"):
            assert time.monotonic() - started < 1.0
