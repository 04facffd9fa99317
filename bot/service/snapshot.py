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

Round trips: the first page of the file list says (``Link: rel="last"``) how many pages there
are, and the other pages are read together; then every content batch (head and base, 50
paths each) is read together. At most ``MAX_CONCURRENT`` requests are in flight at once.
A pull request of any size costs three round trips (a fourth when the policy names
``registry_files`` that the first batches did not read).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import structlog

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest
from bot.github import PullFile, RepoGateway
from bot.github.gateway import MAX_PULL_FILES
from bot.golang.gomod import gomod_candidates
from bot.policy.config import CONFIG_PATH, parse_config
from bot.scope.diff import FileDiff, from_contents, from_github_file
from bot.scope.scope import FileScope, file_scope

logger = structlog.get_logger("bot.service")

Scopes = dict[str, FileScope]
T = TypeVar("T")

MAX_CONCURRENT = 8  # requests in flight at once for one snapshot (GitHub allows 100)
FILES_PER_PAGE = 100
FILES_ENDPOINT = "GET /repos/{owner}/{repo}/pulls/{number}/files"


async def _limited(aws: Sequence[Awaitable[T]], limit: int = MAX_CONCURRENT) -> list[T]:
    """``asyncio.gather`` with at most ``limit`` awaitables running at once (order kept)."""
    semaphore = asyncio.Semaphore(limit)

    async def one(aw: Awaitable[T]) -> T:
        async with semaphore:
            return await aw

    return list(await asyncio.gather(*(one(aw) for aw in aws)))


def _last_page(links: Mapping[str | None, Mapping[str, str]]) -> int | None:
    url = (links.get("last") or {}).get("url")
    if url is None:
        return None
    pages = parse_qs(urlsplit(url).query).get("page")
    return int(pages[0]) if pages and pages[0].isdigit() else None


async def list_files(gw: RepoGateway, number: int) -> list[PullFile]:
    """The changed files: page 1, then every other page at once (GitHub's ``last`` link)."""
    url = f"/repos/{gw.owner}/{gw.repo}/pulls/{number}/files"

    async def page(n: int) -> list[Any]:
        response = await gw.requester.request(
            "GET", FILES_ENDPOINT, url, params={"per_page": FILES_PER_PAGE, "page": n}
        )
        items: list[Any] = response.json()
        return items

    first = await gw.requester.request(
        "GET", FILES_ENDPOINT, url, params={"per_page": FILES_PER_PAGE, "page": 1}
    )
    items: list[Any] = first.json()
    last = _last_page(first.links)
    if last is None and "next" in first.links:  # no page count: follow the links one by one
        return await gw.list_pull_files(number)
    last = min(last or 1, -(-MAX_PULL_FILES // FILES_PER_PAGE))
    for chunk in await _limited([page(n) for n in range(2, last + 1)]):
        items.extend(chunk)
    return [PullFile.from_json(item) for item in items[:MAX_PULL_FILES]]


async def read_blobs(
    gw: RepoGateway, wanted: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, str | None]]:
    """``{sha: paths}`` → ``{sha: {path: text}}``, every batch of every commit at once."""
    size = gw.blob_batch
    jobs: list[tuple[str, list[str]]] = []
    for sha, paths in wanted.items():
        unique = list(dict.fromkeys(paths))
        jobs += [(sha, unique[i : i + size]) for i in range(0, len(unique), size)]
    out: dict[str, dict[str, str | None]] = {sha: {} for sha in wanted}
    results = await _limited([gw.blobs(sha, batch) for sha, batch in jobs])
    for (sha, _), texts in zip(jobs, results, strict=True):
        out[sha].update(texts)
    return out


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


async def fetch_snapshot(
    gw: RepoGateway, pull_number: int, head_sha: str, *, base_sha: str
) -> tuple[ReviewRequest, Scopes]:
    """The review request for PR ``pull_number`` at ``head_sha``, and each changed file's scope.

    ``base_sha`` is the PR's base commit: base contents rebuild the diffs GitHub leaves out
    and make build-constraint changes exact.
    """
    listed = await list_files(gw, pull_number)
    if len(listed) >= MAX_PULL_FILES:
        logger.warning("pull request files truncated", pull_number=pull_number, files=len(listed))
    diffs = [from_github_file(_entry(f)) for f in listed]
    live = [d for d in diffs if d.status != "removed" and not d.binary]
    go_paths = [d.path for d in live if _is_go(d.path)]

    # Head: the Go files, the go.mod that may enclose them, the policy, and any file whose
    # patch GitHub left out (its diff is rebuilt from the two contents). Base: Go files that
    # existed before (exact constraint comparison) and the files without a patch. One wave.
    head_paths = [*go_paths, *gomod_candidates(map(posixpath.dirname, go_paths)), CONFIG_PATH]
    head_paths += [d.path for d in live if d.patch_missing]
    wanted_base = {
        d.path: d.old_path
        for d in live
        if d.old_path is not None and (_is_go(d.path) or d.patch_missing)
    }
    wanted: dict[str, list[str]] = {head_sha: head_paths}
    if wanted_base:
        wanted.setdefault(base_sha, []).extend(sorted(set(wanted_base.values())))
    texts = await read_blobs(gw, wanted)
    head = texts[head_sha]
    base = texts.get(base_sha, {}) if wanted_base else {}
    config_text = head.get(CONFIG_PATH)
    registry = _registry_files(config_text)
    missing = [p for p in registry if p not in head]
    if missing:
        head.update((await read_blobs(gw, {head_sha: missing}))[head_sha])

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
