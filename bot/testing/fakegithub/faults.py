"""Injectable faults: rules matched in order against each request."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """Answer `count` requests matching `method` + `path` (a regex, searched) with `status`.

    `status=None` with a `delay` only slows the request down, then serves it normally.
    """

    method: str
    path: str
    status: int | None = 502
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    count: int = 1
    delay: float = 0.0
    hits: int = 0
    until: float | None = None  # time.monotonic() after which the rule is dropped

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and re.search(self.path, path) is not None


class FaultQueue:
    """Thread-safe list of fault rules; a rule is dropped once used `count` times."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        path: str,
        status: int | None = 502,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        count: int = 1,
        delay: float = 0.0,
        seconds: float | None = None,
    ) -> Fault:
        """``seconds``: answer every matching request for that long instead of ``count``."""
        until = None if seconds is None else time.monotonic() + seconds
        fault = Fault(method, path, status, headers or {}, body, count, delay, until=until)
        with self._lock:
            self._rules.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            now = time.monotonic()
            self._rules = [f for f in self._rules if f.until is None or f.until > now]
            for fault in self._rules:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.until is None and fault.hits >= fault.count:
                        self._rules.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def __len__(self) -> int:
        return len(self._rules)
