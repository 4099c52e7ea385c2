"""TXT ownership: which record sets are ours, and the TXT changes that go with ours.

Read (REFERENCE.md section 4): a TXT whose value starts `heritage=external-dns` is an
ownership record; its labels (`owner`, `resource`) attach to the record set it names. Both
formats are read: the new one (`a-`, `aaaa-`, `cname-` before the first label) first, the
old one (same name as the record) as a fallback, as ExternalDNS v0.18+ still does. A record
owned only through an old-format TXT is marked `txt-missing` so the plan re-creates the
new-format TXT (the migration ExternalDNS v0.12+ performs).

Write: only the new format. A TXT is created with TTL 300 (what ExternalDNS's AWS provider
writes for a record without a TTL) and carries the record's SetIdentifier and routing
properties, since Route53 requires every set sharing a name and type to use one routing
policy. Existing TXTs are rewritten only when their labels or routing change: adopting a
zone from ExternalDNS must cause no churn. Deleting a record we own also deletes its
new- and old-format TXTs, with the exact values listed (Route53 DELETE must match).

Values are optionally encrypted with AES-256-GCM (12-byte nonce, gzip-compressed plaintext,
base64(nonce || ciphertext+tag)); the nonce read is kept as a label so a rewrite is
byte-identical.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reconciler import endpoint, plan
from reconciler.endpoint import Endpoint, Key
from reconciler.settings import RegistrySettings

HERITAGE = "heritage=external-dns"
LABEL_PREFIX = "external-dns/"
NONCE_LABEL = "txt-encryption-nonce"
TXT_MISSING = plan.TXT_MISSING
RECORD_TYPE_TOKEN = "%{record_type}"
TXT_TTL = endpoint.DEFAULT_TTL
NONCE_SIZE = 12  # AES-GCM's standard nonce size, as ExternalDNS uses

Action = Literal["CREATE", "UPSERT", "DELETE"]


@dataclass(frozen=True)
class Change:
    action: Action
    record: Endpoint


@dataclass(frozen=True)
class ChangeGroup:
    """Changes that must land together: a record and its TXT(s), never split across batches."""

    resource: str
    dnsname: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Ownership:
    new: Endpoint | None = None
    old: Endpoint | None = None


@dataclass(frozen=True)
class View:
    """A zone read through the registry: managed record sets with ownership labels."""

    endpoints: tuple[Endpoint, ...]
    ownership: Mapping[Key, Ownership]
    txts: Mapping[Key, Endpoint]


# ---- names ------------------------------------------------------------------------------

def txt_name(dnsname: str, record_type: str, settings: RegistrySettings, *,
             new_format: bool = True) -> str:
    """The ownership TXT's name for a record; the old format carries no record type."""
    first, dot, rest = dnsname.partition(".")
    kind = record_type.lower()
    templated = RECORD_TYPE_TOKEN in settings.prefix + settings.suffix
    prefix = settings.prefix.replace(RECORD_TYPE_TOKEN, kind if new_format else "")
    suffix = settings.suffix.replace(RECORD_TYPE_TOKEN, kind if new_format else "")
    if first == "*" and settings.wildcard_replacement:
        first = settings.wildcard_replacement
    if new_format and not templated:
        first = f"{kind}-{first}"
    return f"{prefix}{first}{suffix}{dot}{rest}".lower()


# ---- values -----------------------------------------------------------------------------

def encode(labels: Mapping[str, str], aes_key: bytes | None = None) -> str:
    """The TXT value, quoted: heritage first, then `external-dns/<key>=<value>` keys sorted."""
    nonce = labels.get(NONCE_LABEL)
    text = ",".join([HERITAGE] + [f"{LABEL_PREFIX}{k}={v}" for k, v in sorted(labels.items())
                                  if k not in (NONCE_LABEL, TXT_MISSING)])
    if aes_key is not None:
        text = encrypt(text, aes_key, base64.b64decode(nonce) if nonce else None)
    return f'"{text}"'


def decode(value: str, aes_key: bytes | None = None) -> dict[str, str] | None:
    """Labels of an ownership TXT, or None for an ordinary TXT (no heritage)."""
    text = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    labels: dict[str, str] = {}
    if aes_key is not None and not text.startswith(HERITAGE):
        decrypted = decrypt(text, aes_key)
        if decrypted is None:
            return None
        text, nonce = decrypted
        labels[NONCE_LABEL] = base64.b64encode(nonce).decode()
    parts = text.split(",")
    if not parts or parts[0] != HERITAGE:
        return None
    for part in parts[1:]:
        key, _, val = part.partition("=")
        if key.startswith(LABEL_PREFIX):
            labels[key[len(LABEL_PREFIX):]] = val
    return labels


def encrypt(text: str, key: bytes, nonce: bytes | None = None) -> str:
    nonce = nonce or os.urandom(NONCE_SIZE)
    # mtime=0 so one plaintext and nonce always give the same bytes.
    sealed = AESGCM(key).encrypt(nonce, gzip.compress(text.encode(), mtime=0), None)
    return base64.b64encode(nonce + sealed).decode()


def decrypt(text: str, key: bytes) -> tuple[str, bytes] | None:
    try:
        raw = base64.b64decode(text, validate=True)
        nonce, sealed = raw[:NONCE_SIZE], raw[NONCE_SIZE:]
        plain = gzip.decompress(AESGCM(key).decrypt(nonce, sealed, None))
        return plain.decode(), nonce
    except (binascii.Error, ValueError, InvalidTag, OSError, EOFError, zlib.error,
            UnicodeDecodeError):
        return None


# ---- read -------------------------------------------------------------------------------

def read(records: Iterable[Endpoint], settings: RegistrySettings) -> View:
    txts: dict[Key, Endpoint] = {}
    managed: list[Endpoint] = []
    for record in records:
        if record.record_type == endpoint.TXT:
            txts[record.key] = record
        elif record.record_type in endpoint.MANAGED_TYPES:
            managed.append(record)
    labelled: list[Endpoint] = []
    ownership: dict[Key, Ownership] = {}
    for record in managed:
        found = Ownership(*(
            _ownership_txt(txts, record, settings, new_format=fmt) for fmt in (True, False)))
        ownership[record.key] = found
        source = found.new or found.old
        labels = decode(source.targets[0], settings.aes_key) if source else None
        if labels:
            labels = {k: v for k, v in labels.items() if k != NONCE_LABEL}
            if found.new is None:
                labels[TXT_MISSING] = "true"
            record = record.with_labels(**labels)
        labelled.append(record)
    return View(tuple(labelled), ownership, txts)


def _ownership_txt(txts: Mapping[Key, Endpoint], record: Endpoint, settings: RegistrySettings,
                   *, new_format: bool) -> Endpoint | None:
    name = txt_name(record.dnsname, record.record_type, settings, new_format=new_format)
    txt = txts.get((name, endpoint.TXT, record.set_identifier))
    if txt and len(txt.targets) == 1 and decode(txt.targets[0], settings.aes_key) is not None:
        return txt
    return None


# ---- write ------------------------------------------------------------------------------

def changes(planned: plan.Plan, view: View, settings: RegistrySettings) -> tuple[ChangeGroup, ...]:
    """Route53 change groups for a plan: deletes first, then updates, creates, repairs."""
    groups: list[ChangeGroup] = []
    deleted: set[Key] = set()
    for gone in planned.deletes:
        found = view.ownership.get(gone.key, Ownership())
        # An old-format TXT carries no type, so A and AAAA at one name may share it:
        # delete it once, or Route53 refuses the second DELETE.
        txts = tuple(Change("DELETE", t) for t in (found.new, found.old)
                     if t is not None and t.key not in deleted)
        deleted.update(change.record.key for change in txts)
        groups.append(ChangeGroup(_resource(gone), gone.dnsname, (Change("DELETE", gone), *txts)))
    for update in planned.updates:
        txt = _txt_change(update.new, view, settings)
        # Only the owning Service changed (same record): rewrite the TXT, not the record.
        record = () if update.old.same_record(update.new) else (Change("UPSERT", update.new),)
        groups.append(ChangeGroup(_resource(update.new), update.new.dnsname,
                                  (*record, *txt)))
    for new in planned.creates:
        txt = _txt_change(new, view, settings)
        groups.append(ChangeGroup(_resource(new), new.dnsname, (Change("CREATE", new), *txt)))
    for owned in planned.repairs:
        groups.append(ChangeGroup(_resource(owned), owned.dnsname,
                                  _txt_change(owned, view, settings)))
    return tuple(group for group in groups if group.changes)


def ownership_record(record: Endpoint, settings: RegistrySettings,
                     nonce: str | None = None) -> Endpoint:
    labels = {k: v for k, v in record.labels if k != TXT_MISSING}
    if nonce:
        labels[NONCE_LABEL] = nonce
    return Endpoint(
        dnsname=txt_name(record.dnsname, record.record_type, settings),
        record_type=endpoint.TXT,
        targets=(encode(labels, settings.aes_key),),
        ttl=TXT_TTL,
        set_identifier=record.set_identifier,
        properties=record.properties,
    )


def _txt_change(record: Endpoint, view: View, settings: RegistrySettings) -> tuple[Change, ...]:
    name = txt_name(record.dnsname, record.record_type, settings)
    existing = view.txts.get((name, endpoint.TXT, record.set_identifier))
    if existing is None:
        return (Change("CREATE", ownership_record(record, settings)),)
    current = decode(existing.targets[0], settings.aes_key) if len(existing.targets) == 1 else None
    wanted = {k: v for k, v in record.labels if k != TXT_MISSING}
    if current is None or current.get(endpoint.OWNER) != wanted.get(endpoint.OWNER):
        # Someone else's TXT (ordinary, or another owner's) holds the name: never overwrite
        # it. The CREATE fails at Route53, which isolates and reports this one group.
        return (Change("CREATE", ownership_record(record, settings)),)
    nonce = current.pop(NONCE_LABEL, None)
    if current == wanted and existing.properties == record.properties:
        return ()  # the same ownership already: never rewrite (no churn)
    desired = ownership_record(record, settings, nonce)
    return (Change("UPSERT", replace(desired, ttl=existing.ttl)),)


def _resource(record: Endpoint) -> str:
    return record.label(endpoint.RESOURCE) or record.describe()
