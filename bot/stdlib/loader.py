"""Standard-library facts for a review: the window's facts and the registry-rule view of them."""

from __future__ import annotations

from bot.analyse.registry_rules import StdQuery
from bot.stdlib.facts import StdlibWindow


def load_stdlib(versions: tuple[int, ...]) -> tuple[StdlibWindow, StdQuery] | None:
    """Facts for ``versions``; None until the generated data is available."""
    return None
