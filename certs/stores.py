"""Where certificates are kept: a directory of PEM files, or Kubernetes Secrets.

Files (`--out-dir`): `ca.crt`, `ca.key`, `tls.crt`, `tls.key` (keys mode 0600), for a
webhook run outside a cluster.
Secrets (`--secret NAME`): `NAME` of type kubernetes.io/tls with `tls.crt`, `tls.key` and
`ca.crt`, which the webhook Deployment mounts as a volume; and `NAME-ca` (Opaque) with
`ca.crt` and `ca.key`, which only the certificate keeper (`dnsgate certs`, the
`dnsgate-certs` Deployment) reads or writes. The webhook's ServiceAccount may read no
Secret at all, and its pod mounts only `NAME`, so the CA's key never reaches it.
A store writes only what differs from what it holds: a second run writes nothing.
A Secret that another process wrote between this one's read and its write raises
`StoreConflict`, so the caller can start over from what that process stored.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from certs import pki
from certs.rotation import Bundle, Stored


class StoreConflict(RuntimeError):
    """Someone else wrote the store since it was loaded; load it again."""


class Store(Protocol):
    def describe(self) -> str: ...

    def load(self) -> Stored: ...

    def save(self, bundle: Bundle) -> None: ...


def _pair(cert: bytes | None, key: bytes | None) -> pki.KeyPair | None:
    if not cert or not key:
        return None
    pair = pki.KeyPair(cert, key)
    try:
        pair.cert  # noqa: B018 - parse now, so a corrupt file counts as missing
        pair.private_key()
    except (ValueError, TypeError):
        return None
    return pair


@dataclass(frozen=True)
class FileStore:
    directory: Path

    def describe(self) -> str:
        return f"files in {self.directory}"

    def _read(self, name: str) -> bytes | None:
        path = self.directory / name
        return path.read_bytes() if path.is_file() else None

    def load(self) -> Stored:
        return Stored(
            ca=_pair(self._read("ca.crt"), self._read("ca.key")),
            serving=_pair(self._read("tls.crt"), self._read("tls.key")),
        )

    def save(self, bundle: Bundle) -> None:
        # Key before certificate: a server re-reading the pair between the two writes then
        # fails one handshake at worst, and the next connection gets the matching pair.
        pki.write_atomic(self.directory / "ca.key", bundle.ca.key_pem)
        pki.write_atomic(self.directory / "ca.crt", bundle.ca.cert_pem, 0o644)
        pki.write_atomic(self.directory / "tls.key", bundle.serving.key_pem)
        pki.write_atomic(self.directory / "tls.crt", bundle.serving.cert_pem, 0o644)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(data: dict[str, str] | None, key: str) -> bytes | None:
    value = (data or {}).get(key)
    return base64.b64decode(value) if value else None


@dataclass(frozen=True)
class SecretStore:
    """Writes only over what `load` saw: a Secret that was missing is created (refused if
    someone created it since), one that was there is replaced at the resourceVersion that
    was read (refused if someone wrote it since). Either refusal is a StoreConflict, so two
    processes can never each keep a CA of their own."""

    core: Any  # kubernetes.client.CoreV1Api
    namespace: str
    name: str
    # Secret name -> the resourceVersion `load` read, or None when it was missing.
    _seen: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ca_name(self) -> str:
        return f"{self.name}-ca"

    def describe(self) -> str:
        return f"Secrets {self.namespace}/{self.name} and {self.namespace}/{self.ca_name}"

    def _data(self, name: str) -> dict[str, str] | None:
        from kubernetes.client import ApiException

        try:
            secret = self.core.read_namespaced_secret(name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                self._seen[name] = None
                return None
            raise
        self._seen[name] = secret.metadata.resource_version
        data: dict[str, str] = secret.data or {}
        return data

    def load(self) -> Stored:
        ca, serving = self._data(self.ca_name), self._data(self.name)
        return Stored(
            ca=_pair(_unb64(ca, "ca.crt"), _unb64(ca, "ca.key")),
            serving=_pair(_unb64(serving, "tls.crt"), _unb64(serving, "tls.key")),
        )

    def save(self, bundle: Bundle) -> None:
        self._put(self.ca_name, "Opaque",
                  {"ca.crt": bundle.ca.cert_pem, "ca.key": bundle.ca.key_pem})
        self._put(self.name, "kubernetes.io/tls", {
            "tls.crt": bundle.serving.cert_pem, "tls.key": bundle.serving.key_pem,
            "ca.crt": bundle.ca.cert_pem,
        })

    def _put(self, name: str, secret_type: str, data: dict[str, bytes]) -> None:
        from kubernetes.client import ApiException

        if name not in self._seen:
            self._data(name)
        version = self._seen[name]
        metadata: dict[str, Any] = {
            "name": name, "namespace": self.namespace,
            "labels": {"app.kubernetes.io/managed-by": "dnsgate-certs"},
        }
        if version is not None:
            metadata["resourceVersion"] = version
        body = {
            "apiVersion": "v1", "kind": "Secret", "type": secret_type, "metadata": metadata,
            "data": {key: _b64(value) for key, value in data.items()},
        }
        try:
            if version is None:
                written = self.core.create_namespaced_secret(self.namespace, body)
            else:
                written = self.core.replace_namespaced_secret(name, self.namespace, body)
        except ApiException as exc:
            if exc.status == 409:  # AlreadyExists, or Conflict on the resourceVersion
                self._seen.pop(name, None)
                raise StoreConflict(f"Secret {self.namespace}/{name} was written by another "
                                    "process since it was read") from exc
            raise
        self._seen[name] = getattr(getattr(written, "metadata", None), "resource_version", None)
