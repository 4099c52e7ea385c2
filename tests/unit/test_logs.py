"""Log lines as ExternalDNS's users read them: logrus's JSON keys, and no library plumbing
unless they asked for debug."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from dnsgate import logs


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    libraries = {name: logging.getLogger(name).level
                 for name in ("urllib3", "botocore", "boto3", "kubernetes")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in libraries.items():
        logging.getLogger(name).setLevel(saved)


def test_json_lines_use_logrus_keys(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info", "json")

    logging.getLogger("reconciler.controller").info("Service %s synced", "ns/web")

    entry = json.loads(capsys.readouterr().err)
    assert entry["msg"] == "Service ns/web synced"
    assert entry["level"] == "info"
    assert "time" in entry and "message" not in entry


@pytest.mark.parametrize(("level", "library", "shown"), [
    ("info", "urllib3.connectionpool", False),  # "Retrying (Retry(total=2...)) after ..."
    ("info", "botocore.credentials", False),  # "Found credentials in environment variables."
    ("warning", "kubernetes.client.rest", False),
    ("debug", "urllib3.connectionpool", True),
    ("debug", "botocore.credentials", True),
    ("info", "reconciler.controller", True),  # dnsgate's own lines are unaffected
])
def test_library_lines_appear_at_debug_only(level: str, library: str, shown: bool,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup(level, "text")

    logging.getLogger(library).warning("a library line")

    assert ("a library line" in capsys.readouterr().err) is shown


def test_library_errors_still_appear(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("info", "text")

    logging.getLogger("urllib3.connectionpool").error("a library error")

    assert "a library error" in capsys.readouterr().err
