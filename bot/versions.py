"""Go versions and platforms: the two axes every verdict is given on.

A *configuration* is one (Go minor version, ``goos/goarch``) pair. Versions are minor numbers of
Go 1 (``23`` is Go 1.23); ``go1.N`` build tags mean "the toolchain is 1.N or newer".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

#: Go minor versions the bot has standard-library facts for, oldest first.
KNOWN_VERSIONS: tuple[int, ...] = (21, 22, 23, 24, 25, 26, 27)
OLDEST, NEWEST = KNOWN_VERSIONS[0], KNOWN_VERSIONS[-1]

#: The platforms judged when neither the CLI nor the repository names any: Go's most used
#: first-class ports, and the ones the standard-library facts are generated for.
DEFAULT_PLATFORMS: tuple[str, ...] = ("linux/amd64", "linux/arm64", "darwin/arm64", "windows/amd64")

Config = tuple[int, str]


class SpecError(ValueError):
    """A version or platform specification that cannot be understood."""


def label(minor: int) -> str:
    return f"1.{minor}"


def labels(minors: Iterable[int]) -> tuple[str, ...]:
    return tuple(label(m) for m in sorted(set(minors)))


def span(versions: Iterable[int | str], *, dash: str = "–", sep: str = ", ") -> str:
    """The one way versions are written: ``1.21–1.23, 1.25`` (runs of consecutive minors).

    Accepts minors (``23``) or labels (``"1.23"``). ``dash="-", sep=","`` gives the policy
    file's spelling (``1.21-1.23,1.25``); empty input gives ``""``.
    """
    vs = sorted({v if isinstance(v, int) else parse_version(v) for v in versions})
    parts: list[str] = []
    i = 0
    while i < len(vs):
        j = i
        while j + 1 < len(vs) and vs[j + 1] == vs[j] + 1:
            j += 1
        parts.append(label(vs[i]) if i == j else f"{label(vs[i])}{dash}{label(vs[j])}")
        i = j + 1
    return sep.join(parts)


def go_span(versions: Iterable[int | str]) -> str:
    """``Go 1.23–1.27`` for display; ``all Go versions`` for none."""
    text = span(versions)
    return f"Go {text}" if text else "all Go versions"


@lru_cache(maxsize=1024)
def parse_version(text: str) -> int:
    """``1.23``, ``go1.23``, ``1.23.4`` → 23."""
    t = text.strip().removeprefix("go")
    parts = t.split(".")
    if len(parts) < 2 or parts[0] != "1" or not parts[1].isdigit():
        raise SpecError(f"not a Go 1.x version: {text!r}")
    return int(parts[1])


def parse_go_spec(spec: str) -> tuple[int, ...]:
    """``1.23``, ``1.22-1.27`` or ``1.22,1.24`` → sorted minor versions."""
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo_text, hi_text = part.split("-", 1)
            lo, hi = parse_version(lo_text), parse_version(hi_text)
            if lo > hi:
                raise SpecError(f"empty version range: {part!r}")
            out.update(range(lo, hi + 1))
        else:
            out.add(parse_version(part))
    if not out:
        raise SpecError(f"no Go version in {spec!r}")
    return tuple(sorted(out))


def default_window(go_line: int | None, known: Sequence[int] = KNOWN_VERSIONS) -> tuple[int, ...]:
    """From max(go line, oldest known) to the newest known version (``known``: the versions
    the standard-library facts have; a release added to the registry ends the window)."""
    versions = sorted(set(known)) or list(KNOWN_VERSIONS)
    lo = max(go_line if go_line is not None else versions[0], versions[0])
    return tuple(v for v in versions if v >= lo) or (versions[-1],)


def parse_platform(text: str) -> str:
    goos, sep, goarch = text.strip().partition("/")
    if not sep or not goos or not goarch or "/" in goarch:
        raise SpecError(f"a platform is GOOS/GOARCH, got {text!r}")
    return f"{goos}/{goarch}"


def versions_of(configs: Iterable[Config]) -> tuple[str, ...]:
    return labels(v for v, _ in configs)


def platforms_of(configs: Iterable[Config]) -> tuple[str, ...]:
    return tuple(sorted({p for _, p in configs}))
