"""JSON shapes of GitHub objects, as much of them as the App reads (and a little more)."""

from __future__ import annotations

from typing import Any

from .state import FakeGitHub, Pull, PullFile, Repo


def user(login: str, kind: str = "User") -> dict[str, Any]:
    return {
        "login": login,
        "id": abs(hash(login)) % 10**8,
        "type": kind,
        "node_id": f"U_{login}",
        "html_url": f"https://github.com/{login}",
    }


def bot(gh: FakeGitHub) -> dict[str, Any]:
    return user(f"{gh.app_slug}[bot]", "Bot")


def repo(r: Repo, *, fork: bool = False, full_name: str | None = None) -> dict[str, Any]:
    full = full_name or r.full_name
    owner, name = full.split("/")
    return {
        "id": r.id if not fork else r.id + 1,
        "node_id": f"R_{r.id}",
        "name": name,
        "full_name": full,
        "owner": user(owner, "Organization"),
        "private": r.private,
        "fork": fork,
        "default_branch": r.default_branch,
        "html_url": f"https://github.com/{full}",
    }


def pull(r: Repo, p: Pull) -> dict[str, Any]:
    fork = p.head_repo != r.full_name
    head_owner = p.head_repo.split("/")[0]
    return {
        "id": p.id,
        "node_id": f"PR_{p.id}",
        "number": p.number,
        "state": p.state,
        "title": p.title,
        "draft": p.draft,
        "user": user(p.user),
        "html_url": f"https://github.com/{r.full_name}/pull/{p.number}",
        "head": {
            "label": f"{head_owner}:{p.head_ref}",
            "ref": p.head_ref,
            "sha": p.head_sha,
            "user": user(head_owner),
            "repo": repo(r, fork=fork, full_name=p.head_repo),
        },
        "base": {
            "label": f"{r.owner}:{p.base_ref}",
            "ref": p.base_ref,
            "sha": p.base_sha,
            "user": user(r.owner),
            "repo": repo(r),
        },
        "merged": False,
        "author_association": "CONTRIBUTOR",
        "changed_files": len(p.files),
        "additions": sum(f.additions for f in p.files),
        "deletions": sum(f.deletions for f in p.files),
    }


def pull_file(r: Repo, p: Pull, f: PullFile) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sha": f"{abs(hash((p.head_sha, f.filename))):040x}"[:40],
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": f"https://github.com/{r.full_name}/blob/{p.head_sha}/{f.filename}",
        "raw_url": f"https://github.com/{r.full_name}/raw/{p.head_sha}/{f.filename}",
        "contents_url": f"https://api.github.com/repos/{r.full_name}/contents/{f.filename}?ref={p.head_sha}",
    }
    if f.patch is not None:
        out["patch"] = f.patch
    if f.previous_filename:
        out["previous_filename"] = f.previous_filename
    return out
