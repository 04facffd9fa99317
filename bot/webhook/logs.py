"""Structured logs: one JSON object per line, secrets redacted.

``configure_logging`` sends structlog's events and the standard library's records (uvicorn,
the queue worker, httpx) through the same processors, so every line is JSON and passes the
redaction processor. Redaction is defence in depth: the code should never log a secret, but
if an exception message or a repr ever carries one, the line shows ``[REDACTED]`` instead.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[REDACTED]"

# Shapes of secrets, whoever they belong to: (pattern, replacement).
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys (whole block, or from BEGIN to wherever the text was cut).
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S
        ),
        REDACTED,
    ),
    # GitHub tokens: installation (ghs_), user-to-server (ghu_), OAuth (gho_), PAT, refresh.
    (re.compile(r"\b(?:gh[spuor]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})"), REDACTED),
    # JWTs (the App's, signed with its key) and any other base64url JSON-header token.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,2}"), REDACTED),
    # Authorization headers, whatever the scheme.
    (
        re.compile(
            r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer|token|basic)\s+[^\s'\",}]+"
        ),
        r"\1" + REDACTED,
    ),
)

MIN_SECRET_LENGTH = 8
"""Known secret values shorter than this are not redacted (too many false positives)."""


class SecretRedactor:
    """structlog processor: replace secrets in every string of the event (keys kept).

    ``secrets`` are known values (webhook secret, private key); a PEM key is also matched
    line by line, so a fragment of its base64 body is caught too.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.literals: list[str] = []
        for secret in secrets:
            if not secret:
                continue
            parts = [secret.strip()]
            if "PRIVATE KEY-----" in secret:
                parts += [line.strip() for line in secret.splitlines() if "-----" not in line]
            self.literals += [p for p in parts if len(p) >= MIN_SECRET_LENGTH]
        self.literals.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        for literal in self.literals:
            if literal in text:
                text = text.replace(literal, REDACTED)
        for pattern, replacement in SECRET_PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def _walk(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if depth > 8:
            return value
        if isinstance(value, dict):
            return {k: self._walk(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._walk(v, depth + 1) for v in value)
        if isinstance(value, bytes):
            return self.redact(value.decode("utf-8", "replace"))
        return value

    def __call__(self, logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        for key, value in event_dict.items():
            if not isinstance(value, int | float | bool | type(None)):
                event_dict[key] = self._walk(value)
        return event_dict


def _drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)  # uvicorn's duplicate of the message
    return event_dict


def _stringify_unknown(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Render values JSON cannot (exceptions, objects) as text before redaction sees them."""
    for key, value in event_dict.items():
        if not isinstance(value, str | int | float | bool | type(None) | dict | list | tuple):
            event_dict[key] = repr(value)
    return event_dict


def configure_logging(
    level: str = "INFO",
    stream: TextIO | None = None,
    *,
    secrets: Iterable[str | None] = (),
) -> None:
    """Send structlog's output and stdlib logging to ``stream`` (stdout) as JSON lines.

    ``secrets`` (private key, webhook secret) are redacted from every line, on top of the
    token, JWT and PEM shapes redacted anyway.
    """
    out = stream or sys.stdout
    numeric = logging.getLevelNamesMapping()[level.upper()]
    redactor = SecretRedactor(secrets)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    tail: list[Processor] = [
        structlog.processors.dict_tracebacks,
        _stringify_unknown,
        redactor,
        structlog.processors.JSONRenderer(sort_keys=True),
    ]
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *shared,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            _drop_color_message,
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.set_name("linkname-bot-json")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "linkname-bot-json"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        log = logging.getLogger(name)
        log.handlers.clear()
        log.propagate = True
    for noisy in ("httpx", "httpcore"):  # one line per GitHub request: metrics count those
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def redact_event(event: MutableMapping[str, Any], secrets: Iterable[str | None] = ()) -> Any:
    """Redact one event outside logging (tests, error reports)."""
    return SecretRedactor(secrets)(None, "", dict(event))
