"""One Secret volume for a process that runs outside a pod: the demo's webhook, and tests
that start `dnsgate webhook` as a process. The Secret's files are kept in a directory as the
kubelet keeps a mounted Secret (devstack.pods.volumes: timestamped directory, `..data`
swapped in one rename) and re-synced every `period` seconds, so the process reads exactly
what a webhook pod reads, and sees a renewal the same way.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from devstack.pods import volumes
from devstack.pods.api import Api, namespaced


class SecretVolume:
    def __init__(self, kubeconfig: Path, namespace: str, name: str, directory: Path, *,
                 period: float = 1.0) -> None:
        self.api = Api(kubeconfig)
        self.path = namespaced(namespace, "secrets", name)
        self.directory = directory
        self.period = period
        self.written: tuple[volumes.File, ...] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"secret-volume-{name}",
                                        daemon=True)

    def sync(self) -> bool:
        """Write the Secret's files if they changed; whether the Secret exists."""
        secret = self.api.get_or_none(self.path)
        if secret is None:
            return False  # as the kubelet: a deleted Secret leaves the files as they were
        files = tuple(volumes.File(key, value, 0o644) for key, value in
                      sorted(volumes.decode_secret(secret.get("data")).items()))
        if files != self.written:
            volumes.write(self.directory, files)
            self.written = files
        return True

    def wait_present(self, timeout: float = 60.0) -> None:
        """Until the Secret exists and its files are written (a pod's ContainerCreating)."""
        deadline = time.monotonic() + timeout
        while not self.sync():
            if time.monotonic() > deadline:
                raise TimeoutError(f"Secret {self.path} did not appear within {timeout:.0f}s")
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
