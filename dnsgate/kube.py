"""Reach the Kubernetes API the way every dnsgate process does: the pod's service account in
a cluster, otherwise KUBECONFIG (or ~/.kube/config). One place, so the webhook, the
reconciler and `dnsgate certs` can never disagree about which cluster they talk to."""

from __future__ import annotations

import os


class NoKubernetesAPI(RuntimeError):
    """Neither in a cluster nor given a usable kubeconfig."""


def load_config(kubeconfig: str = "", server: str = "") -> None:
    """Configure the kubernetes client's default ApiClient; NoKubernetesAPI if impossible.

    `kubeconfig` (ExternalDNS's --kubeconfig) names the file to use, in a cluster too;
    `server` (--server) replaces the API server URL of whichever configuration was loaded.
    """
    from kubernetes import client, config

    if kubeconfig:
        try:
            config.load_kube_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
        except (config.ConfigException, OSError, TypeError, ValueError) as exc:
            raise NoKubernetesAPI(f"--kubeconfig {kubeconfig} is not a usable kubeconfig: "
                                  f"{exc}") from exc
    else:
        try:
            config.load_incluster_config()  # type: ignore[no-untyped-call]
        except config.ConfigException:
            try:
                # KUBECONFIG as it is now: the client reads it once, when first imported.
                config.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=os.environ.get("KUBECONFIG") or None)
            except (config.ConfigException, OSError, TypeError, ValueError) as exc:
                raise NoKubernetesAPI(
                    "not in a cluster, and no usable kubeconfig (KUBECONFIG or "
                    f"~/.kube/config): {exc}") from exc
    if server:
        configuration = client.Configuration.get_default_copy()
        configuration.host = server.rstrip("/")
        client.Configuration.set_default(configuration)
