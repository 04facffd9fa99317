"""What a pull request looks like at one head commit: the ReviewRequest and the diff scopes.

Only what the change touched is fetched: the changed ``.go`` files at head, the ``go.mod``
files that may enclose them, the policy file and the registry files it names. Contents come
in GraphQL batches (``RepoGateway.blobs``), never one REST call per file.

Limits of this partial view, by design:

- Sibling files of a changed package are not fetched, so ``Workspace.complete_dirs`` is empty:
  a directive whose local name is declared in an unchanged sibling cannot be told apart from
  one whose local is missing, and ``unknown-local`` is not reported in pull requests
  (``linkname-bot check`` on a checkout reports it).
- ``assembly_dirs`` only knows the ``.s`` files the pull request changes.
- ``full_tree=False``: handshake rules do not assume they see every package.
- GitHub lists at most 3 000 changed files; beyond that the review covers the first 3 000.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest
from bot.github import PullFile, RepoGateway
from bot.github.gateway import MAX_PULL_FILES
from bot.policy.config import CONFIG_PATH, parse_config
from bot.scope.diff import FileDiff, from_contents, from_github_file
from bot.scope.scope import FileScope, file_scope

logger = structlog.get_logger("bot.service")

Scopes = dict[str, FileScope]


def _entry(f: PullFile) -> dict[str, Any]:
    return {
        "filename": f.filename,
        "status": f.status,
        "patch": f.patch,
        "previous_filename": f.previous_filename,
        "additions": f.additions,
        "deletions": f.deletions,
    }


def _is_go(path: str) -> bool:
    return path.endswith(".go")


def _module_files(dirs: Iterable[str]) -> list[str]:
    """``go.mod`` in every directory that may enclose one of ``dirs`` (root first)."""
    out = {""}
    for d in dirs:
        while d:
            out.add(d)
            d = posixpath.dirname(d)
    return [posixpath.join(d, "go.mod") if d else "go.mod" for d in sorted(out)]


async def fetch_snapshot(
    gw: RepoGateway, pull_number: int, head_sha: str, *, base_sha: str
) -> tuple[ReviewRequest, Scopes]:
    """The review request for PR ``pull_number`` at ``head_sha``, and each changed file's scope.

    ``base_sha`` is the PR's base commit: base contents rebuild the diffs GitHub leaves out
    and make build-constraint changes exact.
    """
    listed = await gw.list_pull_files(pull_number)
    if len(listed) >= MAX_PULL_FILES:
        logger.warning("pull request files truncated", pull_number=pull_number, files=len(listed))
    diffs = [from_github_file(_entry(f)) for f in listed]
    live = [d for d in diffs if d.status != "removed" and not d.binary]
    go_paths = [d.path for d in live if _is_go(d.path)]

    head = await gw.blobs(
        head_sha, [*go_paths, *_module_files(map(posixpath.dirname, go_paths)), CONFIG_PATH]
    )
    config_text = head.get(CONFIG_PATH)
    registry = _registry_files(config_text)
    missing = [p for p in registry if p not in head]
    if missing:
        head.update(await gw.blobs(head_sha, missing))

    # Base contents: for Go files that existed before (exact constraint comparison), and for
    # any file whose patch GitHub left out (its diff is rebuilt from the two contents).
    wanted_base = {
        d.path: d.old_path
        for d in live
        if d.old_path is not None and (_is_go(d.path) or d.patch_missing)
    }
    missing_head = [d.path for d in live if d.patch_missing and d.path not in head]
    if missing_head:
        head.update(await gw.blobs(head_sha, missing_head))
    base = await gw.blobs(base_sha, sorted(set(wanted_base.values()))) if wanted_base else {}

    scopes: Scopes = {}
    for d in live:
        head_text = head.get(d.path)
        base_text = base.get(d.old_path) if d.old_path is not None else None
        diff: FileDiff = d
        if d.patch_missing:
            if head_text is None and base_text is None:
                continue  # binary or unreadable on both sides: nothing to scope
            diff = from_contents(d.path, base_text, head_text, d.old_path)
        scopes[d.path] = file_scope(diff, head_text if _is_go(d.path) else None, base_text)

    go_set = set(go_paths)
    files = {
        path: text.encode()
        for path, text in head.items()
        if text is not None and (path in go_set or posixpath.basename(path) == "go.mod")
    }
    assembly = frozenset(posixpath.dirname(d.path) for d in live if d.path.endswith((".s", ".S")))
    registry_texts = {p: head.get(p) for p in registry}
    request = ReviewRequest(
        workspace=Workspace(files, complete_dirs=frozenset(), assembly_dirs=assembly),
        config_text=config_text,
        config_path=CONFIG_PATH,
        read_file=_reader(registry_texts),
        scopes=scopes,
        full_tree=False,
    )
    return request, scopes


def _registry_files(config_text: str | None) -> list[str]:
    """The ``registry_files`` the policy names (read leniently: problems surface in the review)."""
    if config_text is None:
        return []
    policy = parse_config(config_text, CONFIG_PATH, None)
    return list(dict.fromkeys(policy.settings.registry_files))


def _reader(texts: Mapping[str, str | None]) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        return texts.get(path)

    return read
