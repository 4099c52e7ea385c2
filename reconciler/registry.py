"""TXT ownership: which record sets are ours, and the TXT changes that go with ours.

Everything here follows ExternalDNS's TXT registry as docs/externaldns-txt-registry.md
describes it. Read: a TXT whose value carries `heritage=external-dns` is an ownership record;
its name is mapped back to the record it stands for by `txtname.Mapper.record_of` (the TXT
side drives: `a-team.example.com` belongs to `team.example.com` type A, never to a record
named `a-team.example.com`), and its labels (`owner`, `resource`) attach to that record.
A record looks up its own type first, then the old format (type "", not for AAAA). A record
we own whose new-format TXT is absent is marked `txt-missing` so the plan re-creates it (the
migration ExternalDNS v0.12+ performs).

Ownership must not depend on the order Route53 lists names in, so where the TXTs that map to
one (record name, type or "", set id) name different owners, a record read through that key is
nobody's (docs/externaldns-txt-registry.md, "TXTs that disagree"); ExternalDNS keeps the later.
With an AES key, a TXT whose value is sealed but does not open with it names an owner we cannot
read: not us. A record is read through its own type's TXTs, else the old format's; an A alias
through all of them, since releases read them in different orders (`_read_through`).

Two records at different names that could be owned through one TXT are both nobody's: the TXT
cannot say which it was written for. Only a wildcard and a record named like its replacement
(`*.ex.com`, `wild.ex.com`) share the names their TXTs map to (`txtname.Mapper.anchor`);
they share a TXT, across types, unless exactly one of them is AAAA: an A alias's `cname-`
TXT is a CNAME's, and the old format's TXT (type "") is read by every type but AAAA
(docs/externaldns-txt-registry.md, "Names two records share"). Neither is then updated or
deleted, and a record is not created where such a record already is (`sharing`): creating
it would rewrite the other's TXT or make both nobody's.

Write: only the new format. A TXT is created with TTL 300 (what ExternalDNS's AWS provider
writes for a record without a TTL) and carries the record's SetIdentifier and routing
properties, since Route53 requires every set sharing a name and type to use one routing
policy. Adopting a zone from ExternalDNS writes nothing: no churn. Deleting a record we own
also deletes the TXTs it was read through that carry our owner id, with the exact values
listed; a TXT with another owner is never deleted or overwritten.

Every write is conditional on Route53 still holding what was read (docs/route53.md,
"Conditional writes"): no UPSERT is ever sent. An update is the DELETE of the record set
exactly as listed and of our ownership TXT with its exact listed value, then the CREATE of
the new record set and TXT, in one group (one batch): if another owner changed either in
between, the DELETE does not match and Route53 refuses the whole batch. The TXT is deleted
and re-created even when its value stays the same, because it is what says the record is
ours. A record we create is written with a CREATE (refused if the set exists) and its TXT
the same way: CREATE, or DELETE + CREATE of the one we own.

An A record that is a Route53 alias has its ownership TXT under type CNAME (`cname-<name>`)
up to ExternalDNS v0.21 and under A (`a-<name>`) from v0.22, which reads `cname-` as a
legacy name. dnsgate reads both; an alias it updates keeps the one(s) it has, so the release
that wrote them plans nothing afterwards, and a new alias gets the one `--rollback-release`
writes (`RegistrySettings.alias_txt_type`; docs/route53-alias.md, "Which TXT name an alias
gets"). When a record is replaced by one of another type at its name (a CNAME turning into
an alias), the deletion goes in the creation's group, so Route53 swaps them in one
operation, and a TXT they share is kept, not deleted and re-created.

Values are optionally encrypted with AES-256-GCM (12-byte nonce, gzip-compressed plaintext,
base64(nonce || ciphertext+tag)). A rewrite keeps the nonce it read only when the plaintext
is unchanged (the value is then byte-identical); new plaintext always gets a fresh nonce,
since GCM under one key must never seal two plaintexts with one nonce.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dnsgate import txtname
from reconciler import endpoint, plan
from reconciler.endpoint import Endpoint, Key
from reconciler.settings import RegistrySettings

HERITAGE_NAME = "external-dns"
HERITAGE = f"heritage={HERITAGE_NAME}"
LABEL_PREFIX = f"{HERITAGE_NAME}/"
NONCE_LABEL = "txt-encryption-nonce"
TXT_MISSING = plan.TXT_MISSING
TXT_TTL = endpoint.DEFAULT_TTL
NONCE_SIZE = 12  # AES-GCM's standard nonce size, as ExternalDNS uses
TAG_SIZE = 16  # AES-GCM's authentication tag

Action = Literal["CREATE", "DELETE"]  # never UPSERT: it would overwrite whatever is there


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
    also: tuple[Endpoint, ...] = ()
    """Further TXTs that own the record: an alias's `cname-` beside its `a-`, and every
    other TXT mapped to the same key (`-a-team` beside `a-team` under `%{record_type}-`)."""


@dataclass(frozen=True)
class View:
    """A zone read through the registry: managed record sets with ownership labels."""

    endpoints: tuple[Endpoint, ...]
    ownership: Mapping[Key, Ownership]
    txts: Mapping[Key, Endpoint]
    readers: Mapping[Key, tuple[Endpoint, ...]] = field(default_factory=dict)
    """(record name, type or "", set id) a TXT maps to -> the records it could own."""


# ---- names ------------------------------------------------------------------------------

def mapper(settings: RegistrySettings,
           types: tuple[str, ...] = txtname.MAPPED_TYPES) -> txtname.Mapper:
    return txtname.Mapper.of(settings.prefix, settings.suffix, settings.wildcard_replacement,
                             types)


def txt_name(dnsname: str, record_type: str, settings: RegistrySettings, *,
             new_format: bool = True) -> str:
    """The ownership TXT's name for a record; the old format carries no record type."""
    names = mapper(settings)
    return names.txt_name(dnsname, record_type) if new_format else names.old_txt_name(dnsname)


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
    """Labels of an ownership TXT, or None for an ordinary TXT, read as ExternalDNS reads
    them: quotes trimmed; with a key, decrypted if it decrypts, else read as plain text; then
    `heritage=external-dns` anywhere makes it ours to read (another heritage: not),
    `external-dns/<key>=<value>` are labels, cut at the first `=`."""
    text = value.strip('"')
    labels: dict[str, str] = {}
    decrypted = decrypt(text, aes_key) if aes_key is not None else None
    if decrypted is not None:
        text, nonce = decrypted
        labels[NONCE_LABEL] = base64.b64encode(nonce).decode()
    heritage = False
    for token in text.split(","):
        key, equals, val = token.partition("=")
        if not equals:
            continue
        if key == "heritage":
            if f"{key}={val}" != HERITAGE:
                return None
            heritage = True
        elif key.startswith(HERITAGE_NAME):
            labels[key.removeprefix(LABEL_PREFIX)] = val
    return labels if heritage else None


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

def read(records: Iterable[Endpoint], settings: RegistrySettings, *,
         mapped_types: tuple[str, ...] = txtname.MAPPED_TYPES) -> View:
    """The zone's managed record sets labelled with their ownership, as ExternalDNS reads it
    (`mapped_types`: the release's list of types its mapper knows)."""
    names = mapper(settings, mapped_types)
    txts: dict[Key, Endpoint] = {}
    managed: list[Endpoint] = []
    mapped: dict[Key, list[Endpoint]] = {}  # (record name, type or "", set id) -> its TXTs
    ownership_names: set[str] = set()
    for record in records:
        if record.record_type in endpoint.MANAGED_TYPES:
            managed.append(record)
        elif record.record_type == endpoint.TXT:
            txts[record.key] = record
            if _labels_of(record, settings) is None and not _unopened(record, settings):
                continue  # an ordinary TXT record
            ownership_names.add(record.dnsname)
            stands_for = names.record_of(record.dnsname)
            if stands_for is not None:
                mapped.setdefault((*stands_for, record.set_identifier), []).append(record)
    readers: dict[Key, list[Endpoint]] = {}
    for record in managed:
        for key in ownership_keys(record, names):
            readers.setdefault(key, []).append(record)
    labelled: list[Endpoint] = []
    ownership: dict[Key, Ownership] = {}
    for record in managed:
        if _shared(record, names, readers):  # a wildcard and its replacement's namesake
            labelled.append(record)
            continue
        if len({_owner(txt, settings) for txt in _read_through(record, names, mapped)}) > 1:
            # Its TXTs disagree: which owner is meant cannot be told (ExternalDNS's answer
            # hangs on the listing order, or on the release); like an ambiguous wildcard, it
            # is left alone.
            labelled.append(record)
            continue
        name, kind, set_id = _lookup_key(record, names)
        # Each type its new-format TXT may be named for: `cname-` (up to v0.21, and dnsgate)
        # or `a-` (v0.22+) for an A alias (docs/route53-alias.md). Several TXTs for one key
        # name one owner here; as ExternalDNS's label map, the later is the one read.
        # Every TXT the record is owned through goes with it: a change deletes each with
        # its exact value, so another owner taking any one of them stops the change
        # (docs/route53.md, "Conditional writes").
        typed_lists = [listed for typed in _read_types(record)
                       if (listed := mapped.get((name, typed, set_id)))]
        new = typed_lists[0][-1] if typed_lists else None
        olds = mapped.get((name, "", set_id), []) if kind != endpoint.AAAA else []
        old = olds[-1] if olds else None
        also = tuple(txt for listed in (*typed_lists, olds) for txt in listed
                     if txt is not new and txt is not old)
        found = Ownership(new, old, also)
        ownership[record.key] = found
        source = new or old
        labels = _labels_of(source, settings) if source else None
        if labels:
            labels.pop(NONCE_LABEL, None)
            if (labels.get(endpoint.OWNER) == settings.owner_id
                    and not {names.txt_name(record.dnsname, t) for t in _read_types(record)}
                    & ownership_names):
                labels[TXT_MISSING] = "true"
            record = record.with_labels(**labels)
        labelled.append(record)
    return View(tuple(labelled), ownership, txts,
                {key: tuple(found) for key, found in readers.items()})


def _read_through(record: Endpoint, names: txtname.Mapper,
                  mapped: Mapping[Key, list[Endpoint]]) -> tuple[Endpoint, ...]:
    """Every TXT whose owner decides whether `record` is ours: those mapped to its own type,
    or where there are none, to the old format (not for AAAA), as every release looks it up;
    an A alias's under `cname-`, `a-` and the old format alike, since v0.14 reads only the
    first and v0.22+ the second first (docs/route53-alias.md)."""
    name, kind, set_id = _lookup_key(record, names)
    keys = [(name, typed, set_id) for typed in _read_types(record)]
    old = [(name, "", set_id)] if kind != endpoint.AAAA else []
    if not record.alias and any(key in mapped for key in keys):
        old = []
    return tuple(txt for key in (*keys, *old) for txt in mapped.get(key, ()))


def ownership_keys(record: Endpoint, names: txtname.Mapper) -> tuple[Key, ...]:
    """Every (record name, type or "", set id) a TXT that could own `record` maps to: its
    read types' (`_read_types`), and the old format's unless it is AAAA, all under its
    anchor (the lower-cased replacement: the name the TXTs it writes map back to)."""
    anchor = names.anchor(record.dnsname)
    kinds = (*_read_types(record), *(("",) if record.record_type != endpoint.AAAA else ()))
    return tuple((anchor, kind, record.set_identifier) for kind in kinds)


def sharing(view: View, record: Endpoint, settings: RegistrySettings) -> tuple[Endpoint, ...]:
    """The records at other names that a TXT owning `record` could own too: where one is,
    `record` is not created (`plan.calculate`'s `sharing`)."""
    found = {other.key: other for key in ownership_keys(record, mapper(settings))
             for other in view.readers.get(key, ()) if other.dnsname != record.dnsname}
    return tuple(found[key] for key in sorted(found))


def foreign_txt(view: View, record: Endpoint, settings: RegistrySettings) -> Endpoint | None:
    """An ownership TXT of another owner (or of none we can read) that an A alias `record`
    would be read through once written: its `cname-`, `a-` or old-format TXT, left behind at
    the name (v0.22+ deletes only `a-` with the record). dnsgate writes one of those names
    and every one of them decides (`_read_through`), so written beside it the alias would be
    nobody's, never updated or deleted again; it is not written (`plan.calculate`'s
    `foreign`). A plain record is read through its own type's TXT, which it writes: a CREATE
    Route53 refuses where another owner's is (docs/route53-alias.md)."""
    if not (record.alias and record.record_type == endpoint.A):
        return None
    names = mapper(settings)
    keys = set(ownership_keys(record, names))
    for name in sorted(names_read(record, settings)):
        txt = view.txts.get((name, endpoint.TXT, record.set_identifier))
        stands_for = names.record_of(name) if txt is not None else None
        if (txt is None or stands_for is None or (*stands_for, txt.set_identifier) not in keys
                or (_labels_of(txt, settings) is None and not _unopened(txt, settings))):
            continue
        if _owner(txt, settings) != settings.owner_id:
            return txt
    return None


def _shared(record: Endpoint, names: txtname.Mapper,
            readers: Mapping[Key, list[Endpoint]]) -> bool:
    """Whether a record at another name could be owned through a TXT owning `record`.
    Records at one name share only the old format's TXT (an A and a CNAME, which Route53
    never lets stand together, or a CNAME being replaced): that is not ambiguous."""
    return any(other.dnsname != record.dnsname for key in ownership_keys(record, names)
               for other in readers[key])


# ---- reading part of a zone -------------------------------------------------------------

Anchor = Callable[[Endpoint], str]


def anchors(settings: RegistrySettings) -> tuple[Anchor, Callable[[str], str]]:
    """How to read part of a zone as `read` reads all of it: (the anchor of a record set,
    the anchor of a record name). A record's anchor is the name its ownership TXTs are looked
    up by; a TXT's is the record name it stands for. Every record and TXT that `read`
    consults for the records at a name shares that name's anchor, so reading all the record
    sets of some anchors labels their records exactly as reading the whole zone would."""
    names = mapper(settings)

    def of_name(dnsname: str) -> str:
        return names.anchor(dnsname)

    def of_record(record: Endpoint) -> str:
        if record.record_type == endpoint.TXT:
            stands_for = names.record_of(record.dnsname)
            return stands_for[0] if stands_for is not None else record.dnsname
        return of_name(record.dnsname)

    return of_record, of_name


def names_read(record: Endpoint, settings: RegistrySettings) -> frozenset[str]:
    """The names `read` takes a record set's ownership from: its own, its new-format TXT's
    under each type it is looked up by, the names mapping to the same key as those (under a
    template), the old format's (not for AAAA). A TXT: its own."""
    if record.record_type == endpoint.TXT:
        return frozenset({record.dnsname})
    names = mapper(settings)
    found = {record.dnsname, *(names.txt_name(record.dnsname, t) for t in _read_types(record))}
    # Under a `%{record_type}` template, the old-format name of `<type>-<name>` maps to the
    # same key as the new-format TXT (`-cname-team` and `cname-team`): it may disagree.
    anchor = names.anchor(record.dnsname)
    found |= {names.old_txt_name(f"{t.lower()}-{anchor}") for t in _read_types(record)}
    if record.record_type != endpoint.AAAA:
        found.add(names.old_txt_name(record.dnsname))
    return frozenset(found)


def owned_txts(found: Ownership, settings: RegistrySettings) -> tuple[Endpoint, ...]:
    """The TXTs a record was read through that carry our owner id: those we may delete."""
    return tuple(txt for txt in (found.new, found.old, *found.also) if txt is not None
                 and (_labels_of(txt, settings) or {}).get(endpoint.OWNER) == settings.owner_id)


def _lookup_key(record: Endpoint, names: txtname.Mapper) -> Key:
    return (names.lookup_name(record.dnsname), record.record_type, record.set_identifier)


def txt_type(record: Endpoint, settings: RegistrySettings) -> str:
    """The record type dnsgate names a new record's ownership TXT for: its own, but for an
    A alias the one the release the user would roll back to writes (`alias_txt_type`:
    `cname-` up to v0.21, `a-` from v0.22)."""
    return settings.alias_txt_type if record.alias and record.record_type == endpoint.A else (
        record.record_type)


def _read_types(record: Endpoint) -> tuple[str, ...]:
    """The types a record's new-format TXT is looked up by: for an A alias `cname-` (up to
    v0.21) then `a-` (v0.22+); where both name us, either gives the labels."""
    if record.alias and record.record_type == endpoint.A:
        return (endpoint.CNAME, endpoint.A)
    return (record.record_type,)


def _owner(txt: Endpoint, settings: RegistrySettings) -> str | None:
    return (_labels_of(txt, settings) or {}).get(endpoint.OWNER)


def _unopened(txt: Endpoint, settings: RegistrySettings) -> bool:
    """Whether, with an AES key, `txt` holds a sealed value (base64 of a nonce, a tag and
    more) that does not open with it: an ownership TXT written under another key, whose owner
    is then not us. ExternalDNS reads it as plain text, so as no ownership TXT at all."""
    if settings.aes_key is None or len(txt.targets) != 1:
        return False
    try:
        raw = base64.b64decode(txt.targets[0].strip('"'), validate=True)
    except binascii.Error:
        return False
    return len(raw) > NONCE_SIZE + TAG_SIZE and _labels_of(txt, settings) is None


def _labels_of(txt: Endpoint, settings: RegistrySettings) -> dict[str, str] | None:
    return decode(txt.targets[0], settings.aes_key) if len(txt.targets) == 1 else None


# ---- write ------------------------------------------------------------------------------

def changes(planned: plan.Plan, view: View, settings: RegistrySettings) -> tuple[ChangeGroup, ...]:
    """Route53 change groups for a plan: deletes first, then updates, creates, repairs."""
    groups: list[ChangeGroup] = []
    # TXTs that records being written still need: a record deleted beside them keeps them.
    written = {id(update.new): _kept_types(update, view, settings)
               for update in planned.updates}
    deleted: set[Key] = {
        _txt_key(record, kind, settings)
        for record in (*planned.creates, *(u.new for u in planned.updates), *planned.repairs)
        for kind in written.get(id(record), (txt_type(record, settings),))}
    for gone in planned.deletes:
        found = view.ownership.get(gone.key, Ownership())
        # An old-format TXT carries no type, so records of two types at one name may share
        # it: delete it once, or Route53 refuses the second DELETE.
        txts = tuple(Change("DELETE", t) for t in owned_txts(found, settings)
                     if t.key not in deleted)
        deleted.update(change.record.key for change in txts)
        groups.append(ChangeGroup(_resource(gone), gone.dnsname, (Change("DELETE", gone), *txts)))
    # A record of one type replaced by one of another at its name (a CNAME by an alias) goes
    # in the same group: Route53 swaps them in one operation, or does neither.
    created = {new.dnsname for new in planned.creates}
    replaced: dict[str, tuple[Change, ...]] = {}
    for group in groups:
        if group.dnsname in created:
            replaced[group.dnsname] = (*replaced.get(group.dnsname, ()), *group.changes)
    groups = [group for group in groups if group.dnsname not in created]
    for update in planned.updates:
        txt = tuple(change for kind in written[id(update.new)]
                    for change in _txt_change(update.new, view, settings, kind))
        found = view.ownership.get(update.old.key, Ownership())
        # Our TXTs under a new-format name the record is not written with (an A record
        # become an alias, an alias become a plain A): read first, they would shadow the
        # one rewritten here.
        stale = tuple(Change("DELETE", t) for t in owned_txts(found, settings)
                      if t is not found.old and t.key not in deleted)
        if update.old.same_record(update.new):
            # Only the owning Service changed: the TXT is rewritten, the record left alone.
            record: tuple[Change, ...] = ()
        else:
            record = (Change("DELETE", update.old), Change("CREATE", update.new))
        deleted.update(c.record.key for c in txt if c.action == "DELETE")
        # An alias is read through its old-format TXT too, before or after the change (a
        # plain A becoming one): that TXT must still name us when the change lands.
        guard = _old_format_guard(found, settings, deleted,
                                  alias=update.old.alias or update.new.alias)
        groups.append(ChangeGroup(_resource(update.new), update.new.dnsname,
                                  _deletes_first((*record, *txt, *guard, *stale))))
    for new in planned.creates:
        txt = _txt_change(new, view, settings)
        groups.append(ChangeGroup(_resource(new), new.dnsname, _deletes_first(
            (*replaced.pop(new.dnsname, ()), Change("CREATE", new), *txt))))
    for owned in planned.repairs:
        guard = _old_format_guard(view.ownership.get(owned.key, Ownership()), settings, deleted)
        groups.append(ChangeGroup(_resource(owned), owned.dnsname,
                                  _deletes_first((*_txt_change(owned, view, settings), *guard))))
    return tuple(group for group in groups if group.changes)


def ownership_record(record: Endpoint, settings: RegistrySettings,
                     nonce: str | None = None, kind: str | None = None) -> Endpoint:
    """The new-format ownership TXT of `record`, named for the type `kind` (default:
    `txt_type`)."""
    labels = {k: v for k, v in record.labels if k != TXT_MISSING}
    if nonce:
        labels[NONCE_LABEL] = nonce
    return Endpoint(
        dnsname=txt_name(record.dnsname, kind or txt_type(record, settings), settings),
        record_type=endpoint.TXT,
        targets=(encode(labels, settings.aes_key),),
        ttl=TXT_TTL,
        set_identifier=record.set_identifier,
        properties=endpoint.txt_properties(record.properties),
    )


def _txt_key(record: Endpoint, kind: str, settings: RegistrySettings) -> Key:
    """The key of the new-format TXT named for type `kind` that dnsgate writes for `record`."""
    return (txt_name(record.dnsname, kind, settings), endpoint.TXT, record.set_identifier)


def _kept_types(update: plan.Update, view: View, settings: RegistrySettings) -> tuple[str, ...]:
    """The types an updated record's new-format TXTs are named for (`kept_txt_types`); a
    record that changes between alias and plain A gets `txt_type`'s."""
    old, new = update.old, update.new
    if old.alias != new.alias:
        return (txt_type(new, settings),)
    found = owned_txts(view.ownership.get(old.key, Ownership()), settings)
    return kept_txt_types(new, found, settings)


def kept_txt_types(record: Endpoint, txts: Iterable[Endpoint],
                   settings: RegistrySettings) -> tuple[str, ...]:
    """The types the new-format TXTs of `record`, rewritten, are named for, given the TXTs
    `txts` it was read through: an A alias keeps every one of `cname-` and `a-` among them,
    so the release that wrote it reads the same TXT afterwards (docs/route53-alias.md, "Which
    TXT name an alias gets"); any other record, or an alias with neither, gets `txt_type`'s."""
    if not (record.alias and record.record_type == endpoint.A):
        return (txt_type(record, settings),)
    names = {txt.dnsname.lower() for txt in txts}
    kept = tuple(kind for kind in _read_types(record)
                 if txt_name(record.dnsname, kind, settings) in names)
    return kept or (txt_type(record, settings),)


def _txt_change(record: Endpoint, view: View, settings: RegistrySettings,
                kind: str | None = None) -> tuple[Change, ...]:
    """The ownership TXT `record` is written with: a CREATE where none is listed or where the
    listed one is not ours (Route53 refuses that CREATE, which isolates and reports the
    group: someone else's TXT is never overwritten); else the DELETE of ours exactly as
    listed and the CREATE of its new value, even an unchanged one, so the group lands only
    while the TXT still names us."""
    kind = kind or txt_type(record, settings)
    existing = view.txts.get(_txt_key(record, kind, settings))
    if existing is None:
        return (Change("CREATE", ownership_record(record, settings, kind=kind)),)
    current = decode(existing.targets[0], settings.aes_key) if len(existing.targets) == 1 else None
    wanted = {k: v for k, v in record.labels if k != TXT_MISSING}
    if current is None or current.get(endpoint.OWNER) != wanted.get(endpoint.OWNER):
        return (Change("CREATE", ownership_record(record, settings, kind=kind)),)
    nonce = current.pop(NONCE_LABEL, None)
    # Same plaintext: the same nonce gives the same value. New plaintext: a fresh nonce, or
    # two plaintexts would be sealed under one key and nonce.
    desired = ownership_record(record, settings, nonce if current == wanted else None, kind)
    return (Change("DELETE", existing), Change("CREATE", replace(desired, ttl=existing.ttl)))


def _old_format_guard(found: Ownership, settings: RegistrySettings,
                      deleted: set[Key], *, alias: bool = False) -> tuple[Change, ...]:
    """A record whose ownership is read through its old-format TXT (alone, the new one being
    created in the same group; or beside the new ones, as for an A alias, whose TXTs all
    decide): that TXT deleted and re-created as listed, so the group lands only while it
    still names us."""
    old = found.old
    if (found.new is not None and not alias) or old is None or old.key in deleted or (
            old not in owned_txts(found, settings)):
        return ()
    deleted.add(old.key)
    return (Change("DELETE", old), Change("CREATE", old))


def _deletes_first(changes: tuple[Change, ...]) -> tuple[Change, ...]:
    """Route53 applies a batch's changes in order: every DELETE before any CREATE, so a set
    deleted and created again (an update) is replaced, never duplicated."""
    return (*(c for c in changes if c.action == "DELETE"),
            *(c for c in changes if c.action == "CREATE"))


def _resource(record: Endpoint) -> str:
    return record.label(endpoint.RESOURCE) or record.describe()
