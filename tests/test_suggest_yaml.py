"""A suggested registry entry is the text ``yaml.safe_dump`` writes, with or without yaml."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.analyse.registry_rules import list_item


def dumped(entry: dict[str, str]) -> str:
    text: str = yaml.safe_dump(
        [entry], sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True
    )
    return text.rstrip("\n")


REAL = [
    {
        "target": "runtime.nanotime",
        "local": "func() int64",
        "go": "1.23-1.27",
        "note": "standard library",
    },
    {"target": "a", "go": "1.23"},
    {
        "target": "x.y",
        "local": "func(p *T, a []byte, m map[string]int) (r1, r2 uintptr, err Errno)",
    },
    {
        "target": "runtime.(*mheap).alloc",
        "go": "1.21,1.23-1.25",
        "note": "outside the standard library",
    },
    {"target": "no"},
    {"target": "On"},
    {"target": "x", "local": "func(a, b int) {x}", "remote": "func(a, b int) (struct{}, error)"},
    {"target": "x", "local": "func(a # b)"},
    {"target": "x", "local": "func(a: b)"},
    {"target": "x", "local": "func(a  b)"},
    {"target": "x", "local": "é"},
    {"target": "x", "go": "1.2"},
    {"target": "x", "go": "1.9", "note": "standard library"},
    {"target": "x", "go": "1.100"},
    {"target": "x", "go": "1.21,1.22"},
]


def test_real_shaped_entries() -> None:
    for entry in REAL:
        assert list_item(entry) == dumped(entry), entry


ALPHABET = st.sampled_from(list("abyYnNoO_.1023-,()*/[]{} :#'\"&!|>%@`?~=<\té\\"))
TEXT = st.text(ALPHABET, min_size=0, max_size=12)
WORDS = st.sampled_from(["yes", "No", "off", "null", "true", "1.23", "1.21-1.27", "~", "=", "<<"])


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.sampled_from(["target", "local", "remote", "go", "note"]), TEXT | WORDS))
def test_any_text_is_what_yaml_writes(entry: dict[str, str]) -> None:
    if not entry:
        return
    assert list_item(entry) == dumped(entry)
