"""One Secret volume for a process that runs outside a pod: the demo's webhook, and tests
that start `dnsgate webhook` as a process. The Secret's files are kept in a directory as the
kubelet keeps a mounted Secret (docs/kubelet.md, "Volumes": a timestamped directory,
`..data` swapped in one rename, one symlink per name) and re-synced every `period` seconds,
so the process reads exactly what a webhook pod reads, and sees a renewal the same way.

The install tests run the webhook as a real pod on a real node (devstack.node), where the
kubelet itself writes these files; this stays for what runs without a node.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path


def write(directory: Path, files: dict[str, bytes], mode: int = 0o644) -> None:
    """Write `files` into `directory` as the kubelet's atomic writer does, replacing a
    previous payload in one rename."""
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "..data"
    previous = os.readlink(link) if link.is_symlink() else None
    stamp = dt.datetime.now(dt.UTC).strftime("..%Y_%m_%d_%H_%M_%S.")
    data_dir = Path(tempfile.mkdtemp(prefix=stamp, dir=directory))
    data_dir.chmod(0o755)
    for name, data in files.items():
        target = data_dir / name
        target.write_bytes(data)
        target.chmod(mode)
    staging = directory / "..data_tmp"
    staging.unlink(missing_ok=True)
    staging.symlink_to(data_dir.name)
    staging.rename(link)
    for name in sorted(files):
        visible = directory / name
        if not visible.is_symlink():
            # A plain file there is an older layout's (the demo's state directory outlives
            # a checkout): the link replaces it.
            visible.unlink(missing_ok=True)
            visible.symlink_to(f"..data/{name}")
    for entry in directory.iterdir():
        if not entry.name.startswith("..") and entry.name not in files:
            entry.unlink()
    if previous is not None and previous != data_dir.name:
        shutil.rmtree(directory / previous, ignore_errors=True)


class SecretVolume:
    def __init__(self, kubeconfig: Path, namespace: str, name: str, directory: Path, *,
                 period: float = 1.0) -> None:
        from kubernetes import client, config

        self.api = client.CoreV1Api(config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig)))
        self.namespace, self.name = namespace, name
        self.directory = directory
        self.period = period
        self.written: dict[str, bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"secret-volume-{name}",
                                        daemon=True)

    def sync(self) -> bool:
        """Write the Secret's files if they changed; whether the Secret exists."""
        from kubernetes.client.exceptions import ApiException

        try:
            secret = self.api.read_namespaced_secret(self.name, self.namespace)
        except ApiException as error:
            if error.status == 404:
                return False  # as the kubelet: a deleted Secret leaves the files as they were
            raise
        files = {key: base64.b64decode(value) for key, value in
                 sorted((secret.data or {}).items())}
        if files != self.written:
            write(self.directory, files)
            self.written = files
        return True

    def wait_present(self, timeout: float = 60.0) -> None:
        """Until the Secret exists and its files are written (a pod's ContainerCreating)."""
        deadline = time.monotonic() + timeout
        while not self.sync():
            if time.monotonic() > deadline:
                raise TimeoutError(f"Secret {self.namespace}/{self.name} did not appear "
                                   f"within {timeout:.0f}s")
            time.sleep(0.2)

    def start(self) -> SecretVolume:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.sync()
            except Exception:  # an apiserver restart: the next sync tries again
                continue
