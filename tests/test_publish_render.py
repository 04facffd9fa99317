"""Rendering a review for GitHub: check run, review comments, fingerprints (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pytest

from bot.analyse.engine import Workspace
from bot.analyse.review import Review, ReviewRequest, run_review
from bot.findings import Severity
from bot.publish.checkrun import (
    MAX_OUTPUT,
    Section,
    batches,
    render,
    render_check_run,
)
from bot.publish.review_comments import plan_review
from bot.report.fingerprint import (
    extract_fingerprints,
    fingerprints,
    marker,
    stale_threads,
)
from bot.report.overview import fenced
from bot.scope.diff import FileDiff
from bot.scope.scope import FileScope
from bot.versions import go_span

SHA = "0123456789abcdef0123456789abcdef01234567"
DOCS = "https://github.com/linkname-bot/linkname-bot/blob/main/docs/rules/"
GOMOD = b"module example.com/m\n\ngo 1.21\n"
A_GO = """\
package a

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

//go:linkname fastrand runtime.fastrand

//go:linkname mystery runtime.mystery
"""
# `mystery` is a func except on Go 1.23–1.26, where it is a const: unknown-local there only.
NEW_GO = "//go:build !go1.23 || go1.27\n\npackage a\n\nfunc mystery() int\n"
OLD_GO = "//go:build go1.23 && !go1.27\n\npackage a\n\nconst mystery = 1\n"
B_GO = "package b\n\n//go:linkname x runtime.x\nvar x int\n"
REGISTRY = "known:\n  - target: runtime.other\n"


def files(a_go: str = A_GO, gomod: bytes = GOMOD) -> dict[str, bytes]:
    return {
        "go.mod": gomod,
        "a/a.go": a_go.encode(),
        "a/new.go": NEW_GO.encode(),
        "a/old.go": OLD_GO.encode(),
        "b/b.go": B_GO.encode(),
    }


def review_of(
    ws: Mapping[str, bytes],
    config: str | None = None,
    *,
    platforms: tuple[str, ...] | None = None,
    scopes: Mapping[str, FileScope] | None = None,
) -> Review:
    request = ReviewRequest(Workspace(ws), config, platforms=platforms, scopes=scopes)
    return run_review(request)


def everywhere(review: Review) -> dict[str, FileScope]:
    """Scopes without a diff: every line may carry a comment."""
    return {f.path: FileScope(None, whole_file=True) for f in review.report.findings}


def scope_with(path: str, commentable: set[int]) -> FileScope:
    diff = FileDiff(path, path, "modified", frozenset(), frozenset(), frozenset(commentable))
    return FileScope(diff, whole_file=False)


@pytest.fixture(scope="module")
def review() -> Review:
    return review_of(files())


# -- review comments --------------------------------------------------------------------------


def test_comment_bodies_are_exact(review: Review) -> None:
    fps = fingerprints(review)
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    by_line = {(c["path"], c["line"]): c for c in plan.comments}
    assert all(c["side"] == "RIGHT" for c in plan.comments)

    [local, _] = [f for f in review.report.findings if f.line == 10]
    assert by_line[("a/a.go", 10)]["body"] == (
        "**❌ unknown-local — the local name is not a package-level func or var on "
        "Go 1.23–1.26**\n\n"
        "<details><summary>Details and fix</summary>\n\n"
        "`//go:linkname mystery runtime.mystery` — **pull** of func `mystery` as "
        "`runtime.mystery` (uses a symbol defined elsewhere)\n\n"
        f"- ❌ [`unknown-local`]({DOCS}unknown-local.md): //go:linkname must refer to declared "
        "function or variable: `mystery` is a const; only package-level funcs and vars can be "
        "linknamed (Go 1.23–1.26)\n\n"
        "</details>\n\n"
        f"<!-- linkname-bot:fp={fps[local]} -->"
    )
    [unsafe] = [f for f in review.report.findings if f.path == "b/b.go"]
    assert by_line[("b/b.go", 3)]["body"] == (
        "**❌ missing-unsafe-import — the file uses //go:linkname without importing unsafe on "
        "Go 1.21–1.27**\n\n"
        "<details><summary>Details and fix</summary>\n\n"
        f"- ❌ [`missing-unsafe-import`]({DOCS}missing-unsafe-import.md): //go:linkname only "
        'allowed in Go files that import "unsafe": add `import _ "unsafe"` to this file (an '
        "import in another file of the package does not count) (Go 1.21–1.27)\n\n"
        "</details>\n\n"
        f"<!-- linkname-bot:fp={fps[unsafe]} -->"
    )
    # Errors first, then by place; notices (a/a.go:5, the unknown targets) get no comment.
    assert [(c["path"], c["line"]) for c in plan.comments] == [
        ("a/a.go", 8),
        ("a/a.go", 10),
        ("b/b.go", 3),
    ]
    assert plan.overflow == [] and plan.body == "**linkname-bot** left 3 inline comments."


def test_one_comment_per_directive_merges_rules_and_versions() -> None:
    """Two rules on one directive, one of them with two facts: one comment, one headline."""
    from bot.findings import Finding, Severity

    base = review_of(files())
    e, w = Severity.ERROR, Severity.WARNING
    every = base.report.platforms
    lo, hi = ("1.23", "1.24", "1.25"), ("1.27",)
    found = [
        Finding(
            "a/a.go",
            5,
            1,
            "invalid-reference",
            e,
            "refused in Go 1.23–1.25",
            go=lo,
            platforms=every[:2],
        ),
        Finding(
            "a/a.go",
            5,
            1,
            "invalid-reference",
            e,
            "refused in Go 1.23–1.25",
            go=lo,
            platforms=every[2:],
        ),
        Finding(
            "a/a.go", 5, 1, "invalid-reference", e, "refused (blocked)", go=hi, platforms=every
        ),
        Finding(
            "a/a.go",
            5,
            1,
            "platform-only",
            w,
            "missing on windows",
            go=("1.21",),
            platforms=("windows/amd64",),
        ),
    ]
    review = Review(replace(base.report, findings=found), base.policy, "failure")
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    (comment,) = plan.comments
    first = comment["body"].split("\n", 1)[0]
    assert first == (
        "**❌ invalid-reference — refused by the linker on Go 1.23–1.25, 1.27** "
        "· also ⚠️ platform-only"
    )
    assert comment["body"].count("refused in Go 1.23–1.25") == 1  # one line per distinct fact
    assert "refused in Go 1.23–1.25 (" not in comment["body"]  # versions not repeated
    assert "refused (blocked) (Go 1.27)" in comment["body"]
    assert "missing on windows (Go 1.21 on windows/amd64)" in comment["body"]
    assert len(extract_fingerprints(comment["body"])) == 3  # platforms share one


def test_platform_specific_findings_name_their_platforms() -> None:
    review = review_of(files(), platforms=("linux/amd64", "windows/amd64"))
    f = next(f for f in review.report.findings if f.path == "b/b.go")
    assert f.platforms == ("linux/amd64", "windows/amd64")  # all: not repeated
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    assert "on linux" not in plan.comments[0]["body"]


def test_comments_only_on_commentable_lines(review: Review) -> None:
    scopes = {"a/a.go": scope_with("a/a.go", {4, 5, 6, 7})}  # b/b.go: not in the diff at all
    plan = plan_review(review, scopes, existing_fingerprints=set())
    assert plan.comments == []  # a/a.go:5 has only a notice
    assert {(f.path, f.line) for f in plan.overflow} == {
        ("a/a.go", 8),
        ("a/a.go", 10),
        ("b/b.go", 3),
    }
    assert plan.body is not None
    assert "3 more findings could not be placed inline" in plan.body
    for place in ("`a/a.go:8`", "`a/a.go:10`", "`b/b.go:3`"):
        assert place in plan.body
    # Overflow is marked too, so the same summary is not posted on every push.
    assert extract_fingerprints(plan.body) == {fingerprints(review)[f] for f in plan.overflow}


def test_in_scope_review_of_a_new_file() -> None:
    ws = files()
    diff = FileDiff("b/b.go", None, "added", frozenset({1, 2, 3, 4}), frozenset(), frozenset())
    scopes = {"b/b.go": FileScope(diff, whole_file=True)}
    review = review_of(ws, scopes=scopes)
    assert {f.path for f in review.report.findings} == {"b/b.go"}
    # In scope (new file) but the patch has no commentable line (e.g. GitHub left it out).
    plan = plan_review(review, scopes, existing_fingerprints=set())
    assert plan.comments == [] and len(plan.overflow) == 1 and plan.body is not None


def many_directives(n: int, pulls: int = 0) -> dict[str, bytes]:
    """``n`` directives with no local (unknown-local errors), then ``pulls`` clean pulls."""
    text = 'package many\n\nimport _ "unsafe"\n\n'
    text += "".join(f"//go:linkname missing{i} runtime.missing{i}\n" for i in range(n))
    text += "".join(f"//go:linkname p{i} runtime.p{i}\nfunc p{i}()\n" for i in range(pulls))
    return {"go.mod": GOMOD, "many/many.go": text.encode()}


def test_cap_at_30_comments_errors_first_rest_in_body() -> None:
    review = review_of(many_directives(35, pulls=5))
    assert len(review.report.findings) == 40
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    assert len(plan.comments) == 30
    assert all("unknown-local" in c["body"] for c in plan.comments)
    assert len(plan.overflow) == 5  # the notices are in the check run, not the review
    assert plan.body is not None
    assert plan.body.startswith(
        "**linkname-bot** left 30 inline comments. 5 more findings could not be placed "
        "inline (over the 30-comment cap or outside the diff):"
    )
    listed = [line for line in plan.body.split("\n") if line.startswith("- ")]
    assert len(listed) == 5
    assert not any("unknown-target" in line for line in listed)


def test_overflow_list_is_bounded() -> None:
    review = review_of(many_directives(300))
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    assert len(plan.comments) == 30 and len(plan.overflow) == 270
    assert plan.body is not None and "- … 170 more, see the check run's annotations" in plan.body
    assert len(extract_fingerprints(plan.body)) == 100  # only what is listed is marked


def test_existing_fingerprints_are_not_posted_again(review: Review) -> None:
    first = plan_review(review, everywhere(review), existing_fingerprints=set())
    on_pr = set().union(*(extract_fingerprints(c["body"]) for c in first.comments))
    serious = [f for f in review.report.findings if f.severity is not Severity.NOTICE]
    assert on_pr == {fingerprints(review)[f] for f in serious}
    again = plan_review(review, everywhere(review), existing_fingerprints=on_pr)
    assert again.comments == [] and again.overflow == [] and again.body is None
    assert sorted(again.skipped_existing) == sorted(serious)
    # One finding already posted: the others are still commented.
    [local, _] = [f for f in review.report.findings if f.line == 10]
    partial = plan_review(
        review, everywhere(review), existing_fingerprints={fingerprints(review)[local]}
    )
    assert [c["line"] for c in partial.comments] == [8, 3]
    assert partial.skipped_existing == [local]


def test_nothing_to_comment() -> None:
    review = review_of({"go.mod": GOMOD, "c/c.go": b"package c\n"})
    plan = plan_review(review, {}, existing_fingerprints=set())
    assert plan.comments == [] and plan.overflow == [] and plan.body is None


def test_fence_outgrows_backticks() -> None:
    assert fenced("x: ```a```", "yaml") == "````yaml\nx: ```a```\n````"
    assert fenced("plain") == "```\nplain\n```"
    assert go_span(("1.23", "1.24", "1.25", "1.26")) == "Go 1.23–1.26"
    assert go_span(("1.21", "1.23")) == "Go 1.21, 1.23"
    assert go_span(("1.25",)) == "Go 1.25"


# -- fingerprints -----------------------------------------------------------------------------


def test_fingerprint_survives_moved_lines_and_follows_go_versions(review: Review) -> None:
    moved = review_of(files("// Package a.\n\n\n" + A_GO))
    assert [f.line for f in moved.report.findings][:2] == [8, 11]
    before, after = fingerprints(review), fingerprints(moved)
    assert sorted(before.values()) == sorted(after.values())
    for f, g in zip(review.report.findings, moved.report.findings, strict=True):
        assert before[f] == after[g]
        assert g.line == f.line + (3 if f.path == "a/a.go" else 0)

    newer = review_of(files(gomod=b"module example.com/m\n\ngo 1.24\n"))
    f = next(f for f in review.report.findings if f.path == "b/b.go")
    g = next(f for f in newer.report.findings if f.path == "b/b.go")
    assert f.go != g.go and before[f] != fingerprints(newer)[g]


def test_same_directive_twice_in_a_file_gets_two_fingerprints() -> None:
    text = (
        'package d\n\nimport _ "unsafe"\n\n//go:linkname f runtime.f\n//go:linkname f runtime.f\n'
    )
    review = review_of({"go.mod": GOMOD, "d/d.go": text.encode()})
    fps = [fingerprints(review)[f] for f in review.report.findings if f.rule == "unknown-local"]
    assert len(fps) == 2 and len(set(fps)) == 2


def test_extract_fingerprints() -> None:
    body = f"text\n{marker('00ff00ff00ff00ff')}\n{marker('abcdefabcdefabcd')}\n<!-- other -->"
    assert extract_fingerprints(body) == {"00ff00ff00ff00ff", "abcdefabcdefabcd"}
    assert extract_fingerprints("no markers <!-- linkname-bot:fp=XYZ -->") == set()


@dataclass(frozen=True)
class Thread:
    id: str
    is_resolved: bool
    body: str


def test_stale_threads_are_the_unresolved_bot_threads_whose_findings_left() -> None:
    threads = [
        Thread("T1", False, "a\n" + marker("1111111111111111")),  # still current
        Thread("T2", False, "b\n" + marker("2222222222222222")),  # gone: resolve
        Thread("T3", True, "c\n" + marker("3333333333333333")),  # already resolved
        Thread("T4", False, "a human's thread"),  # not the bot's
        Thread("T5", False, marker("5555555555555555") + "\n" + marker("1111111111111111")),
    ]
    assert stale_threads(threads, {"1111111111111111"}) == ["T2"]


# -- check run --------------------------------------------------------------------------------


def test_matrix_marks_the_versions_a_directive_fails_on(review: Review) -> None:
    out = render_check_run(review, head_sha=SHA, details=None)
    assert (
        "| Directive | 1.21 | 1.22 | 1.23 | 1.24 | 1.25 | 1.26 | 1.27 |\n"
        "|---|:-:|:-:|:-:|:-:|:-:|:-:|:-:|\n"
        "| `a/a.go:8` | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ |\n"
        "| `a/a.go:10` `//go:linkname mystery runtime.mystery` | ✓ | ✓ | ✗ | ✗ | ✗ | ✗ | ✓ |"
    ) in out.summary
    # A directive with only notices is counted, not listed.
    assert "nanotime runtime.nanotime` |" not in out.summary
    assert "1 other directive with no error or warning." in out.summary


def test_matrix_warnings_and_versions_not_built() -> None:
    ws = files()
    ws["a/late.go"] = (
        b'//go:build go1.25\n\npackage a\n\nimport _ "unsafe"\n\n'
        b"//go:linkname late runtime.late\nfunc late()\n"
    )
    out = render_check_run(review_of(ws, REGISTRY), head_sha=SHA, details=None)
    # With a registry, unknown targets are warnings.
    assert "| `a/a.go:5` `//go:linkname nanotime runtime.nanotime` | ⚠ | ⚠ | ⚠ |" in out.summary
    assert "| `a/late.go:7` `//go:linkname late runtime.late` | – | – | – | – | ⚠ | ⚠ | ⚠ |" in (
        out.summary
    )


def test_summary_counts_links_and_new_targets(review: Review) -> None:
    out = render_check_run(review, head_sha=SHA, details="https://bot.example/r/1")
    assert out.title == "3 errors, 2 notices in 2 directives"
    assert out.conclusion == "failure" and out.head_sha == SHA
    assert out.details_url == "https://bot.example/r/1"
    s = out.summary
    assert s.startswith(
        "[Full report](https://bot.example/r/1)\n\nReviewed `0123456` on Go 1.21–1.27"
    )
    assert "2 directives (2 pulls): ❌ 3 errors, ⚠️ 0 warnings, ℹ️ 2 notices." in s
    assert f"❌ [`unknown-local`]({DOCS}unknown-local.md) 2" in s
    assert f"ℹ️ [`unknown-target`]({DOCS}unknown-target.md) 2" in s
    assert "### New targets (2)\n\n`runtime.mystery` · `runtime.nanotime`" in s
    # One collapsed block with the notices and ONE snippet holding every entry.
    assert s.count("<details>") == 1 and s.count("```yaml") == 1
    assert "<summary>ℹ️ 2 notices · 2 suggested registry entries</summary>" in s
    assert (
        "```yaml\n- target: runtime.nanotime\n  local: func() int64\n  go: 1.21-1.27\n"
        "- target: runtime.mystery\n  local: func() int\n  go: 1.21-1.22,1.27\n```"
    ) in s
    assert out.text is not None and out.text.count("\n- ❌") == 3  # errors in detail
    assert out.text.count("\n- ℹ️") == 2  # notices one line each


def test_every_group_is_a_plain_text_annotation(review: Review) -> None:
    out = render_check_run(review, head_sha=SHA, details=None)
    assert len(out.annotations) == len(review.report.findings) == 5
    # Errors first; plain text (GitHub shows annotation messages literally).
    assert out.annotations[0] == {
        "path": "a/a.go",
        "start_line": 8,
        "end_line": 8,
        "annotation_level": "failure",
        "message": "//go:linkname must refer to declared function or variable: there is no "
        "package-level func or var fastrand in this package; declare it (e.g. func fastrand() "
        "without a body for a pull) (Go 1.21–1.27)",
        "title": "unknown-local (Go 1.21–1.27)",
    }
    assert not any("`" in a["message"] or "`" in a["title"] for a in out.annotations)
    nano = next(a for a in out.annotations if a["start_line"] == 5)
    assert nano["title"] == "unknown-target (Go 1.21–1.27)" and "(Go" not in nano["message"][:-16]
    levels = {(a["path"], a["start_line"], a["annotation_level"]) for a in out.annotations}
    assert ("a/a.go", 10, "failure") in levels and ("b/b.go", 3, "failure") in levels
    # What could not be placed inline is still annotated.
    plan = plan_review(review, {}, existing_fingerprints=set())
    assert {(f.path, f.line) for f in plan.overflow} <= {
        (a["path"], a["start_line"]) for a in out.annotations
    }


def test_add_registry_button_only_for_new_targets(review: Review) -> None:
    [action] = render_check_run(review, head_sha=SHA, details=None).actions
    assert action["identifier"] == "add-registry"
    assert len(action["label"]) <= 20 and len(action["description"]) <= 40
    assert len(action["identifier"]) <= 20
    only_b = review_of({"go.mod": GOMOD, "b/b.go": B_GO.encode()})
    assert render_check_run(only_b, head_sha=SHA, details=None).actions == []


def test_nothing_to_review_is_one_line() -> None:
    review = review_of({"go.mod": GOMOD, "c/c.go": b"package c\n"})
    out = render_check_run(review, head_sha=SHA, details=None)
    assert out.title == "No //go:linkname directives to review"
    assert "\n" not in out.summary and "nothing to review" in out.summary
    assert out.text is None and out.annotations == [] and out.actions == []
    assert out.conclusion == "success"


def test_huge_review_stays_within_limits() -> None:
    review = review_of(many_directives(2500, pulls=2500))
    assert len(review.report.findings) == 5000
    out = render_check_run(review, head_sha=SHA, details=None)
    assert out.text is not None and len(out.text) <= MAX_OUTPUT
    assert len(out.summary) <= MAX_OUTPUT
    assert out.text.rstrip().endswith("more, see annotations")
    assert "… 2470 more, see annotations" in out.summary  # matrix rows past the first 30
    assert len(out.annotations) == 5000
    chunks = batches(out.annotations, 50)
    assert len(chunks) == 100 and all(len(c) == 50 for c in chunks)
    assert [a for c in chunks for a in c] == out.annotations


def test_huge_rows_are_cut_between_rows_and_fences_stay_closed() -> None:
    long = "x" * 1500
    text = 'package l\n\nimport _ "unsafe"\n\n' + "".join(
        f"//go:linkname p{i} runtime.{long}{i}\nfunc p{i}()\n" for i in range(60)
    )
    review = review_of({"go.mod": GOMOD, "l/l.go": text.encode()})
    out = render_check_run(review, head_sha=SHA, details=None)
    assert len(out.summary) <= MAX_OUTPUT and len(out.text or "") <= MAX_OUTPUT
    assert "more, see annotations" in out.summary
    assert out.summary.count("```") % 2 == 0 and (out.text or "").count("```") % 2 == 0


def test_render_cuts_rows_and_counts_the_rest() -> None:
    rows = [f"| row {i} | {'y' * 100} |" for i in range(2000)]
    text = render([Section("| a | b |\n|---|---|", rows)], 10_000)
    assert len(text) <= 10_000
    kept = text.count("| row ")
    assert 0 < kept < 2000 and text.endswith(f"\n\n… {2000 - kept} more, see annotations")


def test_batches() -> None:
    assert [len(b) for b in batches(list(range(120)), 50)] == [50, 50, 20]
    assert batches([], 50) == []
    with pytest.raises(ValueError):
        batches([1], 0)
