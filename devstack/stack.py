"""The whole local stack in one object: etcd, kube-apiserver and a Route53 server.

`python -m devstack`, the pytest session fixtures, the demo and the benchmarks all start it through
`Stack`, so there is one implementation of "a real cluster API and a real Route53 API on this
machine". Leaving the `with` block (normally, by exception or by signal) stops every process.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from devstack import build, route53
from devstack.controlplane import ControlPlane
from devstack.processes import Supervisor

Progress = Callable[[str], None]


class Stack:
    def __init__(
        self,
        state_dir: Path,
        *,
        progress: Progress = print,
        extra_apiserver_args: Sequence[str] = (),
    ) -> None:
        self.state_dir = state_dir.resolve()
        self.progress = progress
        self.supervisor = Supervisor(self.state_dir / "logs")
        self.extra_apiserver_args = tuple(extra_apiserver_args)
        self.control_plane: ControlPlane | None = None
        self.route53: route53.Route53Endpoint | None = None

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        binaries = build.ensure_binaries(self.progress)
        started = time.monotonic()
        self.progress("starting etcd and kube-apiserver ...")
        self.control_plane = ControlPlane(
            binaries, self.state_dir, self.supervisor, self.extra_apiserver_args
        )
        self.control_plane.start()
        self.progress(f"kube-apiserver ready at {self.control_plane.url}")
        self.progress("starting the Route53 server (moto) ...")
        _, self.route53 = route53.start(self.supervisor)
        self.progress(
            f"Route53 ready at {self.route53.url}, zone {self.route53.zone_name} "
            f"({self.route53.zone_id}); stack up in {time.monotonic() - started:.1f}s"
        )
        self.env_file.write_text(
            "".join(f"{key}={shlex.quote(value)}\n" for key, value in self.env().items())
        )

    def stop(self) -> None:
        self.supervisor.stop_all()

    @property
    def env_file(self) -> Path:
        return self.state_dir / "env"

    @property
    def kubeconfig(self) -> Path:
        assert self.control_plane is not None
        return self.control_plane.kubeconfig

    def env(self) -> dict[str, str]:
        """What a client needs to reach both APIs: the `DIR/env` file's content."""
        assert self.control_plane is not None and self.route53 is not None
        return {"KUBECONFIG": str(self.kubeconfig), **self.route53.env()}
