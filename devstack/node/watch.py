"""How a namespace's containers ended, as the kubelet reported it: a `kubectl get pods
--watch` held open while the pods are deleted. The kubelet writes each container's final
state (exit code, reason, finish time) into the pod's status before the pod goes, so the
watch sees it even though the pod is gone afterwards.

A container that ends on SIGTERM exits 0 well within its grace period; one that ignores
SIGTERM is killed at the end of it (exit code 137).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from devstack import kubectl


@dataclass(frozen=True)
class Stopped:
    pod: str
    container: str
    exit_code: int
    reason: str
    seconds: float  # from the delete request to the container's end
    grace: float

    @property
    def graceful(self) -> bool:
        return self.exit_code == 0 and self.seconds < self.grace


def _time(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class PodWatch:
    def __init__(self, kubeconfig: Path, namespace: str) -> None:
        self.argv = [kubectl.kubectl_path(), f"--kubeconfig={kubeconfig}", "-n", namespace,
                     "get", "pods", "--watch", "--output-watch-events", "-o", "json"]
        self.pods: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        # The first deletion each pod saw: the kubelet's own final delete (grace 0) moves
        # the pod's deletionTimestamp and grace period, so only the first tells when and
        # with which grace period it was asked to stop.
        self.deletion: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> PodWatch:
        self._process = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
        self._thread.start()
        time.sleep(1)  # the watch lists the pods first
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self._thread.join(timeout=5)

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        decoder, buffer = json.JSONDecoder(), ""
        for line in self._process.stdout:
            buffer += line
            try:
                event, end = decoder.raw_decode(buffer.lstrip())
            except json.JSONDecodeError:
                continue
            buffer = buffer.lstrip()[end:]
            pod = event["object"]
            name = pod["metadata"]["name"]
            metadata = pod["metadata"]
            with self._lock:
                self.pods[name] = pod
                if metadata.get("deletionTimestamp") and name not in self.deletion:
                    self.deletion[name] = (metadata["deletionTimestamp"],
                                           float(metadata.get("deletionGracePeriodSeconds", 30)))
                if event["type"] == "DELETED":
                    self.deleted.add(name)

    def stopped(self, timeout: float = 10.0) -> list[Stopped]:
        """Every container of every pod seen deleted, as it ended; first waiting up to
        `timeout` for each pod asked to stop to be gone."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.deletion and set(self.deletion) <= self.deleted:
                    break
            time.sleep(0.2)
        found = []
        with self._lock:
            for name in sorted(self.deleted):
                pod = self.pods[name]
                deleted_at, grace = self.deletion.get(name, (None, 30.0))
                for status in pod.get("status", {}).get("containerStatuses", []):
                    ended = status.get("state", {}).get("terminated")
                    if ended is None or deleted_at is None or not ended.get("finishedAt"):
                        found.append(Stopped(name, status["name"], -1, "no final state",
                                             grace, grace))
                        continue
                    requested = _time(deleted_at) - dt.timedelta(seconds=grace)
                    found.append(Stopped(
                        name, status["name"], int(ended.get("exitCode", -1)),
                        ended.get("reason", ""),
                        (_time(ended["finishedAt"]) - requested).total_seconds(), grace))
        return found
