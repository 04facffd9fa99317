"""Build a ReviewRequest from the local disk or a git history (the CLI's imperative shell)."""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest
from bot.fetch import local_git
from bot.fetch.local_files import (
    InputError,
    LocalTree,
    load,
    skipped_dir,
    skipped_file,
    strip_pattern,
)
from bot.golang.gomod import gomod_candidates
from bot.policy.config import CONFIG_PATH
from bot.policy.paths import OutsideRepository, outside

if TYPE_CHECKING:  # bot.scope is imported when a diff is read (--base), not by `check PATH`
    from bot.scope.scope import FileScope


def _decode(data: bytes | None) -> str | None:
    return data.decode("utf-8", "replace") if data is not None else None


def from_paths(paths: list[Path], config: Path | None) -> tuple[ReviewRequest, LocalTree]:
    """Everything below ``paths``, all in scope."""
    tree = load(paths)
    config_path, config_text = _config(tree.base, config)

    def read(rel: str) -> str | None:
        p = inside(tree.base, rel)
        return p.read_text("utf-8", "replace") if p.is_file() else None

    request = ReviewRequest(
        tree.workspace, config_text, config_path, read, full_tree=tree.requested is None
    )
    return request, tree


def inside(root: Path, rel: str) -> Path:
    """``root / rel`` once symlinks are resolved; ``OutsideRepository`` when that leaves
    ``root`` (nothing is read)."""
    why = outside(rel)
    if why is not None:
        raise OutsideRepository(why)
    path = root / rel
    if not path.resolve().is_relative_to(root.resolve()):
        raise OutsideRepository("behind a symlink that leads outside the repository")
    return path


def _config(base: Path, config: Path | None) -> tuple[str, str | None]:
    """The policy file's repository-relative path and text: ``config``, or the repository
    root's ``.github/linkname-bot.yml``."""
    if config is not None:
        if not config.is_file():
            raise InputError(f"{config}: config file not found")
        resolved = config.resolve()
        shown = resolved.relative_to(base) if base in resolved.parents else config
        return shown.as_posix(), config.read_text("utf-8", "replace")
    default = base / CONFIG_PATH
    if default.is_file():
        return CONFIG_PATH, default.read_text("utf-8", "replace")
    return CONFIG_PATH, None


def from_git(path: Path, base: str, head: str | None, config: Path | None) -> ReviewRequest:
    """The change ``base...head`` (or base → working tree) of the repository holding ``path``."""
    try:
        repo = local_git.repo_root(path)
        diffs = local_git.changed_files(repo, base, head)
    except local_git.GitError as e:
        raise InputError(str(e)) from None

    def read_head(rel: str) -> bytes | None:
        return local_git.read_blob(repo, head, rel)

    from bot.scope.diff import from_contents
    from bot.scope.scope import file_scope

    scopes: dict[str, FileScope] = {}
    dirs: set[str] = set()
    for d in diffs:
        if d.status == "removed" or d.binary:
            continue
        head_text = _decode(read_head(d.path))
        base_text = _decode(local_git.read_blob(repo, base, d.old_path)) if d.old_path else None
        diff = d
        if d.patch_missing:
            diff = from_contents(d.path, base_text, head_text, d.old_path)
        scopes[d.path] = file_scope(diff, head_text, base_text)
        if d.path.endswith(".go"):
            dirs.add(posixpath.dirname(d.path))
    files: dict[str, bytes] = {}
    asm: set[str] = set()
    for directory in sorted(dirs):
        for name in _list_dir(repo, head, directory):
            rel = posixpath.join(directory, name) if directory else name
            if name.endswith(".go"):
                data = read_head(rel)
                if data is not None:
                    files[rel] = data
            elif name.endswith((".s", ".S")):
                asm.add(directory)
    for gomod in gomod_candidates(dirs):
        data = read_head(gomod)
        if data is not None:
            files[gomod] = data
    config_text: str | None
    if config is not None:
        config_path, config_text = _config(repo, config)
    else:
        config_path, config_text = CONFIG_PATH, _decode(read_head(CONFIG_PATH))

    def read(rel: str) -> str | None:
        if head is None:  # the work tree: a symlink may lead anywhere
            inside(repo, rel)
        return _decode(read_head(rel))

    workspace = Workspace(files, complete_dirs=frozenset(dirs), assembly_dirs=frozenset(asm))
    return ReviewRequest(workspace, config_text, config_path, read, scopes=scopes, full_tree=False)


def verify_revision(path: Path, rev: str) -> None:
    """Raise InputError unless ``rev`` names a commit of the repository holding ``path``."""
    try:
        local_git.resolve_commit(local_git.repo_root(strip_pattern(path)), rev)
    except local_git.GitError as e:
        raise InputError(str(e)) from None


def from_git_tree(paths: list[Path], rev: str, config: Path | None) -> ReviewRequest:
    """Everything below ``paths`` as committed at ``rev``, all in scope: what ``check PATH``
    reports on a checkout of ``rev``."""
    first = strip_pattern(paths[0])
    try:
        repo = local_git.repo_root(first)
        names = local_git.list_tree(repo, rev)
    except local_git.GitError as e:
        raise InputError(str(e)) from None
    prefixes = [_repo_rel(strip_pattern(p), repo) for p in paths]
    named = [n for n in names if any(_below(n, prefix) for prefix in prefixes)]
    wanted = [n for n in named if _listed(n) and (n.endswith(".go") or _basename(n) == "go.mod")]
    asm = {posixpath.dirname(n) for n in named if _listed(n) and n.endswith((".s", ".S"))}
    modules = {posixpath.dirname(n) for n in names if _basename(n) == "go.mod"}
    for directory in {posixpath.dirname(n) for n in wanted}:
        enclosing = _nearest_module(directory, modules)
        if enclosing is not None:
            wanted.append(posixpath.join(enclosing, "go.mod") if enclosing else "go.mod")
    try:
        files = local_git.read_blobs(repo, rev, sorted(set(wanted)))
    except local_git.GitError as e:
        raise InputError(str(e)) from None
    config_text: str | None
    if config is not None:
        config_path, config_text = _config(repo, config)
    else:
        config_path, config_text = CONFIG_PATH, _decode(local_git.read_blob(repo, rev, CONFIG_PATH))

    def read(rel: str) -> str | None:
        return _decode(local_git.read_blob(repo, rev, rel))

    workspace = Workspace(files, complete_dirs=None, assembly_dirs=frozenset(asm))
    return ReviewRequest(workspace, config_text, config_path, read)


def _repo_rel(path: Path, repo: Path) -> str:
    rel = os.path.relpath(path.resolve(), repo.resolve())
    return "" if rel == "." else Path(rel).as_posix()


def _below(name: str, prefix: str) -> bool:
    return not prefix or name == prefix or name.startswith(prefix + "/")


def _basename(name: str) -> str:
    return posixpath.basename(name)


def _listed(name: str) -> bool:
    """Not in a directory (or a file) the go command skips for ``./...``."""
    *dirs, base = name.split("/")
    return not skipped_file(base) and not any(skipped_dir(d) for d in dirs)


def _nearest_module(directory: str, modules: set[str]) -> str | None:
    d = directory
    while True:
        if d in modules:
            return d
        if not d:
            return None
        d = posixpath.dirname(d)


def _list_dir(repo: Path, rev: str | None, directory: str) -> list[str]:
    """File names in one directory at ``rev`` (None: the working tree)."""
    if rev is None:
        d = repo / directory
        return sorted(p.name for p in d.iterdir() if p.is_file()) if d.is_dir() else []
    prefix = f"{directory}/" if directory else ""
    done = subprocess.run(
        [
            "git",
            "-c",
            "core.quotepath=off",
            "ls-tree",
            "-z",
            "--name-only",
            rev,
            "--",
            prefix or ".",
        ],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(
            f"git ls-tree {rev} failed: {done.stderr.decode(errors='replace').strip()}"
        )
    names = [n.decode("utf-8", "surrogateescape") for n in done.stdout.split(b"\0") if n]
    return sorted(posixpath.basename(n) for n in names)
