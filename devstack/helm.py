"""Helm, built once from the Go module proxy like the control plane, and a way to run it.

`helm.sh/helm/v3` is an ordinary Go module (no replace directives), so a one-line wrapper
module that requires it builds `helm.sh/helm/v3/cmd/helm` with exactly the dependency
versions Helm's own release uses. The linker flags are the ones Helm's Makefile passes for
a tagged release: the version (else `helm version` says "v3.22" with no patch), the commit,
and the Kubernetes version that `helm template` and `helm lint` assume when no cluster is
asked (else 1.20, which makes charts that require a newer cluster fail to render).

The binary lands in `$DNSGATE_CACHE/helm-v<version>/helm`, file-locked while it builds.
`run` gives every call its own Helm home (config, cache, data), so tests never read or
write the user's repositories or plugins.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devstack import build

HELM_VERSION = "3.22.0"
# The commit tagged v3.22.0, as the module proxy's .info reports it.
HELM_COMMIT = "144ca65f8501953fa8b41cd1d37c7223051c85b7"
# Helm v3.22.0 requires k8s.io/client-go v0.37.0, i.e. Kubernetes 1.37; Helm's Makefile
# derives the default Kubernetes version for templates and lint from that module version.
HELM_KUBERNETES_MINOR = "37"

Progress = build.Progress


class HelmError(RuntimeError):
    def __init__(self, args: list[str], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"helm {' '.join(args)} failed (exit {result.returncode}): "
            f"{result.stderr.strip() or result.stdout.strip()}"
        )


def helm_go_mod() -> str:
    return (
        "module dnsgate.dev/helm\n\n"
        f"go {build.GO_DIRECTIVE}\n\n"
        f"require helm.sh/helm/v3 v{HELM_VERSION}\n"
    )


def ldflags() -> str:
    variables = {
        "helm.sh/helm/v3/internal/version.version": f"v{HELM_VERSION}",
        "helm.sh/helm/v3/internal/version.metadata": "",
        "helm.sh/helm/v3/internal/version.gitCommit": HELM_COMMIT,
        "helm.sh/helm/v3/internal/version.gitTreeState": "clean",
        "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor": "1",
        "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor": HELM_KUBERNETES_MINOR,
        "helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor": "1",
        "helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor": HELM_KUBERNETES_MINOR,
    }
    return " ".join(["-w", "-s", *(f"-X {name}={value}" for name, value in variables.items())])


def ensure_helm(progress: Progress = print) -> Path:
    """Return the cached helm binary, building it first if it is missing."""
    return build.ensure_built(
        name="helm",
        target=build.cache_root() / f"helm-v{HELM_VERSION}" / "helm",
        files={"go.mod": helm_go_mod()},
        package="helm.sh/helm/v3/cmd/helm",
        progress=progress,
        check=("version", "--short"),
        ldflags=ldflags(),
    )


def run(
    helm_home: Path,
    *args: str,
    kubeconfig: Path | str | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`helm *args` with its state under `helm_home` and, if given, this kubeconfig."""
    env = {
        **os.environ,
        "HELM_CONFIG_HOME": str(helm_home / "config"),
        "HELM_CACHE_HOME": str(helm_home / "cache"),
        "HELM_DATA_HOME": str(helm_home / "data"),
    }
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    binary = ensure_helm(lambda line: print(line, file=sys.stderr, flush=True))
    argv = [str(binary), *args]
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    if check and result.returncode != 0:
        raise HelmError(list(args), result)
    return result


if __name__ == "__main__":  # `python -m devstack.helm`: what `make helm` runs
    try:
        found = ensure_helm(lambda line: print(line, flush=True))
    except build.BuildError as error:
        print(f"dnsgate: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"helm: {found}")
