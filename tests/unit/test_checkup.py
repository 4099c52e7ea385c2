"""The doctor inside the reconciler: /readyz fails with the failing checks and turns ready by
itself once they pass (no restart); the log carries each check once, not every recheck; and
the credentials client follows its file."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.checkup import Checkup
from reconciler.credentials import FollowingClient
from reconciler.doctor import Report, Result

DENIED = Result("FAIL", "rbac patch services/status in all namespaces", "denied", "add it")
GRANTED = Result("ok", "rbac patch services/status in all namespaces", "allowed")
CREDENTIALS = Result("ok", "aws credentials", "access key AKIA...WXYZ")


class Examinations:
    """Reports in turn: the first `failing` fail, then every one passes."""

    def __init__(self, failing: int) -> None:
        self.failing = failing
        self.calls = 0
        self.passed = threading.Event()

    def __call__(self) -> Report:
        self.calls += 1
        if self.calls <= self.failing:
            return Report((CREDENTIALS, DENIED))
        self.passed.set()
        return Report((CREDENTIALS, GRANTED))


def test_readyz_names_the_failure_and_turns_ready_once_it_is_fixed() -> None:
    examinations = Examinations(failing=2)
    checkup = Checkup(examinations, recheck=0.01)
    checkup.run()
    assert checkup.ready() == (False, DENIED.line())

    stop = threading.Event()
    checkup.start(stop)
    assert examinations.passed.wait(5)
    stop.set()
    assert checkup.ready() == (True, "ok")


def test_rechecks_stop_once_everything_passes() -> None:
    examinations = Examinations(failing=0)
    checkup = Checkup(examinations, recheck=0.01)
    checkup.run()
    stop = threading.Event()
    checkup.start(stop)
    stop.wait(0.2)
    stop.set()
    assert examinations.calls == 1


def test_a_recheck_logs_only_what_changed(caplog: pytest.LogCaptureFixture) -> None:
    checkup = Checkup(Examinations(failing=2))
    caplog.set_level("INFO", logger="dnsgate.doctor")
    for _ in range(3):
        checkup.run()
    assert [r.getMessage() for r in caplog.records] == [
        f"doctor: {CREDENTIALS.line()}", f"doctor: {DENIED.line()}",
        f"doctor: {GRANTED.line()}", "doctor: every check passes now"]
    assert [r.levelname for r in caplog.records][:2] == ["INFO", "ERROR"]


class Built:
    def __init__(self, number: int) -> None:
        self.number = number

    def list_hosted_zones(self, **kwargs: Any) -> Any:
        return self.number

    list_resource_record_sets = change_resource_record_sets = list_hosted_zones


def test_the_client_is_rebuilt_when_the_credentials_file_changes_and_only_then(
        tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = OLD\n")
    built: list[Built] = []

    def build() -> Built:
        built.append(Built(len(built)))
        return built[-1]

    client = FollowingClient(build, files=(credentials, tmp_path / "config"))
    assert client.list_hosted_zones() == 0
    assert client.list_hosted_zones() == 0
    credentials.write_text("[default]\naws_access_key_id = NEW\n")
    assert client.list_resource_record_sets() == 1
    assert client.change_resource_record_sets() == 1
    (tmp_path / "config").write_text("[default]\nregion = us-east-1\n")
    assert client.list_hosted_zones() == 2
    assert client.rebuilds == 2
