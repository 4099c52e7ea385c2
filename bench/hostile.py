"""The hostile admission corpus (devstack/hostile.py) through the real server: the slowest
answer to any of its reviews, which the issue wants within 50 ms.

One `dnsgate webhook` (gunicorn, TLS, two workers as shipped) answers every case on one
kept-alive connection, `scale.hostile_rounds` times each, after one unmeasured round; each
figure is the client's round trip (sending up to 1 MiB of body over loopback TLS included).
Both paths are timed: /validate parses the annotations, /mutate only looks for a ttl.
Then `bench.hostile_load`: an ordinary review's latency while hostile clients send the
largest bodies.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from bench import admission, hostile_load
from bench.cluster import Cluster
from bench.controllers import Controller
from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, ms, percentile, ratio
from devstack import hostile
from devstack import webhook as devwebhook
from devstack.controlplane import free_port

TARGET = 0.050  # seconds: the slowest answer to any hostile review
PATHS = ("validate", "mutate")


def run(rig: Rig, kube: Cluster, scale: Scale, contenders: list[Controller]) -> list[Table]:
    ca, cert, key = admission.serving_files(rig.state_dir / "hostile-tls")
    port = free_port()
    rig.progress(f"hostile: starting the webhook on 127.0.0.1:{port}")
    child = devwebhook.start(rig.supervisor, port=port, cert_file=cert, key_file=key, ca_file=ca,
                             domain_filters=[hostile.DOMAIN], kubeconfig=rig.stack.kubeconfig,
                             name="bench-hostile-webhook")
    cases = [*hostile.cases(), hostile.deep_body()]
    try:
        with requests.Session() as session:
            session.trust_env = False
            session.verify = str(ca)
            rig.progress(f"hostile: {len(cases)} cases x {scale.hostile_rounds} rounds x "
                         f"{len(PATHS)} paths")
            _round(session, port, cases)  # warm-up: connections, imports, caches
            timed: dict[tuple[str, str], list[float]] = {}
            answers: dict[tuple[str, str], str] = {}
            for _ in range(scale.hostile_rounds):
                for (case, path), (seconds, answer) in _round(session, port, cases).items():
                    timed.setdefault((case, path), []).append(seconds)
                    answers[(case, path)] = answer
    finally:
        child.stop()
        rig.supervisor.children.remove(child)
    return [_table(scale, cases, timed, answers),
            hostile_load.run(rig, rig.stack.kubeconfig, ca, cert, key, scale)]


def _round(session: requests.Session, port: int, cases: list[hostile.Case]
           ) -> dict[tuple[str, str], tuple[float, str]]:
    found = {}
    for case in cases:
        for path in PATHS:
            started = time.perf_counter()
            reply = session.post(f"https://127.0.0.1:{port}/{path}", data=case.body,
                                 headers={"Content-Type": "application/json"}, timeout=60)
            seconds = time.perf_counter() - started
            found[(case.id, path)] = (seconds, _answer(reply))
    return found


def _answer(reply: requests.Response) -> str:
    if reply.status_code != 200:
        return f"HTTP {reply.status_code}"
    response: dict[str, Any] = reply.json()["response"]
    return "allowed" if response["allowed"] else f"denied {response['status']['code']}"


def _table(scale: Scale, cases: list[hostile.Case],
           timed: dict[tuple[str, str], list[float]],
           answers: dict[tuple[str, str], str]) -> Table:
    size = {case.id: len(case.body) for case in cases}
    worst = sorted(timed, key=lambda key: max(timed[key]), reverse=True)
    rows = tuple(
        (case, path, f"{size[case] / 1024:.1f}", answers[(case, path)],
         ms(percentile(timed[(case, path)], 0.5)), ms(percentile(timed[(case, path)], 0.99)),
         ms(max(timed[(case, path)])), ratio(max(timed[(case, path)]), TARGET))
        for case, path in worst[:12])
    every = [seconds for samples in timed.values() for seconds in samples]
    server_errors = sum(answer.startswith("HTTP 5") for answer in answers.values())
    slowest = worst[0]
    costliest = max(timed, key=lambda key: percentile(timed[key], 0.5) or 0.0)
    return Table(
        title=f"Hostile admission corpus: {len(cases)} reviews x {scale.hostile_rounds} "
              f"rounds x {len(PATHS)} paths over TLS (the 12 slowest)",
        columns=("case", "path", "body KiB", "answer", "p50", "p99", "max",
                 "max vs 50 ms target"),
        rows=rows,
        notes=(f"slowest answer over all {len(every)} reviews: {ms(max(every))} "
               f"({slowest[0]} on /{slowest[1]}), {ratio(max(every), TARGET)} of the 50 ms "
               f"target; p99 over all {ms(percentile(every, 0.99))}, p50 "
               f"{ms(percentile(every, 0.5))}; 5xx answers: {server_errors}",
               f"highest median of any case (its steady cost, apart from scheduling): "
               f"{ms(percentile(timed[costliest], 0.5))} ({costliest[0]} on "
               f"/{costliest[1]})"),
        raw={"seconds": {f"{case} /{path}": samples for (case, path), samples in timed.items()},
             "answers": {f"{case} /{path}": a for (case, path), a in answers.items()}})
