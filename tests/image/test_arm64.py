"""The arm64 image, the one a Raspberry Pi 4 pulls, run under QEMU: its commands start, its
native wheels import, and `dnsgate webhook` answers an AdmissionReview over TLS."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack import imagestore
from devstack.controlplane import free_port
from tests.admission.conftest import DOMAIN, HOSTNAME, admission_review, certs_args, dnsgate

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

ARM64 = ("--arch", "arm64", "--read-only")
# Emulated, a cold Python start takes seconds; gunicorn's worker takes more.
READY_TIMEOUT = 300.0


def test_image_is_arm64_and_runs_under_emulation(arm64_image: str) -> None:
    assert imagestore.inspect(arm64_image)["Architecture"] == "arm64"
    machine = imagestore.podman_run(
        arm64_image, "-c", "import platform, cryptography.hazmat.bindings._rust; "
        "print(platform.machine())", options=(*ARM64, "--entrypoint", "python"),
    )
    assert machine.stdout.strip() == "aarch64", machine.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (("--version",), "dnsgate 0.1.0"),
    (("doctor", "--help"), "usage: dnsgate doctor"),
])
def test_commands_start(arm64_image: str, args: tuple[str, ...], expected: str) -> None:
    result = imagestore.podman_run(arm64_image, *args, options=ARM64)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


@pytest.fixture
def arm64_webhook(arm64_image: str, stack, tmp_path: Path) -> Iterator[tuple[int, Path]]:  # type: ignore[no-untyped-def]
    """`dnsgate webhook` from the arm64 image on the host's network, reading a certificate
    from `dnsgate certs` and the stack's kubeconfig; removed when the test ends."""
    dnsgate(*certs_args(tmp_path / "certs"))
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    for name in ("tls.crt", "tls.key"):
        shutil.copy(tmp_path / "certs" / name, mounted / name)
    shutil.copy(stack.kubeconfig, mounted / "kubeconfig")
    for path in mounted.iterdir():
        path.chmod(0o644)  # the container runs as uid 65532, not as the files' owner
    port = free_port()
    name = f"dnsgate-test-{uuid.uuid4().hex[:8]}"
    imagestore.run([
        "podman", "run", "--detach", "--name", name, "--runtime", imagestore.RUNTIME,
        *imagestore.ULIMITS, *ARM64, "--network", "host",
        "--volume", f"{mounted}:/config:ro", "--env", "KUBECONFIG=/config/kubeconfig",
        arm64_image, "webhook", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--tls-cert-file", "/config/tls.crt", "--tls-key-file", "/config/tls.key",
        f"--domain-filter={DOMAIN}",
    ])
    try:
        yield port, tmp_path / "certs" / "ca.crt"
    finally:
        subprocess.run(["podman", "rm", "--force", "--time", "5", name],
                       env=imagestore.environment(), capture_output=True, check=False)
    leftover = imagestore.run(["podman", "ps", "--all", "--quiet", "--filter", f"name={name}"])
    assert leftover == ""


def _wait_ready(port: int, ca: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            if requests.get(f"https://127.0.0.1:{port}/readyz", verify=str(ca),
                            timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, f"webhook not ready in {READY_TIMEOUT:.0f} s"
        time.sleep(2)


# One webhook start (a minute under emulation) for both verdicts.
VERDICTS = ((f"app.{DOMAIN}", True), ("app.example.com", False))


def test_webhook_answers_admission_reviews_over_tls(arm64_webhook: tuple[int, Path]) -> None:
    port, ca = arm64_webhook
    _wait_ready(port, ca)
    for number, (hostname, allowed) in enumerate(VERDICTS):
        review = admission_review({HOSTNAME: hostname},
                                  uid=f"0f1e2d3c-0000-4000-8000-00000000000{number}")
        answer = requests.post(f"https://127.0.0.1:{port}/validate", json=review,
                               verify=str(ca), timeout=60)
        assert answer.status_code == 200, hostname
        response = answer.json()["response"]
        assert response["uid"] == review["request"]["uid"]
        assert response["allowed"] is allowed, (hostname, response)
        if not allowed:
            assert hostname in response["status"]["message"]
