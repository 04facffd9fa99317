"""Every rule has a documentation page, every page documents a rule, and pages are complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.rules import RULES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"
SECTIONS = ("What it means", "Why it matters", "How to fix it", "Example")
GO_BLOCK = re.compile(r"^```go\n(.*?)^```", re.M | re.S)
NEAR_MISS = re.compile(r"//\s*go:linkname|/\*\s*go:linkname")


def _pages() -> dict[str, Path]:
    return {p.stem: p for p in DOCS.glob("*.md") if p.name != "README.md"}


def test_every_rule_has_a_page() -> None:
    missing = sorted(set(RULES) - set(_pages()))
    assert not missing, f"rules without docs/rules/<id>.md: {missing}"


def test_every_page_documents_a_rule() -> None:
    unknown = sorted(set(_pages()) - set(RULES))
    assert not unknown, f"pages for unknown rule ids: {unknown}"


def test_readme_lists_every_rule() -> None:
    readme = (DOCS / "README.md").read_text()
    for rule_id, rule in RULES.items():
        assert f"]({rule_id}.md)" in readme, rule_id
        row = next(line for line in readme.splitlines() if f"]({rule_id}.md)" in line)
        assert rule.severity.value in row, rule_id


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_page_is_complete(rule_id: str) -> None:
    path = DOCS / f"{rule_id}.md"
    if not path.exists():
        pytest.skip("reported by test_every_rule_has_a_page")
    text = path.read_text()
    assert text.startswith(f"# {rule_id}\n"), "the page's title is the rule id"
    headings = re.findall(r"^## (.+?)\s*$", text, re.M)
    for section in SECTIONS:
        assert section in headings, f"{path.name} lacks a '## {section}' section"
    assert RULES[rule_id].severity.value in text.split("## Severity", 1)[-1].lower()


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_go_examples_contain_a_directive(rule_id: str) -> None:
    path = DOCS / f"{rule_id}.md"
    if not path.exists():
        pytest.skip("reported by test_every_rule_has_a_page")
    blocks = GO_BLOCK.findall(path.read_text())
    # The near-miss forms only count on the page about near misses.
    form = NEAR_MISS if rule_id == "ignored-directive" else re.compile(r"//go:linkname")
    for block in blocks:
        assert form.search(block), f"{path.name}: a Go example without a directive:\n{block}"
