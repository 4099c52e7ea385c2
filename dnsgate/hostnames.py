"""What a DNS name must be for dnsgate to publish it: syntax, lengths, and the length of the
ownership TXT name that must exist beside it (docs/annotations.md, "Hostnames" and
"Ownership TXT names").

A name is ASCII letters, digits and inner hyphens in labels of 1 to 63 characters, at most 253
characters in all (RFC 1035 section 2.3.4), with at most a leading `*.` wildcard. An
internationalised name is written in its ASCII form: a label starting `xn--` must be
well-formed punycode of a non-ASCII label (RFC 5890 section 2.3.2.1); a name given in Unicode
is refused with its ASCII form suggested. Look-alike names (an `xn--` label that renders like
an ASCII one) are valid DNS and are not judged here: they can only be names inside the
managed domains, and claims compare the exact ASCII form.

Every check runs in time linear in the name, which the annotation caps keep short.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from collections.abc import Iterable

from dnsgate import txtname

HOSTNAME_MAX = 253
LABEL_MAX = 63
A_LABEL_PREFIX = "xn--"

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
EXAMPLE = "a bare name such as app.goldentooth.net"


def error(entry: str, *, allow_wildcard: bool = True) -> str | None:
    """Why `entry` is not a valid DNS hostname, or None when it is."""
    if "://" in entry:
        return f"has a URL scheme; give {EXAMPLE}"
    name = entry[:-1] if entry.endswith(".") else entry
    if len(name) > HOSTNAME_MAX:
        return f"is {len(name)} characters long; a DNS name has at most {HOSTNAME_MAX}"
    if not entry.isascii():
        return _unicode_error(name)
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return f"is an IP address, not a hostname; give {EXAMPLE}"
    if "/" in entry:
        return f"has a path; give {EXAMPLE}"
    if ":" in entry:
        return f"has a port; give {EXAMPLE}"
    if entry.endswith(".."):
        return "ends in more than one dot; one trailing dot at most"
    labels = name.lower().split(".")
    if len(labels) < 2:
        return f"is not a fully qualified name; give {EXAMPLE}"
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and allow_wildcard:
            continue
        reason = _label_error(label)
        if reason is not None:
            return reason
    if labels[-1].isdigit():
        # RFC 3696 section 2: a top-level domain is never all-numeric, so "10.0.0.256"
        # is a mistyped address rather than a name.
        return f"has an all-numeric last label; give {EXAMPLE}"
    return None


def _label_error(label: str) -> str | None:
    if not label:
        return "has an empty label (two dots in a row, or a leading dot)"
    if "*" in label:
        return ('has a "*" that is not the whole first label; only a leading "*." '
                "wildcard is allowed")
    if len(label) > LABEL_MAX:
        return (f'has a label of {len(label)} characters ("{label[:20]}..."); '
                f"a label has at most {LABEL_MAX}")
    if not _LABEL.fullmatch(label):
        if label.startswith("-") or label.endswith("-"):
            return f'has a label "{label}" that starts or ends with a hyphen'
        return (f'has a label "{label}" with characters other than letters, digits '
                "and inner hyphens")
    if label.startswith(A_LABEL_PREFIX) and not _valid_a_label(label):
        return (f'has a label "{label}" that starts with "{A_LABEL_PREFIX}" but is not the '
                "punycode of an internationalised label; write the name's ASCII form as "
                "an IDNA tool gives it")
    return None


def _valid_a_label(label: str) -> bool:
    """An `xn--` label decodes to a printable non-ASCII label that encodes back to it."""
    try:
        unicode = codecs.decode(label[len(A_LABEL_PREFIX):].encode(), "punycode")
    except UnicodeError:
        return False
    return (bool(unicode) and not unicode.isascii() and unicode.isprintable()
            and codecs.encode(unicode, "punycode").decode() == label[len(A_LABEL_PREFIX):])


def _unicode_error(name: str) -> str:
    # IDNA 2008 with UTS 46 mapping (RFC 5891, the `idna` package), as browsers and
    # registries resolve names today: "straße" is "xn--strae-oqa", where Python's own IDNA 2003
    # codec would map it to the different name "strasse".
    import idna

    reason = "has characters outside ASCII; DNS names are written in ASCII"
    try:
        ascii_form = idna.encode(name, uts46=True).decode()
    except (idna.IDNAError, UnicodeError):  # no IDNA form (a lone surrogate, a symbol, ...)
        return f"{reason}; give {EXAMPLE}"
    return f'{reason}; write an internationalised name in its ASCII form ("{ascii_form}")'


def txt_name_error(name: str, record_types: Iterable[str], naming: txtname.Naming
                   ) -> str | None:
    """Why the ownership TXT name beside `name` could not exist, or None when it can.

    The TXT name is the record's name with a type prefix (`a-`, `aaaa-`, `cname-`) or the
    configured `--txt-prefix`/`--txt-suffix` added, so a name that is itself valid can need a
    TXT name that is not. The longest TXT name over `record_types` is the one reported."""
    worst: tuple[str, str] | None = None
    mapper = txtname.Mapper.named(naming)
    for record_type in record_types:
        txt = mapper.txt_name(name, record_type)
        label = max(txt.split("."), key=len)
        if len(txt) > HOSTNAME_MAX:
            reason = f"which is {len(txt)} characters long; a DNS name has at most {HOSTNAME_MAX}"
        elif len(label) > LABEL_MAX:
            reason = (f'whose label "{label[:20]}..." is {len(label)} characters long; a label '
                      f"has at most {LABEL_MAX}")
        else:
            continue
        if worst is None or len(txt) > len(worst[0]):
            worst = (txt, reason)
    if worst is None:
        return None
    txt, reason = worst
    return f'needs the ownership TXT record "{txt}", {reason}; shorten the hostname'
