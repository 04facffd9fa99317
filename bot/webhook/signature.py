"""Check GitHub's ``X-Hub-Signature-256`` header against the raw request body."""

from __future__ import annotations

import hashlib
import hmac
import string

PREFIX = "sha256="
_HEX_LENGTH = hashlib.sha256().digest_size * 2
_HEX_DIGITS = frozenset(string.hexdigits)


def sign(secret: bytes, body: bytes) -> str:
    """The header value GitHub sends for ``body`` (also handy in tests)."""
    return PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=<hex HMAC-SHA256 of body>`` under ``secret``.

    Missing headers, other algorithms (``sha1=``), truncated or non-hex digests and an empty
    secret are all refused. The digests are compared in constant time.
    """
    if not secret or header is None or not header.startswith(PREFIX):
        return False
    given = header[len(PREFIX) :]
    if len(given) != _HEX_LENGTH or not _HEX_DIGITS.issuperset(given):
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.lower())
