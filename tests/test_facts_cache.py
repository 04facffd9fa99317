"""The marshal copy of decoded standard-library facts in the user's cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stdlib import codec, facts


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LINKNAME_BOT_CACHE", raising=False)
    return tmp_path / "linkname-bot" / "facts"


def _data() -> tuple[bytes, str]:
    manifest = facts.read_manifest(facts.REGISTRY)
    entry = manifest["versions"]["23"]
    return (facts.REGISTRY / entry["file"]).read_bytes(), str(entry["sha256"])


def test_written_once_then_read_back(cache: Path) -> None:
    data, sha = _data()
    first = facts._document(data, sha)
    (copy,) = cache.iterdir()
    assert copy.name.startswith(sha)
    assert facts._document(b"not gzip", sha) == first == codec.load(data)


def test_a_broken_copy_is_decoded_again(cache: Path) -> None:
    data, sha = _data()
    facts._document(data, sha)
    (copy,) = cache.iterdir()
    copy.write_bytes(b"\x00garbage")
    assert facts._document(data, sha) == codec.load(data)


def test_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKNAME_BOT_CACHE", "off")
    data, sha = _data()
    assert facts._document(data, sha) == codec.load(data)
    assert not cache.exists()
