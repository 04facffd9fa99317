"""GraphQL documents the gateway sends (strings quoted as JSON, which GraphQL accepts)."""

from __future__ import annotations

import json
from collections.abc import Sequence

BLOB_FIELDS = "... on Blob { text isBinary isTruncated byteSize }"
TREE_FIELDS = "... on Tree { entries { name type } }"


def blobs_query(owner: str, repo: str, sha: str, paths: Sequence[str]) -> str:
    """One query reading `paths` at `sha`, aliased `f0`, `f1`, … in order."""
    objects = " ".join(
        f"f{i}: object(expression: {json.dumps(f'{sha}:{path}')}) {{ {BLOB_FIELDS} }}"
        for i, path in enumerate(paths)
    )
    return (
        f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(repo)}) "
        f"{{ {objects} }} }}"
    )


def trees_query(owner: str, repo: str, sha: str, dirs: Sequence[str]) -> str:
    """One query listing the directories `dirs` at `sha` (`""` is the root), aliased `d0`, …"""
    objects = " ".join(
        f"d{i}: object(expression: {json.dumps(f'{sha}:{directory}')}) {{ {TREE_FIELDS} }}"
        for i, directory in enumerate(dirs)
    )
    return (
        f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(repo)}) "
        f"{{ {objects} }} }}"
    )


def review_threads_query(owner: str, repo: str, number: int, after: str | None) -> str:
    """One page (100) of a pull request's review threads with their first comment."""
    cursor = f", after: {json.dumps(after)}" if after else ""
    return (
        f"query {{ repository(owner: {json.dumps(owner)}, name: {json.dumps(repo)}) {{ "
        f"pullRequest(number: {int(number)}) {{ reviewThreads(first: 100{cursor}) {{ "
        "nodes { id isResolved comments(first: 1) { nodes { body path line databaseId } } } "
        "pageInfo { hasNextPage endCursor } } } } }"
    )


def resolve_thread_mutation(thread_id: str) -> str:
    return (
        f"mutation {{ resolveReviewThread(input: {{threadId: {json.dumps(thread_id)}}}) "
        "{ thread { id isResolved } } }"
    )
