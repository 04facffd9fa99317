"""A pull request that changes a ``go.mod``'s ``go`` or ``toolchain`` line changes the window.

Every directive of that module is judged twice, under the base window (with the base go.mod)
and under the head window (with the head go.mod), and the directives whose verdict differs
are listed. Pure given the standard-library loader.

The window of a module runs from its *floor* to the newest version the facts cover. The floor
is the ``go`` line (at least 1.21), raised by a newer ``toolchain`` line: since Go 1.21 the go
command run in the module with an older Go switches to that toolchain (``GOTOOLCHAIN=auto``,
the default), so older versions never build it there. A module used as a dependency is built
by its users' toolchains, which only the ``go`` line bounds: the check run says which line
moved, so a library that raised only its ``toolchain`` line can read the change accordingly.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.analyse.engine import Workspace
from bot.analyse.review import Review, ReviewRequest, StdlibLoader, run_review
from bot.findings import Directive, Finding, Severity
from bot.golang.gomod import GoMod, parse_gomod
from bot.versions import SpecError, default_window, parse_version


@dataclass(frozen=True)
class GoModChange:
    """A ``go.mod`` the pull request changed: its text at base and at head (None: absent)."""

    path: str
    base: str | None
    head: str | None

    @property
    def module_dir(self) -> str:
        return posixpath.dirname(self.path)


@dataclass(frozen=True)
class Verdict:
    """What the review says about one directive: its worst severity (None: nothing to say),
    the rules at that severity, and the Go versions where an error holds."""

    severity: Severity | None
    rules: tuple[str, ...] = ()
    failing: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.severity is None:
            return "no finding"
        text = f"{self.severity.value}: {', '.join(self.rules)}"
        if self.failing:
            text += f" (fails on {_span(self.failing)})"
        return text


OK = Verdict(None)


@dataclass(frozen=True)
class VerdictChange:
    path: str
    line: int
    directive: Directive
    before: Verdict
    after: Verdict

    @property
    def worse(self) -> bool:
        return _rank(self.after) > _rank(self.before) or (
            self.after.severity is Severity.ERROR
            and set(self.after.failing) - set(self.before.failing) != set()
        )


def _rank(v: Verdict) -> int:
    return -1 if v.severity is None else v.severity.rank


@dataclass(frozen=True)
class WindowChange:
    """One go.mod's window change and the verdicts it changed."""

    gomod: str
    base_lines: str  # "go 1.21, toolchain go1.23.4"
    head_lines: str
    base_window: tuple[int, ...]
    head_window: tuple[int, ...]
    changes: tuple[VerdictChange, ...]
    directives: int  # directives of the module judged
    pinned: bool = False  # the policy names the versions: go.mod does not move the window


def toolchain_minor(toolchain: str | None) -> int | None:
    """``go1.23.4`` → 23; None for no line or an unreadable one (``default``)."""
    if not toolchain:
        return None
    try:
        return parse_version(toolchain)
    except SpecError:
        return None


def module_floor(mod: GoMod | None) -> int | None:
    """The oldest Go that builds the module in its own repository: go line, toolchain line."""
    if mod is None:
        return None
    found = [v for v in (mod.go, toolchain_minor(mod.toolchain)) if v is not None]
    return max(found) if found else None


def module_window(mod: GoMod | None) -> tuple[int, ...]:
    return default_window(module_floor(mod))


def go_lines(mod: GoMod | None) -> str:
    if mod is None:
        return "no go.mod"
    parts = [f"go 1.{mod.go}" if mod.go is not None else "no go line"]
    if mod.toolchain:
        parts.append(f"toolchain {mod.toolchain}")
    return ", ".join(parts)


def _parsed(text: str | None) -> GoMod | None:
    return parse_gomod(text) if text is not None else None


def lines_changed(change: GoModChange) -> bool:
    """True when the ``go`` or the ``toolchain`` line differs between base and head."""
    base, head = _parsed(change.base), _parsed(change.head)
    if base is None or head is None:
        return base is not head and change.head is not None
    return (base.go, base.toolchain) != (head.go, head.toolchain)


def verdicts(review: Review) -> dict[tuple[str, int], tuple[Directive, Verdict]]:
    """Every directive of the review with its verdict."""
    by_anchor: dict[tuple[str, int], list[Finding]] = {}
    for f in review.report.findings:
        by_anchor.setdefault((f.path, f.line), []).append(f)
    out: dict[tuple[str, int], tuple[Directive, Verdict]] = {}
    for d in review.report.directives:
        anchor = (d.path, d.line)
        if anchor not in out:
            out[anchor] = (d, verdict_of(by_anchor.get(anchor, [])))
    return out


def verdict_of(found: Sequence[Finding]) -> Verdict:
    if not found:
        return OK
    worst = max(f.severity.rank for f in found)
    top = [f for f in found if f.severity.rank == worst]
    failing = sorted(
        {g for f in found if f.severity is Severity.ERROR for g in f.go},
        key=parse_version,
    )
    return Verdict(top[0].severity, tuple(sorted({f.rule for f in top})), tuple(failing))


def compare(
    before: Mapping[tuple[str, int], tuple[Directive, Verdict]],
    after: Mapping[tuple[str, int], tuple[Directive, Verdict]],
) -> list[VerdictChange]:
    """The directives whose verdict differs (a directive missing on one side counts as OK)."""
    out: list[VerdictChange] = []
    for anchor in sorted(set(before) | set(after)):
        d, old = before.get(anchor, (None, OK))
        d2, new = after.get(anchor, (None, OK))
        directive = d2 or d
        if old != new and directive is not None:
            out.append(VerdictChange(anchor[0], anchor[1], directive, old, new))
    return out


def module_workspace(ws: Workspace, module_dir: str, gomod_text: str | None) -> Workspace:
    """The files of one module (nested modules left out), with ``gomod_text`` as its go.mod."""
    gomod = posixpath.join(module_dir, "go.mod") if module_dir else "go.mod"
    nested = {
        posixpath.dirname(p)
        for p in ws.files
        if posixpath.basename(p) == "go.mod" and p != gomod and _below(p, module_dir)
    }

    def mine(path: str) -> bool:
        return _below(path, module_dir) and not any(_below(path, n) for n in nested)

    files = {p: data for p, data in ws.files.items() if mine(p) and p != gomod}
    if gomod_text is not None:
        files[gomod] = gomod_text.encode()
    return replace(ws, files=files)


def _below(path: str, root: str) -> bool:
    return not root or path.startswith(root + "/")


def judge_window_change(
    request: ReviewRequest, change: GoModChange, stdlib: StdlibLoader | None
) -> WindowChange:
    """Judge the module of ``change`` under its base and its head window and compare."""
    base_mod, head_mod = _parsed(change.base), _parsed(change.head)
    policy = request.policy
    pinned = policy is not None and policy.versions() is not None
    base_window = module_window(base_mod)
    head_window = module_window(head_mod)
    if pinned:
        assert policy is not None
        base_window = head_window = tuple(policy.versions() or ())

    def judge(text: str | None, window: tuple[int, ...]) -> Review:
        ws = module_workspace(request.workspace, change.module_dir, text)
        return run_review(replace(request, workspace=ws, versions=window, scopes=None), stdlib)

    after = verdicts(judge(change.head, head_window))
    changes: list[VerdictChange] = []
    if not pinned:
        changes = compare(verdicts(judge(change.base, base_window)), after)
    return WindowChange(
        gomod=change.path,
        base_lines=go_lines(base_mod),
        head_lines=go_lines(head_mod),
        base_window=base_window,
        head_window=head_window,
        changes=tuple(changes),
        directives=len(after),
        pinned=pinned,
    )


def _span(go: Sequence[str]) -> str:
    minors = sorted(parse_version(g) for g in go)
    if len(minors) > 1 and minors == list(range(minors[0], minors[-1] + 1)):
        return f"Go 1.{minors[0]}–1.{minors[-1]}"
    return "Go " + ", ".join(f"1.{m}" for m in minors)


def review_with_window_changes(request: ReviewRequest, stdlib: StdlibLoader | None) -> Review:
    """``run_review``, plus the verdicts each go/toolchain line change of the request moved.

    A directive the new window makes fail (at a severity the policy fails on) fails the
    review, though no line of it changed."""
    review = run_review(request, stdlib)
    if not request.gomod_changes:
        return review
    changes = tuple(judge_window_change(request, c, stdlib) for c in request.gomod_changes)
    conclusion = review.conclusion
    if any(
        v.worse and v.after.severity is not None and review.policy.fails(v.after.severity)
        for w in changes
        for v in w.changes
    ):
        conclusion = "failure"
    return replace(review, window_changes=changes, conclusion=conclusion)
