"""Settings from the environment and a ``.env`` file (the environment wins)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_API_URL = "https://api.github.com"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A missing or malformed setting; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _default_data_dir() -> Path:
    return Path("data").resolve()


def _default_queue_url() -> str:
    return f"sqlite:///{_default_data_dir()}/linkname-bot.db"


@dataclass(frozen=True)
class Settings:
    """The App's settings. Without App credentials it runs in setup mode (``configured``)."""

    app_id: int | None = None
    private_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    github_api_url: str = DEFAULT_API_URL
    log_level: str = "INFO"
    data_dir: Path = field(default_factory=_default_data_dir)
    queue_url: str = field(default_factory=_default_queue_url)
    host: str = "127.0.0.1"
    port: int = 3000
    docs_url: str | None = None  # DOCS_URL: where rule links point (None: the project's docs)
    worker_concurrency: int = 16  # jobs one process runs at once (reviews mostly wait on GitHub)
    worker_per_installation: int = 3  # of which one installation's (its writes are paced)
    webhook_max_pending: int = 256  # deliveries waiting for the queue before 503s shed load
    admin_token: str | None = field(default=None, repr=False)  # None: /admin/* is off (404)
    release_issues: bool = False  # re-checks open an issue when a new Go release breaks pulls
    registry_dir: Path | None = None  # REGISTRY_DIR: a facts directory overlaying the packaged one
    worker_lease_seconds: float = 120.0  # a job's lease; renewed while its review runs
    recovery_interval: float = 600.0  # seconds between redelivery sweeps (0: off)
    github_write_interval: float = 1.0  # spacing of GitHub writes per installation
    recheck_interval: float = 8.0  # spacing of one installation's re-check jobs

    @property
    def configured(self) -> bool:
        """True when the App's id, private key and webhook secret are all set."""
        return (
            self.app_id is not None
            and self.private_key is not None
            and self.webhook_secret is not None
        )

    @property
    def graphql_url(self) -> str:
        """GitHub's rule: ``https://host/api/v3`` → ``https://host/api/graphql``."""
        base = self.github_api_url.rstrip("/")
        if base.endswith("/api/v3"):
            return base[: -len("/v3")] + "/graphql"
        return base + "/graphql"


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> Settings:
    """Read the settings; raise ``SettingsError`` naming the first bad variable."""
    values = dict(read_env_file(env_file)) if env_file is not None else {}
    values.update(os.environ if environ is None else environ)
    get = {key: value.strip() for key, value in values.items() if value.strip()}.get

    data_dir = Path(get("DATA_DIR", "data")).expanduser().resolve()
    app_id = _int("APP_ID", get("APP_ID"), minimum=1)
    private_key = _private_key(get("PRIVATE_KEY"), get("PRIVATE_KEY_PATH"))
    webhook_secret = get("WEBHOOK_SECRET")
    given = {"APP_ID": app_id, "PRIVATE_KEY": private_key, "WEBHOOK_SECRET": webhook_secret}
    missing = [name for name, value in given.items() if value is None]
    if 0 < len(missing) < len(given):
        hint = " (or PRIVATE_KEY_PATH)" if missing[0] == "PRIVATE_KEY" else ""
        raise SettingsError(
            missing[0], f"missing{hint}; set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET together"
        )
    port = _int("PORT", get("PORT"), minimum=1, maximum=65535) or 3000
    return Settings(
        app_id=app_id,
        private_key=private_key,
        webhook_secret=webhook_secret,
        github_api_url=_url("GITHUB_API_URL", get("GITHUB_API_URL", DEFAULT_API_URL)),
        log_level=_log_level(get("LOG_LEVEL", "INFO")),
        data_dir=data_dir,
        queue_url=get("QUEUE_URL", f"sqlite:///{data_dir}/linkname-bot.db"),
        host=get("HOST", "127.0.0.1"),
        port=port,
        docs_url=_url("DOCS_URL", docs) if (docs := get("DOCS_URL")) else None,
        worker_concurrency=_int(
            "WORKER_CONCURRENCY", get("WORKER_CONCURRENCY"), minimum=1, maximum=256
        )
        or 16,
        worker_per_installation=_int(
            "WORKER_PER_INSTALLATION", get("WORKER_PER_INSTALLATION"), minimum=1, maximum=256
        )
        or 3,
        webhook_max_pending=_int("WEBHOOK_MAX_PENDING", get("WEBHOOK_MAX_PENDING"), minimum=1)
        or 256,
        admin_token=_admin_token(get("ADMIN_TOKEN")),
        release_issues=_flag("RELEASE_ISSUES", get("RELEASE_ISSUES")),
        registry_dir=_registry_dir(get("REGISTRY_DIR")),
        worker_lease_seconds=_seconds("WORKER_LEASE_SECONDS", get("WORKER_LEASE_SECONDS"), 120.0),
        recovery_interval=_seconds("RECOVERY_INTERVAL", get("RECOVERY_INTERVAL"), 600.0),
        github_write_interval=_seconds("GITHUB_WRITE_INTERVAL", get("GITHUB_WRITE_INTERVAL"), 1.0),
        recheck_interval=_seconds("RECHECK_INTERVAL", get("RECHECK_INTERVAL"), 8.0),
    )


def _seconds(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"expected seconds, got {raw!r}") from None
    if not value >= 0 or value == float("inf"):
        raise SettingsError(name, f"expected seconds >= 0, got {raw!r}")
    return value


def _registry_dir(raw: str | None) -> Path | None:
    if raw is None:
        return None
    path = Path(raw).expanduser().resolve()
    if not (path / "MANIFEST.json").is_file():
        raise SettingsError(
            "REGISTRY_DIR", f"{raw!r} holds no MANIFEST.json (make one with `registry add`)"
        )
    return path


def _admin_token(raw: str | None) -> str | None:
    if raw is not None and len(raw) < 16:
        raise SettingsError("ADMIN_TOKEN", "too short: use at least 16 random characters")
    return raw


def _flag(name: str, raw: str | None) -> bool:
    if raw is None:
        return False
    value = raw.lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise SettingsError(name, f"expected 1 or 0, got {raw!r}")
    return value in ("1", "true", "yes", "on")


def _int(name: str, raw: str | None, *, minimum: int, maximum: int | None = None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw, 10)
    except ValueError:
        raise SettingsError(name, f"expected an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise SettingsError(name, f"expected an integer {bounds}, got {value}")
    return value


def _private_key(text: str | None, path: str | None) -> str | None:
    if text is not None and path is not None:
        raise SettingsError("PRIVATE_KEY", "set PRIVATE_KEY or PRIVATE_KEY_PATH, not both")
    name = "PRIVATE_KEY"
    if path is not None:
        name = "PRIVATE_KEY_PATH"
        try:
            text = Path(path).expanduser().read_text()
        except OSError as exc:
            raise SettingsError(name, f"cannot read {path!r}: {exc.strerror}") from None
    if text is None:
        return None
    pem = text.replace("\\n", "\n").strip() + "\n"
    if not re.fullmatch(
        r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----\n.+\n-----END \1PRIVATE KEY-----\n", pem, re.S
    ):
        raise SettingsError(name, "not a PEM private key (-----BEGIN ... PRIVATE KEY-----)")
    return pem


def _url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, f"expected an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", f"expected one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


_BLANK = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)")
_ENTRY = re.compile(
    r"[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*"
    r"""(?:'(?P<single>[^']*)'|"(?P<double>(?:\\.|[^"\\])*)"|(?P<bare>(?!['"])[^\n]*))"""
    r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)",
    re.S,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(match: re.Match[str]) -> str:
    return _ESCAPES.get(match[1], match[1])


def read_env_file(path: str | Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file ({} when there is none).

    Supports comments, ``export``, single quotes (literal), double quotes (``\\n`` escapes,
    may span lines) and bare values (`` #`` starts a comment). No ``${VAR}`` expansion.
    """
    try:
        text = Path(path).read_text().replace("\r\n", "\n")
    except FileNotFoundError:
        return {}
    values: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        if (blank := _BLANK.match(text, pos)) and blank.end() > pos:
            pos = blank.end()
            continue
        entry = _ENTRY.match(text, pos)
        if entry is None:
            line = text.count("\n", 0, pos) + 1
            raise SettingsError(f"{path}:{line}", "expected KEY=VALUE")
        if entry["single"] is not None:
            value = entry["single"]
        elif entry["double"] is not None:
            value = re.sub(r"\\(.)", _unescape, entry["double"], flags=re.S)
        else:
            value = re.split(r"[ \t]#", entry["bare"], maxsplit=1)[0].strip()
        values[entry["key"]] = value
        pos = entry.end()
    return values
