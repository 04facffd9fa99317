"""The X-Hub-Signature-256 check."""

from __future__ import annotations

import pytest

from bot.webhook.signature import sign, verify

SECRET = b"It's a Secret to Everybody"
BODY = b"Hello, World!"
GITHUB_VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_test_vector() -> None:
    assert sign(SECRET, BODY) == GITHUB_VECTOR
    assert verify(SECRET, BODY, GITHUB_VECTOR)


def test_upper_case_hex_is_the_same_digest() -> None:
    assert verify(SECRET, BODY, "sha256=" + GITHUB_VECTOR.removeprefix("sha256=").upper())


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        GITHUB_VECTOR[:-1],  # truncated
        GITHUB_VECTOR[:-2],
        GITHUB_VECTOR + "00",  # too long
        GITHUB_VECTOR[:-1] + "g",  # not hex
        GITHUB_VECTOR[:-1] + "f",  # one digit off
        "sha1=" + GITHUB_VECTOR.removeprefix("sha256="),
        "sha1=01dc10d0c83e72ed246219cdd91669867fda02c8",  # a real SHA-1 header shape
        GITHUB_VECTOR.removeprefix("sha256="),  # no algorithm
        "SHA256=" + GITHUB_VECTOR.removeprefix("sha256="),
        " " + GITHUB_VECTOR,
    ],
)
def test_rejects(header: str | None) -> None:
    assert not verify(SECRET, BODY, header)


def test_rejects_other_body_and_other_secret() -> None:
    assert not verify(SECRET, BODY + b"\n", GITHUB_VECTOR)
    assert not verify(b"another secret", BODY, GITHUB_VECTOR)


def test_empty_secret_verifies_nothing() -> None:
    assert not verify(b"", BODY, sign(b"", BODY))
