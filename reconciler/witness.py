"""Why a record dnsgate owns may be deleted: what this process saw happen to its object.

A record dnsgate owns names its object in the `resource` label of its ownership TXT. Under
`--policy=sync` the plan deletes every such record no object asks for now; this module
decides, for each, whether dnsgate has seen the reason (docs/deletes.md):

- the object was deleted: a DELETED watch event (which the API server also sends when an
  object stops matching the watch's label selector), or a GET by name answering 404;
- the object is there and publishes under the current settings (its annotations parse, it
  is of a kind and class dnsgate publishes): it asks for other records now, because its
  annotations or targets changed, seen or not;
- the object stopped publishing between two of this process's own reads of it (an
  annotation removed, a bad value): settings do not change within a process, so the object
  changed.

Everything else is no reason, and the delete is held: an object missing from a list (an
empty or partial answer, a narrower --label-filter, --namespace or --source) that a GET still
finds or cannot reach; an object present that no longer publishes under settings changed at
start (a narrower --domain-filter making its annotation invalid); a resource dnsgate does not
read (an ExternalDNS CRD's). Pure apart from `Lookup`, which the CLI makes a GET by name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from dnsgate import objectkey
from reconciler.source import ServiceRecords

Lookup = Callable[[str], bool]
"""Whether the object of this key exists, asked of the API by name; raises when it cannot say."""
Records = Callable[[str], ServiceRecords | None]
"""The object of this key as the desired state holds it now; None when not in the view."""

LOOKUPS = 200
"""Most lookups in one sync: a --label-filter narrowed under 20,000 owned records would
otherwise spend minutes of every resync asking about objects that exist."""
KNOWN_FOR = 900.0
"""Seconds an object found to exist is not asked about again (the default --interval): the
next resyncs ask about the others, and each is asked again later, to learn it went."""


@dataclass(frozen=True)
class Verdict:
    seen: bool
    """True: the reason is seen, the delete may go (within the threshold)."""
    text: str
    """The reason seen, or why the delete is held."""


def publishes(records: ServiceRecords | None) -> bool:
    return records is not None and records.publishes and not records.problems


class Witness:
    def __init__(self, sources: Iterable[str], lookup: Lookup,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sources = frozenset(sources)
        self.lookup = lookup
        self.clock = clock
        self._exists: dict[str, float] = {}  # key -> until when it is known to exist
        self._deleted: set[str] = set()  # keys a DELETED event or a 404 showed gone
        self._stopped: set[str] = set()  # keys seen to stop publishing while present
        self._changed: set[str] = set()  # keys whose records this process saw change
        self._budget = LOOKUPS
        self._lock = threading.Lock()

    def deleted(self, keys: Iterable[str]) -> None:
        """From a watch thread: these objects were deleted or left the label selector."""
        with self._lock:
            self._deleted.update(keys)

    def returned(self, keys: Iterable[str]) -> None:
        """From a watch thread: these objects are in the watch again (created anew under the
        same name, a new uid): their deletion is history, and a later list that misses them
        is no reason (docs/deletes.md)."""
        with self._lock:
            self._deleted.difference_update(keys)

    def observe(self, before: Mapping[str, ServiceRecords | None], now: Records) -> None:
        """The desired state moved from `before` (these keys, as last read) to `now`: an
        object still there that published and does not any more was seen to stop."""
        for key, old in before.items():
            new = now(key)
            if new is None:
                continue
            if old is not None and new != old:
                self._changed.add(key)
            if publishes(new):
                self._stopped.discard(key)
            elif publishes(old) and not new.undecided:
                self._stopped.add(key)

    def verdicts(self, resources: Iterable[str], now: Records) -> dict[str, Verdict]:
        """resource label -> its verdict. One lookup per object missing from the view; after
        the first lookup that fails, no more (an API that times out would hold the loop for
        every one of them); those objects' deletes are held."""
        found: dict[str, Verdict] = {}
        failure = ""
        self._budget = LOOKUPS
        for resource in sorted(set(resources)):
            found[resource], failed = self._verdict(resource, now(resource), failure)
            failure = failure or failed
        return found

    def withheld(self, resource: str, name: str, records: ServiceRecords | None
                 ) -> Verdict | None:
        """Held, when the object still asks for `name` but a setting gives it no record now
        (`ServiceRecords.withheld`) and this process never saw its records change: the flag
        at start dropped the name, not the object. None: no objection. An object seen to
        change (an ingress-hostname-source annotation added) loses the names it no longer
        publishes, as ever."""
        if records is None or resource in self._changed:
            return None
        if name.rstrip(".").lower() not in records.withheld:
            return None
        return Verdict(False, f"{_describe(resource)} still asks for it, and a setting gives "
                              "it no record now while dnsgate did not see the object change "
                              "(--ignore-ingress-rules-spec, --ignore-ingress-tls-spec or no "
                              "--publish-internal-services at start?)")

    def prune(self, resources: Iterable[str]) -> None:
        """Forget what no owned record names any more (at a resync, which sees them all)."""
        keep = set(resources)
        with self._lock:
            self._deleted &= keep
        self._stopped &= keep
        self._changed &= keep
        self._exists = {k: until for k, until in self._exists.items() if k in keep}

    def _verdict(self, resource: str, records: ServiceRecords | None, failure: str
                 ) -> tuple[Verdict, str]:
        what = _describe(resource)
        if records is not None:
            if publishes(records):
                return Verdict(True, f"{what} asks for other records now"), ""
            if records.undecided:
                return Verdict(False, f"{what} cannot be judged by the domain policy yet "
                                      "(its namespace's labels are not known)"), ""
            if resource in self._stopped:
                return Verdict(True, f"{what} stopped publishing it (a change seen)"), ""
            return Verdict(False, f"{what} no longer publishes it under the current settings, "
                                  "and dnsgate did not see it change (a setting changed at "
                                  "start?)"), ""
        with self._lock:
            if resource in self._deleted:
                return Verdict(True, f"{what} was deleted"), ""
        key = objectkey.parse(resource)
        if key is None:
            return Verdict(False, f'owned through resource "{resource}", which dnsgate does '
                                  "not read"), ""
        if key.kind.source_name not in self.sources:
            return Verdict(False, f"{what} is not watched (--source does not name "
                                  f"{key.kind.source_name})"), ""
        if failure:
            return Verdict(False, f"{what} is not in the watch, and the API could not be "
                                  f"asked ({failure})"), ""
        outside = Verdict(False, f"{what} exists but is outside what dnsgate watches "
                                 "(--namespace, --label-filter)")
        if self._exists.get(resource, -1.0) > self.clock():
            return outside, ""
        if self._budget <= 0:
            return Verdict(False, f"{what} is not in the watch, and is asked about at a later "
                                  f"sync (at most {LOOKUPS} lookups a sync)"), ""
        self._budget -= 1
        try:
            exists = self.lookup(resource)
        except Exception as exc:  # any failure to ask is no answer: hold
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return Verdict(False, f"{what} is not in the watch, and the API could not be "
                                  f"asked ({reason})"), reason
        if exists:
            self._exists[resource] = self.clock() + KNOWN_FOR
            return outside, ""
        with self._lock:
            self._deleted.add(resource)
        return Verdict(True, f"{what} was deleted (not found by name)"), ""


def _describe(resource: str) -> str:
    return objectkey.describe(resource) if objectkey.parse(resource) else f'"{resource}"'
