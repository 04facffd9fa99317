"""Read changes and file contents from a local git repository, for ``linkname-bot check``.

The comparison mirrors a pull request: ``changed_files(repo, base, head)`` diffs the merge-base
of ``base`` and ``head`` against ``head`` (git's ``base...head``), so commits that landed on
``base`` after the branch forked are not reported as changes of the branch.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bot.scope is imported when a diff is read (--base), not by `check PATH`
    from bot.scope.diff import FileDiff

_GIT = ("git", "--no-pager", "-c", "core.quotepath=off")
#: Pin every diff option a user's config could change (prefixes, context, textconv, ...).
_DIFF = (
    "diff",
    "-M",
    "-U3",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


class GitError(Exception):
    """A git command failed; the message says why in a user's terms."""


def repo_root(path: Path) -> Path:
    """The top-level directory of the work tree containing ``path``."""
    where = path if path.is_dir() else path.parent
    try:
        out = _git(where, "rev-parse", "--show-toplevel")
    except GitError:
        raise GitError(f"not a git repository: {path}") from None
    return Path(out.decode("utf-8", "surrogateescape").rstrip("\n"))


def changed_files(repo: Path, base: str, head: str | None) -> list[FileDiff]:
    """The files changed between the merge-base of ``base`` and ``head``, and ``head``.

    ``head=None`` means the working tree, compared with the merge-base of ``base`` and
    ``HEAD``: staged and unstaged changes to tracked files; untracked files are not included.
    """
    base_commit = _commit(repo, base)
    head_commit = _commit(repo, head or "HEAD")
    fork = _merge_base(repo, base_commit, head_commit)
    revisions = [fork] if head is None else [fork, head_commit]
    out = _git(repo, *_DIFF, *revisions, "--")
    from unidiff.errors import UnidiffParseError

    try:
        from bot.scope.diff import parse_unified

        return parse_unified(out.decode("utf-8", "surrogateescape"))
    except UnidiffParseError as exc:
        raise GitError(f"cannot parse the output of git diff: {exc}") from None


def read_blob(repo: Path, rev: str | None, path: str) -> bytes | None:
    """The contents of ``path`` at ``rev`` (``None``: the working tree); ``None`` if absent."""
    if rev is None:
        return _read_work_tree(repo, path)
    commit = _commit(repo, rev)
    try:
        return _git(repo, "cat-file", "blob", f"{commit}:{path}")
    except GitError:
        return None


def list_tree(repo: Path, rev: str) -> list[str]:
    """Every file path (repository-relative, POSIX) in the tree of ``rev``."""
    commit = _commit(repo, rev)
    out = _git(repo, "ls-tree", "-r", "-z", "--name-only", "--full-tree", commit)
    return [n.decode("utf-8", "surrogateescape") for n in out.split(b"\0") if n]


def read_blobs(repo: Path, rev: str, paths: Sequence[str]) -> dict[str, bytes]:
    """The contents of ``paths`` at ``rev``, read in one ``git cat-file --batch``; absent paths
    are left out."""
    if not paths:
        return {}
    commit = _commit(repo, rev)
    request = "".join(f"{commit}:{p}\n" for p in paths).encode("utf-8", "surrogateescape")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    done = subprocess.run(
        [*_GIT, "cat-file", "--batch"], cwd=repo, env=env, input=request, capture_output=True
    )
    if done.returncode != 0:
        raise GitError(f"git cat-file failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    out: dict[str, bytes] = {}
    data, at = done.stdout, 0
    for path in paths:
        end = data.index(b"\n", at)
        header = data[at:end].split()
        at = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # "<name> missing", or not a file
        size = int(header[2])
        out[path] = data[at : at + size]
        at += size + 1
    return out


def _read_work_tree(repo: Path, path: str) -> bytes | None:
    file = repo / path
    if file.is_symlink():
        return os.fsencode(os.readlink(file))
    try:
        return file.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def resolve_commit(repo: Path, rev: str) -> str:
    """The commit ``rev`` names; GitError if none."""
    return _commit(repo, rev)


def _commit(repo: Path, rev: str) -> str:
    if rev.startswith("-"):
        raise GitError(f"unknown revision {rev!r}")
    try:
        out = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except GitError:
        raise GitError(f"unknown revision {rev!r}") from None
    return out.decode("ascii").strip()


def _merge_base(repo: Path, base: str, head: str) -> str:
    try:
        out = _git(repo, "merge-base", base, head)
    except GitError:
        raise GitError(f"{base} and {head} have no common ancestor") from None
    return out.decode("ascii").strip()


def _git(cwd: Path, *args: str) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    command: Sequence[str] = (*_GIT, *args)
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise GitError(f"cannot run git in {cwd}: {exc.strerror}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise GitError(f"git {args[0]} failed: {message}")
    return done.stdout
