"""Configuration errors: the one way every dnsgate command refuses to start.

A bad flag, environment variable, or combination of settings raises `ConfigError` with a
message that names the flag (or variable), the value and what would be valid. Whatever the
subcommand and wherever the problem is found (argument parsing, the environment, building
the settings, reaching the Kubernetes API at start), the command then exits with
`EXIT_CODE` after printing exactly one line through `report`:

    dnsgate <command>: error: <message>

Errors that arise while running (Route53 refusing a change, a watch dropping) are not
configuration errors; each deployable has its own tree for those (reconciler/errors.py).
"""

from __future__ import annotations

import sys
from typing import TextIO

EXIT_CODE = 2
"""argparse's own exit code for a usage error, so scripts see one code for every bad setting."""


class ConfigError(Exception):
    """Settings that cannot work. `str(error)` is the message; `prog` the command's name."""

    def __init__(self, message: str, *, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog

    def within(self, prog: str) -> ConfigError:
        """The same error, attributed to `prog` unless a more specific command already is."""
        if self.prog is None:
            self.prog = prog
        return self


def report(error: ConfigError, prog: str = "dnsgate", stream: TextIO | None = None) -> int:
    """Print the error's one line and return the exit code."""
    message = " ".join(str(error).split())  # one line, whatever a library put in the text
    print(f"{error.prog or prog}: error: {message}", file=stream or sys.stderr)
    return EXIT_CODE
