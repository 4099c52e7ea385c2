"""The agenda, the loop's one place to wait: the first work is a resync, then one every
interval; a burst of events is one piece of work; a resync request or `stop` from another
thread wakes a waiting loop; failed syncs bring the resync forward on the backoff.

Decisions are checked on a clock the test moves (`due`); waking, with real threads (`next`).
"""

from __future__ import annotations

import threading

from dnsgate.backoff import Backoff
from reconciler.agenda import MAX_SETTLE, RESYNC, RETRIES, Agenda, Work

INTERVAL, COALESCE = 900.0, 0.2


def agenda() -> tuple[Agenda, list[float]]:
    now = [1000.0]
    running = Agenda(INTERVAL, COALESCE, Backoff(base=1.0, cap=INTERVAL, jitter=lambda: 1.0),
                     clock=lambda: now[0])
    assert running.due() == RESYNC  # the first work, at once
    return running, now


def test_resync_is_due_every_interval_and_nothing_between() -> None:
    running, now = agenda()

    now[0] += INTERVAL - 1
    assert running.due() is None
    now[0] += 1
    assert running.due() == RESYNC
    assert running.due() is None


def test_burst_of_events_is_one_piece_of_work_once_it_pauses() -> None:
    running, now = agenda()

    running.services_changed({"apps/a"})
    now[0] += COALESCE / 2
    running.services_changed({"apps/b", "apps/a"})
    now[0] += COALESCE / 2
    assert running.due() is None  # the burst goes on
    now[0] += COALESCE / 2

    assert running.due() == Work("services", frozenset({"apps/a", "apps/b"}))
    assert running.due() is None


def test_steady_stream_of_events_is_still_taken_within_max_settle() -> None:
    running, now = agenda()

    first = now[0]
    while now[0] < first + MAX_SETTLE:
        running.services_changed({"apps/a"})
        now[0] += COALESCE / 2
    running.services_changed({"apps/a"})  # the stream has not paused

    assert running.due() == Work("services", frozenset({"apps/a"}))


def test_resync_covers_pending_events() -> None:
    running, now = agenda()
    running.services_changed({"apps/a"})

    running.resync_now()

    assert running.due() == RESYNC
    now[0] += COALESCE
    assert running.due() is None


def test_due_retries_are_work() -> None:
    running, now = agenda()

    assert running.due(retries_due=now[0] + 1) is None
    assert running.due(retries_due=now[0]) == RETRIES


def test_failed_syncs_in_a_row_bring_the_resync_forward_backing_off() -> None:
    running, now = agenda()

    waits = []
    for _ in range(4):
        running.sync_failed()  # the resync just taken failed
        started = now[0]
        while running.due() is None:
            now[0] += 0.25
        waits.append(now[0] - started)
    running.sync_succeeded()
    running.sync_failed()
    started = now[0]
    while running.due() is None:
        now[0] += 0.25

    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert now[0] - started == 1.0  # a sync that succeeded starts the backoff over


def test_resync_request_or_stop_from_another_thread_wakes_the_waiting_loop() -> None:
    running = Agenda(INTERVAL, COALESCE, Backoff(base=1.0, cap=INTERVAL))
    assert running.next() == RESYNC
    taken: list[Work | None] = []

    def loop() -> None:
        while (work := running.next()) is not None:
            taken.append(work)
        taken.append(None)

    thread = threading.Thread(target=loop)
    thread.start()
    running.resync_now()
    threading.Timer(0.3, running.stop).start()
    thread.join(timeout=10)  # an interval is 15 minutes: only a wake-up ends this sooner

    assert not thread.is_alive()
    assert taken == [RESYNC, None]
