"""Standard-library facts per Go version (placeholder until the generator lands)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

StdlibWindow = Mapping[int, Any]
