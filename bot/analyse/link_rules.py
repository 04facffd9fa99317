"""Link- and type-level rules (placeholder until the standard-library facts land)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.analyse.directives import Directive
from bot.findings import Finding
from bot.stdlib.facts import StdlibWindow


def check_links(
    directives: Sequence[Directive],
    stdlib: StdlibWindow,
    accepted: Callable[[str, str, str], bool] | None,
) -> list[Finding]:
    return []
