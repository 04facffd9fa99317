"""Write the App's credentials to ``.env``: atomically, mode 0600, never over a configured one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import read_env_file

CREDENTIAL_KEYS = (
    "APP_ID",
    "PRIVATE_KEY",
    "WEBHOOK_SECRET",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
)
# Keys a fresh registration replaces: PRIVATE_KEY_PATH would clash with PRIVATE_KEY.
_REPLACED = (*CREDENTIAL_KEYS, "PRIVATE_KEY_PATH")
_CONFIGURING = ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET")
_BARE = re.compile(r"[A-Za-z0-9._:/+=@-]*")


class EnvFileConfigured(RuntimeError):
    """The ``.env`` file already holds App credentials and overwriting was not asked for."""


def env_file_configured(path: Path) -> bool:
    """True when ``path`` sets any of APP_ID, PRIVATE_KEY(_PATH) or WEBHOOK_SECRET.

    A half-configured file counts too: its values are not ours to clobber.
    """
    values = read_env_file(path)
    return any(values.get(key, "").strip() for key in _CONFIGURING)


def quote_value(value: str) -> str:
    """``value`` as ``read_env_file`` (and systemd's EnvironmentFile, compose's env_file) read it.

    Newlines become a literal ``\\n`` (bot.settings turns them back for PRIVATE_KEY); simple
    values stay bare, others go in single quotes, or double quotes with escapes when needed.
    """
    if "\n" in value or "\r" in value:
        value = value.replace("\r\n", "\n").replace("\n", "\\n")
    if _BARE.fullmatch(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def render(values: Mapping[str, str]) -> str:
    return "".join(f"{key}={quote_value(value)}\n" for key, value in values.items())


def write_credentials(
    path: Path, credentials: Mapping[str, str], *, overwrite: bool = False
) -> Path | None:
    """Write ``credentials`` to ``path`` (a ``.env`` file) atomically with mode 0600.

    An existing file without App credentials is kept and the credentials appended. One with
    credentials raises ``EnvFileConfigured`` unless ``overwrite``; then it is first copied to
    ``<path>.bak`` (mode 0600, returned) and its other settings are carried over.
    """
    unknown = set(credentials) - set(CREDENTIAL_KEYS)
    if unknown:
        raise ValueError(f"not credential keys: {sorted(unknown)}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    block = f"# GitHub App credentials written by linkname-bot setup, {stamp}\n"
    block += render(credentials)
    backup: Path | None = None
    if not path.exists():
        text = block
    elif not env_file_configured(path):
        old = path.read_text()
        text = old + ("" if old.endswith("\n") or not old else "\n") + block
    elif not overwrite:
        raise EnvFileConfigured(f"{path} already holds App credentials")
    else:
        backup = path.with_name(path.name + ".bak")
        _atomic_write(backup, path.read_text())
        kept = {k: v for k, v in read_env_file(path).items() if k not in _REPLACED}
        text = render(kept) + block
    _atomic_write(path, text)
    return backup


def _atomic_write(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
