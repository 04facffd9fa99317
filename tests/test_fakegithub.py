"""The fake GitHub itself: auth, shapes, limits and faults, spoken to with plain httpx."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from bot.testing.fakegithub import FakeGitHub, Pull, Repo
from bot.testing.fakegithub.diff import hunks, make_patch
from bot.testing.fakegithub.schemas import validation_errors

BASE = "package a\n\n" + "".join(f"func F{i}() {{}}\n" for i in range(30))
HEAD = BASE.replace("func F3() {}\n", "//go:linkname f3 runtime.f3\nfunc F3() {}\n").replace(
    "func F25() {}\n", "func F25() { println() }\n"
)


@pytest.fixture
def repo(gh: FakeGitHub) -> Repo:
    return gh.add_repo("acme/widgets", files={"a.go": BASE})


@pytest.fixture
def pull(gh: FakeGitHub, repo: Repo) -> Pull:
    return gh.add_pull(repo, 7, {"a.go": HEAD, "new.go": "package a\n"})


def app_jwt(gh: FakeGitHub, *, key: str | None = None, iss: int | None = None) -> str:
    now = int(time.time())
    claims = {"iss": str(iss or gh.app_id), "iat": now - 60, "exp": now + 540}
    return jwt.encode(claims, key or gh.private_key, algorithm="RS256")


@pytest.fixture
def client(gh: FakeGitHub, repo: Repo) -> Iterator[httpx.Client]:
    answer = httpx.post(
        f"{gh.url}/app/installations/{repo.installation_id}/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(gh)}"},
    )
    assert answer.status_code == 201
    token = answer.json()["token"]
    with httpx.Client(base_url=gh.url, headers={"Authorization": f"token {token}"}) as c:
        yield c


def review(pull: Pull, *comments: dict[str, Any]) -> dict[str, Any]:
    return {"commit_id": pull.head_sha, "event": "COMMENT", "body": "r", "comments": list(comments)}


# -- auth ----------------------------------------------------------------------------------


def test_access_token_shape(gh: FakeGitHub, repo: Repo) -> None:
    answer = httpx.post(
        f"{gh.url}/app/installations/1/access_tokens",
        headers={"Authorization": f"Bearer {app_jwt(gh)}"},
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["token"].startswith("ghs_")
    assert time.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("which", ["wrong key", "wrong issuer", "garbage"])
def test_bad_jwt_is_401(gh: FakeGitHub, repo: Repo, which: str) -> None:
    token = {
        "wrong key": lambda: app_jwt(gh, key=FakeGitHub(key_index=1).private_key),
        "wrong issuer": lambda: app_jwt(gh, iss=1),
        "garbage": lambda: "not.a.jwt",
    }[which]()
    answer = httpx.post(
        f"{gh.url}/app/installations/1/access_tokens", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
    assert gh.tokens.minted == []


def test_installation_token_scope(
    gh: FakeGitHub, repo: Repo, pull: Pull, client: httpx.Client
) -> None:
    other = gh.add_repo("elsewhere/thing", installation_id=2)
    gh.add_pull(other, 1, {"x.go": "package x\n"})
    assert client.get("/repos/acme/widgets/pulls/7").status_code == 200
    assert client.get("/repos/elsewhere/thing/pulls/1").status_code == 404
    assert httpx.get(f"{gh.url}/repos/acme/widgets/pulls/7").status_code == 401
    bad = httpx.get(f"{gh.url}/repos/acme/widgets/pulls/7", headers={"Authorization": "token nope"})
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    gh.tokens.expire_all()
    assert client.get("/repos/acme/widgets/pulls/7").status_code == 401


# -- shapes, paging, headers -------------------------------------------------------------------


def test_pull_and_files_shapes(pull: Pull, client: httpx.Client) -> None:
    data = client.get("/repos/acme/widgets/pulls/7").json()
    assert data["head"]["sha"] == pull.head_sha and data["base"]["sha"] == pull.base_sha
    assert data["head"]["repo"]["full_name"] == "acme/widgets" and not data["head"]["repo"]["fork"]
    files = client.get("/repos/acme/widgets/pulls/7/files").json()
    by_name = {f["filename"]: f for f in files}
    assert by_name["new.go"]["status"] == "added"
    assert by_name["a.go"]["additions"] == 2 and by_name["a.go"]["deletions"] == 1
    assert by_name["a.go"]["patch"].startswith("@@ -")


def test_fork_pull_head_only_under_refs_pull(
    gh: FakeGitHub, repo: Repo, client: httpx.Client
) -> None:
    fork = gh.add_pull(repo, 8, {"a.go": HEAD}, fork="someone/widgets", head_ref="main")
    data = client.get("/repos/acme/widgets/pulls/8").json()
    assert data["head"]["repo"]["fork"] and data["head"]["repo"]["full_name"] == "someone/widgets"
    assert repo.refs["refs/pull/8/head"] == fork.head_sha
    assert repo.refs["refs/heads/main"] == fork.base_sha
    assert client.get(f"/repos/acme/widgets/contents/a.go?ref={fork.head_sha}").status_code == 200


def test_files_paging_default_cap_and_link(
    gh: FakeGitHub, repo: Repo, client: httpx.Client
) -> None:
    gh.add_pull(repo, 9, {f"f{i}.go": "package a\n" for i in range(3010)})  # type: ignore[arg-type]
    first = client.get("/repos/acme/widgets/pulls/9/files")
    assert len(first.json()) == 30
    assert 'page=2>; rel="next"' in first.headers["link"]
    assert 'page=100>; rel="last"' in first.headers["link"]
    big = client.get("/repos/acme/widgets/pulls/9/files?per_page=500&page=30")
    assert len(big.json()) == 100 and "next" not in big.links
    assert client.get("/repos/acme/widgets/pulls/9/files?per_page=100&page=31").json() == []


def test_rate_limit_headers_count_down(pull: Pull, client: httpx.Client) -> None:
    one = client.get("/repos/acme/widgets/pulls/7").headers
    two = client.get("/repos/acme/widgets/pulls/7").headers
    assert one["x-ratelimit-limit"] == "5000" and one["x-ratelimit-resource"] == "core"
    assert int(two["x-ratelimit-remaining"]) == int(one["x-ratelimit-remaining"]) - 1
    assert int(two["x-ratelimit-used"]) == int(one["x-ratelimit-used"]) + 1
    assert int(one["x-ratelimit-reset"]) > time.time()
    graphql = client.post(
        "/graphql", json={"query": 'query { repository(owner: "acme", name: "widgets") { id } }'}
    )
    assert graphql.headers["x-ratelimit-resource"] == "graphql"


def test_contents_base64_and_raw(pull: Pull, client: httpx.Client) -> None:
    data = client.get(f"/repos/acme/widgets/contents/a.go?ref={pull.head_sha}").json()
    assert data["encoding"] == "base64" and base64.b64decode(data["content"]).decode() == HEAD
    raw = client.get(
        "/repos/acme/widgets/contents/a.go", headers={"Accept": "application/vnd.github.raw+json"}
    )
    assert raw.text == BASE  # default branch
    assert client.get("/repos/acme/widgets/contents/missing.go").status_code == 404


def test_request_log_and_counters(gh: FakeGitHub, pull: Pull, client: httpx.Client) -> None:
    client.post("/repos/acme/widgets/issues/7/comments", json={"body": "hi"})
    logged = gh.logged("POST /repos/{owner}/{repo}/issues/{number}/comments")
    assert len(logged) == 1 and logged[0].json == {"body": "hi"} and logged[0].status == 201
    assert logged[0].headers["authorization"].startswith("token ")
    assert gh.calls("POST /repos/{owner}/{repo}/issues/{number}/comments") == 1


# -- GraphQL -------------------------------------------------------------------------------


def test_graphql_blob_aliases(gh: FakeGitHub, repo: Repo, pull: Pull, client: httpx.Client) -> None:
    gh.graphql_blob_limit = 50
    fields = "{ ... on Blob { text isBinary isTruncated byteSize } }"
    query = (
        'query { repository(owner: "acme", name: "widgets") { '
        f'a: object(expression: "{pull.head_sha}:new.go") {fields} '
        f'b: object(expression: "{pull.head_sha}:a.go") {fields} '
        f'c: object(expression: "{pull.head_sha}:nope.go") {{ ... on Blob {{ text }} }} }} }}'
    )
    data = client.post("/graphql", json={"query": query}).json()["data"]["repository"]
    assert data["a"] == {
        "text": "package a\n",
        "isBinary": False,
        "isTruncated": False,
        "byteSize": 10,
    }
    assert data["b"]["isTruncated"] and data["b"]["byteSize"] == len(HEAD)
    assert data["c"] is None


def test_graphql_unknown_repo_is_an_error(client: httpx.Client) -> None:
    body = client.post(
        "/graphql", json={"query": 'query { repository(owner: "x", name: "y") { id } }'}
    ).json()
    assert body["data"] is None and body["errors"][0]["type"] == "NOT_FOUND"


# -- write validation --------------------------------------------------------------------------


def test_schema_rejects_unknown_fields_and_wrong_types() -> None:
    op = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
    assert validation_errors(op, {"body": "x"}) == []
    assert validation_errors(op, {"body": 3})
    assert validation_errors(op, {"body": "x", "extra": 1})
    assert validation_errors(op, {})


def test_check_run_limits(gh: FakeGitHub, pull: Pull, client: httpx.Client) -> None:
    url = "/repos/acme/widgets/check-runs"
    ok = {"head_sha": pull.head_sha, "name": "linkname"}
    note = {
        "path": "a.go",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "warning",
        "message": "m",
    }
    action = {"label": "Fix", "description": "Fix it", "identifier": "fix"}
    cases: list[dict[str, Any]] = [
        {"output": {"title": "t", "summary": "s" * 65536}},
        {"output": {"title": "t", "summary": "s", "text": "t" * 65536}},
        {"output": {"title": "t", "summary": "s", "annotations": [note] * 51}},
        {"actions": [action] * 4},
        {"actions": [{**action, "label": "L" * 21}]},
        {"actions": [{**action, "description": "D" * 41}]},
        {"actions": [{**action, "identifier": "I" * 21}]},
        {"conclusion": "great"},
        {"colour": "red"},
        {"head_sha": "0" * 40},
    ]
    for case in cases:
        assert client.post(url, json={**ok, **case}).status_code == 422, case
    run = client.post(
        url, json={**ok, "output": {"title": "t", "summary": "s", "annotations": [note] * 50}}
    )
    assert run.status_code == 201
    patch = client.patch(
        f"{url}/{run.json()['id']}",
        json={
            "conclusion": "neutral",
            "output": {"title": "t", "summary": "s", "annotations": [note] * 50},
        },
    )
    assert patch.status_code == 200 and patch.json()["status"] == "completed"
    assert patch.json()["output"]["annotations_count"] == 100
    listed = client.get(f"/repos/acme/widgets/commits/{pull.head_sha}/check-runs").json()
    assert listed["total_count"] == 1


def test_review_line_rules(gh: FakeGitHub, repo: Repo, pull: Pull, client: httpx.Client) -> None:
    url = "/repos/acme/widgets/pulls/7/reviews"
    patch = next(f.patch for f in pull.files if f.filename == "a.go")
    assert patch is not None
    first, second = hunks(patch)
    added = min(first.right)
    bad = [
        ({"path": "a.go", "line": 200, "body": "x"}, "line must be part of the diff"),
        ({"path": "zzz.go", "line": 1, "body": "x"}, "path is invalid"),
        ({"path": "a.go", "line": added, "start_line": added, "body": "x"}, "start_line"),
        (
            {"path": "a.go", "line": max(second.right), "start_line": added, "body": "x"},
            "same hunk",
        ),
        ({"path": "a.go", "line": added, "body": " "}, "blank"),
    ]
    for comment, message in bad:
        answer = client.post(
            url,
            json=review(
                pull, {"side": "RIGHT", **comment}, {"path": "a.go", "line": added, "body": "fine"}
            ),
        )
        assert answer.status_code == 422, comment
        assert message in answer.json()["errors"][0]
    assert repo.reviews == {}
    good = client.post(
        url,
        json=review(
            pull,
            {
                "path": "a.go",
                "line": max(first.right),
                "start_line": min(first.right),
                "side": "RIGHT",
                "body": "span",
            },
            {"path": "a.go", "line": min(second.left), "side": "LEFT", "body": "old side"},
            {"path": "new.go", "line": 1, "body": "new file"},
        ),
    )
    assert good.status_code == 200 and good.json()["state"] == "COMMENTED"
    assert len(client.get("/repos/acme/widgets/pulls/7/comments").json()) == 3
    assert len(repo.threads) == 3


def test_review_on_file_without_patch_is_refused(
    gh: FakeGitHub, repo: Repo, client: httpx.Client
) -> None:
    pr = gh.add_pull(repo, 3, {"big.go": "package a\n"}, huge=frozenset({"big.go"}))
    answer = client.post(
        "/repos/acme/widgets/pulls/3/reviews",
        json=review(pr, {"path": "big.go", "line": 1, "body": "x"}),
    )
    assert answer.status_code == 422


def test_reactions_and_permissions(repo: Repo, pull: Pull, client: httpx.Client) -> None:
    comment = client.post(
        "/repos/acme/widgets/issues/7/comments", json={"body": "/linkname recheck"}
    ).json()
    url = f"/repos/acme/widgets/issues/comments/{comment['id']}/reactions"
    assert client.post(url, json={"content": "eyes"}).status_code == 201
    assert client.post(url, json={"content": "eyes"}).status_code == 200
    assert client.post(url, json={"content": "shrug"}).status_code == 422
    repo.collaborators["alice"] = "admin"
    assert (
        client.get("/repos/acme/widgets/collaborators/alice/permission").json()["permission"]
        == "admin"
    )
    assert client.get("/repos/acme/widgets/collaborators/bob/permission").status_code == 404


def test_ref_update_must_fast_forward(repo: Repo, client: httpx.Client) -> None:
    head = client.get("/repos/acme/widgets/git/ref/heads/main").json()["object"]["sha"]
    tree = client.get(f"/repos/acme/widgets/git/commits/{head}").json()["tree"]["sha"]
    new_tree = client.post(
        "/repos/acme/widgets/git/trees",
        json={
            "base_tree": tree,
            "tree": [{"path": "r.yaml", "mode": "100644", "type": "blob", "content": "x"}],
        },
    ).json()["sha"]
    side = client.post(
        "/repos/acme/widgets/git/commits", json={"message": "m", "tree": new_tree, "parents": []}
    ).json()
    assert (
        client.patch(
            "/repos/acme/widgets/git/refs/heads/main", json={"sha": side["sha"]}
        ).status_code
        == 422
    )
    child = client.post(
        "/repos/acme/widgets/git/commits",
        json={"message": "m", "tree": new_tree, "parents": [head]},
    ).json()
    assert (
        client.patch(
            "/repos/acme/widgets/git/refs/heads/main", json={"sha": child["sha"]}
        ).status_code
        == 200
    )
    assert repo.files_at("main") == {"a.go": BASE.encode(), "r.yaml": b"x"}


# -- faults --------------------------------------------------------------------------------


def test_faults_fire_count_times_then_clear(
    gh: FakeGitHub, pull: Pull, client: httpx.Client
) -> None:
    gh.faults.add("GET", r"/pulls/7$", 403, headers={"retry-after": "7"}, count=2)
    for _ in range(2):
        answer = client.get("/repos/acme/widgets/pulls/7")
        assert answer.status_code == 403 and answer.headers["retry-after"] == "7"
        assert "x-ratelimit-remaining" in answer.headers
    assert client.get("/repos/acme/widgets/pulls/7").status_code == 200
    assert client.get("/repos/acme/widgets/pulls/7/files").status_code == 200
    assert len(gh.faults) == 0


def test_fault_headers_override_rate_headers(
    gh: FakeGitHub, pull: Pull, client: httpx.Client
) -> None:
    gh.faults.add("*", r"/pulls/", 403, headers={"x-ratelimit-remaining": "0"})
    answer = client.get("/repos/acme/widgets/pulls/7/files")
    assert answer.status_code == 403 and answer.headers["x-ratelimit-remaining"] == "0"


def test_delay_fault_then_normal_answer(gh: FakeGitHub, pull: Pull, client: httpx.Client) -> None:
    gh.faults.add("GET", r"/pulls/7$", None, delay=0.3)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/repos/acme/widgets/pulls/7", timeout=0.1)
    assert client.get("/repos/acme/widgets/pulls/7").status_code == 200


def test_deliveries_cursor_paging(gh: FakeGitHub) -> None:
    for i in range(5):
        gh.add_delivery(f"g{i}", "pull_request", "opened", 200, f"2026-11-23T10:0{i}:00Z")
    headers = {"Authorization": f"Bearer {app_jwt(gh)}"}
    first = httpx.get(f"{gh.url}/app/hook/deliveries?per_page=2", headers=headers)
    assert [d["guid"] for d in first.json()] == ["g4", "g3"]
    second = httpx.get(first.links["next"]["url"], headers=headers)
    assert [d["guid"] for d in second.json()] == ["g2", "g1"]
    redo = httpx.post(
        f"{gh.url}/app/hook/deliveries/{first.json()[0]['id']}/attempts", headers=headers
    )
    assert redo.status_code == 202
    assert gh.deliveries[-1].guid == "g4" and gh.deliveries[-1].redelivery


# -- diff helpers ----------------------------------------------------------------------------


def test_patch_hunks_sides() -> None:
    patch = make_patch("a\nb\nc\n", "a\nB\nc\nd\n")
    (hunk,) = hunks(patch)
    assert hunk.right == {1, 2, 3, 4}
    assert hunk.left == {1, 2, 3}


def test_unknown_route_is_a_json_404_with_rate_headers(gh: FakeGitHub) -> None:
    answer = httpx.get(f"{gh.url}/repos/acme/widgets/nothing-here")
    assert answer.status_code == 404 and answer.json()["message"] == "Not Found"
    assert "x-ratelimit-remaining" in answer.headers
