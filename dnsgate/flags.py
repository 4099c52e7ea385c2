"""Flags, and the environment variables that set them, checked as strictly as each other.

The rules are the same for every command (docs/flags.md has ExternalDNS's side of them):

- `--domain-filter` reads `DNSGATE_DOMAIN_FILTER`. A flag that ExternalDNS has with the same
  meaning (`external_dns=True`) also reads `EXTERNAL_DNS_DOMAIN_FILTER`, the name
  ExternalDNS's flag library derives (`EXTERNAL_DNS_` + the flag, upper case, `-` -> `_`).
  The command line wins over the environment, which wins over the default; a DNSGATE_ and an
  EXTERNAL_DNS_ variable that disagree are an error.
- An empty variable counts as unset, as ExternalDNS counts it.
- A repeatable flag takes several flags, or one value split on commas (dnsgate's separator)
  or newlines (ExternalDNS's separator in the environment).
- A boolean flag is `--once`, `--no-once` or `--once=VALUE`. VALUE and variables take only
  the spellings Go's strconv.ParseBool accepts, which is what ExternalDNS reads them with:
  `ture` is an error, never false.
- A DNSGATE_ or EXTERNAL_DNS_ variable that sets no flag of any dnsgate command is refused,
  naming the closest one: a misspelt setting must not be silently ignored.
- Flags are never abbreviated (`--domain` is not `--domain-filter`).

Every problem is a `dnsgate.errors.ConfigError`, raised while parsing.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from dnsgate.errors import ConfigError

PREFIX = "DNSGATE_"
EXTERNAL_DNS_PREFIX = "EXTERNAL_DNS_"
NOT_FLAGS = frozenset({
    # Read by the development stack (`python -m devstack`), which is not a dnsgate command.
    "DNSGATE_CACHE", "DNSGATE_STATE_DIR",
})

# Go's strconv.ParseBool, which ExternalDNS's flag library parses boolean values with.
TRUE = ("1", "t", "T", "TRUE", "true", "True")
FALSE = ("0", "f", "F", "FALSE", "false", "False")
BOOLEAN_SPELLINGS = "true or false (also 1, t, T, TRUE, True, 0, f, F, FALSE, False)"

Kind = Literal["value", "list", "boolean"]
Explain = Callable[[str], "str | None"]


class _Unset:
    def __repr__(self) -> str:
        return "<not given>"


UNSET: Any = _Unset()
"""Every flag's argparse default: after parsing, it means "not on the command line"."""


@dataclass(frozen=True)
class Setting:
    """One flag and where else its value may come from."""

    flag: str
    dest: str
    kind: Kind
    default: Any
    variables: tuple[str, ...]
    """Environment variables in order of precedence: DNSGATE_ first."""
    convert: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    required: bool = False


_SETTINGS: weakref.WeakKeyDictionary[argparse.ArgumentParser, list[Setting]] = (
    weakref.WeakKeyDictionary())


def env_name(flag: str, prefix: str = PREFIX) -> str:
    """`--domain-filter` -> `DNSGATE_DOMAIN_FILTER` (or `EXTERNAL_DNS_DOMAIN_FILTER`)."""
    return prefix + re.sub(r"[^A-Za-z0-9_]+", "_", flag.lstrip("-")).upper()


def parse_bool(text: str) -> bool:
    """strconv.ParseBool: exactly its twelve spellings; anything else is a ValueError."""
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f'"{text}" is not a boolean; use {BOOLEAN_SPELLINGS}')


def split(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\r\n]", value) if item.strip()]


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help with each flag's default named, where it has one worth naming (an
    empty or false default means "off", which the help text already says)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or "default" in text or default is UNSET
                or default in (None, "", False, (), [], argparse.SUPPRESS)
                or action.option_strings == [] or isinstance(default, bool)):
            return text
        shown = ",".join(map(str, default)) if isinstance(default, (list, tuple)) else default
        return f"{text} (default: {str(shown).replace('%', '%%')})"


class Parser(argparse.ArgumentParser):
    """argparse with dnsgate's rules: no abbreviations, the environment applied after the
    command line, and every problem raised as one `ConfigError` (never argparse's usage block
    and exit). `explain_unknown` may name why an unknown flag is refused;
    `check_environment` runs once the command line and environment are parsed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.explain_unknown: Explain | None = None
        self.check_environment: Callable[[argparse.Namespace], None] | None = None

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message} (see {self.prog} --help)", prog=self.prog)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        try:
            parsed, extras = super().parse_known_args(args, namespace)
            if extras:
                raise ConfigError(self._unrecognized(extras[0]))
            if self.check_environment is not None:
                self.check_environment(parsed)
            resolve(self, parsed)
        except ConfigError as exc:
            exc.within(self.prog)
            raise
        return parsed, extras

    def _unrecognized(self, argument: str) -> str:
        option = argument.split("=", 1)[0]
        if not option.startswith("-"):
            return f'unexpected argument "{argument}": {self.prog} takes flags only'
        explained = self.explain_unknown(option) if self.explain_unknown else None
        if explained:
            return explained
        known = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        close = difflib.get_close_matches(option, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"see {self.prog} --help"
        return f"{option} is not a flag of {self.prog}; {hint}"


def add(parser: argparse.ArgumentParser, flag: str, *, help: str,
        external_dns: bool = False, **kwargs: Any) -> None:
    """Add `flag`, settable from DNSGATE_<FLAG> and, with `external_dns`, EXTERNAL_DNS_<FLAG>.

    `action` may be "store_true" (a boolean) or "append" (a list); `required`, `default`,
    `type` and `choices` apply to the environment as to the command line. The help text
    gains the variables' names, so `--help` documents every spelling.
    """
    if not isinstance(parser, Parser):
        raise TypeError(f"{flag}: flags.add needs a flags.Parser, which applies the environment")
    action = kwargs.pop("action", None)
    required = bool(kwargs.pop("required", False))
    default = kwargs.pop("default", None)
    variables = (env_name(flag),) + ((env_name(flag, EXTERNAL_DNS_PREFIX),)
                                     if external_dns else ())
    dest = flag.lstrip("-").replace("-", "_")
    text = f"{help} [env {', '.join(variables)}]"
    if default not in (None, "", False, (), []) and "default" not in help:
        shown = ",".join(map(str, default)) if isinstance(default, (list, tuple)) else default
        text = f"{help} (default: {str(shown).replace('%', '%%')}) [env {', '.join(variables)}]"
    kind: Kind
    if action == "store_true":
        kind, default = "boolean", bool(default)
        parser.add_argument(flag, "--no-" + flag.lstrip("-"), dest=dest, action=_Boolean,
                            nargs="?", metavar="BOOL", default=UNSET, help=text)
    elif action == "append":
        kind, default = "list", list(default or [])
        parser.add_argument(flag, dest=dest, action=_List, default=UNSET, help=text, **kwargs)
    elif action is None:
        kind = "value"
        parser.add_argument(flag, dest=dest, default=UNSET, help=text, **kwargs)
    else:
        raise TypeError(f"{flag}: action {action!r} is not one flags.add supports")
    choices = kwargs.get("choices")
    _SETTINGS.setdefault(parser, []).append(Setting(
        flag=flag, dest=dest, kind=kind, default=default, variables=variables,
        convert=kwargs.get("type"), choices=tuple(choices) if choices else None,
        required=required))


def settings(parser: argparse.ArgumentParser) -> tuple[Setting, ...]:
    return tuple(_SETTINGS.get(parser, ()))


class _Boolean(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        negated = bool(option_string and option_string.startswith("--no-"))
        if values is None:
            setattr(namespace, self.dest, not negated)
            return
        if negated:
            raise ConfigError(f'{option_string} takes no value (got "{values}"); write '
                              f"{self.option_strings[0]}={values}")
        try:
            setattr(namespace, self.dest, parse_bool(values))
        except ValueError:
            raise ConfigError(f'{self.option_strings[0]} "{values}" is not a boolean; use '
                              f"{BOOLEAN_SPELLINGS}") from None


class _List(argparse.Action):
    """Repeatable and comma-separated; the first use on the command line replaces the
    environment's value rather than adding to it."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        current = getattr(namespace, self.dest)
        items = [] if current is UNSET else list(current)
        items.extend(split(str(values)))
        setattr(namespace, self.dest, items)


def resolve(parser: argparse.ArgumentParser, namespace: argparse.Namespace) -> None:
    """Fill every flag not given on the command line from the environment, else its default.
    A variable is checked even when the command line overrides it: the same ConfigMap may
    feed another command, or this one when the flag is dropped."""
    for setting in settings(parser):
        found = _from_environment(setting, os.environ)
        if getattr(namespace, setting.dest, UNSET) is not UNSET:
            continue
        if found:
            value = found[0]
        elif setting.required:
            raise ConfigError(f"{setting.flag} is required; give it, or set "
                              f"{' or '.join(setting.variables)}")
        else:
            value = list(setting.default) if setting.kind == "list" else setting.default
        setattr(namespace, setting.dest, value)


def _from_environment(setting: Setting, environ: Mapping[str, str]) -> tuple[Any, ...]:
    """(value,) from the environment, or () when no variable sets it."""
    found = [(name, environ[name], _convert(setting, name, environ[name]))
             for name in setting.variables if environ.get(name, "") != ""]
    if len(found) == 2 and found[0][2] != found[1][2]:
        (first, first_raw, _), (other, other_raw, _) = found
        raise ConfigError(f'{first}="{first_raw}" and {other}="{other_raw}" disagree; set '
                          f"{setting.flag} in one of them")
    return (found[0][2],) if found else ()


def _convert(setting: Setting, name: str, raw: str) -> Any:
    if setting.kind == "boolean":
        try:
            return parse_bool(raw)
        except ValueError:
            raise ConfigError(f'{name}="{raw}" is not a boolean; use {BOOLEAN_SPELLINGS}') \
                from None
    items = split(raw) if setting.kind == "list" else [raw]
    for item in items:
        if setting.choices is not None and item not in setting.choices:
            raise ConfigError(f'{name}="{raw}": "{item}" is not one of '
                              f"{', '.join(setting.choices)}")
    if setting.convert is not None:
        try:
            items = [setting.convert(item) for item in items]
        except (TypeError, ValueError) as exc:
            raise ConfigError(f'{name}="{raw}" is not a valid {setting.flag} '
                              f"({_expected(setting.convert, exc)})") from exc
    return items if setting.kind == "list" else items[0]


def _expected(convert: Callable[[str], Any], exc: Exception) -> str:
    if convert is int:
        return "a whole number"
    if convert is float:
        return "a number"
    return str(exc)


def check_environment(parsers: Iterable[argparse.ArgumentParser],
                      explain: Explain | None = None,
                      environ: Mapping[str, str] | None = None) -> None:
    """Refuse a DNSGATE_ or EXTERNAL_DNS_ variable that sets no flag of `parsers` (every
    command: they share one ConfigMap), naming the closest flag."""
    environ = os.environ if environ is None else environ
    known: dict[str, Setting] = {}
    for parser in parsers:
        for setting in settings(parser):
            known.update(dict.fromkeys(setting.variables, setting))
    for name in sorted(environ):
        if name in known or name in NOT_FLAGS or not name.startswith(
                (PREFIX, EXTERNAL_DNS_PREFIX)):
            continue
        raise ConfigError(_unknown_variable(name, known, explain))


def _unknown_variable(name: str, known: Mapping[str, Setting], explain: Explain | None) -> str:
    prefix = EXTERNAL_DNS_PREFIX if name.startswith(EXTERNAL_DNS_PREFIX) else PREFIX
    option = "--" + name[len(prefix):].lower().replace("_", "-")
    explained = explain(option) if explain and prefix == EXTERNAL_DNS_PREFIX else None
    if explained:
        return f"{name}: {explained}"
    flags = {setting.flag: setting for setting in known.values()}
    close = difflib.get_close_matches(option, list(flags), n=1, cutoff=0.75)
    if not close:
        return (f"{name} is not a dnsgate setting: no dnsgate command has a flag {option} "
                f"(each flag --NAME is read from {PREFIX}NAME)")
    setting = flags[close[0]]
    suggestion = next((v for v in setting.variables if v.startswith(prefix)),
                      setting.variables[0])
    return f"{name} is not a dnsgate setting; did you mean {suggestion} ({setting.flag})?"
