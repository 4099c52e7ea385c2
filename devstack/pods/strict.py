"""Reading Kubernetes objects so that nothing goes unread.

A `Fields` view hands out the keys of one object and remembers which were read; keys the
code knowingly does not act on are read through `not_emulated`, with the reason. `finish`
then names every key nobody read, so a manifest field the pod runner does not understand
fails the run instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class Unsupported(ValueError):
    """A field, or a value of a field, that the pod runner does not implement."""


@dataclass
class Tracker:
    views: list[Fields] = field(default_factory=list)
    not_emulated: dict[str, str] = field(default_factory=dict)

    def unread(self) -> list[str]:
        return [f"{view.path}.{key}" for view in self.views for key in view.data
                if key not in view.read]


class Fields:
    def __init__(self, data: Mapping[str, Any], path: str, tracker: Tracker | None = None):
        if not isinstance(data, Mapping):
            raise Unsupported(f"{path}: expected an object, got {data!r}")
        self.data = data
        self.path = path
        self.read: set[str] = set()
        self.tracker = tracker or Tracker()
        self.tracker.views.append(self)

    def value(self, key: str, default: Any = None) -> Any:
        """The key's whole value, which counts as read in full."""
        self.read.add(key)
        return self.data.get(key, default)

    def one_of(self, key: str, allowed: Iterable[Any], default: Any = None) -> Any:
        value = self.value(key, default)
        allowed = tuple(allowed)
        if value not in allowed:
            raise Unsupported(f"{self.path}.{key}: {value!r} is not implemented "
                              f"(implemented: {', '.join(map(repr, allowed))})")
        return value

    def sub(self, key: str) -> Fields | None:
        self.read.add(key)
        raw = self.data.get(key)
        return None if raw is None else Fields(raw, f"{self.path}.{key}", self.tracker)

    def items(self, key: str) -> list[Fields]:
        self.read.add(key)
        return [Fields(raw, f"{self.path}.{key}[{index}]", self.tracker)
                for index, raw in enumerate(self.data.get(key) or ())]

    def not_emulated(self, *keys: str, why: str) -> None:
        for key in keys:
            self.read.add(key)
            if key in self.data:
                self.tracker.not_emulated[f"{self.path}.{key}"] = why

    def refuse(self, key: str, why: str) -> None:
        """Fail if `key` is present: the runner knows the field and cannot honour it."""
        self.read.add(key)
        if self.data.get(key) not in (None, [], {}, ""):
            raise Unsupported(f"{self.path}.{key}: {why}")

    def finish(self) -> None:
        unread = self.tracker.unread()
        if unread:
            raise Unsupported("fields the pod runner does not understand: " + ", ".join(unread))
