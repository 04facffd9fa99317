"""Re-check of a whole repository over the GitHub API, against ``check`` on a checkout.

Each git directory's HEAD is loaded into the fake GitHub; the re-check's whole-tree source
(``bot.fetch.repository_tree.fetch_tree``: one recursive tree, then GraphQL blob batches)
is reviewed for the window with the newest Go version, and the report is compared with the
one ``linkname-bot check`` gives on the same files on disk. Prints the requests, the time of
the fetch, the directives and findings, whether both reports are identical, and the
directives that break on the newest version only (what a release issue would list).

    .venv/bin/python bench/bench_recheck.py --git-dir /work/.mirror/golang+sys/repo ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bot.analyse.release import new_version_breaks  # noqa: E402
from bot.analyse.review import run_review  # noqa: E402
from bot.fetch import local_review  # noqa: E402
from bot.fetch.repository_tree import fetch_tree  # noqa: E402
from bot.github import AppCredentials, ClientOptions, GitHubApp  # noqa: E402
from bot.service.recheck import recheck_window  # noqa: E402
from bot.stdlib.facts import available_versions  # noqa: E402
from bot.stdlib.loader import load_stdlib  # noqa: E402
from bot.testing.fakegithub import serve  # noqa: E402


def head_files(git_dir: Path) -> dict[str, bytes]:
    """Every blob of HEAD (submodules and absent large files left out)."""
    git = ["git", f"--git-dir={git_dir}"]
    listing = subprocess.run([*git, "ls-tree", "-r", "-z", "HEAD"], capture_output=True, check=True)
    files: dict[str, bytes] = {}
    for row in listing.stdout.split(b"\0"):
        if not row:
            continue
        meta, name = row.split(b"\t", 1)
        if meta.split()[1] != b"blob":
            continue
        shown = subprocess.run([*git, "show", b"HEAD:" + name], capture_output=True)
        if shown.returncode == 0:
            files[name.decode()] = shown.stdout
    return files


async def measure(git_dir: Path, go: int) -> dict[str, object]:
    files = head_files(git_dir)
    with serve() as gh:
        repo = gh.add_repo("bench/repo", files=dict(files))
        client = GitHubApp(
            AppCredentials(gh.app_id, gh.private_key, gh.url), ClientOptions(write_interval=0.0)
        )
        try:
            started = time.perf_counter()
            head = repo.refs["refs/heads/main"]
            request = await fetch_tree(client.repo(1, "bench", "repo"), head)
            seconds = time.perf_counter() - started
        finally:
            await client.aclose()
        requests = len([r for r in gh.requests if "access_tokens" not in r.route])
    request = replace(request, versions=recheck_window(request, go))
    api = run_review(request, load_stdlib).report
    with tempfile.TemporaryDirectory() as tmp:
        for path, data in files.items():
            target = Path(tmp) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        local_request, _ = local_review.from_paths([Path(tmp)], None)
        local = run_review(replace(local_request, versions=request.versions), load_stdlib).report
    same = json.dumps(api.to_json(), sort_keys=True) == json.dumps(local.to_json(), sort_keys=True)
    return {
        "tree": git_dir.parent.name,
        "files": len(files),
        "requests": requests,
        "fetch_seconds": round(seconds, 2),
        "directives": len(api.directives),
        "findings": len(api.findings),
        "identical_to_check": same,
        "breaks_on_new_version_only": [
            f"{b.path}:{b.line} {b.target}" for b in new_version_breaks(api, go)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", type=Path, action="append", required=True)
    parser.add_argument("--go", type=int, default=max(available_versions()))
    args = parser.parse_args()
    print("| tree | files | requests | fetch (s) | directives | findings | = check | breaks |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    ok = True
    for git_dir in args.git_dir:
        row = asyncio.run(measure(git_dir, args.go))
        ok &= bool(row["identical_to_check"])
        breaks = row["breaks_on_new_version_only"]
        print(
            f"| {row['tree']} | {row['files']} | {row['requests']} | {row['fetch_seconds']} | "
            f"{row['directives']} | {row['findings']} | {row['identical_to_check']} | "
            f"{len(breaks)} |"  # type: ignore[arg-type]
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
