"""The node's certificates and kubeconfigs, all from one CA whose key is kept.

Unlike the dev stack's control plane (devstack.controlplane), this CA's key is handed to
kube-controller-manager (`--cluster-signing-*`), so CertificateSigningRequests can be
signed, and each component authenticates as the user the default RBAC roles expect:
system:kube-controller-manager, system:kube-scheduler, and system:node:<name> in group
system:nodes (the Node authorizer and NodeRestriction admission key on both). The admin is in
system:masters; the apiserver also uses it to reach the kubelet (logs, exec).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from certs import pki

VALID_FOR = dt.timedelta(days=2)


@dataclass(frozen=True)
class Identity:
    cert: Path
    key: Path


@dataclass(frozen=True)
class NodeCredentials:
    directory: Path
    ca: Identity
    apiserver: Identity
    admin: Identity
    sa_private: Path
    sa_public: Path

    def kubeconfig(self, user: str) -> Path:
        return self.directory / f"{user}.kubeconfig"


def _write(directory: Path, name: str, pair: pki.KeyPair) -> Identity:
    identity = Identity(directory / f"{name}.crt", directory / f"{name}.key")
    pki.write_atomic(identity.cert, pair.cert_pem)
    pki.write_atomic(identity.key, pair.key_pem)
    return identity


def kubeconfig_text(server: str, ca: Path, user: str, identity: Identity) -> str:
    def b64(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()

    return json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "node", "cluster": {
            "server": server, "certificate-authority-data": b64(ca)}}],
        "users": [{"name": user, "user": {
            "client-certificate-data": b64(identity.cert),
            "client-key-data": b64(identity.key)}}],
        "contexts": [{"name": "node", "context": {"cluster": "node", "user": user}}],
        "current-context": "node",
    }, indent=2) + "\n"


def create(directory: Path, *, server: str, node_ip: str, node_name: str,
           service_ip: str) -> NodeCredentials:
    directory.mkdir(parents=True, exist_ok=True)
    ca = pki.new_ca("dnsgate-node-ca", valid_for=VALID_FOR)
    serving = pki.issue(
        ca, "kube-apiserver", valid_for=VALID_FOR,
        dns_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                   "kubernetes.default.svc.cluster.local"),
        ip_addresses=("127.0.0.1", node_ip, service_ip))
    clients = {
        "admin": ("dnsgate-admin", "system:masters"),
        "kube-controller-manager": ("system:kube-controller-manager", None),
        "kube-scheduler": ("system:kube-scheduler", None),
        "kubelet": (f"system:node:{node_name}", "system:nodes"),
    }
    sa_private, sa_public = pki.signing_key_pem()
    credentials = NodeCredentials(
        directory=directory, ca=_write(directory, "ca", ca),
        apiserver=_write(directory, "apiserver", serving),
        admin=_write(directory, "admin", pki.issue(
            ca, "dnsgate-admin", valid_for=VALID_FOR, organization="system:masters",
            server=False, client=True)),
        sa_private=directory / "sa.key", sa_public=directory / "sa.pub")
    pki.write_atomic(credentials.sa_private, sa_private)
    pki.write_atomic(credentials.sa_public, sa_public)
    for user, (common_name, group) in clients.items():
        identity = credentials.admin if user == "admin" else _write(directory, user, pki.issue(
            ca, common_name, valid_for=VALID_FOR, organization=group, server=False,
            client=True))
        pki.write_atomic(credentials.kubeconfig(user),
                         kubeconfig_text(server, credentials.ca.cert, user, identity).encode())
    return credentials
