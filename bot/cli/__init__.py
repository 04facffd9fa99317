"""linkname-bot: check Go code locally, build standard-library facts, serve the App."""

from __future__ import annotations

import errno
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

# Importing this module imports nothing heavy: plain ``check`` arguments are parsed here and
# the review runs without typer (whose conversions import pydantic); everything else, help
# and any argument this parser does not know goes to the typer application
# (``bot.cli.commands``), so usage errors read exactly as typer writes them.

FORMATS = ("text", "json", "sarif", "github")
SEVERITIES = ("error", "warning", "notice")
_CHECK_VALUES = {
    "--go": "go",
    "--platform": "platform",
    "--format": "format",
    "--base": "base",
    "--head": "head",
    "--config": "config",
    "--min-severity": "min_severity",
    "--jobs": "jobs",
}
_CHECK_FLAGS = {"--all": "all_", "--no-stdlib": "no_stdlib", "--no-suggestions": "no_suggestions"}


def _plain_check(args: list[str]) -> tuple[str | None, dict[str, Any]] | None:
    """``([--registry DIR] check ...)`` → (registry, run_check's keyword arguments), or None
    when the arguments are anything but a plain, well-formed ``check``."""
    registry: str | None = None
    i = 0
    while i < len(args) and args[i] != "check":
        name, eq, value = args[i].partition("=")
        if name != "--registry":
            return None
        if not eq:
            i += 1
            if i >= len(args):
                return None
            value = args[i]
        if registry is not None or not value or value.startswith("-"):
            return None
        registry = value
        i += 1
    if i >= len(args):
        return None
    kwargs: dict[str, Any] = {}
    paths: list[Path] = []
    platforms: list[str] = []
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        token = rest[j]
        j += 1
        if not token.startswith("-"):
            if not token:
                return None
            paths.append(Path(token))
            continue
        name, eq, value = token.partition("=")
        if name in _CHECK_FLAGS and not eq:
            if _CHECK_FLAGS[name] in kwargs:
                return None
            kwargs[_CHECK_FLAGS[name]] = True
            continue
        if name not in _CHECK_VALUES:
            return None
        if not eq:
            if j >= len(rest):
                return None
            value = rest[j]
            j += 1
        if not value or value.startswith("-"):
            return None
        key = _CHECK_VALUES[name]
        if key == "platform":
            platforms.append(value)
            continue
        if key in kwargs:
            return None
        if (key == "format" and value not in FORMATS) or (
            key == "min_severity" and value not in SEVERITIES
        ):
            return None
        if key == "jobs":
            if not (value.isascii() and value.isdigit() and int(value) >= 1):
                return None  # typer says what is wrong with it
            kwargs[key] = int(value)
            continue
        kwargs[key] = Path(value) if key == "config" else value
    kwargs["paths"] = paths or None
    kwargs["platform"] = platforms or None
    return registry, kwargs


def _run_plain(registry: str | None, kwargs: dict[str, Any]) -> int:
    """``check`` as the typer command runs it, with typer's handling of its outcome. The
    cyclic garbage collector is off meanwhile: a review's objects are freed by reference
    counting (peak RSS on GOROOT is the same without it) and its passes cost 10 ms of a small
    module's 150 and about 0.1 s on GOROOT."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _review(registry, kwargs)
    finally:
        if collecting:
            gc.enable()


def _review(registry: str | None, kwargs: dict[str, Any]) -> int:
    from bot.cli.check import UsageError, run_check

    if registry is not None:  # read by bot.stdlib.facts.registry_dir, as the App's setting is
        os.environ["REGISTRY_DIR"] = str(Path(registry))
    try:
        return run_check(**kwargs)
    except UsageError as e:
        print(f"linkname-bot: {e}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except EOFError:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        return 1
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        sys.stdout = _Pacified(sys.stdout)
        sys.stderr = _Pacified(sys.stderr)
        return 1


class _Pacified:
    """A stream whose flush ignores a broken pipe (the reader went away), as click's."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 clean, 1 errors found, 2 usage or input error)."""
    args = argv if argv is not None else sys.argv[1:]
    registry = os.environ.get("REGISTRY_DIR")  # --registry sets it for this run only
    try:
        plain = _plain_check(list(args))
        if plain is not None:
            return _run_plain(*plain)
        from bot.cli.commands import app

        app(args=args, prog_name="linkname-bot")
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 2
    finally:
        if registry is None:
            os.environ.pop("REGISTRY_DIR", None)
        else:
            os.environ["REGISTRY_DIR"] = registry
    return 0


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the typer application, built on first use
        from bot.cli.commands import app

        return app
    raise AttributeError(name)
