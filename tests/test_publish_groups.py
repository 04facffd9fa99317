"""Rendering helpers every reporter shares: the one version formatter, groups of findings with
one line per distinct fact, plain text for annotations, and which registry entries are safe."""

from __future__ import annotations

from bot.findings import Finding, Fix, Severity, TextEdit
from bot.report.groups import fact_text, group_findings, headline, plain, title
from bot.report.suggestions import registry_suggestions
from bot.versions import go_span, span

E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTICE
ALL = ("darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64")


def test_one_version_formatter() -> None:
    assert span([21, 22, 23, 25]) == "1.21–1.23, 1.25"
    assert span(["1.27", "1.23", "1.24"]) == "1.23–1.24, 1.27"
    assert span([22, 24], dash="-", sep=",") == "1.22,1.24"
    assert span([21, 22, 23], dash="-", sep=",") == "1.21-1.23"
    assert span([]) == "" and go_span([]) == "all Go versions"
    assert go_span(["1.25"]) == "Go 1.25"


def f(
    rule: str,
    sev: Severity,
    msg: str,
    go: tuple[str, ...],
    platforms: tuple[str, ...] = ALL,
    **kw: object,
) -> Finding:
    return Finding("a.go", 7, 1, rule, sev, msg, kw.pop("target", "runtime.x"), go, platforms, **kw)  # type: ignore[arg-type]


def test_groups_merge_versions_and_platforms_into_distinct_facts() -> None:
    found = [
        f(
            "invalid-reference",
            E,
            "refused in Go 1.23–1.26",
            ("1.23", "1.24", "1.25", "1.26"),
            ALL[:2],
        ),
        f(
            "invalid-reference",
            E,
            "refused in Go 1.23–1.26",
            ("1.23", "1.24", "1.25", "1.26"),
            ALL[2:],
        ),
        f("invalid-reference", E, "blocked", ("1.27",)),
        f("unknown-target", N, "not registered", ("1.22",)),
    ]
    (refused, unknown) = group_findings(found)
    assert [x.message for x in refused.facts] == ["refused in Go 1.23–1.26", "blocked"]
    assert refused.facts[0].platforms == ALL  # the platform split is undone once, here
    assert [fact_text(x, ALL) for x in refused.facts] == [
        "refused in Go 1.23–1.26",  # the message names its versions: not repeated
        "blocked (Go 1.27)",
    ]
    assert headline(refused, ALL) == "❌ invalid-reference — refused by the linker on Go 1.23–1.27"
    assert title(refused, ALL) == "invalid-reference (Go 1.23–1.27)"
    assert title(unknown, ALL) == "unknown-target (Go 1.22)"


def test_scope_names_platforms_only_when_not_all() -> None:
    (g,) = group_findings([f("platform-only", W, "missing", ("1.23",), ("windows/amd64",))])
    assert fact_text(g.facts[0], ALL) == "missing (Go 1.23 on windows/amd64)"
    assert title(g, ALL) == "platform-only (Go 1.23, windows/amd64)"
    assert headline(g, ALL).endswith("on Go 1.23 (windows/amd64)")


def test_plain_text_for_annotations() -> None:
    assert plain("`x` is **bad**, see [docs](https://d/x)") == "x is bad, see docs"


ENTRY = "- target: runtime.x\n  go: 1.22-1.27"


def test_entries_are_never_suggested_for_a_refused_target_or_an_abi_mismatch() -> None:
    ok = Finding(
        "b.go", 3, 1, "unknown-target", N, "m", "runtime.y", ("1.23",), ALL, "- target: runtime.y"
    )
    refused = [
        f("unknown-target", N, "m", ("1.22",), suggestion=ENTRY),
        f("invalid-reference", E, "refused", ("1.23", "1.24")),
    ]
    mismatch = [
        Finding(
            "c.go",
            9,
            1,
            "unknown-target",
            N,
            "m",
            "runtime.z",
            ("1.23",),
            ALL,
            "- target: runtime.z",
        ),
        Finding("c.go", 9, 1, "signature-mismatch", E, "abi", "runtime.z", ("1.23",), ALL),
    ]
    stand_in = [  # a warning-level mismatch (unsafe.Pointer for a pointer) may be registered
        Finding(
            "d.go",
            2,
            1,
            "unknown-target",
            N,
            "m",
            "runtime.w",
            ("1.23",),
            ALL,
            "- target: runtime.w",
        ),
        Finding("d.go", 2, 1, "signature-mismatch", W, "stand-in", "runtime.w", ("1.23",), ALL),
    ]
    s = registry_suggestions([ok, *refused, *mismatch, *stand_in])
    assert s.entries == ("- target: runtime.y", "- target: runtime.w")
    assert [(w.target, w.rule, w.go) for w in s.withheld] == [
        ("runtime.x", "invalid-reference", ("1.23", "1.24")),
        ("runtime.z", "signature-mismatch", ("1.23",)),
    ]
    assert "use a supported API" in s.withheld[0].reason
    assert s.snippet == "- target: runtime.y\n- target: runtime.w"


def test_entries_from_fixes_when_there_is_no_suggestion_text() -> None:
    edit = TextEdit(
        ".github/linkname-bot.yml", 1, 1, 1, 1, "known:\n  - target: runtime.v\n    go: '1.23'\n"
    )
    finding = Finding(
        "e.go",
        4,
        1,
        "unknown-target",
        N,
        "m",
        "runtime.v",
        ("1.23",),
        ALL,
        fixes=(Fix("Add runtime.v to the registry", (edit,)),),
    )
    assert registry_suggestions([finding]).entries == ("- target: runtime.v\n  go: '1.23'",)
