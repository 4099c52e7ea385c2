"""The `dnsgate` command line: one subcommand per deployable or tool.

Subcommands are declared in pyproject.toml as entry points of the group `dnsgate.commands`
(name -> module). Each module exposes `HELP` (one line), `add_arguments(parser)` and
`run(args) -> int`, and imports its heavy dependencies (Flask, boto3, the kubernetes client)
inside `run`, so `dnsgate --help` stays fast. Discovering them this way keeps `dnsgate` the
package every deployable builds on, with no import from it back into the deployables.

Whatever the subcommand, a configuration problem (a flag, a variable, a setting, found
while parsing or while `run` starts) ends the process the same way: `errors.report`; any
other failure that stops it is one line too, naming the cause and the fix:
`failures.report`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from functools import cache, partial
from importlib import metadata

from dnsgate import errors, externaldns, flags

COMMANDS_GROUP = "dnsgate.commands"

# Secrets a subcommand must never be given. The webhook shares the settings ConfigMap with
# the reconciler, so a TXT encryption key found here came from that ConfigMap (or was put in
# the webhook's pod): either way it is where it must not be.
FORBIDDEN_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "webhook": ("DNSGATE_TXT_ENCRYPT_AES_KEY", "EXTERNAL_DNS_TXT_ENCRYPT_AES_KEY"),
}


def version() -> str:
    return f"dnsgate {metadata.version('dnsgate')}"


def build_parser() -> flags.Parser:
    parser = flags.Parser(prog="dnsgate", description="Stable Route53 names for Kubernetes "
                                                      "Services.")
    parser.add_argument("--version", action="version", version=version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=flags.Parser)
    for entry in sorted(metadata.entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        module = entry.load()
        sub_parser = sub.add_parser(entry.name, help=module.HELP, description=module.HELP,
                                    formatter_class=flags.HelpFormatter)
        sub_parser.add_argument("--version", action="version", version=version())
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_module=module)
    # The commands share one ConfigMap: a variable is known if any of them reads it.
    commands = list(sub.choices.values())
    for name, command in sub.choices.items():
        command.check_environment = partial(_check_environment, commands, name)
        command.explain_unknown = partial(_elsewhere, sub.choices, name,
                                          command.explain_unknown)
    return parser


def _elsewhere(commands: dict[str, flags.Parser], name: str, own: flags.Explain | None,
               option: str) -> str | None:
    """Why `option` is refused when another command has it: this command cannot honour it
    (the webhook acts on no --policy; the reconciler adds no --default-ttl)."""
    explained = own(option) if own is not None else None
    if explained:
        return explained
    holders = [f"dnsgate {other}" for other, parser in sorted(commands.items())
               if other != name and any(option in action.option_strings
                                        for action in parser._actions)]
    if not holders:
        return None
    return (f"{option} is a flag of {', '.join(holders)}, not of dnsgate {name}, which does "
            f"not act on it; give it to {holders[-1] if len(holders) == 1 else 'those'} only")


def _check_environment(commands: list[flags.Parser], name: str, args: argparse.Namespace) -> None:
    flags.check_environment(commands, externaldns.refusal)
    for variable in FORBIDDEN_ENVIRONMENT.get(name, ()):
        if variable in os.environ:
            raise errors.ConfigError(
                f"{variable} is set in its environment; the TXT encryption key belongs in a "
                "Secret only the reconciler reads, never in the settings ConfigMap or the "
                "webhook's pod")


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line and environment, parsed and checked; `errors.ConfigError` if not."""
    return build_parser().parse_args(argv)


def stop_on_sigterm() -> None:
    """Exit at once on SIGTERM until a subcommand installs its own, graceful handler.

    As a container's PID 1, a process gets only the signals it handles: the kernel drops a
    SIGTERM that would take its default action, so a kubelet stopping a pod still starting
    (importing, running its start-up checks) would wait out the whole grace period and then
    kill it. Nothing is in flight before a subcommand's own handler is in place, so exiting
    at once is the right answer then (docs/kubelet.md, "Stopping").

    A Python handler runs only in the main thread, and only once it runs Python code again:
    when the signal lands in another thread (a watch, the health server), a main thread
    waiting a minute on a silent Route53 would not notice it until that read timed out. So
    the signal also wakes a thread of its own (`signal.set_wakeup_fd`), which ends the
    process from there while the start-up handler is still the one installed."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    _wake_on_signals()


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@cache
def _wake_on_signals() -> None:
    """Once per process, from the main thread: every signal's number is written to a pipe
    that a daemon thread reads; SIGTERM ends the process there if `_exit_on_signal` is still
    its handler (a graceful handler installed since means: leave it to that handler)."""
    if threading.current_thread() is not threading.main_thread():
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def watch() -> None:
        while received := os.read(read_end, 64):
            if signal.SIGTERM in received and \
                    signal.getsignal(signal.SIGTERM) is _exit_on_signal:
                os._exit(128 + signal.SIGTERM)

    threading.Thread(target=watch, name="sigterm", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_sigterm()
    try:
        args = parse(argv)
    except errors.ConfigError as exc:
        return errors.report(exc)
    try:
        result: int = args._module.run(args)
    except errors.ConfigError as exc:
        return errors.report(exc, f"dnsgate {args.command}")
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every failure is one line (dnsgate.failures)
        from dnsgate import failures

        return failures.report(exc, f"dnsgate {args.command}")
    return result


if __name__ == "__main__":
    sys.exit(main())
