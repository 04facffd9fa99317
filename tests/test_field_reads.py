"""``x.F`` typed as far as the file says: receivers, parameters, vars, conversions, literals."""

from __future__ import annotations

from bot.analyse.field_reads import mentions, owners_of_reads

SOURCE = b"""package p

var top GoType

func (self *GoMapType) A() bool { return self.Flags&2 != 0 }

func B(t *GoMapType, q rt.Other) uint32 {
	x := (*goMap)(unsafe.Pointer(t))
	var y T
	z := &U{}
	w := f()
	return x.Flags + y.Flags + z.Flags + (*rt.V)(t).Flags + q.Flags + top.Flags + w.Flags
}

func C() {
	t := (*Shadow)(nil)
	_ = func() uint32 { return t.Flags }
	_ = t.Other
}
"""


def test_each_read_gets_the_type_its_file_declares() -> None:
    assert owners_of_reads(SOURCE, "Flags") == {
        "GoMapType",
        "goMap",
        "T",
        "U",
        "rt.V",
        "rt.Other",
        "GoType",
        "Shadow",  # a closure sees its enclosing function's variables
        None,  # w := f(): a call's type is not known without a type checker
    }


def test_conversion_calls_are_unknown_and_other_fields_do_not_count() -> None:
    src = b"package p\n\nfunc f(p unsafe.Pointer) int { return MapType(p).Flags }\n"
    assert owners_of_reads(src, "Flags") == {None}
    assert owners_of_reads(src, "Size") == set()


def test_mentions_is_a_word_test() -> None:
    assert mentions(b"x . Flags", "Flags")
    assert not mentions(b"x.FlagsMore", "Flags")
    assert not mentions(b"Flags", "Flags")


def test_broken_source_does_not_raise() -> None:
    assert owners_of_reads(b"package p\nfunc (x *T) { x.Flags ", "Flags") <= {"T", None}
