"""The check run's "Add registry entries" button (``check_run.requested_action``, ``add-registry``).

Where the entries come from: the review is **run again** on the check run's head commit, and
the ``suggestion`` of every ``unknown-target`` finding is taken from it. The check run's own
text is not parsed back: it is rendered for people, it may be cut at GitHub's 65 535
characters, and a second run of the same review on the same commit gives the same entries.

Same-repository pull requests: the entries are committed to the PR branch in one commit that
edits ``.github/linkname-bot.yml`` as text (never re-dumped YAML, so comments, key order and
quoting stay byte for byte): appended at the end of the top-level ``known:`` list, a
``known:`` key added when there is none, the file created when missing. The commit is made
on top of the commit the check ran on (``expected_head_sha``); if the branch has moved the
App commits nothing and says so on the pull request. The push sends ``pull_request.
synchronize``, whose review no longer reports those targets.

Fork pull requests (the App cannot push to the fork), files the text edit cannot handle
safely, and Apps without ``contents: write``: the entries are posted as a reply on the pull
request in a ``yaml`` block, to paste by hand.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from bot.analyse.review import StdlibLoader, run_review
from bot.fetch.pull_request import fetch_snapshot
from bot.github import GitHubApp, PullRequest, RepoGateway
from bot.github.errors import Conflict, Forbidden, NotFound
from bot.policy.config import CONFIG_PATH
from bot.policy.edit import add_entries, edit_is_sound
from bot.queue.jobs import AddRegistryJob
from bot.report.overview import fenced
from bot.report.suggestions import registry_suggestions
from bot.stdlib.loader import load_stdlib

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})

logger = structlog.get_logger("bot.service")


@dataclass(frozen=True)
class AddRegistryOutcome:
    """What the button did (for logs and tests)."""

    # "committed", "replied" (fork or no automatic edit), "nothing", "stale-head", "conflict",
    # "refused" (no write access), "no-pull"
    status: str
    pull_number: int | None = None
    entries: tuple[str, ...] = ()
    commit_sha: str | None = None


# -- the job ------------------------------------------------------------------------------


async def _resolve_pull(gw: RepoGateway, job: AddRegistryJob) -> PullRequest | None:
    if job.pull_number is not None:
        return await gw.pull(job.pull_number)
    found = [p for p in await gw.pulls_for_commit(job.head_sha) if p.state == "open"]
    found = [p for p in found if p.head_sha == job.head_sha] or found
    return min(found, key=lambda p: p.number) if found else None


def _paste_reply(entries: list[str], why: str) -> str:
    block = fenced("\n".join(entries), "yaml")
    return (
        f"{why} Add {'this entry' if len(entries) == 1 else 'these entries'} under `known:` "
        f"in `{CONFIG_PATH}`:\n\n{block}"
    )


async def handle_add_registry(
    job: AddRegistryJob, app: GitHubApp, *, stdlib: StdlibLoader | None = load_stdlib
) -> AddRegistryOutcome:
    """Commit (same-repository PR) or post (fork PR) the registry entries the review suggests."""
    gw = app.repo(job.repo.installation_id, job.repo.owner, job.repo.repo)
    log = logger.bind(
        repository=job.repo.full_name, delivery_id=job.delivery_id, check_run_id=job.check_run_id
    )
    pull = await _resolve_pull(gw, job)
    if pull is None or pull.state != "open":
        log.info("add-registry: no open pull request", head_sha=job.head_sha)
        return AddRegistryOutcome("no-pull", pull.number if pull else None)
    log = log.bind(pull_number=pull.number)
    short = job.head_sha[:7]
    if pull.head_sha != job.head_sha:
        await gw.create_issue_comment(
            pull.number,
            f"linkname-bot did not add registry entries: the check run was for `{short}`, "
            f"but the branch has moved on to `{pull.head_sha[:7]}`. Use the button on the "
            "check run of the new head.",
        )
        log.info("add-registry: stale head", job_head=job.head_sha, pull_head=pull.head_sha)
        return AddRegistryOutcome("stale-head", pull.number)

    request, _ = await fetch_snapshot(gw, pull.number, job.head_sha, base_sha=pull.base_sha)
    review = await asyncio.to_thread(run_review, request, stdlib)
    # The same snippet the check run shows: targets the linker refuses are never added.
    entries = list(registry_suggestions(review.report.findings).entries)
    if not entries:
        await gw.create_issue_comment(
            pull.number,
            f"linkname-bot has no registry entries to add: the review of `{short}` reports "
            "no unknown target.",
        )
        return AddRegistryOutcome("nothing", pull.number)

    if pull.is_fork:
        await gw.create_issue_comment(
            pull.number,
            _paste_reply(
                entries, "This pull request comes from a fork, which linkname-bot cannot push to."
            ),
        )
        log.info("add-registry: entries posted (fork)", entries=len(entries))
        return AddRegistryOutcome("replied", pull.number, tuple(entries))

    user = job.requested_by or ""
    permission = await gw.collaborator_permission(user) if user else "none"
    if permission not in WRITE_PERMISSIONS:
        await gw.create_issue_comment(
            pull.number,
            f"@{user or 'someone'} only users with write access to this repository can ask "
            f"linkname-bot to commit registry entries (your permission: `{permission}`).",
        )
        log.info("add-registry: refused", user=user, permission=permission)
        return AddRegistryOutcome("refused", pull.number, tuple(entries))

    old = request.config_text
    new = add_entries(old, entries)
    if new is None or not edit_is_sound(old, new, entries):
        await gw.create_issue_comment(
            pull.number,
            _paste_reply(
                entries,
                f"linkname-bot could not add the entries to `{CONFIG_PATH}` without rewriting it.",
            ),
        )
        log.info("add-registry: file not editable, entries posted", entries=len(entries))
        return AddRegistryOutcome("replied", pull.number, tuple(entries))

    n = len(entries)
    message = (
        f"linkname-bot: add {n} registry {'entry' if n == 1 else 'entries'}\n\n"
        f"Requested by @{user} from the linkname check run on {short}."
    )
    try:
        sha = await gw.commit_file(pull.head_ref, CONFIG_PATH, new, message, job.head_sha)
    except Conflict as error:
        await gw.create_issue_comment(
            pull.number,
            f"linkname-bot did not add registry entries: `{pull.head_ref}` moved on since the "
            f"check ran on `{short}` ({error.message}). Use the button on the check run of "
            "the new head.",
        )
        log.info("add-registry: branch moved", error=str(error))
        return AddRegistryOutcome("conflict", pull.number, tuple(entries))
    except (Forbidden, NotFound) as error:  # no contents: write, or a protected branch
        await gw.create_issue_comment(
            pull.number,
            _paste_reply(
                entries, f"linkname-bot could not push to `{pull.head_ref}` ({error.message})."
            ),
        )
        log.warning("add-registry: push refused", error=str(error))
        return AddRegistryOutcome("replied", pull.number, tuple(entries))
    log.info("add-registry: committed", entries=n, commit=sha)
    return AddRegistryOutcome("committed", pull.number, tuple(entries), sha)


__all__ = ["AddRegistryOutcome", "handle_add_registry"]
