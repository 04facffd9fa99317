"""App keys, JWT checks and installation tokens of the fake."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class AppKeys:
    """The App's RSA key pair: the App signs JWTs with the private key, the fake verifies."""

    private_pem: str
    public_pem: str

    @classmethod
    def shared(cls, index: int = 0) -> AppKeys:
        """A key pair generated once per process (RSA generation is slow)."""
        while len(_SHARED) <= index:
            _SHARED.append(cls.generate())
        return _SHARED[index]

    @classmethod
    def generate(cls) -> AppKeys:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(private.decode(), public.decode())


_SHARED: list[AppKeys] = []


def check_jwt(token: str, public_pem: str, app_id: int) -> str | None:
    """None if `token` is a valid App JWT for `app_id`, else GitHub's error message."""
    try:
        claims = jwt.decode(
            token,
            public_pem,
            algorithms=["RS256"],
            options={"require": ["iat", "exp", "iss"]},
            leeway=60,
        )
    except jwt.ExpiredSignatureError:
        return (
            "'Expiration time' claim ('exp') must be a numeric value representing"
            " the future time at which the assertion expires"
        )
    except jwt.PyJWTError:
        return "A JSON web token could not be decoded"
    if str(claims["iss"]) != str(app_id):
        return "Integration not found"
    if claims["exp"] - claims["iat"] > 600 + 60:
        return "'Expiration time' claim ('exp') is too far in the future"
    return None


@dataclass
class Token:
    value: str
    installation_id: int
    expires_at: datetime


@dataclass
class TokenStore:
    """Installation tokens minted so far."""

    lifetime: timedelta = timedelta(hours=1)
    tokens: dict[str, Token] = field(default_factory=dict)
    minted: list[Token] = field(default_factory=list)

    def mint(self, installation_id: int) -> Token:
        expires = datetime.now(UTC).replace(microsecond=0) + self.lifetime
        token = Token(f"ghs_{secrets.token_hex(18)}", installation_id, expires)
        self.tokens[token.value] = token
        self.minted.append(token)
        return token

    def installation_for(self, value: str) -> int | None:
        token = self.tokens.get(value)
        if token is None or token.expires_at.timestamp() <= time.time():
            return None
        return token.installation_id

    def expire_all(self) -> None:
        """Make every token expired, as if an hour had passed."""
        for token in self.tokens.values():
            token.expires_at = datetime.now(UTC) - timedelta(seconds=1)


def iso(dt: datetime) -> str:
    """GitHub's timestamp format: `2026-11-23T12:00:00Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
