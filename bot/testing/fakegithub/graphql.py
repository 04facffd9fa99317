"""A small regex-based reader for the few GraphQL documents the App sends."""

from __future__ import annotations

import json
import re
from typing import Any

from .state import FakeGitHub, Repo

_STRING = r'"((?:[^"\\]|\\.)*)"'
_REPOSITORY = re.compile(rf"repository\(\s*owner:\s*{_STRING}\s*,\s*name:\s*{_STRING}\s*\)")
_OBJECT = re.compile(
    rf"(\w+)\s*:\s*object\(\s*expression:\s*{_STRING}\s*\)\s*\{{\s*(?:\.\.\.\s*on\s+(\w+))?"
)
_PULL = re.compile(r"pullRequest\(\s*number:\s*(\d+)\s*\)")
_THREADS = re.compile(rf"reviewThreads\(\s*first:\s*(\d+)(?:\s*,\s*after:\s*{_STRING})?\s*\)")
_RESOLVE = re.compile(rf"resolveReviewThread\(\s*input:\s*\{{\s*threadId:\s*{_STRING}\s*\}}\s*\)")


def _unquote(raw: str) -> str:
    return str(json.loads(f'"{raw}"'))


def _error(message: str, kind: str = "NOT_FOUND") -> dict[str, Any]:
    return {"data": None, "errors": [{"type": kind, "message": message}]}


def execute(gh: FakeGitHub, query: str, installation_repos: set[str]) -> dict[str, Any]:
    """Answer `query`; only repositories of the caller's installation are visible."""
    if match := _RESOLVE.search(query):
        return _resolve(gh, _unquote(match.group(1)), installation_repos)
    match = _REPOSITORY.search(query)
    if not match:
        return _error(
            "Parse error: the fake reads only repository(...) and resolveReviewThread", "PARSE"
        )
    full = f"{_unquote(match.group(1))}/{_unquote(match.group(2))}"
    repo = gh.repos.get(full)
    if repo is None or full not in installation_repos:
        return _error(f"Could not resolve to a Repository with the name '{full}'.")
    data: dict[str, Any] = {}
    for alias, expression, fragment in _OBJECT.findall(query):
        data[alias] = _object(gh, repo, _unquote(expression), fragment or "Blob")
    if pull := _PULL.search(query):
        data["pullRequest"] = _threads(repo, int(pull.group(1)), query)
    return {"data": {"repository": data}}


def _object(gh: FakeGitHub, repo: Repo, expression: str, fragment: str) -> dict[str, Any] | None:
    """``<rev>:<path>`` as GitHub answers it: a blob or a tree (``<rev>:`` is the root tree),
    ``{}`` when the inline fragment names the other type, None when nothing is there."""
    rev, _, path = expression.partition(":")
    files = repo.files_at(rev)
    if files is None:
        return None
    if path in files:
        return _blob(gh, files[path]) if fragment == "Blob" else {}
    entries = _entries(files, path)
    if entries is None:
        return None
    return {"entries": entries} if fragment == "Tree" else {}


def _entries(files: dict[str, bytes], directory: str) -> list[dict[str, str]] | None:
    """The entries of a directory of a flat tree (files: ``blob``, subdirectories: ``tree``)."""
    prefix = f"{directory.rstrip('/')}/" if directory else ""
    kinds: dict[str, str] = {}
    for path in files:
        if path.startswith(prefix):
            name, sep, _ = path[len(prefix) :].partition("/")
            kinds[name] = "tree" if sep else "blob"
    if not kinds:
        return None
    return [{"name": name, "type": kinds[name]} for name in sorted(kinds)]


def _blob(gh: FakeGitHub, content: bytes) -> dict[str, Any]:
    try:
        text: str | None = content.decode()
        binary = b"\0" in content
    except UnicodeDecodeError:
        text, binary = None, True
    truncated = not binary and len(content) > gh.graphql_blob_limit
    if binary:
        text = None
    elif truncated:
        text = content[: gh.graphql_blob_limit].decode(errors="ignore")
    return {"text": text, "isBinary": binary, "isTruncated": truncated, "byteSize": len(content)}


def _threads(repo: Repo, number: int, query: str) -> dict[str, Any] | None:
    if number not in repo.pulls:
        return None
    match = _THREADS.search(query)
    first = min(int(match.group(1)), 100) if match else 100
    after = _unquote(match.group(2)) if match and match.group(2) else None
    threads = [t for t in repo.threads.values() if t["pull"] == number]
    start = int(after) if after else 0
    page = threads[start : start + first]
    nodes = [
        {
            "id": t["id"],
            "isResolved": t["isResolved"],
            "isOutdated": False,
            "path": t["comments"][0]["path"],
            "comments": {
                "nodes": [
                    {
                        "body": c["body"],
                        "path": c["path"],
                        "line": c["line"],
                        "databaseId": c["id"],
                    }
                    for c in t["comments"][:1]
                ]
            },
        }
        for t in page
    ]
    end = start + len(page)
    return {
        "reviewThreads": {
            "nodes": nodes,
            "pageInfo": {"hasNextPage": end < len(threads), "endCursor": str(end)},
        }
    }


def _resolve(gh: FakeGitHub, thread_id: str, installation_repos: set[str]) -> dict[str, Any]:
    for full in installation_repos:
        thread = gh.repos[full].threads.get(thread_id)
        if thread is not None:
            thread["isResolved"] = True
            return {
                "data": {"resolveReviewThread": {"thread": {"id": thread_id, "isResolved": True}}}
            }
    return _error(f"Could not resolve to a node with the global id of '{thread_id}'")
