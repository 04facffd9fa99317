"""End to end on the fake GitHub: reviews people keep installed.

A pull request shaped like sonic's linkname packages (~50 pulls into the runtime, a few of them
refused by some Go version) gets one short inline comment per directive with a warning or an
error, notices and registry suggestions only in the check run (one collapsed block, one YAML
snippet), plain-text annotations, and a summary under 10 KB. A pull request with only notices
gets no review at all and a green check. The markdown is rendered to HTML to check structure.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

from bot.github import GitHubApp
from bot.queue import Queue
from bot.queue.worker import Worker
from bot.service.review_job import make_handlers
from bot.stdlib.loader import WindowQuery, load_stdlib
from bot.testing.fakegithub import FakeGitHub, Repo
from bot.versions import DEFAULT_PLATFORMS
from tests import test_e2e_review as _e2e
from tests.gofixtures import referring
from tests.test_e2e_review import Bot, pull_request_event, runs_for

github = _e2e.github
GO_MOD = "module example.com/sonicish\n\ngo 1.21\n"
VERSIONS = (21, 22, 23, 24, 25, 26, 27)
REFUSED = ("runtime.gcount", "runtime.stopTheWorld", "runtime.UnlockOSThread")


@pytest.fixture(scope="module")
def std() -> WindowQuery:
    loaded = load_stdlib(VERSIONS)
    assert loaded is not None
    query = loaded[1]
    assert isinstance(query, WindowQuery)
    return query


def clean_pulls(std: WindowQuery, n: int) -> list[tuple[str, str]]:
    """``n`` marked runtime funcs every version links, with one signature written in builtin
    types only (so a local declaration can match it exactly)."""
    out = []
    for name in sorted(std.window[23].names()):
        rest = name.removeprefix("runtime.")
        if rest == name or "." in rest or "(" in rest:
            continue
        sigs = {std.signature(name, v) for v in VERSIONS}
        if len(sigs) != 1 or None in sigs:
            continue
        (sig,) = sigs
        if sig is None or "." in sig or not sig.startswith("func("):
            continue
        if not all(std.pullable(name, v, "example.com/sonicish/rt") for v in VERSIONS):
            continue
        symbols = [std.window[v].symbol(name) for v in VERSIONS]
        if not all(
            s is not None and s.kind == "func" and set(DEFAULT_PLATFORMS) <= s.platforms
            for s in symbols
        ):
            continue  # a per-port symbol: platform-only warnings are another test's subject
        out.append((name, sig))
        if len(out) == n:
            break
    assert len(out) == n
    return out


def source(pulls: list[tuple[str, str]]) -> str:
    lines = ["package rt", "", 'import _ "unsafe"', ""]
    for i, (target, sig) in enumerate(pulls):
        lines += [f"//go:linkname f{i} {target}", f"func f{i}{sig.removeprefix('func')}", ""]
    return referring("\n".join(lines))


class StdBot(Bot):
    """The App with the committed standard-library facts."""

    def __init__(self, gh: FakeGitHub, queue: Queue, github: GitHubApp) -> None:
        super().__init__(gh, queue, github)
        handler, on_give_up = make_handlers(github, stdlib=load_stdlib)
        self.worker = Worker(queue, handler, on_give_up=on_give_up, max_attempts=1)


@pytest.fixture
def bot(gh: FakeGitHub, queue: Queue, github: GitHubApp) -> StdBot:
    return StdBot(gh, queue, github)


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo("acme/sonicish", files={"go.mod": GO_MOD})


async def review(
    gh: FakeGitHub, repo: Repo, bot: StdBot, number: int, files: dict[str, str | bytes | None]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    pull = gh.add_pull(repo, number, files)
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    (run,) = runs_for(repo, pull.head_sha)
    return run, repo.reviews.get(number, []), repo.review_comments.get(number, [])


def md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def assert_collapsed(html: str) -> None:
    opened = re.findall(r"<details[^>]*>", html)
    assert opened and all(tag == "<details>" for tag in opened)  # closed by default
    assert html.count("<details>") == html.count("</details>") == html.count("<summary>")


async def test_sonic_shaped_pull_request_is_quiet_and_small(
    gh: FakeGitHub, repo: Repo, bot: StdBot, std: WindowQuery
) -> None:
    refused = [(t, std.signature(t, 23) or "") for t in REFUSED]
    pulls = clean_pulls(std, 47) + refused
    run, reviews, comments = await review(gh, repo, bot, 9, {"rt/rt.go": source(pulls)})

    # Inline: one comment per directive with an error (the refused pulls), nothing else.
    assert sorted(c["line"] for c in comments) == [5 + 3 * i for i in range(47, 50)]
    for c in comments:
        headline, rest = c["body"].split("\n", 1)
        assert headline.startswith("**❌ invalid-reference — refused by the linker on Go 1.2")
        assert "<details>" in rest and "```yaml" not in c["body"]
        assert len(c["body"].encode()) < 1500
        assert_collapsed(md().render(c["body"]))
    (posted,) = reviews
    assert len(posted["body"]) < 200

    # The check run: a failure (refused pulls) with a short overview.
    assert run["conclusion"] == "failure"
    summary = run["output"]["summary"]
    assert len(summary.encode()) < 10_000
    assert summary.count("```yaml") == 1 and summary.count("<details>") == 1
    snippet = summary.split("```yaml\n", 1)[1].split("\n```", 1)[0]
    assert snippet.count("- target: ") == 47  # every clean pull, the refused ones never
    for target in REFUSED:
        assert f"- target: {target}\n" not in snippet
        assert f"`{target}`" in summary  # named as not suggested, with what to do instead
    assert "Not suggested for the registry, invalid-reference" in summary
    assert "47 other directives with no error or warning." in summary
    assert summary.count("| `rt/rt.go:") == 3  # the matrix lists only directives with errors
    html = md().render(summary)
    assert "<h3>Directives with errors or warnings</h3>" in html and "<table>" in html
    assert "<h3>New targets (50)</h3>" in html
    assert_collapsed(html)
    assert '<code class="language-yaml">' in html  # the snippet renders inside the block
    text = run["output"]["text"]
    assert len(text.encode()) < 20_000
    assert "<h2>Errors and warnings</h2>" in md().render(text)

    # Annotations: one per directive and rule, plain text, the scope once in the title.
    annotations = run["annotations"]
    assert len(annotations) == len(
        {(a["path"], a["start_line"], a["title"].split(" ")[0]) for a in annotations}
    )
    for a in annotations:
        assert "`" not in a["message"] and "**" not in a["message"] and "](" not in a["message"]
        assert a["title"].count("(Go ") == 1 and "raw_details" not in a


async def test_notice_only_pull_request_gets_no_comment_and_a_green_check(
    gh: FakeGitHub, repo: Repo, bot: StdBot, std: WindowQuery
) -> None:
    run, reviews, comments = await review(
        gh, repo, bot, 4, {"rt/rt.go": source(clean_pulls(std, 12))}
    )
    assert reviews == [] and comments == []
    assert run["conclusion"] == "success"
    assert {a["annotation_level"] for a in run["annotations"]} == {"notice"}
    summary = run["output"]["summary"]
    assert summary.count("```yaml") == 1 and "12 suggested registry entries" in summary
    assert [a["identifier"] for a in run["actions"]] == ["add-registry"]
