"""Ownership TXT names: from a record to its TXT's name, and from a TXT's name back to the
record it belongs to, exactly as ExternalDNS's affix name mapper does
(docs/externaldns-txt-registry.md, "Names" and "Reading").

The mapping is driven from the TXT side: a TXT's name is mapped to (record name, record type)
by dropping `--txt-prefix` or `--txt-suffix` (with `%{record_type}` standing for each type in
turn) and then a leading `<type>-`. So `a-team.example.com` always means `team.example.com`
type A, never the old-format TXT of a record named `a-team.example.com`. The type is "" when
no type prefix is found: an old-format TXT, which any record type but AAAA may own.

Shared by the reconciler's registry, which writes and reads these names, and the webhook,
which refuses a hostname whose TXT name could not exist in DNS (`dnsgate.hostnames`;
docs/annotations.md, "Ownership TXT names", says what the affixes cost in length); both take
`--txt-prefix`, `--txt-suffix` and `--txt-wildcard-replacement` from the same settings and
refuse the same bad ones at start (`naming_error`).

The record side is not one-to-one: `*.example.com` and `wild.example.com` (with replacement
`wild`) have the same `anchor`, so their TXT names coincide wherever their types allow
(docs/externaldns-txt-registry.md, "Names two records share"). `namesake` gives the one other
name a name shares its anchor with, for the claim rule that keeps such pairs apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

RECORD_TYPE_TOKEN = "%{record_type}"

# The types ExternalDNS's mapper recognises before a dash, in the order it tries them: the
# latest release's, and v0.14's. dnsgate reads with the latest's, which calls fewer records
# owned (docs/externaldns-txt-registry.md, "Reading").
MAPPED_TYPES = ("A", "AAAA", "CNAME", "NS", "MX", "PTR", "SRV", "NAPTR", "TXT", "DNAME", "TLSA")
V0_14_MAPPED_TYPES = MAPPED_TYPES[:4]

# A lower-case LDH label (RFC 1035 section 2.3.1, at most 63 characters): what a wildcard
# replacement must be for the TXT name it writes to be the name its record is looked up by.
_LOWER_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


class Naming(Protocol):
    """The settings that shape a TXT name; the reconciler's `RegistrySettings` is one."""

    @property
    def prefix(self) -> str: ...

    @property
    def suffix(self) -> str: ...

    @property
    def wildcard_replacement(self) -> str: ...


@dataclass(frozen=True)
class TXTNaming:
    """The naming settings alone, for the webhook, which needs nothing else of the registry."""

    prefix: str = ""
    suffix: str = ""
    wildcard_replacement: str = ""


DEFAULT = TXTNaming()  # ExternalDNS's defaults: no prefix, suffix or replacement


def affix_error(prefix: str, suffix: str) -> str | None:
    """The one-line refusal of a prefix and a suffix together, for both deployables."""
    if prefix and suffix:
        return (f'--txt-prefix "{prefix}" and --txt-suffix "{suffix}" are mutually exclusive '
                "(ExternalDNS accepts one TXT affix); give only one")
    return None


def wildcard_replacement_error(replacement: str) -> str | None:
    """Why `--txt-wildcard-replacement` cannot be used, or None ("" means no replacement).

    ExternalDNS (v0.14.2's `registry/txt.go`, v0.23.0's `registry/txt/registry.go` and
    `registry/mapper/mapper.go`) lower-cases the replacement when it writes a wildcard's TXT
    name but looks the wildcard up with the value as given: with `Wild`, `*`'s TXT
    `a-wild` is read as the TXT of a record named `wild`, and `*` itself is never owned. A
    replacement that is not one label would move the TXT to another name altogether."""
    if replacement == "" or _LOWER_LABEL.fullmatch(replacement):
        return None
    return (f'--txt-wildcard-replacement "{replacement}" is not a lower-case DNS label; '
            "use 1 to 63 of a-z, 0-9 and inner hyphens (ExternalDNS writes the TXT name "
            "lower-cased but looks the wildcard up as given, so the wildcard's TXT would "
            "own another record)")


def template_error(prefix: str, suffix: str) -> str | None:
    """Why a `%{record_type}` template would give two records one TXT name, or None.

    The type names overlap ("a" begins and ends "aaaa"), so the type must be set apart from
    the record's label: in a prefix by a character that is not a letter or digit right after
    it, in a suffix by one right before it. `%{record_type}` at the very end of a prefix
    (or start of a suffix) runs into the label: A `aaax` and AAAA `x` both get `aaaax`."""
    for flag, affix, beside in (("--txt-prefix", prefix, 1), ("--txt-suffix", suffix, -1)):
        at = affix.lower().find(RECORD_TYPE_TOKEN)
        if at < 0:
            continue
        after = at + len(RECORD_TYPE_TOKEN)
        neighbour = affix[after:after + 1] if beside > 0 else affix[at - 1:at] if at else ""
        if not neighbour or neighbour.isalnum():
            where = "after" if beside > 0 else "before"
            return (f'{flag} "{affix}" puts {RECORD_TYPE_TOKEN} straight against the record\'s '
                    f"name, so two records can share a TXT name (A aaax and AAAA x: aaaax); "
                    f"put a separator such as - or . {where} it")
    return None


def naming_error(prefix: str, suffix: str, wildcard_replacement: str) -> str | None:
    """The one-line refusal of a TXT naming both deployables refuse at start, or None."""
    return (affix_error(prefix, suffix) or template_error(prefix, suffix)
            or wildcard_replacement_error(wildcard_replacement))


@dataclass(frozen=True)
class Mapper:
    """ExternalDNS's AffixNameMapper for one `--txt-prefix`/`--txt-suffix`/
    `--txt-wildcard-replacement` setting (the affixes compared lower-cased, as it does)."""

    prefix: str = ""
    suffix: str = ""
    wildcard_replacement: str = ""
    lookup_replacement: str = ""
    """The replacement as given: the registry looks records up with it unchanged."""
    types: tuple[str, ...] = MAPPED_TYPES

    @classmethod
    def of(cls, prefix: str, suffix: str, wildcard_replacement: str,
           types: tuple[str, ...] = MAPPED_TYPES) -> Mapper:
        return cls(prefix.lower(), suffix.lower(), wildcard_replacement.lower(),
                   wildcard_replacement, types)

    @classmethod
    def named(cls, naming: Naming) -> Mapper:
        return cls.of(naming.prefix, naming.suffix, naming.wildcard_replacement)

    @property
    def templated(self) -> bool:
        return RECORD_TYPE_TOKEN in self.prefix or RECORD_TYPE_TOKEN in self.suffix

    # ---- record -> TXT ---------------------------------------------------------------

    def txt_name(self, dnsname: str, record_type: str) -> str:
        """The new-format TXT name: the type goes into the template, or before the label."""
        kind = record_type.lower()
        first, dot, rest = dnsname.partition(".")
        if first == "*" and self.wildcard_replacement:
            first = self.wildcard_replacement
        if not self.templated:
            first = f"{kind}-{first}"
        prefix = self.prefix.replace(RECORD_TYPE_TOKEN, kind)
        suffix = self.suffix.replace(RECORD_TYPE_TOKEN, kind)
        return f"{prefix}{first}{suffix}{dot}{rest}".lower()

    def old_txt_name(self, dnsname: str) -> str:
        """The old-format TXT name (ExternalDNS before v0.12, and v0.12-v0.17 beside the new
        one): no type anywhere, the template token dropped."""
        first, dot, rest = dnsname.partition(".")
        if first == "*" and self.wildcard_replacement:
            first = self.wildcard_replacement
        prefix = self.prefix.replace(RECORD_TYPE_TOKEN, "")
        suffix = self.suffix.replace(RECORD_TYPE_TOKEN, "")
        return f"{prefix}{first}{suffix}{dot}{rest}".lower()

    def lookup_name(self, dnsname: str) -> str:
        """The name a record is looked up by among the mapped TXTs: ExternalDNS replaces a
        leading `*` label with the wildcard replacement (as given) before the lookup."""
        first, dot, rest = dnsname.partition(".")
        if first == "*" and self.lookup_replacement:
            return f"{self.lookup_replacement}{dot}{rest}"
        return dnsname

    def anchor(self, dnsname: str) -> str:
        """The record name the TXTs written for `dnsname` map back to: the name with a
        leading `*` replaced by the lower-cased replacement. Records sharing an anchor (and a
        set identifier) may share TXT names; no two other records can."""
        first, dot, rest = dnsname.lower().partition(".")
        if first == "*" and self.wildcard_replacement:
            return f"{self.wildcard_replacement}{dot}{rest}"
        return f"{first}{dot}{rest}"

    def namesake(self, dnsname: str) -> str | None:
        """The one other name with `dnsname`'s anchor: `wild.<rest>` for `*.<rest>` and the
        reverse (replacement `wild`); None without a replacement, or for any other name."""
        first, dot, rest = dnsname.lower().partition(".")
        if not self.wildcard_replacement or not dot:
            return None
        if first == "*":
            return f"{self.wildcard_replacement}.{rest}"
        return f"*.{rest}" if first == self.wildcard_replacement else None

    # ---- TXT -> record ---------------------------------------------------------------

    def record_of(self, txt_name: str) -> tuple[str, str] | None:
        """(record name, record type or "" for the old format) a TXT name stands for, or None
        when the name carries none of the configured affixes."""
        name = txt_name.lower()
        if not self.suffix:  # prefix mode, also when there is no affix at all
            return self._drop_affix(name)
        dots = self.suffix.count(".")
        parts = name.split(".", dots + 1)
        if len(parts) <= dots:
            return None
        found = self._drop_affix(".".join(parts[: dots + 1]))
        if found is None or len(parts) <= dots + 1:
            return found
        return f"{found[0]}.{parts[dots + 1]}", found[1]

    def _drop_affix(self, name: str) -> tuple[str, str] | None:
        prefix, suffix = self.prefix, self.suffix
        if self.templated:
            for kind in self.types:
                typed_prefix = prefix.replace(RECORD_TYPE_TOKEN, kind.lower())
                typed_suffix = suffix.replace(RECORD_TYPE_TOKEN, kind.lower())
                if not suffix and name.startswith(typed_prefix):
                    return name[len(typed_prefix):], kind
                if suffix and name.endswith(typed_suffix):
                    return name[: len(name) - len(typed_suffix)], kind
            prefix = prefix.replace(RECORD_TYPE_TOKEN, "")
            suffix = suffix.replace(RECORD_TYPE_TOKEN, "")
        if not self.suffix:
            return self._drop_type(name[len(prefix):]) if name.startswith(prefix) else None
        return self._drop_type(name[: len(name) - len(suffix)]) if name.endswith(suffix) else None

    def _drop_type(self, name: str) -> tuple[str, str]:
        """A leading `<type>-`, where <type> is everything before the name's first dash."""
        head, dash, rest = name.partition("-")
        for kind in self.types:
            if head == kind.lower():
                # ExternalDNS trims "<type>-" only if present: a bare "a" stays "a", type A.
                return (rest if dash else name), kind
        return name, ""
