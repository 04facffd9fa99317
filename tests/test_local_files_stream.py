"""A local tree is read directory by directory; only directories with go:linkname are held."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.analyse.files import header_of, marked_paths
from bot.fetch.local_files import InputError, LocalFiles, load

PULL = b'package a\n\nimport _ "unsafe"\n\n//go:linkname now runtime.nanotime\nfunc now() int64\n'
SIBLING = b"package a\n\nfunc f() {}\n"
COLD = b"// Copyright\n\n// Package b is cold.\npackage b\n\nfunc g() {}\n"


def test_only_linkname_directories_are_held(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    for rel, data in (("a/a.go", PULL), ("a/s.go", SIBLING), ("b/b.go", COLD)):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    files = load([tmp_path], cwd=tmp_path).workspace.files
    assert isinstance(files, LocalFiles)
    assert list(files) == ["go.mod", "a/a.go", "a/s.go", "b/b.go"]
    assert isinstance(files._files["a/s.go"], bytes)
    assert not isinstance(files._files["b/b.go"], bytes)  # not held
    assert header_of(files, "b/b.go") == b"// Copyright\n\n// Package b is cold.\npackage b\n"
    assert marked_paths(files, list(files)) == {"a/a.go"}
    assert files["b/b.go"] == COLD  # read again from disk
    assert dict(files) == {
        "go.mod": b"module example.com/m\n\ngo 1.22\n",
        "a/a.go": PULL,
        "a/s.go": SIBLING,
        "b/b.go": COLD,
    }


def test_a_file_gone_before_it_is_read_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "b.go").write_bytes(COLD)
    files = load([tmp_path], cwd=tmp_path).workspace.files
    (tmp_path / "b" / "b.go").unlink()
    with pytest.raises(InputError, match=r"b\.go"):
        files["b/b.go"]
