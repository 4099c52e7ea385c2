"""Reach the Kubernetes API the way every dnsgate process does: the pod's service account in
a cluster, otherwise KUBECONFIG (or ~/.kube/config). One place, so the webhook, the
reconciler and `dnsgate certs` can never disagree about which cluster they talk to."""

from __future__ import annotations


class NoKubernetesAPI(RuntimeError):
    """Neither in a cluster nor given a usable kubeconfig."""


def load_config() -> None:
    """Configure the kubernetes client's default ApiClient; NoKubernetesAPI if impossible."""
    from kubernetes import config

    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        try:
            config.load_kube_config()  # type: ignore[no-untyped-call]
        except (config.ConfigException, OSError, TypeError, ValueError) as exc:
            raise NoKubernetesAPI(
                f"not in a cluster, and no usable kubeconfig (KUBECONFIG or ~/.kube/config): "
                f"{exc}") from exc
