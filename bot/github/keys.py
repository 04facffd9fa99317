"""Whether the configured private key can sign the App's tokens (for ``/healthz``)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def private_key_problem(pem: str | None) -> str | None:
    """``"missing"``, ``"unusable"`` (not a loadable RSA key) or None when it can sign."""
    if pem is None:
        return "missing"
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return "unusable"
    return None if isinstance(key, rsa.RSAPrivateKey) else "unusable"
