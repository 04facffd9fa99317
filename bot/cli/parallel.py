"""Judge a large tree's packages in several processes (``check --jobs``).

The compile-level rules are a function of one package (``bot.analyse.engine.judge_package``),
and most of a GOROOT-size review is spent there, parsing included. Worker processes are forked
after the tree is read: they inherit its bytes and the judge, so only a package's index goes to
a worker and only its verdict (directives, findings, scope) comes back. Verdicts are returned in
the packages' order, so the report is byte-identical to a review in one process.

Forking is used only where it is the platform's way (Linux) and when the tree is large enough
to pay for it; elsewhere the packages are judged in this process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from bot.analyse.engine import PackageJudge, PackageRunner, PackageVerdict, judge_serially
from bot.analyse.package import Package

LEAST_MARKED_FILES = 100
"""Files with ``go:linkname`` below which one process is faster (forking costs ~20 ms)."""

#: The packages and judge of the run in progress, inherited by the forked workers.
_work: tuple[Sequence[Package], PackageJudge] | None = None


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def in_processes(jobs: int, *, least_marked_files: int = LEAST_MARKED_FILES) -> PackageRunner:
    """A runner that judges packages in ``jobs`` forked processes when the tree has at least
    ``least_marked_files`` files with directives; in this process otherwise."""

    def run(packages: Sequence[Package], judge: PackageJudge) -> Sequence[PackageVerdict]:
        marked = sum(len(p.directive_files()) for p in packages)
        if jobs < 2 or len(packages) < 2 or marked < least_marked_files or not _can_fork():
            return judge_serially(packages, judge)
        return _forked(packages, judge, min(jobs, len(packages)))

    return run


def _can_fork() -> bool:
    import multiprocessing  # only for trees that may be judged in several processes

    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def _forked(packages: Sequence[Package], judge: PackageJudge, jobs: int) -> list[PackageVerdict]:
    import multiprocessing

    global _work
    _work = (packages, judge)
    # The largest packages first, so one of them does not start last and leave a CPU idle.
    order = sorted(range(len(packages)), key=lambda i: -_size(packages[i]))
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            verdicts = dict(pool.imap_unordered(_judge_at, order))
    finally:
        _work = None
    return [verdicts[i] for i in range(len(packages))]


def _judge_at(index: int) -> tuple[int, PackageVerdict]:
    """In a worker: judge one package of the inherited run."""
    assert _work is not None, "forked without a run in progress"
    packages, judge = _work
    return index, judge(packages[index])


def _size(package: Package) -> int:
    return sum(len(f.data) for f in package.directive_files())
