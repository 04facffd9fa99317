"""The "add registry entries" button, end to end, and the text edit of the policy file."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest
import yaml

from bot.policy.config import CONFIG_PATH, parse_config
from bot.policy.edit import add_entries
from bot.testing.fakegithub import FakeGitHub, Pull, Repo
from tests import test_e2e_review as _e2e
from tests.test_e2e_more import check_run_event
from tests.test_e2e_review import (
    NEW_FILE,
    Bot,
    pull_request_event,
    push,
    runs_for,
)

# The end-to-end fixtures (repository, client, bot; gh and queue come from conftest).
bot = _e2e.bot
github = _e2e.github


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    """The repository without a policy file: the button creates it."""
    return gh.add_repo("acme/widgets", files={"go.mod": _e2e.GO_MOD, "a/a.go": "package a\n"})


POLICY = """\
# Policy of acme/widgets: keep the comments!
go: "1.23"   # the oldest Go we support

known:
  # vetted by the runtime team
  - target: runtime.nanotime
    local: func() int64
    note: "clock"   # quoted on purpose

# what the bot may ignore
ignore:
  - "vendor/**"
"""

ENTRY_A = "- target: runtime.gcount\n  local: func() int32\n  go: '1.23'"
ENTRY_B = "- target: example.com/nowhere.mystery\n  local: func() int\n  go: '1.23'"


def sync(gh: FakeGitHub, repo: Repo, pull: Pull) -> None:
    """GitHub's view of the PR after a push to its branch: head and file list follow the ref."""
    head = repo.refs[f"refs/heads/{pull.head_ref}"]
    repo.refs[f"refs/pull/{pull.number}/head"] = head
    pull.head_sha = head
    base_tree = repo.files_at(pull.base_sha) or {}
    head_tree = repo.files_at(head) or {}
    changed = sorted(
        p for p in set(base_tree) | set(head_tree) if base_tree.get(p) != head_tree.get(p)
    )
    pull.files = [gh._pull_file(p, base_tree, head_tree, frozenset(), None) for p in changed]


def click(gh: FakeGitHub, repo: Repo, run: dict[str, Any], pull: Pull | None) -> dict[str, Any]:
    refs = [] if pull is None else [{"number": pull.number, "head": {"sha": run["head_sha"]}}]
    event = check_run_event(gh, repo, run, "requested_action", refs)
    event["requested_action"] = {"identifier": "add-registry"}
    return event


def replies(repo: Repo, number: int) -> list[str]:
    return [c["body"] for c in repo.issue_comments.values() if c.get("issue_number") == number]


def unknown_targets(run: dict[str, Any]) -> list[str]:
    return [a["message"] for a in run["annotations"] if a["title"].startswith("unknown-target")]


async def open_and_review(gh: FakeGitHub, repo: Repo, bot: Bot, pull: Pull) -> dict[str, Any]:
    await bot.deliver("pull_request", pull_request_event(repo, pull, "opened"))
    assert await bot.worker.run_once()
    (run,) = runs_for(repo, pull.head_sha)
    assert [a["identifier"] for a in run["actions"]] == ["add-registry"]
    return run


# -- end to end ---------------------------------------------------------------------------


async def test_button_commits_entries_and_the_next_review_is_clean(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE, CONFIG_PATH: POLICY})
    repo.collaborators["dev"] = "write"
    run = await open_and_review(gh, repo, bot, pull)
    assert len(unknown_targets(run)) == 2
    old_head = pull.head_sha

    assert (await bot.deliver("check_run", click(gh, repo, run, pull))).status_code == 202
    assert await bot.worker.run_once()

    new_head = repo.refs["refs/heads/feature"]
    assert new_head != old_head
    commit = repo.commits[new_head]
    assert commit.parents == [old_head]  # one commit, on top of the reviewed head
    assert commit.message.startswith("linkname-bot: add 2 registry entries")
    text = (repo.files_at(new_head) or {})[CONFIG_PATH].decode()
    # The old text survives byte for byte; the entries go right after the last known: item.
    cut = POLICY.index("\n# what the bot may ignore")
    assert text.startswith(POLICY[:cut])
    assert text.endswith(POLICY[cut:])
    added = text[cut : len(text) - len(POLICY) + cut]
    assert added.startswith("  - target: runtime.gcount\n")
    assert "  - target: example.com/nowhere.mystery\n" in added
    policy = parse_config(text)
    assert not policy.problems
    assert [e.known.target for e in policy.entries] == [
        "runtime.nanotime",
        "runtime.gcount",
        "example.com/nowhere.mystery",
    ]
    assert policy.settings.ignore == ["vendor/**"]
    assert other_files_unchanged(repo, old_head, new_head)

    # GitHub sends pull_request.synchronize for the App's push: the new review is clean.
    sync(gh, repo, pull)
    await bot.deliver("pull_request", pull_request_event(repo, pull, "synchronize"))
    assert await bot.worker.run_once()
    (after,) = runs_for(repo, new_head)
    assert after["status"] == "completed"
    assert unknown_targets(after) == []
    assert after["actions"] == []  # nothing left to add
    resolved = [t["isResolved"] for t in repo.threads.values()]
    assert resolved == [True, True]  # the two unknown-target threads are settled


def other_files_unchanged(repo: Repo, old: str, new: str) -> bool:
    before, after = repo.files_at(old) or {}, repo.files_at(new) or {}
    return {p: b for p, b in before.items() if p != CONFIG_PATH} == {
        p: b for p, b in after.items() if p != CONFIG_PATH
    }


async def test_button_creates_the_policy_file_when_missing(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    repo.collaborators["dev"] = "admin"
    run = await open_and_review(gh, repo, bot, pull)

    await bot.deliver("check_run", click(gh, repo, run, pull))
    assert await bot.worker.run_once()

    text = (repo.files_at("feature") or {})[CONFIG_PATH].decode()
    assert text.startswith("# linkname-bot policy")
    # The button commits exactly the check run's one snippet.
    snippet = run["output"]["summary"].split("```yaml\n", 1)[1].split("\n```", 1)[0]
    committed = textwrap.dedent(text.split("known:\n", 1)[1])
    assert committed == snippet + "\n"
    targets = [e["target"] for e in yaml.safe_load(text)["known"]]
    assert targets == ["runtime.gcount", "example.com/nowhere.mystery"]
    sync(gh, repo, pull)
    await bot.deliver("pull_request", pull_request_event(repo, pull, "synchronize"))
    assert await bot.worker.run_once()
    (after,) = runs_for(repo, pull.head_sha)
    assert unknown_targets(after) == []


async def test_branch_moved_after_the_check_gives_a_clear_refusal(
    gh: FakeGitHub, repo: Repo, bot: Bot
) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    repo.collaborators["dev"] = "write"
    run = await open_and_review(gh, repo, bot, pull)
    # Someone pushes; GitHub's pull request API has not caught up yet (the ref moved first).
    moved = repo.commit({"a/c.go": "package a\n"}, parent=pull.head_sha, branch="feature")

    await bot.deliver("check_run", click(gh, repo, run, pull))
    assert await bot.worker.run_once()

    assert repo.refs["refs/heads/feature"] == moved  # nothing committed
    (reply,) = replies(repo, 7)
    assert "did not add registry entries" in reply
    assert "moved on" in reply and pull.head_sha[:7] in reply
    assert gh.calls("POST /repos/{owner}/{repo}/git/commits") == 0


async def test_click_on_an_old_head_is_refused(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    repo.collaborators["dev"] = "write"
    run = await open_and_review(gh, repo, bot, pull)
    push(gh, repo, pull, {"a/c.go": "package a\n"})

    await bot.deliver("check_run", click(gh, repo, run, pull))
    assert await bot.worker.run_once()

    (reply,) = replies(repo, 7)
    assert f"the branch has moved on to `{pull.head_sha[:7]}`" in reply
    assert gh.calls("GET /repos/{owner}/{repo}/git/ref/{ref}") == 0


async def test_fork_gets_the_entries_as_a_reply(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 9, {"a/b.go": NEW_FILE}, fork="someone/widgets")
    run = await open_and_review(gh, repo, bot, pull)
    before = dict(repo.refs)

    await bot.deliver("check_run", click(gh, repo, run, None))  # forks: no pull_requests
    assert await bot.worker.run_once()

    assert repo.refs == before
    (reply,) = replies(repo, 9)
    assert "comes from a fork" in reply
    block = re.search(r"```yaml\n(.*?)\n```", reply, re.S)
    assert block is not None
    targets = [e["target"] for e in yaml.safe_load(block.group(1))]
    assert targets == ["runtime.gcount", "example.com/nowhere.mystery"]


async def test_user_without_write_access_is_refused(gh: FakeGitHub, repo: Repo, bot: Bot) -> None:
    pull = gh.add_pull(repo, 7, {"a/b.go": NEW_FILE})
    repo.collaborators["dev"] = "read"
    run = await open_and_review(gh, repo, bot, pull)
    head = repo.refs["refs/heads/feature"]

    await bot.deliver("check_run", click(gh, repo, run, pull))
    assert await bot.worker.run_once()

    assert repo.refs["refs/heads/feature"] == head
    (reply,) = replies(repo, 7)
    assert "@dev" in reply and "write access" in reply and "`read`" in reply


# -- the text edit ------------------------------------------------------------------------


def targets_of(text: str) -> list[str]:
    policy = parse_config(text)
    assert not policy.problems, policy.problems
    return [e.known.target for e in policy.entries]


def test_edit_appends_under_known_and_keeps_everything_else() -> None:
    new = add_entries(POLICY, [ENTRY_A, ENTRY_B])
    assert new is not None
    inserted = "  - target: runtime.gcount\n    local: func() int32\n    go: '1.23'\n"
    inserted += "  - target: example.com/nowhere.mystery\n    local: func() int\n    go: '1.23'\n"
    cut = POLICY.index("\n# what the bot may ignore")  # after the note's line
    assert new == POLICY[:cut] + inserted + POLICY[cut:]
    assert targets_of(new) == ["runtime.nanotime", "runtime.gcount", "example.com/nowhere.mystery"]


def test_edit_adds_known_when_missing() -> None:
    text = "# only settings\ngo: '1.23'\nignore: [\"x/**\"]"  # no final newline
    new = add_entries(text, [ENTRY_A])
    assert new == text + "\nknown:\n  - target: runtime.gcount\n    local: func() int32\n" + (
        "    go: '1.23'\n"
    )
    assert targets_of(new) == ["runtime.gcount"]


def test_edit_creates_the_file() -> None:
    new = add_entries(None, [ENTRY_A])
    assert new is not None and targets_of(new) == ["runtime.gcount"]


@pytest.mark.parametrize(
    ("text", "expected_prefix"),
    [
        ("known: []  # none yet\nignore: []\n", "known:  # none yet\n  - target: runtime.gcount"),
        (
            "known:\n- target: a.b\n\n# trailing\n",
            "known:\n- target: a.b\n- target: runtime.gcount",
        ),
        ("known:\nignore: []\n", "known:\n  - target: runtime.gcount"),
    ],
)
def test_edit_forms_of_known(text: str, expected_prefix: str) -> None:
    new = add_entries(text, [ENTRY_A])
    assert new is not None and new.startswith(expected_prefix)
    assert "runtime.gcount" in targets_of(new)


def test_edit_keeps_crlf() -> None:
    text = POLICY.replace("\n", "\r\n")
    new = add_entries(text, [ENTRY_A])
    assert new is not None
    assert "\n" not in new.replace("\r\n", "")
    assert targets_of(new)[-1] == "runtime.gcount"


@pytest.mark.parametrize(
    "text",
    [
        "known: [{target: a.b}]\n",  # a flow list with items
        "known:\n  - target: a.b\nknown:\n  - target: c.d\n",  # duplicate key
        "known: &k\n  - target: a.b\n",  # an anchor
    ],
)
def test_edit_declines_forms_it_cannot_keep(text: str) -> None:
    assert add_entries(text, [ENTRY_A]) is None
