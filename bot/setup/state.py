"""One-time ``state`` values: the setup form's guard against forged callbacks."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict

STATE_TTL = 3600.0  # GitHub's manifest codes are valid for one hour
MAX_STATES = 1000


class StateStore:
    """One-time ``state`` values, each valid for ``ttl`` seconds; the oldest go past ``size``."""

    def __init__(self, ttl: float = STATE_TTL, size: int = MAX_STATES) -> None:
        self.ttl, self.size = ttl, size
        self._states: OrderedDict[str, float] = OrderedDict()

    def issue(self) -> str:
        state = secrets.token_urlsafe(32)
        self._states[state] = time.monotonic() + self.ttl
        while len(self._states) > self.size:
            self._states.popitem(last=False)
        return state

    def take(self, state: str) -> bool:
        """True (once) for a state this store issued that has not expired."""
        expires = self._states.pop(state, None)
        return expires is not None and time.monotonic() < expires
