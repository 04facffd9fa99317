"""Files the package ships: the standard-library facts and the App manifest.

In a wheel they are package data under ``bot/_data`` (copied there at build time by
``setup.py`` from the sources, the top-level ``registry/stdlib`` and ``app.yml``). In a source
checkout or an editable install they are read from those sources directly.
"""

from __future__ import annotations

from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent

#: name under ``bot/_data`` → its source in the repository
SOURCES = {"stdlib": Path("registry") / "stdlib", "app.yml": Path("app.yml")}


def shipped(name: str) -> Path:
    """The packaged copy of ``name`` if the package has one, else its source in the checkout."""
    packaged = Path(__file__).parent / "_data" / name  # importlib.resources' answer
    # for an installed or editable package, without importing it (zipfile and more)
    if packaged.exists():
        return packaged
    return _SOURCE_ROOT / SOURCES[name]
