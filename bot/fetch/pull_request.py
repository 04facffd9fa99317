"""What a pull request looks like at one head commit: the ReviewRequest and the diff scopes.

Only what the change touched is fetched: the changed ``.go`` files at head, the ``go.mod``
files that may enclose them, the policy file and the registry files it names. Contents come
in GraphQL batches (``RepoGateway.blobs``), never one REST call per file.

Packages with directives are read whole: every directory holding a changed ``.go`` file
whose head text contains ``go:linkname`` is listed at head (``RepoGateway.trees``), its
unchanged ``.go`` files (``_test.go`` included) are read too, and the directory goes into
``Workspace.complete_dirs``: a local declared in an unchanged sibling is found, and
``unknown-local`` is reported. A listed directory with a ``.s``/``.S`` file goes into
``assembly_dirs``. Other directories are seen only through their changed files.

Limits of this partial view, by design:

- A directory whose changed ``.go`` files contain no ``go:linkname`` is not listed, so a
  directive in an unchanged file whose local's declaration the pull request changes is
  classified without its package's other files.
- ``full_tree=False``: handshake rules do not assume they see every package.
- GitHub lists at most 3 000 changed files; beyond that the review covers the first 3 000.

Round trips: the first page of the file list says (``Link: rel="last"``) how many pages there
are, and the other pages are read together; then every content batch (head and base, 50
paths each) is read together. At most ``MAX_CONCURRENT`` requests are in flight at once.
A pull request of any size costs three round trips (a fourth when the policy names
``registry_files`` that the first batches did not read).

Packages are guessed from the file list, before any content: a directory is listed
(``RepoGateway.trees``, 50 per query) when a changed Go file's patch shows ``go:linkname`` on
a head-side line, or has no patch. Directories on the first page are listed while the other
pages load; the unchanged files of those whose patches show a directive are read with the
content batches. So siblings cost no round trip when the list has several pages and the
directories are on its first page, and one round trip otherwise; a directive the patches do
not show (outside every hunk, or no patch) is found in the head text, and its package read
one round trip later (listed then read: two).

A change to a ``go.mod``'s ``go`` or ``toolchain`` line changes the window of its module: then
the whole module is read at head (its git tree in one call, its Go files in blob batches) and
the request carries the base and head texts (``ReviewRequest.gomod_changes``) so every
directive of the module can be judged under both windows (``bot.analyse.window_change``).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import structlog

from bot.analyse.engine import Workspace
from bot.analyse.review import ReviewRequest
from bot.analyse.window_change import GoModChange, lines_changed
from bot.github import PullFile, RepoGateway
from bot.github.gateway import MAX_PULL_FILES
from bot.golang.gomod import gomod_candidates
from bot.policy.config import CONFIG_PATH, Policy, parse_policy, read_registry_files
from bot.policy.paths import outside
from bot.scope.diff import FileDiff, from_contents, from_github_file
from bot.scope.scope import FileScope, file_scope
from bot.stdlib.coverage import facts_coverage

logger = structlog.get_logger("bot.service")

Scopes = dict[str, FileScope]
T = TypeVar("T")

MAX_CONCURRENT = 8  # requests in flight at once for one snapshot (GitHub allows 100)


async def _limited(
    aws: Sequence[Awaitable[T]],
    limit: int = MAX_CONCURRENT,
    *,
    semaphore: asyncio.Semaphore | None = None,
) -> list[T]:
    """``asyncio.gather`` with at most ``limit`` awaitables running at once (order kept);
    calls that share ``semaphore`` share its limit instead."""
    semaphore = semaphore or asyncio.Semaphore(limit)

    async def one(aw: Awaitable[T]) -> T:
        async with semaphore:
            return await aw

    return list(await asyncio.gather(*(one(aw) for aw in aws)))


def _batches(items: Sequence[str], size: int) -> list[list[str]]:
    unique = list(dict.fromkeys(items))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


async def read_blobs(
    gw: RepoGateway,
    wanted: Mapping[str, Sequence[str]],
    *,
    semaphore: asyncio.Semaphore | None = None,
) -> dict[str, dict[str, str | None]]:
    """``{sha: paths}`` → ``{sha: {path: text}}``, every batch of every commit at once."""
    jobs = [
        (sha, batch) for sha, paths in wanted.items() for batch in _batches(paths, gw.blob_batch)
    ]
    out: dict[str, dict[str, str | None]] = {sha: {} for sha in wanted}
    results = await _limited([gw.blobs(sha, batch) for sha, batch in jobs], semaphore=semaphore)
    for (sha, _), texts in zip(jobs, results, strict=True):
        out[sha].update(texts)
    return out


async def read_trees(
    gw: RepoGateway,
    sha: str,
    dirs: Sequence[str],
    *,
    semaphore: asyncio.Semaphore | None = None,
) -> dict[str, list[str]]:
    """``dirs`` → the names of their files at ``sha``, every batch at once."""
    out: dict[str, list[str]] = {}
    batches = _batches(dirs, gw.blob_batch)
    for listing in await _limited([gw.trees(sha, b) for b in batches], semaphore=semaphore):
        out.update(listing)
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


def _is_assembly(path: str) -> bool:
    return path.endswith((".s", ".S"))


MARKER = "go:linkname"  # as bot.analyse.package.MARKER: the engine reads only such packages


def _shows_directive(f: PullFile) -> bool:
    """Whether the patch shows ``go:linkname`` on a line of the head side (added or context):
    then the head text of this live Go file has it too."""
    if f.status == "removed" or not _is_go(f.filename) or f.patch is None:
        return False
    return any(line[:1] in "+ " and MARKER in line for line in f.patch.splitlines())


def _to_list(f: PullFile) -> bool:
    """Whether the directory of ``f`` is listed before any content arrives: its patch shows a
    directive, or GitHub sent no patch (a huge diff, read whole later) for a live Go file."""
    if f.status == "removed" or not _is_go(f.filename):
        return False
    return f.patch is None or _shows_directive(f)


def _dirs(files: Sequence[PullFile], keep: Callable[[PullFile], bool]) -> list[str]:
    return sorted({posixpath.dirname(f.filename) for f in files if keep(f)})


class _Packages:
    """The packages with directives: their listings at head and their unchanged Go files.

    A directory is listed as soon as a page of the file list shows it may hold directives;
    its unchanged Go files are read once every changed file is known (so that none is read
    twice) and the directory is known to hold directives.
    """

    def __init__(self, gw: RepoGateway, head_sha: str, semaphore: asyncio.Semaphore) -> None:
        self.gw = gw
        self.head_sha = head_sha
        self.semaphore = semaphore
        self.listing: dict[str, asyncio.Future[dict[str, list[str]]]] = {}
        self.names: dict[str, list[str]] = {}  # directory → file names at head
        self.texts: dict[str, str | None] = {}  # path of an unchanged sibling → head text
        self.read: set[str] = set()  # directories whose siblings were read

    def list_dirs(self, dirs: Sequence[str]) -> None:
        """Start listing the directories not listed yet (one GraphQL batch per 50)."""
        todo = [d for d in dirs if d not in self.listing]
        if todo:
            task = asyncio.ensure_future(
                read_trees(self.gw, self.head_sha, todo, semaphore=self.semaphore)
            )
            self.listing.update((d, task) for d in todo)

    async def read_siblings(self, dirs: Sequence[str], changed: set[str]) -> None:
        """List ``dirs`` (where not started already), then read their unchanged Go files."""
        self.list_dirs(dirs)
        for task in {id(self.listing[d]): self.listing[d] for d in dirs}.values():
            self.names.update(await task)
        paths = [p for d in dirs for p in self.go_files(d) if p not in changed]
        if paths:
            texts = await read_blobs(self.gw, {self.head_sha: paths}, semaphore=self.semaphore)
            self.texts.update(texts[self.head_sha])
        self.read.update(dirs)

    def go_files(self, directory: str) -> list[str]:
        names = self.names.get(directory, [])
        return [posixpath.join(directory, n) for n in names if _is_go(n)]

    async def close(self) -> None:
        """Cancel listings nobody waited for (an error elsewhere ended the snapshot)."""
        tasks = {id(t): t for t in self.listing.values() if not t.done()}.values()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def fetch_snapshot(
    gw: RepoGateway, pull_number: int, head_sha: str, *, base_sha: str
) -> tuple[ReviewRequest, Scopes]:
    """The review request for PR ``pull_number`` at ``head_sha``, and each changed file's scope.

    ``base_sha`` is the PR's base commit: base contents rebuild the diffs GitHub leaves out
    and make build-constraint changes exact.
    """
    semaphore = asyncio.Semaphore(MAX_CONCURRENT)
    packages = _Packages(gw, head_sha, semaphore)
    try:
        return await _fetch(gw, pull_number, head_sha, base_sha, packages)
    finally:
        await packages.close()


async def _fetch(
    gw: RepoGateway, pull_number: int, head_sha: str, base_sha: str, packages: _Packages
) -> tuple[ReviewRequest, Scopes]:
    # Directories the first page shows directives in are listed while the other pages load.
    listed = await gw.pull_files(
        pull_number,
        lambda page: packages.list_dirs(_dirs(page, _to_list)),
        concurrency=MAX_CONCURRENT,
    )
    if len(listed) >= MAX_PULL_FILES:
        logger.warning("pull request files truncated", pull_number=pull_number, files=len(listed))
    diffs = [from_github_file(_entry(f)) for f in listed]
    live = [d for d in diffs if d.status != "removed" and not d.binary]
    go_paths = [d.path for d in live if _is_go(d.path)]
    go_set = set(go_paths)

    # Head: the Go files, the go.mod that may enclose them, the policy, and any file whose
    # patch GitHub left out (its diff is rebuilt from the two contents). Base: Go files that
    # existed before (exact constraint comparison) and the files without a patch. One wave;
    # with it, the unchanged Go files of the packages the patches show directives in (and
    # the listing of those not listed yet), and the listing of packages without a patch.
    head_paths = [*go_paths, *gomod_candidates(map(posixpath.dirname, go_paths)), CONFIG_PATH]
    head_paths += [d.path for d in live if d.patch_missing]
    gomods = [d for d in live if _is_gomod(d.path)]
    head_paths += [d.path for d in gomods]
    wanted_base = {
        d.path: d.old_path
        for d in live
        if d.old_path is not None and (_is_go(d.path) or d.patch_missing or _is_gomod(d.path))
    }
    wanted: dict[str, list[str]] = {head_sha: head_paths}
    if wanted_base:
        wanted.setdefault(base_sha, []).extend(sorted(set(wanted_base.values())))
    packages.list_dirs(_dirs(listed, _to_list))

    async def contents() -> tuple[dict[str, dict[str, str | None]], Policy]:
        texts = await read_blobs(gw, wanted, semaphore=packages.semaphore)
        head = texts[head_sha]
        # The one parse of the job; versions and ports without facts are problems on their line.
        policy = parse_policy(head.get(CONFIG_PATH), CONFIG_PATH, facts_coverage())
        # Only paths inside the repository are ever requested; the review reports the others.
        missing = [
            p for p in policy.settings.registry_files if p not in head and outside(p) is None
        ]
        if missing:
            head.update(
                (await read_blobs(gw, {head_sha: missing}, semaphore=packages.semaphore))[head_sha]
            )
        return texts, policy

    (texts, policy), _ = await asyncio.gather(
        contents(), packages.read_siblings(_dirs(listed, _shows_directive), go_set)
    )
    head = texts[head_sha]
    base = texts.get(base_sha, {}) if wanted_base else {}
    config_text = head.get(CONFIG_PATH)
    read_registry_files(policy, _reader({p: head.get(p) for p in policy.settings.registry_files}))

    # Directives the patches do not show (outside every hunk, or no patch): those packages
    # are read now, one round trip later (two when not listed yet).
    linkname_dirs = sorted(
        {posixpath.dirname(p) for p in go_paths if MARKER in (head.get(p) or "")}
    )
    late = [d for d in linkname_dirs if d not in packages.read]
    if late:
        await packages.read_siblings(late, go_set)

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

    files = {
        path: text.encode()
        for path, text in head.items()
        if text is not None and (path in go_set or posixpath.basename(path) == "go.mod")
    }
    # Complete: listed, and every Go file of the listing read (None: binary or unreadable).
    complete: set[str] = set()
    for directory in linkname_dirs:
        if directory not in packages.names:
            continue  # not a tree at head (cannot happen for a directory with a live file)
        package = packages.go_files(directory)
        for path in package:
            text = packages.texts.get(path)
            if path not in go_set and text is not None:
                files[path] = text.encode()
        if all(p in files for p in package):
            complete.add(directory)
    assembly = {posixpath.dirname(d.path) for d in live if _is_assembly(d.path)}
    assembly |= {d for d, names in packages.names.items() if any(map(_is_assembly, names))}
    changes = [
        GoModChange(d.path, base.get(d.old_path) if d.old_path else None, head.get(d.path))
        for d in gomods
    ]
    changes = [c for c in changes if lines_changed(c)]
    if changes:
        await _read_modules(gw, head_sha, changes, files, complete, assembly, packages.semaphore)
    request = ReviewRequest(
        workspace=Workspace(
            files, complete_dirs=frozenset(complete), assembly_dirs=frozenset(assembly)
        ),
        config_text=config_text,
        config_path=CONFIG_PATH,
        scopes=scopes,
        full_tree=False,
        policy=policy,
        gomod_changes=tuple(changes),
    )
    return request, scopes


def _is_gomod(path: str) -> bool:
    return posixpath.basename(path) == "go.mod"


async def _read_modules(
    gw: RepoGateway,
    head_sha: str,
    changes: Sequence[GoModChange],
    files: dict[str, bytes],
    complete: set[str],
    assembly: set[str],
    semaphore: asyncio.Semaphore,
) -> None:
    """Read the whole module of each go.mod whose go/toolchain line moved: one tree listing,
    then the modules' Go files in blob batches (all modules at once)."""
    from bot.fetch.repository_tree import module_paths  # it builds on this module's reads

    tree = await gw.git_tree(head_sha)
    wanted: list[str] = []
    for change in changes:
        paths, asm = module_paths(tree, change.module_dir)
        wanted += [p for p in paths if p not in files]
        assembly |= asm
        if not tree.truncated:
            complete |= {posixpath.dirname(p) for p in paths if _is_go(p)}
    texts = (await read_blobs(gw, {head_sha: wanted}, semaphore=semaphore))[head_sha]
    files.update((p, t.encode()) for p, t in texts.items() if t is not None)


def _reader(texts: Mapping[str, str | None]) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        return texts.get(path)

    return read
