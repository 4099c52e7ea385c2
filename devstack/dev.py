"""`python -m devstack` (`make dev`): the local stack in the foreground until Ctrl-C or SIGTERM.

Builds what is missing, starts etcd, kube-apiserver and the Route53 server, writes
`DIR/env` once all are ready, prints how to use it, and stops everything it started on
SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from dnsgate import errors, flags


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add(
        parser, "--state-dir", type=Path, default=Path(".dnsgate-dev"),
        help="where certificates, kubeconfig, logs and the env file go",
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(f"devstack: {message}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = flags.Parser(
        prog="python -m devstack",
        description="Run etcd, kube-apiserver and a Route53 server locally, for tests and demos.",
    )
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except errors.ConfigError as exc:
        return errors.report(exc)
    return run(args)


def run(args: argparse.Namespace) -> int:
    from devstack.build import BuildError
    from devstack.processes import StartError
    from devstack.stack import Stack

    # SIGTERM behaves like Ctrl-C: unwind through the `with`, which stops every child,
    # whether the stack is still building, starting, or up.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with Stack(Path(args.state_dir), progress=_say) as stack:
            env_file = stack.env_file
            _say(f"ready; wrote {env_file}")
            print(
                "\nIn another shell:\n"
                f"  set -a; . {env_file}; set +a\n"
                "  kubectl get --raw /readyz\n"
                "  aws route53 list-hosted-zones   # or any boto3 client\n"
                "\nCtrl-C stops etcd, kube-apiserver and the Route53 server.\n",
                flush=True,
            )
            try:
                while True:
                    time.sleep(1.0)
                    dead = [c.name for c in stack.supervisor.children if not c.alive()]
                    if dead:
                        _say(f"{', '.join(dead)} exited unexpectedly; see {stack.state_dir}/logs")
                        return 1
            except KeyboardInterrupt:
                _say("stopping ...")
    except KeyboardInterrupt:
        _say("interrupted while starting; stopping ...")
    except (BuildError, StartError) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    _say("stopped; no process left running")
    return 0
