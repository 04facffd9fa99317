"""Edits of the policy file as text: new registry entries go under ``known:`` and nothing else
in the file changes (comments, order and line endings survive; YAML is never re-dumped)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.findings import Fix, TextEdit
from bot.policy.config import CONFIG_PATH, Policy, parse_config

NEW_FILE_HEADER = "# linkname-bot policy (docs/configuration.md of linkname-bot)\n"


_KNOWN_BLOCK = re.compile(r"known[ \t]*:[ \t]*(#.*)?")
_KNOWN_EMPTY_FLOW = re.compile(r"(known[ \t]*:)[ \t]*\[[ \t]*\]([ \t]*#.*)?[ \t]*")
_KNOWN_ANY = re.compile(r"[\"']?known[\"']?[ \t]*:")


def _item_lines(entry: str, indent: str, nl: str) -> str:
    return "".join((indent + line if line else "") + nl for line in entry.splitlines())


def add_entries(text: str | None, entries: list[str]) -> str | None:
    """``text`` with the YAML list items ``entries`` added under the top-level ``known:``.

    Everything already in ``text`` is kept byte for byte; the new lines are inserted after the
    last line of the ``known:`` block (a ``known:`` block is appended when there is none, an
    empty ``known: []`` becomes a block). None when the file has a form this edit does not
    handle (a non-empty flow list, ``known`` nested or quoted, ...).
    """
    if not entries:
        return text
    if text is None:
        return NEW_FILE_HEADER + "known:\n" + "".join(_item_lines(e, "  ", "\n") for e in entries)
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    bare = [line.rstrip("\r\n") for line in lines]
    at = next((i for i, s in enumerate(bare) if _KNOWN_ANY.match(s)), None)
    if at is None:
        head = text if not text or text.endswith(("\n", "\r")) else text + nl
        return head + "known:" + nl + "".join(_item_lines(e, "  ", nl) for e in entries)
    if any(_KNOWN_ANY.match(s) for s in bare[at + 1 :]):
        return None  # two top-level known keys: let the review report it
    if m := _KNOWN_EMPTY_FLOW.fullmatch(bare[at]):
        ending = lines[at][len(bare[at]) :] or nl
        block = m.group(1) + (m.group(2) or "") + ending  # only the "[]" goes
        new = "".join(_item_lines(e, "  ", nl) for e in entries)
        return "".join(lines[:at]) + block + new + "".join(lines[at + 1 :])
    if not _KNOWN_BLOCK.fullmatch(bare[at]):
        return None  # a flow list with items, or an alias: not edited by hand here
    last, indent = at, None
    for j in range(at + 1, len(bare)):
        s = bare[j]
        stripped = s.strip()
        if not stripped or stripped.startswith("#"):
            continue
        in_block = s[0] in " \t" or (s.startswith("-") and not s.startswith("---"))
        if not in_block:
            break
        if indent is None and stripped.startswith("-"):
            indent = s[: len(s) - len(s.lstrip(" "))]
        last = j
    if last > at and indent is None:
        return None  # known: holds something other than a block list
    before = "".join(lines[: last + 1])
    if not before.endswith(("\n", "\r")):
        before += nl
    new = "".join(_item_lines(e, indent if indent is not None else "  ", nl) for e in entries)
    return before + new + "".join(lines[last + 1 :])


def edit_is_sound(old: str | None, new: str, entries: list[str]) -> bool:
    """The edited file parses with every old entry and the new ones, and no new problem."""
    before, after = parse_config(old), parse_config(new)
    return (
        len(after.problems) <= len(before.problems)
        and len(after.entries) == len(before.entries) + len(entries)
        and all(b.known == a.known for b, a in zip(before.entries, after.entries, strict=False))
    )


def entry_edit(text: str | None, entry: str) -> tuple[int, int, str] | None:
    """The edit ``add_entries`` makes for one entry, as (offset, deleted length, inserted text)
    into ``text`` (characters); None when the file has a form that is not edited by hand."""
    new = add_entries(text, [entry])
    if new is None:
        return None
    return _difference(text or "", new)


def _difference(old: str, new: str) -> tuple[int, int, str]:
    """The one replacement that turns ``old`` into ``new``: (offset, deleted, inserted)."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    return start, len(old) - end - start, new[start : len(new) - end]


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset; columns count characters."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def registry_fix(policy: Policy, entry: str) -> Fix | None:
    """The fix that adds ``entry`` under ``known:`` of the policy file, as one text edit
    (a new file when the repository has none); None when the file is not edited by hand."""
    target = entry.splitlines()[0].removeprefix("- ").removeprefix("target:").strip()
    return _fix(policy, [entry], f"Add {target} to the registry")


def registry_fixes(policy: Policy, entries: Sequence[str]) -> dict[str, Fix]:
    """Fixes for ``entries`` that compose: where the file has a ``known:`` block list, each
    entry is a pure insertion at its end, so any of them can be applied with the others. Where
    it has none (no file, no ``known:``, ``known: []``), adding one entry also writes the key,
    so one fix, owned by the first entry, adds them all: no two fixes write ``known:`` twice."""
    entries = list(dict.fromkeys(entries))
    if not entries:
        return {}
    if _insertions_compose(policy.text, entries):
        return {e: fix for e in entries if (fix := registry_fix(policy, e)) is not None}
    fix = _fix(policy, entries, f"Add {len(entries)} entries to the registry")
    return {entries[0]: fix} if fix is not None else {}


def _fix(policy: Policy, entries: list[str], verb: str) -> Fix | None:
    path = policy.config_path or CONFIG_PATH
    old = policy.text or ""
    new = add_entries(policy.text, entries)
    if new is None:
        return None
    offset, deleted, inserted = _difference(old, new)
    start, end = _position(old, offset), _position(old, offset + deleted)
    return Fix(f"{verb} in {path}", (TextEdit(path, *start, *end, inserted),))


def _insertions_compose(text: str | None, entries: list[str]) -> bool:
    """Every one-entry edit is a pure insertion at the same offset, and together they give
    the file with every entry added (in any order they stay one list)."""
    edits = [entry_edit(text, e) for e in entries]
    if text is None or any(e is None or e[1] != 0 for e in edits):
        return False
    offsets = {e[0] for e in edits if e is not None}
    if len(offsets) != 1:
        return False
    (at,) = offsets
    joined = text[:at] + "".join(e[2] for e in edits if e is not None) + text[at:]
    return joined == add_entries(text, entries)
