"""Rendering a review for GitHub: check run, review comments, fingerprints (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from bot.analyse.engine import Workspace
from bot.analyse.review import Review, ReviewRequest, run_review
from bot.publish.checkrun import (
    MAX_OUTPUT,
    Section,
    batches,
    render,
    render_check_run,
)
from bot.publish.fingerprint import (
    extract_fingerprints,
    fingerprints,
    marker,
    stale_threads,
)
from bot.publish.review_comments import fenced, go_span, plan_review
from bot.scope.diff import FileDiff
from bot.scope.scope import FileScope

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

    [local, target] = [f for f in review.report.findings if f.line == 10]
    assert by_line[("a/a.go", 10)]["body"] == (
        "`//go:linkname mystery runtime.mystery` — **pull** of func `mystery` as "
        "`runtime.mystery` (uses a symbol defined elsewhere)\n\n"
        f"- ❌ [`unknown-local`]({DOCS}unknown-local.md) //go:linkname must refer to declared "
        "function or variable: `mystery` is a const; only package-level funcs and vars can be "
        "linknamed _(Go 1.23–1.26)_\n\n"
        f"- ℹ️ [`unknown-target`]({DOCS}unknown-target.md) `runtime.mystery` is not in the "
        "registry of known targets (pull of a func); add the entry below under `known:` in "
        ".github/linkname-bot.yml so reviewers can see what the repository relies on "
        "_(Go 1.21, 1.22, 1.27)_\n\n"
        "  ```yaml\n"
        "  - target: runtime.mystery\n"
        "    local: func() int\n"
        "    go: 1.21,1.22,1.27\n"
        "  ```\n\n"
        f"<!-- linkname-bot:fp={fps[local]} -->\n"
        f"<!-- linkname-bot:fp={fps[target]} -->"
    )
    [unsafe] = [f for f in review.report.findings if f.path == "b/b.go"]
    assert by_line[("b/b.go", 3)]["body"] == (
        "A directive linking to `runtime.x` (not classified)\n\n"
        f"- ❌ [`missing-unsafe-import`]({DOCS}missing-unsafe-import.md) //go:linkname only "
        'allowed in Go files that import "unsafe": add `import _ "unsafe"` to this file (an '
        "import in another file of the package does not count) _(Go 1.21–1.27)_\n\n"
        f"<!-- linkname-bot:fp={fps[unsafe]} -->"
    )
    # Errors first, then by place; nothing overflowed.
    assert [(c["path"], c["line"]) for c in plan.comments] == [
        ("a/a.go", 8),
        ("a/a.go", 10),
        ("b/b.go", 3),
        ("a/a.go", 5),
    ]
    assert plan.overflow == [] and plan.body == "**linkname-bot** left 4 inline comments."


def test_platform_specific_findings_name_their_platforms() -> None:
    review = review_of(files(), platforms=("linux/amd64", "windows/amd64"))
    f = next(f for f in review.report.findings if f.path == "b/b.go")
    assert f.platforms == ("linux/amd64", "windows/amd64")  # all: not repeated
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    assert "on linux" not in plan.comments[0]["body"]


def test_comments_only_on_commentable_lines(review: Review) -> None:
    scopes = {"a/a.go": scope_with("a/a.go", {4, 5, 6, 7})}  # b/b.go: not in the diff at all
    plan = plan_review(review, scopes, existing_fingerprints=set())
    assert [(c["path"], c["line"]) for c in plan.comments] == [("a/a.go", 5)]
    assert {(f.path, f.line) for f in plan.overflow} == {
        ("a/a.go", 8),
        ("a/a.go", 10),
        ("b/b.go", 3),
    }
    assert plan.body is not None
    assert "4 more findings could not be placed inline" in plan.body
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
    assert all("unknown-local" in c["body"] for c in plan.comments)  # errors before notices
    assert len(plan.overflow) == 10
    assert plan.body is not None
    assert plan.body.startswith(
        "**linkname-bot** left 30 inline comments. 10 more findings could not be placed "
        "inline (over the 30-comment cap or outside the diff):"
    )
    listed = [line for line in plan.body.split("\n") if line.startswith("- ")]
    assert len(listed) == 10
    assert sum("unknown-target" in line for line in listed) == 5


def test_overflow_list_is_bounded() -> None:
    review = review_of(many_directives(300))
    plan = plan_review(review, everywhere(review), existing_fingerprints=set())
    assert len(plan.comments) == 30 and len(plan.overflow) == 270
    assert plan.body is not None and "- … 170 more, see annotations" in plan.body
    assert len(extract_fingerprints(plan.body)) == 100  # only what is listed is marked


def test_existing_fingerprints_are_not_posted_again(review: Review) -> None:
    first = plan_review(review, everywhere(review), existing_fingerprints=set())
    on_pr = set().union(*(extract_fingerprints(c["body"]) for c in first.comments))
    assert on_pr == set(fingerprints(review).values())
    again = plan_review(review, everywhere(review), existing_fingerprints=on_pr)
    assert again.comments == [] and again.overflow == [] and again.body is None
    assert sorted(again.skipped_existing) == sorted(review.report.findings)
    # One finding already posted: only the other one on that line is commented.
    [local, _] = [f for f in review.report.findings if f.line == 10]
    partial = plan_review(
        review, everywhere(review), existing_fingerprints={fingerprints(review)[local]}
    )
    [line10] = [c for c in partial.comments if c["line"] == 10]
    assert "unknown-target" in line10["body"] and "unknown-local" not in line10["body"]
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
        "| `a/a.go:5` `//go:linkname nanotime runtime.nanotime` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |\n"
        "| `a/a.go:10` `//go:linkname mystery runtime.mystery` | ✓ | ✓ | ✗ | ✗ | ✗ | ✗ | ✓ |"
    ) in out.summary


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
    assert s.startswith("Reviewed `0123456` on Go 1.21–1.27 × 4 platforms")
    assert "❌ 3 errors, ⚠️ 0 warnings, ℹ️ 2 notices. [Full report](https://bot.example/r/1)" in s
    assert "| Directive kind | Count |\n|---|---:|\n| pull | 2 |" in s
    assert f"| [`unknown-local`]({DOCS}unknown-local.md) | ❌ error | 2 |" in s
    assert f"| [`unknown-target`]({DOCS}unknown-target.md) | ℹ️ notice | 2 |" in s
    assert "| `runtime.mystery` | Go 1.21, 1.22, 1.27 | `a/a.go:10` |" in s
    assert (
        "```yaml\n- target: runtime.nanotime\n  local: func() int64\n  go: 1.21-1.27\n"
        "- target: runtime.mystery\n  local: func() int\n  go: 1.21,1.22,1.27\n```"
    ) in s
    assert out.text is not None and out.text.count("\n- ") == 5


def test_every_finding_is_an_annotation(review: Review) -> None:
    out = render_check_run(review, head_sha=SHA, details=None)
    assert len(out.annotations) == len(review.report.findings) == 5
    assert out.annotations[0] == {
        "path": "a/a.go",
        "start_line": 5,
        "end_line": 5,
        "annotation_level": "notice",
        "message": review.report.findings[0].message + " (Go 1.21–1.27)",
        "title": "unknown-target (Go 1.21–1.27)",
        "raw_details": "- target: runtime.nanotime\n  local: func() int64\n  go: 1.21-1.27",
    }
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
    assert "… 2450 more, see annotations" in out.summary  # matrix rows past the first 50
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
