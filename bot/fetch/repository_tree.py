"""A whole tree over the GitHub API: what ``linkname-bot check`` sees on a checkout of a commit.

One REST call lists the commit's tree recursively (``RepoGateway.git_tree``); the ``.go`` files
the go command reads for ``./...`` (not under ``vendor/``, ``testdata/``, hidden or ``_``
directories), every ``go.mod``, the policy and the registry files it names are then read in
GraphQL blob batches (``RepoGateway.blobs``, 50 paths a query, at most ``MAX_CONCURRENT`` in
flight). Directories with ``.s`` files are noted for the assembly rules.

``module`` restricts the read to one module: the files below its root that no nested module
claims (a pull request that changes that module's ``go`` line reads this).

GitHub truncates a tree past 100 000 entries (or 7 MB): then only the listed part is read,
and the result says so (``truncated``) so the caller does not claim to have seen everything.
"""

from __future__ import annotations

import asyncio
import posixpath
from dataclasses import dataclass

import structlog

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest
from bot.fetch.local_files import skipped_dir, skipped_file
from bot.fetch.pull_request import MAX_CONCURRENT, read_blobs
from bot.github import GitTree, RepoGateway
from bot.policy.config import CONFIG_PATH, parse_policy, read_registry_files

logger = structlog.get_logger("bot.service")


@dataclass(frozen=True)
class TreeFiles:
    """The Go sources and go.mod files of a tree (or of one module of it)."""

    files: dict[str, bytes]
    assembly_dirs: frozenset[str]
    truncated: bool


def _listed(path: str) -> bool:
    """Not in a directory (or a file) the go command skips for ``./...``."""
    *dirs, base = path.split("/")
    return not skipped_file(base) and not any(skipped_dir(d) for d in dirs)


def _below(path: str, root: str) -> bool:
    return not root or path.startswith(root + "/")


def module_paths(tree: GitTree, module: str | None = None) -> tuple[list[str], set[str]]:
    """The ``.go`` and ``go.mod`` paths to read, and the directories with assembly files.

    ``module``: the root directory of one module (``""``: the repository root); its nested
    modules are left out. None: every module of the tree.
    """
    blobs = [p for p in tree.blobs if _listed(p)]
    if module is not None:
        nested = {
            posixpath.dirname(p)
            for p in blobs
            if posixpath.basename(p) == "go.mod" and posixpath.dirname(p) != module
        }
        nested = {d for d in nested if _below(d, module)}
        blobs = [
            p for p in blobs if _below(p, module) and not any(_below(p, n) for n in nested if n)
        ]
    wanted = [p for p in blobs if p.endswith(".go") or posixpath.basename(p) == "go.mod"]
    assembly = {posixpath.dirname(p) for p in blobs if p.endswith((".s", ".S"))}
    return wanted, assembly


async def read_tree_files(
    gw: RepoGateway,
    sha: str,
    *,
    module: str | None = None,
    tree: GitTree | None = None,
    semaphore: asyncio.Semaphore | None = None,
) -> TreeFiles:
    """The Go files and go.mod files at commit ``sha`` (of one ``module`` when given)."""
    tree = tree if tree is not None else await gw.git_tree(sha)
    if tree.truncated:
        logger.warning("git tree truncated by GitHub", sha=sha, entries=len(tree.entries))
    wanted, assembly = module_paths(tree, module)
    semaphore = semaphore or asyncio.Semaphore(MAX_CONCURRENT)
    texts = (await read_blobs(gw, {sha: wanted}, semaphore=semaphore))[sha] if wanted else {}
    files = {p: t.encode() for p, t in texts.items() if t is not None}
    return TreeFiles(files, frozenset(assembly), tree.truncated)


async def fetch_tree(gw: RepoGateway, sha: str) -> ReviewRequest:
    """The review request for the whole tree at ``sha``: every directive, all in scope, the
    policy (and its registry files) of that commit."""
    semaphore = asyncio.Semaphore(MAX_CONCURRENT)
    tree = await gw.git_tree(sha)
    names = set(tree.blobs)
    config_paths = [CONFIG_PATH] if CONFIG_PATH in names else []
    found, config = await asyncio.gather(
        read_tree_files(gw, sha, tree=tree, semaphore=semaphore),
        read_blobs(gw, {sha: config_paths}, semaphore=semaphore) if config_paths else _none(sha),
    )
    config_text = config[sha].get(CONFIG_PATH)
    policy = parse_policy(config_text, CONFIG_PATH)
    registry = [p for p in policy.settings.registry_files if p in names]
    extra = (await read_blobs(gw, {sha: registry}, semaphore=semaphore))[sha] if registry else {}
    read_registry_files(policy, extra.get)
    return ReviewRequest(
        workspace=Workspace(
            found.files,
            # Truncated: a directory may miss files, so no missing local is reported.
            complete_dirs=frozenset() if found.truncated else None,
            assembly_dirs=found.assembly_dirs,
        ),
        config_text=config_text,
        config_path=CONFIG_PATH,
        full_tree=not found.truncated,
        policy=policy,
    )


async def _none(sha: str) -> dict[str, dict[str, str | None]]:
    return {sha: {}}
