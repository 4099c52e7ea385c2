"""`dnsgate certs --keep`'s loop and health, with the pass replaced: how often it looks,
what a failure does, and what its probes answer. The real passes against the apiserver are
in tests/install/test_certificates.py."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request

import pytest

from certs import keep, keeper, rotation
from dnsgate.errors import ConfigError

KEEPING = keep.Keeping(stores=(), wanted=rotation.Wanted("dnsgate-webhook", "dnsgate"),
                       configurations=(), admission_api=None, interval=60.0)
QUIET = keeper.Report(("nothing to do: certificates valid and CA bundle in place",), False)


class Waits:
    """A stop event that records each wait and stops after `passes` of them."""

    def __init__(self, passes: int) -> None:
        self.waited: list[float] = []
        self.passes = passes

    def wait(self, timeout: float) -> bool:
        self.waited.append(timeout)
        return len(self.waited) > self.passes


def scripted(*outcomes: keeper.Report | Exception):  # type: ignore[no-untyped-def]
    left = list(outcomes)

    def run(keeping: keep.Keeping) -> keeper.Report:
        outcome = left.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return run


def test_a_failed_pass_is_tried_again_soon_and_a_good_one_waits_the_interval() -> None:
    progress = keep.Progress(ok=True)
    stop = Waits(passes=3)

    keep.keep(KEEPING, progress, stop,  # type: ignore[arg-type]
              scripted(ConnectionError("apiserver down"), QUIET, QUIET))

    assert stop.waited == [60.0, keep.RETRY_AFTER, 60.0, 60.0]
    assert progress.ok and progress.detail == QUIET.lines[-1]


def test_a_failed_pass_is_recorded_for_readiness() -> None:
    progress = keep.Progress(ok=True)

    ok = keep.logged_pass(KEEPING, progress, scripted(ConnectionError("apiserver down")))

    assert not ok and not progress.ok and progress.detail == "apiserver down"


def test_a_configuration_error_ends_the_keeper() -> None:
    with pytest.raises(ConfigError):
        keep.logged_pass(KEEPING, keep.Progress(), scripted(ConfigError("403 Forbidden")))


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_probes_say_whether_the_last_pass_succeeded_and_whether_the_loop_turns() -> None:
    progress = keep.Progress()
    server = keep.serve_health(0, KEEPING, progress)
    port = server.server_address[1]
    try:
        before = get(port, "/readyz")
        keep.logged_pass(KEEPING, progress, scripted(QUIET))
        ready, alive = get(port, "/readyz"), get(port, "/healthz")
        progress.finished = time.monotonic() - 3 * KEEPING.interval - 1
        stuck = get(port, "/healthz")
    finally:
        server.shutdown()
        server.server_close()

    assert before == (503, "no pass yet\n")
    assert ready == (200, QUIET.lines[-1] + "\n")
    assert alive[0] == 200
    assert stuck[0] == 503 and "no pass has finished for 181 s (limit 180 s)" in stuck[1]


WAITING = keeper.Report(
    ("MutatingWebhookConfiguration dnsgate does not exist (yet): no CA bundle injected into it",),
    False, ("MutatingWebhookConfiguration dnsgate",))


def test_a_missing_configuration_is_ready_and_looked_for_again_soon() -> None:
    """Argo CD applies the configurations in a wave after this Deployment is ready: ready
    without them, and back within seconds to inject once they come."""
    progress = keep.Progress()
    stop = Waits(passes=2)

    ready = keep.logged_pass(KEEPING, progress, scripted(WAITING))
    keep.keep(KEEPING, progress, stop, scripted(WAITING, QUIET))  # type: ignore[arg-type]

    assert ready and progress.ok
    assert stop.waited == [keep.RETRY_AFTER, keep.RETRY_AFTER, 60.0]


def test_a_configuration_that_goes_missing_is_warned_about_once(
        caplog: pytest.LogCaptureFixture) -> None:
    """Deleting a configuration takes the admission check away: a warning when it goes,
    none for each pass that finds it still gone."""
    progress = keep.Progress()

    with caplog.at_level(logging.WARNING, logger="dnsgate.certs"):
        for report in (QUIET, WAITING, WAITING, QUIET, WAITING):
            keep.logged_pass(KEEPING, progress, scripted(report))

    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "MutatingWebhookConfiguration dnsgate does not exist"] * 2
