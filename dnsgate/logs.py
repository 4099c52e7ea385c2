"""Logging for every dnsgate process: `--log-level`, and `--log-format text|json`.

JSON lines use logrus's keys, as ExternalDNS writes them (`level`, `msg`, `time`), so a log
pipeline's queries carry across, plus any `extra=` fields a call passes (action, record,
targets, service, ...), so a log pipeline can filter on them. Nothing secret is ever passed
to a logger; as a second line of defence, values of fields whose names look like secrets
(key, secret, token, password, credentials) are replaced with "[redacted]".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from typing import Any

from dnsgate import flags

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Libraries whose lines are about their own plumbing (urllib3's retry warnings, botocore's
# credential lookups): at debug only, where someone is looking for them. The kubernetes
# client and botocore also log request bodies and headers at their own debug level, so even
# then they stop at info.
_LIBRARIES = ("urllib3", "botocore", "boto3", "kubernetes")
_SECRET_WORDS = ("key", "secret", "token", "password", "credential")


# ExternalDNS's levels (logrus's) -> Python's: trace is debug, and a process that logs at
# fatal or panic stops, so for a running dnsgate those levels mean "errors only".
LEVELS = {"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warning": "WARNING",
          "error": "ERROR", "fatal": "ERROR", "panic": "ERROR"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add(parser, "--log-level", default="info", choices=tuple(LEVELS), external_dns=True,
              help="least severe level logged: debug, info, warning or error (ExternalDNS's "
                   "trace is debug; fatal and panic are error)")
    flags.add(parser, "--log-format", default="text", choices=("text", "json"),
              external_dns=True,
              help="text for people, json (one object per line) for log pipelines")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = redact(name, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def redact(name: str, value: Any) -> Any:
    lowered = name.lower()
    return "[redacted]" if any(word in lowered for word in _SECRET_WORDS) else value


def setup(level: str = "info", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    for library in _LIBRARIES:
        logging.getLogger(library).setLevel(
            logging.INFO if root.level <= logging.DEBUG else logging.ERROR)
