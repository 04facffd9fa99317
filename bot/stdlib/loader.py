"""Standard-library facts for a review: the window's facts and the registry-rule view of them."""

from __future__ import annotations

from bot.golang.symbols import split_symbol
from bot.stdlib.facts import StdlibWindow, Symbol, available_versions, load_window
from bot.stdlib.linker import verdict
from bot.stdlib.query import StdQuery
from bot.versions import DEFAULT_PLATFORMS

#: The platforms a registry entry is judged on first: those the facts used to cover alone.
_DEFAULT = frozenset(DEFAULT_PLATFORMS)


class WindowQuery:
    """``StdQuery`` over a window: per version, across the platforms the facts cover."""

    def __init__(self, window: StdlibWindow) -> None:
        self.window = window

    def _symbol(self, symbol: str, version: int) -> Symbol | None:
        facts = self.window.get(version)
        return facts.symbol(symbol) if facts is not None else None

    def is_std(self, symbol: str, version: int) -> bool:
        facts = self.window.get(version)
        return facts is not None and facts.is_std(split_symbol(symbol)[0])

    def exists(self, symbol: str, version: int) -> bool:
        return self._symbol(symbol, version) is not None

    def pullable(self, symbol: str, version: int, from_package: str) -> bool:
        """It exists and the linker admits the pull on every default platform where it exists
        (on every port where it exists, if none of them has it)."""
        s = self._symbol(symbol, version)
        if s is None:
            return False
        facts = self.window[version]
        ports = (s.platforms & _DEFAULT) or s.platforms
        return all(not verdict(facts, s, p, from_package).refused for p in ports)

    def signature(self, symbol: str, version: int) -> str | None:
        s = self._symbol(symbol, version)
        if s is None:
            return None
        ports = sorted(s.platforms & _DEFAULT) + sorted(s.platforms - _DEFAULT)
        return next((sig for p in ports if (sig := s.signature(p))), None)

    def hall_of_shame(self, symbol: str, version: int) -> tuple[str, ...]:
        s = self._symbol(symbol, version)
        return s.shame if s is not None else ()


def load_stdlib(versions: tuple[int, ...]) -> tuple[StdlibWindow, StdQuery] | None:
    """Facts for the ``versions`` the registry has; None when it has none of them.

    Missing or unreadable facts raise ``FactsError`` (never "no facts": a review without them
    would pass pulls the linker refuses); each wanted data file must exist.
    """
    known = set(available_versions())
    wanted = tuple(v for v in versions if v in known)
    if not wanted:
        return None
    window = load_window(wanted)
    window.check_files()
    return window, WindowQuery(window)
