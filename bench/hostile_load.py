"""An ordinary review's latency while hostile clients send the largest bodies, beside the same
run without them: what one attacker pod costs everyone else.

One `dnsgate webhook` with one worker and two threads (the smallest server that serves two
requests at once) answers an ordinary /validate review (one hostname, no claim conflict) at a
fixed rate from one client, for `scale.hostile_load_seconds` per phase: alone, then while
`HOSTILE_CLIENTS` clients, each its own process on its own connection, send one kind of
hostile body back to back (annotations full of unknown keys: at the object limit, then at the
webhook's body cap). The clients are Python (requests over TLS), not oha: this rig builds no
oha for a scenario of a few seconds, and the ordinary client's fixed rate is low enough that
its own pacing is not what is measured. Every client shares the machine's cores with the
server, so the hostile phases also measure the senders' own TLS and JSON work.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench.rig import Rig
from bench.scale import Scale
from bench.table import Table, ms, percentile, ratio
from devstack import hostile
from devstack import webhook as devwebhook
from devstack.controlplane import free_port

HOSTILE_CLIENTS = 4
RATE = 50  # ordinary reviews per second: one every 20 ms, far below what one thread serves
TARGET_RATIO = 2.0  # the ordinary review's p99 under hostile load, against without it
SPAWN = multiprocessing.get_context("spawn")  # clean processes: the rig runs threads
BODIES: dict[str, Callable[[], dict[str, object]]] = {
    "none": dict,
    "unknown keys at the 256 KiB object limit": lambda: hostile.review(
        hostile.unknown_keys(hostile.UNKNOWN_KEYS_AT_THE_LIMIT)),
    "unknown keys at the body cap (3.06 MiB)": lambda: hostile.at_body_cap("CREATE"),
}


def run(rig: Rig, kube_config: Path, ca: Path, cert: Path, key: Path, scale: Scale) -> Table:
    port = free_port()
    rig.progress(f"hostile load: a 1x2 webhook on 127.0.0.1:{port}")
    child = devwebhook.start(rig.supervisor, port=port, cert_file=cert, key_file=key,
                             ca_file=ca, domain_filters=[hostile.DOMAIN],
                             kubeconfig=kube_config, name="bench-hostile-load-webhook",
                             extra_args=("--workers", "1", "--threads", "2"))
    url = f"https://127.0.0.1:{port}/validate"
    ordinary = json.dumps(hostile.review({hostile.HOSTNAME: hostile.NAME})).encode()
    phases: dict[str, list[float]] = {}
    answered: dict[str, int] = {}
    try:
        for name, build in BODIES.items():
            rig.progress(f"hostile load: {scale.hostile_load_seconds} s with {name}")
            body = json.dumps(build()).encode() if name != "none" else b""
            stop = SPAWN.Event()
            counts = SPAWN.Array("i", HOSTILE_CLIENTS)
            senders = [SPAWN.Process(target=_send, args=(url, str(ca), body, stop,
                                                                   counts, index))
                       for index in range(HOSTILE_CLIENTS if body else 0)]
            for sender in senders:
                sender.start()
            try:
                time.sleep(1.0 if senders else 0.0)  # the senders connected and sending
                phases[name] = _ordinary(url, str(ca), ordinary, scale.hostile_load_seconds)
            finally:
                stop.set()
                for sender in senders:
                    sender.join(timeout=120)
            answered[name] = sum(counts)
    finally:
        child.stop()
        rig.supervisor.children.remove(child)
    return _table(scale, phases, answered)


def _ordinary(url: str, ca: str, body: bytes, seconds: float) -> list[float]:
    """Round trips of ordinary reviews sent every 1/RATE s (or at once after a late one)."""
    timed: list[float] = []
    with requests.Session() as session:
        session.trust_env = False
        session.verify = ca
        session.post(url, data=body, timeout=60)  # connected, warmed up
        start = time.perf_counter()
        sent = 0
        while time.perf_counter() - start < seconds:
            due = start + sent / RATE
            time.sleep(max(0.0, due - time.perf_counter()))
            began = time.perf_counter()
            reply = session.post(url, data=body, timeout=60,
                                 headers={"Content-Type": "application/json"})
            timed.append(time.perf_counter() - began)
            reply.raise_for_status()
            if not reply.json()["response"]["allowed"]:
                raise AssertionError(f"the ordinary review was refused: {reply.text[:300]}")
            sent += 1
    return timed


def _send(url: str, ca: str, body: bytes, stop: object, counts: object, index: int) -> None:
    """One hostile client: `body` back to back until `stop`, answers counted."""
    with requests.Session() as session:
        session.trust_env = False
        session.verify = ca
        while not stop.is_set():  # type: ignore[attr-defined]
            reply = session.post(url, data=body, timeout=60,
                                 headers={"Content-Type": "application/json"})
            if reply.status_code >= 500:
                raise AssertionError(f"hostile body answered {reply.status_code}")
            counts[index] += 1  # type: ignore[index]


def _table(scale: Scale, phases: dict[str, list[float]], answered: dict[str, int]) -> Table:
    alone = percentile(phases["none"], 0.99) or 0.0
    rows = []
    for name, timed in phases.items():
        p99 = percentile(timed, 0.99) or 0.0
        rows.append((name, str(len(timed)), ms(percentile(timed, 0.5)), ms(p99),
                     ms(max(timed)), f"{p99 / alone:.2f}" if alone else "n/a",
                     str(answered[name]), f"{answered[name] / scale.hostile_load_seconds:.1f}"))
    worst = max(percentile(t, 0.99) or 0.0 for t in phases.values())
    return Table(
        title=f"Ordinary review under hostile load: 1 worker x 2 threads, {RATE} ordinary "
              f"reviews/s for {scale.hostile_load_seconds} s per phase, {HOSTILE_CLIENTS} "
              "hostile clients back to back",
        columns=("hostile bodies", "ordinary reviews", "p50", "p99", "max",
                 "p99 vs alone", "hostile answers", "hostile answers/s"),
        rows=tuple(rows),
        notes=(f"worst p99 against alone: {ratio(worst, alone)}, against a target of "
               f"x{TARGET_RATIO:.0f}; hostile answers were never 5xx",),
        raw={"seconds": phases, "hostile_answers": answered})
