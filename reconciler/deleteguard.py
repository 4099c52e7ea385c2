"""The mass-delete guard: which of a sync's planned deletes go, and which are held.

A delete goes only when its reason was seen (`reconciler.witness`), and only while the
deletes stay within `--max-deletes`: when one sync, with the deletes of the syncs in the
minute before it, would delete more than `max_count` record sets AND more than
`max_percent` of those dnsgate owns, every delete of that sync is held (a namespace deleted
arrives as a burst of events, several syncs, and counts as one). Until the next resync or
the confirmation, later syncs' deletes join the held ones. Everything else in the sync
(creates, updates, TXT repairs) is applied as usual.

Held deletes make one held plan, named by a short hash of its record sets (zone, name, type,
set identifier). It goes through when the confirmation ConfigMap (`--confirm-deletes`,
default `dnsgate-confirm-deletes` in the Lease's namespace) carries that hash in `data.plan`:
a restart recomputes the same hash but writes no confirmation, and a confirmation names one plan, so
it releases no other (docs/deletes.md). Pure: the clock and the confirmation are passed in.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.endpoint import Endpoint, Key
from reconciler.errors import ConfigError

WINDOW = 60.0
"""Seconds of earlier deletes counted with a sync's own: the events of a namespace deleted
(hundreds of Services) reach dnsgate within seconds, as several coalesced syncs."""
CONFIRMATION_NAME = "dnsgate-confirm-deletes"
RECHECK = 10.0
"""Seconds between two reads of the confirmation while deletes are held."""


@dataclass(frozen=True)
class GuardSettings:
    max_count: int = 20
    """--max-deletes: a sync deleting up to this many record sets is never held, so everyday
    work (an app removed, a namespace of a dozen apps) needs no confirmation."""
    max_percent: float = 25.0
    """--max-deletes-percent: more than `max_count` is held only when it is also more than
    this share of the record sets dnsgate owns: the incidents users report delete all of
    them (a prefix change, a timed-out list), while a large cluster removing one team's
    namespace of 50 apps stays far below a quarter. 100 turns the count limit off."""
    confirmation: str = "dnsgate/dnsgate-confirm-deletes"
    """--confirm-deletes: NAMESPACE/NAME of the ConfigMap whose `data.plan` releases the held
    plan of that hash; by default in the Lease's namespace (--leader-election-namespace),
    whose Role grants reading it, else in `dnsgate`."""

    @property
    def namespace(self) -> str:
        return self.confirmation.partition("/")[0]

    @property
    def name(self) -> str:
        return self.confirmation.partition("/")[2]

    def describe(self) -> str:
        return (f"--max-deletes={self.max_count} and --max-deletes-percent="
                f"{self.max_percent:g}")


@dataclass(frozen=True)
class Delete:
    zone: str
    record: Endpoint
    seen: bool
    reason: str

    @property
    def at(self) -> tuple[str, Key]:
        return self.zone, self.record.key


@dataclass(frozen=True)
class Decision:
    allowed: frozenset[tuple[str, Key]]
    held: tuple[Delete, ...] = ()
    """Every delete held now, this sync's and those held before at names outside its scope."""
    plan: str = ""
    """The held plan's hash; "" when nothing is held."""
    over: bool = False
    """This sync's seen deletes were held for the threshold."""
    counted: int = 0
    owned: int = 0
    released: int = 0
    """Deletes a confirmation let through in this sync."""


def plan_id(held: Iterable[Delete]) -> str:
    text = "\n".join(sorted(f"{d.zone} {d.record.dnsname} {d.record.record_type} "
                            f"{d.record.set_identifier}" for d in held))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class Guard:
    def __init__(self, settings: GuardSettings, confirmed: Callable[[], str | None],
                 clock: Callable[[], float]) -> None:
        self.settings = settings
        self.confirmed = confirmed
        self.clock = clock
        self.held: dict[tuple[str, Key], Delete] = {}
        self.plan = ""
        self._landed: deque[tuple[float, int]] = deque()
        self._recheck_at: float | None = None

    def decide(self, deletes: Sequence[Delete], names: frozenset[str] | None,
               owned: int) -> Decision:
        """The deletes that may go in a sync over `names` (None: every name), whose view
        holds `owned` record sets dnsgate owns."""
        now = self.clock()
        while self._landed and now - self._landed[0][0] > WINDOW:
            self._landed.popleft()
        recent = sum(count for _, count in self._landed)
        seen = [d for d in deletes if d.seen]
        counted = recent + len(seen)
        base = owned + recent
        kept = {at: d for at, d in self.held.items()
                if names is not None and at[1][0] not in names}
        # While deletes are held for the threshold, later ones join them: a trickle must
        # not pass a minute at a time. A resync plans every held delete again and decides
        # afresh (kept is empty), so a hold whose records are wanted again ends there.
        over = any(d.seen for d in kept.values()) or (
            counted > self.settings.max_count
            and counted * 100 > self.settings.max_percent * base)
        now_held = [d for d in deletes if not d.seen or over]
        held = {**kept, **{d.at: d for d in now_held}}
        plan = plan_id(held.values()) if held else ""
        if held and self.confirmed() == plan:
            self.held, self.plan, self._recheck_at = kept, "", None
            self._landed.append((now, len(seen)))
            return Decision(frozenset(d.at for d in deletes), (), "", False, counted, owned,
                            released=len(now_held))
        allowed = frozenset(d.at for d in deletes if d.seen and not over)
        self.held, self.plan = held, plan
        self._recheck_at = now + RECHECK if held else None
        if allowed:
            self._landed.append((now, len(allowed)))
        return Decision(allowed, tuple(sorted(held.values(), key=_order)), plan, over,
                        counted, owned)

    def recheck_due(self) -> float | None:
        """When the confirmation is next read (the loop's clock), while deletes are held."""
        return self._recheck_at

    def names_to_release(self) -> frozenset[str]:
        """Due to recheck: the held names, when the confirmation now names the held plan
        (a sync over them releases it); else none, and the next recheck is scheduled."""
        if self._recheck_at is None or self.clock() < self._recheck_at:
            return frozenset()
        self._recheck_at = self.clock() + RECHECK
        if self.plan and self.confirmed() == self.plan:
            return frozenset(at[1][0] for at in self.held)
        return frozenset()


def _order(delete: Delete) -> tuple[str, Key]:
    return delete.at


def message(decision: Decision, settings: GuardSettings, sample: int = 3) -> str:
    """The held plan as the log, the Event, /readyz and the doctor say it: how many, why,
    the threshold, and how to confirm."""
    unseen = [d for d in decision.held if not d.seen]
    over = len(decision.held) - len(unseen)
    parts = []
    if over:
        parts.append(f"{over} over the threshold ({decision.counted} deletes within "
                     f"{WINDOW:.0f}s, {decision.owned} record sets owned; "
                     f"{settings.describe()})")
    if unseen:
        parts.append(f"{len(unseen)} without a reason dnsgate saw")
    examples = "; ".join(f"{d.record.describe()}: {d.reason}" for d in
                         sorted(decision.held, key=lambda d: (d.seen, d.at))[:sample])
    return (f"holding {len(decision.held)} deletes of record sets dnsgate owns "
            f"({', '.join(parts)}); to let held plan {decision.plan} go: "
            f"kubectl -n {settings.namespace} create configmap {settings.name} "
            f"--from-literal=plan={decision.plan} --dry-run=client -o yaml | kubectl apply "
            f"-f -; e.g. {examples}")


def from_args(args: Any) -> GuardSettings:
    """The guard's flags, checked."""
    if args.max_deletes < 0:
        raise ConfigError(f"--max-deletes {args.max_deletes} is negative; use 0 (hold every "
                          "sync that deletes more than --max-deletes-percent) or more")
    if not 0 <= args.max_deletes_percent <= 100:
        raise ConfigError(f"--max-deletes-percent {args.max_deletes_percent:g} is not a "
                          "share; use 0 to 100 (100: no limit)")
    given = str(args.confirm_deletes) or (
        f"{args.leader_election_namespace or 'dnsgate'}/{CONFIRMATION_NAME}")
    namespace, slash, name = given.partition("/")
    if not (slash and namespace and name and "/" not in name):
        raise ConfigError(f'--confirm-deletes "{given}" is not NAMESPACE/NAME; use e.g. '
                          f"dnsgate/{CONFIRMATION_NAME}")
    return GuardSettings(args.max_deletes, args.max_deletes_percent, given)
