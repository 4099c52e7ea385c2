"""What Kubernetes says about pods that are not ready, in one message: each pod's phase and
conditions, each container's state (waiting reason, exit code and reason of the last
termination, restarts), the pod's events, and the end of its logs (also of the previous,
crashed container). A failed install test shows this, so it names the pod and the cause as
`kubectl describe` and `kubectl logs` would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Kubectl = Callable[..., Any]


def ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod.get("status", {}).get("conditions", []))


def container_states(pod: dict[str, Any]) -> list[str]:
    lines = []
    for status in pod.get("status", {}).get("containerStatuses", []):
        state = status.get("state", {})
        (kind, detail), = state.items() if state else (("unknown", {}),)
        line = f"container {status['name']}: {kind}"
        if detail.get("reason"):
            line += f" ({detail['reason']})"
        if "exitCode" in detail:
            line += f", exit code {detail['exitCode']}"
        if detail.get("message"):
            line += f": {detail['message'].strip()}"
        last = status.get("lastState", {}).get("terminated")
        if last:
            line += (f"; last terminated ({last.get('reason', '')}, exit code "
                     f"{last.get('exitCode')})")
        line += f"; restarts {status.get('restartCount', 0)}"
        lines.append(line)
    return lines


def events(kubectl: Kubectl, namespace: str, pod: str) -> list[str]:
    result = kubectl("-n", namespace, "get", "events", "-o", "json",
                     f"--field-selector=involvedObject.name={pod}", check=False)
    if result.returncode != 0:
        return []
    items = sorted(json.loads(result.stdout)["items"],
                   key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return [f"{e.get('type')} {e.get('reason')} (x{e.get('count') or 1}): "
            f"{(e.get('message') or '').strip()}" for e in items]


def logs(kubectl: Kubectl, namespace: str, pod: str, lines: int = 20) -> str:
    parts = []
    for previous in (True, False):
        result = kubectl("-n", namespace, "logs", pod, f"--tail={lines}",
                         *(["--previous"] if previous else []), check=False)
        if result.returncode == 0 and result.stdout.strip():
            parts.append(("previous container:\n" if previous else "") + result.stdout.strip())
        elif not previous and result.returncode != 0:
            parts.append(f"(kubectl logs: {result.stderr.strip()})")
    return "\n".join(parts) or "(no log)"


def describe(kubectl: Kubectl, namespace: str, pod: dict[str, Any]) -> str:
    name = pod["metadata"]["name"]
    status = pod.get("status", {})
    conditions = ", ".join(f"{c['type']}={c['status']}" + (f" ({c['reason']})"
                           if c.get("reason") else "") for c in status.get("conditions", []))
    return "\n".join([
        f"--- pod {namespace}/{name}: {status.get('phase')}, "
        f"{'ready' if ready(pod) else 'not ready'} [{conditions}]",
        *container_states(pod),
        *(f"event: {line}" for line in events(kubectl, namespace, name)),
        f"log:\n{logs(kubectl, namespace, name)}",
    ])


def pods(kubectl: Kubectl, namespace: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(
        kubectl("-n", namespace, "get", "pods", "-o", "json").stdout)["items"]
    return found


def not_ready(kubectl: Kubectl, namespace: str) -> str:
    """The report for every pod of `namespace` that is not ready ('' when all are)."""
    return "\n".join(describe(kubectl, namespace, pod) for pod in pods(kubectl, namespace)
                     if not ready(pod))
