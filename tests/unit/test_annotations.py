"""The annotation rules, table-driven: each row is (annotations, verdict, messages).

`messages` are the exact lines a user reads (`str(Problem)`); an empty tuple means the
annotations are accepted. Rows cover every rule with its edges: label and name lengths (of the
name and of the ownership TXT name beside it), wildcards, trailing dots, case, IDN, both
prefixes, every TTL form, routing-policy pairings, and the size cap of every value.
"""

import pytest

from dnsgate import annotations, durations, txtname, values
from dnsgate.annotations import DNSAnnotations, Raw

A = "external-dns.alpha.kubernetes.io/"
S = "external-dns.kubernetes.io/"
H = A + "hostname"
NAME = "httpbin.goldentooth.net"
EXAMPLE = "a bare name such as app.goldentooth.net"
TTL_HELP = ('whole seconds ("60") or a Go duration ("10m", "1h30m") from 1s to 2147483647s')
LABEL_57 = "a" * 57  # + "cname-": a 63-character TXT label
LABEL_58 = "a" * 58
LABEL_61 = "a" * 61  # + "a-": a 63-character TXT label
LABEL_62 = "a" * 62
LABEL_63 = "a" * 63
LABEL_64 = "a" * 64
# 253 characters: labels of 61, 61, 61 and 51 characters, then ".goldentooth.net".
NAME_253 = ".".join(["b" * 61] * 3 + ["b" * 51, "goldentooth.net"])
NAME_254 = "c" + NAME_253
NAME_247 = NAME_253[6:]  # + "cname-": a 253-character TXT name
NAME_251 = NAME_253[2:]  # + "a-": a 253-character TXT name
assert len(NAME_253) == 253 and len(NAME_254) == 254
UUID = "12345678-1234-1234-1234-123456789abc"


def host(value: str, **others: str) -> dict[str, str]:
    return {H: value, **{A + k.replace("_", "-"): v for k, v in others.items()}}


def bad(value: str, reason: str, key: str = H) -> str:
    quoted = value if len(value) <= 256 else value[:256] + "..."  # messages cut long values
    return f'{key}: "{quoted}" {reason}'


OUTSIDE = "is outside the managed domains (goldentooth.net)"
UNICODE = ("has characters outside ASCII; DNS names are written in ASCII; write an "
           "internationalised name in its ASCII form")


def txt_label(txt: str) -> str:
    label = max(txt.split("."), key=len)
    return (f'needs the ownership TXT record "{txt}", whose label "{label[:20]}..." is '
            f"{len(label)} characters long; a label has at most 63; shorten the hostname")


def txt_long(txt: str) -> str:
    return (f'needs the ownership TXT record "{txt}", which is {len(txt)} characters long; a '
            "DNS name has at most 253; shorten the hostname")


def too_long(value: str, limit: int, key: str) -> str:
    return (f'{key}: "{value[:256]}..." is {len(value)} characters long; this annotation '
            f"takes at most {limit}")
HOSTNAME_CASES = [
    ("plain", host(NAME), ()),
    ("upper-case", host("HTTPBIN.GoldenTooth.NET"), ()),
    ("trailing-dot", host(NAME + "."), ()),
    ("two-trailing-dots", host(NAME + ".."),
     (bad(NAME + "..", "ends in more than one dot; one trailing dot at most"),)),
    ("zone-apex", host("goldentooth.net"), ()),
    ("comma-list", host(f"{NAME},api.goldentooth.net"), ()),
    ("spaces-ignored", host(f" {NAME} , api.goldentooth.net "), ()),
    ("tab-and-newline-ignored", host(f"{NAME},\n\tapi.goldentooth.net"), ()),
    ("duplicate-names-merge", host(f"{NAME},{NAME.upper()}"), ()),
    ("wildcard", host("*.goldentooth.net"), ()),
    ("wildcard-deeper", host("*.apps.goldentooth.net"), ()),
    ("wildcard-mid-label", host("a*.goldentooth.net"),
     (bad("a*.goldentooth.net", 'has a "*" that is not the whole first label; only a '
          'leading "*." wildcard is allowed'),)),
    ("wildcard-not-first", host("app.*.goldentooth.net"),
     (bad("app.*.goldentooth.net", 'has a "*" that is not the whole first label; only a '
          'leading "*." wildcard is allowed'),)),
    ("double-wildcard", host("*.*.goldentooth.net"),
     (bad("*.*.goldentooth.net", 'has a "*" that is not the whole first label; only a '
          'leading "*." wildcard is allowed'),)),
    ("label-57", host(f"{LABEL_57}.goldentooth.net"), ()),
    ("label-58-txt-label-64", host(f"{LABEL_58}.goldentooth.net"),
     (bad(f"{LABEL_58}.goldentooth.net", txt_label(f"cname-{LABEL_58}.goldentooth.net")),)),
    ("label-61-ipv4-target", host(f"{LABEL_61}.goldentooth.net", target="10.4.11.1"), ()),
    ("label-62-ipv4-target", host(f"{LABEL_62}.goldentooth.net", target="10.4.11.1"),
     (bad(f"{LABEL_62}.goldentooth.net", txt_label(f"a-{LABEL_62}.goldentooth.net")),)),
    ("label-63-txt-label-65-and-more", host(f"{LABEL_63}.goldentooth.net"),
     (bad(f"{LABEL_63}.goldentooth.net", txt_label(f"cname-{LABEL_63}.goldentooth.net")),)),
    ("label-64", host(f"{LABEL_64}.goldentooth.net"),
     (bad(f"{LABEL_64}.goldentooth.net",
          f'has a label of 64 characters ("{"a" * 20}..."); a label has at most 63'),)),
    ("name-247", host(NAME_247), ()),
    ("name-251-ipv4-target", host(NAME_251, target="10.4.11.1"), ()),
    ("name-253-txt-name-259", host(NAME_253),
     (bad(NAME_253, txt_long(f"cname-{NAME_253}")),)),
    ("name-253-with-trailing-dot", host(NAME_253 + "."),
     (bad(NAME_253, txt_long(f"cname-{NAME_253}")),)),
    ("name-254", host(NAME_254),
     (bad(NAME_254, "is 254 characters long; a DNS name has at most 253"),)),
    ("outside-domain", host("httpbin.example.com"), (bad("httpbin.example.com", OUTSIDE),)),
    ("suffix-without-dot-boundary", host("evilgoldentooth.net"),
     (bad("evilgoldentooth.net", OUTSIDE),)),
    ("excluded-subtree", host("pi.lab.goldentooth.net"),
     (bad("pi.lab.goldentooth.net",
          "is inside an excluded domain (lab.goldentooth.net)"),)),
    ("one-good-one-outside", host(f"{NAME},httpbin.example.com"),
     (bad("httpbin.example.com", OUTSIDE),)),
    ("empty", host(""), (bad("", "is empty; give one or more comma-separated hostnames"),)),
    ("only-spaces", host("   "),
     (bad("   ", "is empty; give one or more comma-separated hostnames"),)),
    ("trailing-comma", host(f"{NAME},"),
     (bad(f"{NAME},", "has an empty entry; remove the doubled or trailing comma"),)),
    ("double-comma", host(f"{NAME},,api.goldentooth.net"),
     (bad(f"{NAME},,api.goldentooth.net",
          "has an empty entry; remove the doubled or trailing comma"),)),
    ("ipv4", host("10.4.11.1"),
     (bad("10.4.11.1", f"is an IP address, not a hostname; give {EXAMPLE}"),)),
    ("ipv4-trailing-dot", host("10.4.11.1."),
     (bad("10.4.11.1.", f"is an IP address, not a hostname; give {EXAMPLE}"),)),
    ("ipv6", host("fd00::1"),
     (bad("fd00::1", f"is an IP address, not a hostname; give {EXAMPLE}"),)),
    ("numeric-tld", host("10.4.11.256"),
     (bad("10.4.11.256", f"has an all-numeric last label; give {EXAMPLE}"),)),
    ("scheme", host(f"https://{NAME}"),
     (bad(f"https://{NAME}", f"has a URL scheme; give {EXAMPLE}"),)),
    ("port", host(f"{NAME}:443"), (bad(f"{NAME}:443", f"has a port; give {EXAMPLE}"),)),
    ("path", host(f"{NAME}/api"), (bad(f"{NAME}/api", f"has a path; give {EXAMPLE}"),)),
    ("single-label", host("httpbin"),
     (bad("httpbin", f"is not a fully qualified name; give {EXAMPLE}"),)),
    ("leading-dot", host(".goldentooth.net"),
     (bad(".goldentooth.net", "has an empty label (two dots in a row, or a leading dot)"),)),
    ("double-dot-inside", host("a..goldentooth.net"),
     (bad("a..goldentooth.net", "has an empty label (two dots in a row, or a leading dot)"),)),
    ("leading-hyphen", host("-api.goldentooth.net"),
     (bad("-api.goldentooth.net", 'has a label "-api" that starts or ends with a hyphen'),)),
    ("trailing-hyphen", host("api-.goldentooth.net"),
     (bad("api-.goldentooth.net", 'has a label "api-" that starts or ends with a hyphen'),)),
    ("inner-hyphen", host("my-api.goldentooth.net"), ()),
    ("punycode", host("xn--bcher-kva.goldentooth.net"), ()),
    ("punycode-upper-case", host("XN--BCHER-KVA.goldentooth.net"), ()),
    ("punycode-look-alike", host("xn--pple-43d.goldentooth.net"), ()),
    ("punycode-invalid", host("xn--zz.goldentooth.net"),
     (bad("xn--zz.goldentooth.net", 'has a label "xn--zz" that starts with "xn--" but is not '
          "the punycode of an internationalised label; write the name's ASCII form as an "
          "IDNA tool gives it"),)),
    ("punycode-of-ascii", host("xn--abc-.goldentooth.net"),
     (bad("xn--abc-.goldentooth.net", 'has a label "xn--abc-" that starts or ends with a '
          "hyphen"),)),
    ("punycode-of-ascii-inner", host("xn--abc-a.goldentooth.net"),
     (bad("xn--abc-a.goldentooth.net", 'has a label "xn--abc-a" that starts with "xn--" but '
          "is not the punycode of an internationalised label; write the name's ASCII form "
          "as an IDNA tool gives it"),)),
    ("underscore", host("my_api.goldentooth.net"),
     (bad("my_api.goldentooth.net", 'has a label "my_api" with characters other than '
          "letters, digits and inner hyphens"),)),
    ("unicode", host("bücher.goldentooth.net"),
     (bad("bücher.goldentooth.net", UNICODE + ' ("xn--bcher-kva.goldentooth.net")'),)),
    # IDNA 2008: the sharp s is its own letter, never "ss" (IDNA 2003 would say "strasse")
    ("unicode-sharp-s", host("straße.goldentooth.net"),
     (bad("straße.goldentooth.net", UNICODE + ' ("xn--strae-oqa.goldentooth.net")'),)),
    ("mixed-script-look-alike", host("\u0430pple.goldentooth.net"),
     (bad("\u0430pple.goldentooth.net", UNICODE + ' ("xn--pple-43d.goldentooth.net")'),)),
    ("ideographic-full-stop", host("app\u3002goldentooth.net"),
     (bad("app\u3002goldentooth.net", UNICODE + ' ("app.goldentooth.net")'),)),
    ("lone-surrogate", host("a\ud800b.goldentooth.net"),
     (bad("a\ud800b.goldentooth.net", "has characters outside ASCII; DNS names are written "
          f"in ASCII; give {EXAMPLE}"),)),
    # IDNA 2008 disallows symbols, so an emoji name has no ASCII form to suggest
    ("emoji", host("\U0001f4a9.goldentooth.net"),
     (bad("\U0001f4a9.goldentooth.net", "has characters outside ASCII; DNS names are "
          "written in ASCII; give a bare name such as app.goldentooth.net"),)),
    ("every-problem-listed", host("httpbin.example.com,a_b.goldentooth.net", ttl="0"),
     (bad("httpbin.example.com", OUTSIDE),
      bad("a_b.goldentooth.net", 'has a label "a_b" with characters other than letters, '
          "digits and inner hyphens"),
      bad("0", f"is out of range; use {TTL_HELP}", A + "ttl"))),
]

NAMES_100 = ",".join(f"n{i}.goldentooth.net" for i in range(100))
NAMES_101 = ",".join(f"n{i}.goldentooth.net" for i in range(101))
HUGE = " " * 25_601 + NAME
TARGETS_100 = ",".join(f"10.4.{i // 250}.{i % 250}" for i in range(100))
TARGETS_101 = ",".join(f"10.4.{i // 250}.{i % 250}" for i in range(101))
SIZE_CASES = [
    ("hostnames-100", host(NAMES_100), ()),
    ("hostnames-101", host(NAMES_101),
     (bad(NAMES_101, "has 101 hostnames; one Service may ask for at most 100"),)),
    ("hostname-value-too-long", host(HUGE), (too_long(HUGE, 25_600, H),)),
    ("hostname-at-the-object-limit", host("a" * 256 * 1024),
     (too_long("a" * 256 * 1024, 25_600, H),)),
    ("unknown-key-at-the-object-limit", {H: NAME, A + "endpoints-type": "x" * 256 * 1024},
     ()),
    ("internal-hostname-value-too-long", {A + "internal-hostname": HUGE},
     (too_long(HUGE, 25_600, A + "internal-hostname"),)),
    ("prefixes-differ-at-the-limit", {H: NAME, A + "ttl": "6" * 256 * 1024,
                                      S + "ttl": "60"},
     (f'{S}ttl: "60" differs from {A}ttl: "{"6" * 256}..."; set one value under one prefix, '
      "or the same value under both",
      too_long("6" * 256 * 1024, 32, A + "ttl"))),
]

T = A + "ttl"
TTL_CASES = [
    (f"ttl-{value or 'empty'}", host(NAME, ttl=value), expected)
    for value, expected in [
        ("60", ()), ("1", ()), ("2147483647", ()), ("+60", ()),
        ("10m", ()), ("1h30m", ()), ("1.5h", ()), ("90s", ()), ("1h0m1s", ()),
        ("1500ms", ()), ("596523h", ()),
        ("2562047h", (bad("2562047h", f"is out of range; use {TTL_HELP}", T),)),
        ("0", (bad("0", f"is out of range; use {TTL_HELP}", T),)),
        ("-5", (bad("-5", f"is out of range; use {TTL_HELP}", T),)),
        ("2147483648", (bad("2147483648", f"is out of range; use {TTL_HELP}", T),)),
        ("500ms", (bad("500ms", f"is out of range; use {TTL_HELP}", T),)),
        ("0s", (bad("0s", f"is out of range; use {TTL_HELP}", T),)),
        ("-1m", (bad("-1m", f"is out of range; use {TTL_HELP}", T),)),
        ("60.5", (bad("60.5", f"is not a valid TTL; use {TTL_HELP}", T),)),
        ("10 minutes", (bad("10 minutes", f"is not a valid TTL; use {TTL_HELP}", T),)),
        ("1d", (bad("1d", f"is not a valid TTL; use {TTL_HELP}", T),)),
        ("h", (bad("h", f"is not a valid TTL; use {TTL_HELP}", T),)),
        ("", (bad("", f"is not a valid TTL; use {TTL_HELP}", T),)),
        ("9" * 32, (bad("9" * 32, f"is not a valid TTL; use {TTL_HELP}", T),)),
        ("0" * 30 + "1m", ()),
        ("9" * 33, (f'{T}: "{"9" * 33}" is 33 characters long; this annotation takes at '
                    "most 32",)),
        ("9" * 10_000, (too_long("9" * 10_000, 32, T),)),
        ("99999999999h", (bad("99999999999h", f"is not a valid TTL; use {TTL_HELP}", T),)),
    ]
]

W = A + "aws-weight"
F = A + "aws-failover"
ROUTING_CASES = [
    ("weight-with-set-identifier", host(NAME, set_identifier="blue", aws_weight="10"), ()),
    ("weight-0", host(NAME, set_identifier="blue", aws_weight="0"), ()),
    ("weight-255", host(NAME, set_identifier="blue", aws_weight="255"), ()),
    ("weight-256", host(NAME, set_identifier="blue", aws_weight="256"),
     (bad("256", "is not a valid weight; use a whole number from 0 to 255", W),)),
    ("weight-negative", host(NAME, set_identifier="blue", aws_weight="-1"),
     (bad("-1", "is not a valid weight; use a whole number from 0 to 255", W),)),
    ("weight-huge", host(NAME, set_identifier="blue", aws_weight="9" * 5000),
     (too_long("9" * 5000, 3, W),)),
    ("weight-without-set-identifier", host(NAME, aws_weight="10"),
     (bad("10", "needs a set-identifier annotation: Route53 routing policies apply only to "
          "record sets with a SetIdentifier (add external-dns.alpha.kubernetes.io/"
          "set-identifier)", W),)),
    ("failover-primary", host(NAME, set_identifier="a", aws_failover="PRIMARY"), ()),
    ("failover-secondary", host(NAME, set_identifier="b", aws_failover="SECONDARY"), ()),
    ("failover-lower-case", host(NAME, set_identifier="a", aws_failover="primary"),
     (bad("primary", 'is not a failover role; use PRIMARY or SECONDARY; did you mean '
          '"PRIMARY"?', F),)),
    ("failover-without-set-identifier", host(NAME, aws_failover="PRIMARY"),
     (bad("PRIMARY", "needs a set-identifier annotation: Route53 routing policies apply "
          "only to record sets with a SetIdentifier (add external-dns.alpha.kubernetes.io/"
          "set-identifier)", F),)),
    ("weight-and-failover", host(NAME, set_identifier="a", aws_weight="1",
                                 aws_failover="PRIMARY"),
     (bad("PRIMARY", f"cannot be combined with {W}: a Route53 record set has one routing "
          "policy (weighted or failover)", F),)),
    ("set-identifier-128", host(NAME, set_identifier="s" * 128), ()),
    ("set-identifier-129", host(NAME, set_identifier="s" * 129),
     (bad("s" * 129, "is 129 characters long; this annotation takes at most 128",
          A + "set-identifier"),)),
    ("set-identifier-padded", host(NAME, set_identifier=" blue"),
     (bad(" blue", "must be 1 to 128 characters without surrounding spaces (Route53 "
          "SetIdentifier)", A + "set-identifier"),)),
    ("health-check-uuid", host(NAME, aws_health_check_id=UUID), ()),
    ("health-check-not-uuid", host(NAME, aws_health_check_id="hc-1"),
     (bad("hc-1", "is not a Route53 health check id; use its UUID, e.g. "
          "12345678-1234-1234-1234-123456789012", A + "aws-health-check-id"),)),
    ("evaluate-target-health", host(NAME, aws_evaluate_target_health="true"), ()),
]

TG = A + "target"
TARGET_CASES = [
    ("target-ipv4", host(NAME, target="10.4.11.1"), ()),
    ("target-ipv6", host(NAME, target="fd00::1"), ()),
    ("target-hostname", host(NAME, target="lb.example.com."), ()),
    ("target-list", host(NAME, target="10.4.11.1, 10.4.11.2"), ()),
    ("target-url", host(NAME, target="http://lb.example.com"),
     (bad("http://lb.example.com", "is neither an IP address nor a valid hostname: it has "
          "a URL scheme", TG),)),
    ("target-wildcard", host(NAME, target="*.example.com"),
     (bad("*.example.com", 'is neither an IP address nor a valid hostname: it has a "*" '
          'that is not the whole first label', TG),)),
    ("target-empty-entry", host(NAME, target="10.4.11.1,"),
     (bad("10.4.11.1,", "has an empty entry; remove the doubled or trailing comma", TG),)),
    ("targets-100", host(NAME, target=TARGETS_100), ()),
    ("targets-101", host(NAME, target=TARGETS_101),
     (bad(TARGETS_101, "has 101 targets; a record set takes at most 100 here", TG),)),
    ("target-value-too-long", host(NAME, target="1" * 25_601),
     (too_long("1" * 25_601, 25_600, TG),)),
]

PREFIX_CASES = [
    ("stable-prefix", {S + "hostname": NAME}, ()),
    ("both-prefixes-same-value", {H: NAME, S + "hostname": NAME}, ()),
    ("both-prefixes-differ", {H: NAME, S + "hostname": "api.goldentooth.net"},
     (bad("api.goldentooth.net", f'differs from {H}: "{NAME}"; set one value under one '
          "prefix, or the same value under both", S + "hostname"),)),
    ("ttl-under-other-prefix", {H: NAME, S + "ttl": "300"}, ()),
    ("ttl-differs-across-prefixes", {H: NAME, A + "ttl": "60", S + "ttl": "300"},
     (bad("300", f'differs from {A}ttl: "60"; set one value under one prefix, or the same '
          "value under both", S + "ttl"),)),
    ("stable-prefix-outside", {S + "hostname": "httpbin.example.com"},
     (bad("httpbin.example.com", OUTSIDE, S + "hostname"),)),
    ("no-dns-annotations", {"app": "httpbin"}, ()),
]

SET = {"set_identifier": "x"}
NEEDS_SET_ID = ("needs a set-identifier annotation: Route53 routing policies apply only to "
                "record sets with a SetIdentifier (add external-dns.alpha.kubernetes.io/"
                "set-identifier)")
ROUTING_FAMILY_CASES = [
    ("region", host(NAME, **SET, aws_region="eu-west-1"), ()),
    ("region-upper-case", host(NAME, **SET, aws_region="EU-WEST-1"),
     (bad("EU-WEST-1", "is not a Route53 latency region; use an AWS region such as us-east-1 "
          f'(Route53 accepts {len(values.latency_regions())}); did you mean "eu-west-1"?',
          A + "aws-region"),)),
    ("region-without-set-identifier", host(NAME, aws_region="eu-west-1"),
     (bad("eu-west-1", NEEDS_SET_ID, A + "aws-region"),)),
    ("continent", host(NAME, **SET, aws_geolocation_continent_code="EU"), ()),
    ("continent-unknown", host(NAME, **SET, aws_geolocation_continent_code="XX"),
     (bad("XX", "is not a Route53 continent code; use one of AF, AN, AS, EU, OC, NA, SA",
          A + "aws-geolocation-continent-code"),)),
    ("country", host(NAME, **SET, aws_geolocation_country_code="DE"), ()),
    ("country-default", host(NAME, **SET, aws_geolocation_country_code="*"), ()),
    ("country-lower-case", host(NAME, **SET, aws_geolocation_country_code="de"),
     (bad("de", 'is not a country code; use two capital letters (ISO 3166-1 alpha-2, e.g. '
          '"DE"), or "*" for the default location; did you mean "DE"?',
          A + "aws-geolocation-country-code"),)),
    ("subdivision", host(NAME, **SET, aws_geolocation_country_code="US",
                         aws_geolocation_subdivision_code="CA"), ()),
    ("subdivision-outside-us", host(NAME, **SET, aws_geolocation_country_code="DE",
                                    aws_geolocation_subdivision_code="BY"),
     (bad("BY", f'needs {A}aws-geolocation-country-code: "US": Route53 takes subdivision '
          "codes for states of the United States only",
          A + "aws-geolocation-subdivision-code"),)),
    ("continent-and-country", host(NAME, **SET, aws_geolocation_continent_code="EU",
                                   aws_geolocation_country_code="DE"),
     (bad("DE", f"cannot be combined with {A}aws-geolocation-continent-code: Route53 refuses "
          "a continent together with a country or subdivision (ExternalDNS would silently "
          "drop this one); keep one of them", A + "aws-geolocation-country-code"),)),
    ("multi-value", host(NAME, **SET, aws_multi_value_answer="true"), ()),
    ("multi-value-false", host(NAME, **SET, aws_multi_value_answer="false"),
     (bad("false", 'must be "true": ExternalDNS turns multivalue answer routing on whenever '
          "this annotation is present, whatever its value; remove it to turn it off",
          A + "aws-multi-value-answer"),)),
    ("weight-and-region", host(NAME, **SET, aws_weight="1", aws_region="eu-west-1"),
     (bad("eu-west-1", f"cannot be combined with {W}: a Route53 record set has one routing "
          "policy (weighted or latency)", A + "aws-region"),)),
    ("health-check-without-set-identifier", host(NAME, aws_health_check_id=UUID), ()),
    ("alias-true", host(NAME, alias="true"), ()),
    ("alias-false", host(NAME, alias="false"),
     (bad("false", 'must be "true": ExternalDNS reads only "true" here and treats any other '
          "value as if the annotation were absent (a load balancer hostname still becomes "
          "an alias; --aws-prefer-cname keeps CNAMEs)", A + "alias"),)),
    ("alias-to-addresses", host(NAME, alias="true", target="10.4.11.1"),
     (bad("true", f"needs a hostname target, but {TG} gives IP addresses: a Route53 alias "
          "points at a DNS name (ExternalDNS would send an alias to an IP address, which "
          "Route53 refuses); remove the alias annotation", A + "alias"),)),
    ("alias-multi-value", host(NAME, **SET, alias="true", aws_multi_value_answer="true"),
     (bad("true", f"cannot be combined with {A}alias: Route53 has no multivalue answer alias "
          "records", A + "aws-multi-value-answer"),)),
    ("target-mixed", host(NAME, target="10.4.11.1,lb.example.com"),
     (bad("10.4.11.1,lb.example.com", "mixes IP addresses and hostnames: a hostname becomes "
          "a CNAME or an alias, which Route53 does not allow beside A or AAAA records of the "
          "same name; give addresses only, or one hostname", TG),)),
    ("access-public", host(NAME, access="public"), ()),
    ("access-other", host(NAME, access="internal"),
     (bad("internal", 'must be "public" or "private" (ExternalDNS treats anything else as if '
          "the annotation were absent)", A + "access"),)),
    ("internal-hostname-only", {A + "internal-hostname": "web.internal.goldentooth.net"}, ()),
    ("internal-hostname-outside", {A + "internal-hostname": "web.internal.example.com"},
     (bad("web.internal.example.com", OUTSIDE, A + "internal-hostname"),)),
    ("controller-other-skips-checks", {H: "bad..name", A + "controller": "kops"}, ()),
    ("controller-dns-controller", {H: "bad..name", A + "controller": "dns-controller"},
     (bad("bad..name", "has an empty label (two dots in a row, or a leading dot)"),)),
]

ALL_CASES = (HOSTNAME_CASES + SIZE_CASES + TTL_CASES + ROUTING_CASES + TARGET_CASES
             + PREFIX_CASES + ROUTING_FAMILY_CASES)


def test_table_has_at_least_sixty_cases() -> None:
    assert len(ALL_CASES) >= 60


@pytest.mark.parametrize(("given", "messages"), [c[1:] for c in ALL_CASES],
                         ids=[c[0] for c in ALL_CASES])
def test_verdict_and_messages(given: dict[str, str], messages: tuple[str, ...], domains) -> None:
    parsed = annotations.parse(given, domains)

    assert parsed.ok is (not messages)
    assert tuple(str(problem) for problem in parsed.problems) == messages
    if messages:
        assert parsed.dns is None


@pytest.mark.parametrize(("value", "seconds"), [
    ("60", 60), ("+60", 60), ("10m", 600), ("1h30m", 5400), ("1.5h", 5400), ("90s", 90),
    ("1500ms", 1), ("1h0m1s", 3601), ("2147483647", 2147483647), ("2562047h", 9223369200),
])
def test_ttl_forms_read_as_seconds(value: str, seconds: int) -> None:
    if seconds > values.TTL_MAX:
        with pytest.raises(ValueError, match="out of range"):
            values.ttl(value)
    else:
        assert values.ttl(value) == seconds


def test_accepted_annotations_are_normalised(domains) -> None:
    parsed = annotations.parse({
        S + "hostname": " HTTPBIN.goldentooth.net., api.goldentooth.net ,httpbin.goldentooth.net",
        S + "ttl": "1h30m", S + "target": "10.4.11.2, 10.4.11.1,10.4.11.2",
        S + "set-identifier": "blue", S + "aws-weight": "10",
        S + "aws-health-check-id": UUID.upper(),
    }, domains)

    assert parsed.dns == DNSAnnotations(
        prefix=S, hostnames=(NAME, "api.goldentooth.net"), ttl=5400,
        targets=("10.4.11.2", "10.4.11.1"), set_identifier="blue", aws_weight=10,
        aws_health_check_id=UUID,
    )


@pytest.mark.parametrize(("given", "warning"), [
    ({H: NAME, A + "hostnme": "x"},
     f"{A}hostnme is not an annotation dnsgate knows; did you mean hostname?"),
    ({A + "ttl": "60"}, f"{A}ttl has no effect without a hostname annotation"),
    ({S + "frobnicate": "1", H: NAME}, f"{S}frobnicate is not an annotation dnsgate knows"),
], ids=["typo-suggests-key", "ttl-without-hostname", "unknown-key"])
def test_legal_but_useless_input_warns(given: dict[str, str], warning: str, domains) -> None:
    parsed = annotations.parse(given, domains)

    assert parsed.ok
    assert warning in parsed.warnings


def test_internal_hostnames_and_routing_family_are_parsed(domains) -> None:
    parsed = annotations.parse({
        S + "internal-hostname": "web.internal.goldentooth.net", H: NAME,
        S + "set-identifier": "us", S + "aws-geolocation-country-code": "US",
        S + "aws-geolocation-subdivision-code": "CA", S + "alias": "true",
        S + "target": "LB.Example.com.", S + "access": "private",
    }, domains)

    assert parsed.dns == DNSAnnotations(
        prefix=A, hostnames=(NAME,), targets=("lb.example.com",), set_identifier="us",
        internal_hostnames=("web.internal.goldentooth.net",), alias=True, geo_country="US",
        geo_subdivision="CA", access="private")
    assert parsed.dns.names == (NAME, "web.internal.goldentooth.net")


def test_another_controllers_service_is_ignored_with_a_warning(domains) -> None:
    parsed = annotations.parse({H: NAME, S + "controller": "kops"}, domains)

    assert (parsed.dns, parsed.problems) == (None, ())
    assert parsed.ignored == parsed.warnings[-1] == (
        f'{S}controller is "kops", not "dns-controller": dnsgate, like ExternalDNS, leaves '
        "this object to that controller and publishes nothing for it")


def test_known_external_dns_keys_do_not_warn(domains) -> None:
    parsed = annotations.parse({H: NAME, A + "internal-hostname": "x.goldentooth.net",
                                A + "cloudflare-proxied": "true"}, domains)

    assert parsed.warnings == ()


def test_find_prefers_the_alpha_prefix() -> None:
    found = annotations.find({S + "ttl": "300", A + "ttl": "60"}, "ttl")

    assert found == Raw(A + "ttl", "60")


@pytest.mark.parametrize(("naming", "name", "txt"), [
    (txtname.TXTNaming(prefix="owner-"), f"{LABEL_57}.goldentooth.net",
     f"owner-cname-{LABEL_57}.goldentooth.net"),
    (txtname.TXTNaming(prefix="%{record_type}-owner."), NAME_247,
     f"cname-owner.{NAME_247}"),
    (txtname.TXTNaming(suffix="-owner"), f"{LABEL_57}.goldentooth.net",
     f"cname-{LABEL_57}-owner.goldentooth.net"),
    (txtname.TXTNaming(wildcard_replacement="w" * 60), "*.goldentooth.net",
     f"cname-{'w' * 60}.goldentooth.net"),
], ids=["prefix", "templated-prefix-with-a-dot", "suffix", "wildcard-replacement"])
def test_txt_naming_settings_lengthen_the_txt_name_that_must_fit(
    naming: txtname.TXTNaming, name: str, txt: str, domains
) -> None:
    parsed = annotations.parse({H: name}, domains, naming)

    expected = txt_long(txt) if len(txt) > 253 else txt_label(txt)
    assert [str(p) for p in parsed.problems] == [bad(name, expected)]
    assert annotations.parse({H: name}, domains).ok  # fits without the setting


@pytest.mark.parametrize(("text", "nanoseconds"), [
    ("0", 0), ("+0", 0), ("-0", 0), ("1ns", 1), ("1us", 1000), ("1µs", 1000), ("1μs", 1000),
    ("1.5ms", 1_500_000), (".5s", 500_000_000), ("1.s", 10**9), ("1h30m", 5400 * 10**9),
    ("-1m", -60 * 10**9), ("2562047h", 2562047 * 3600 * 10**9),
    ("0" * 50 + "1s", 10**9), ("1." + "0" * 50 + "1s", 10**9),
    ("9223372036854775807ns", 2**63 - 1), ("-9223372036854775808ns", -(2**63)),
    ("9223372036854775808ns", None), ("2562048h", None), ("1", None), ("", None), ("-", None),
    (".", None), (".s", None), ("1x", None), ("1hh", None), ("1 h", None), ("s", None),
    ("1e3s", None), ("\u0661s", None), ("9" * 10_000, None), ("1" * 100_000 + "s", None),
])
def test_durations_read_as_go_reads_them(text: str, nanoseconds: int | None) -> None:
    assert durations.go_nanoseconds(text) == nanoseconds


@pytest.mark.parametrize(("addresses", "ok"), [
    ((), False), (("10.4.11.1",), True), (("2001:db8::1",), True),
    (("lb.example.com",), False), (("10.4.11.1", "lb.example.com"), False),
], ids=["unknown-yet", "ipv4", "ipv6", "hostname", "ipv4-and-hostname"])
def test_the_txt_name_must_fit_for_the_types_the_addresses_give(
    addresses: tuple[str, ...], ok: bool, domains
) -> None:
    parsed = annotations.parse({H: f"{LABEL_58}.goldentooth.net"}, domains, txtname.DEFAULT,
                               addresses)

    assert parsed.ok is ok
