"""Real-shaped fixture trees for bench_coverage.py: per-port files, go1.N-guarded files,
``+build`` guards, ignore-tagged generators, nested modules, and text that only looks like a
directive. Written for this project in the shape of x/sys, phuslu/log, purego and sonic; no code
is copied from them."""

from __future__ import annotations

U = 'import _ "unsafe"\n\n'


def _pull(local: str, target: str, sig: str = "() int64") -> str:
    return f"//go:linkname {local} {target}\nfunc {local}{sig}\n\n"


def sys_like() -> dict[str, str]:
    """x/sys/unix: syscall pulls in per-OS and per-port files, old and new guards."""
    files = {
        "go.mod": "module example.com/sys\n\ngo 1.18\n",
        "unix/errno.go": "package unix\n\ntype Errno uintptr\n",
        "unix/doc.go": "// Package unix is a fixture.\npackage unix\n",
    }
    sig = "(fn, a1, a2, a3 uintptr) (r1, r2 uintptr, err Errno)"
    for goos in ("openbsd", "darwin", "solaris", "aix", "freebsd", "netbsd", "illumos"):
        files[f"unix/syscall_{goos}_libc.go"] = (
            f"//go:build {goos}\n\npackage unix\n\n{U}"
            + _pull("syscall_syscall", "syscall.syscall", sig)
            + _pull("syscall_rawSyscall", "syscall.rawSyscall", sig)
        )
    for port in ("openbsd_amd64", "openbsd_arm64", "openbsd_riscv64", "freebsd_arm64"):
        goos, goarch = port.split("_")
        files[f"unix/zsyscall_{port}.go"] = (
            f"// Code generated; DO NOT EDIT.\n\n//go:build {goos} && {goarch}\n"
            f"// +build {goos},{goarch}\n\npackage unix\n\n{U}"
            + _pull(f"libc_getpid_{goarch}", "syscall.libc_getpid_trampoline", "()")
        )
    files["unix/syscall_zos_s390x.go"] = (
        "package unix\n\n" + U + _pull("zosCall", "syscall.zosCall", "()")
    )  # no zos port: never compiled
    files["unix/syscall_windows_arm.go"] = (
        "package unix\n\n" + U + _pull("winArm", "syscall.winArm", "()")
    )  # a port up to Go 1.23
    files["unix/syscall_plan9.go"] = "package unix\n\n" + U + _pull("p9", "syscall.p9", "()")
    files["unix/syscall_js.go"] = "package unix\n\n" + U + _pull("jsCall", "syscall.jsCall", "()")
    return files


def log_like() -> dict[str, str]:
    """phuslu/log: one file per Go version range pulling runtime internals."""
    files = {"go.mod": "module example.com/log\n\ngo 1.18\n", "logger.go": "package log\n"}
    ranges = [
        ("go1.12", "// +build go1.12,!go1.14\n"),
        ("go1.14", "//go:build go1.14 && !go1.18\n// +build go1.14,!go1.18\n"),
        ("go1.18", "//go:build go1.18 && !go1.19\n"),
        ("go1.19", "//go:build go1.19 && !go1.21\n"),
        ("go1.21", "//go:build go1.21 && !go1.23\n"),
        ("go1.23", "//go:build go1.23 && !go1.30\n"),
        ("go1.30", "//go:build go1.30\n"),
    ]
    for name, guard in ranges:
        files[f"fastcaller_{name}.go"] = (
            f"{guard}\npackage log\n\n{U}"
            + _pull("callers", "runtime.callers", "(skip int, pcbuf []uintptr) int")
            + _pull("findfunc", "runtime.findfunc", "(pc uintptr) [2]uintptr")
        )
    return files


def purego_like() -> dict[str, str]:
    """purego: var linknames in a fakecgo package, freebsd-only files, cgo-free guards."""
    files = {
        "go.mod": "module example.com/purego\n\ngo 1.18\n",
        "purego.go": "package purego\n",
        "internal/fakecgo/go.go": "package fakecgo\n",
    }
    files["internal/fakecgo/symbols.go"] = (
        "//go:build !cgo && (darwin || freebsd || linux)\n\npackage fakecgo\n\n"
        + U
        + "".join(
            f"//go:linkname _{n} _{n}\nvar _{n} = &x_{n}\nvar x_{n} byte\n\n"
            for n in ("cgo_init", "cgo_thread_start", "cgo_notify_runtime_init_done")
        )
    )
    files["internal/fakecgo/libc_freebsd.go"] = (
        "//go:build !cgo\n\npackage fakecgo\n\n"
        + U
        + _pull("freebsd_malloc", "runtime.freebsd_malloc", "(uintptr) uintptr")
    )
    files["dlfcn_freebsd.go"] = (
        "package purego\n\n" + U + _pull("dlopen_fb", "runtime.dlopen_fb", "(uintptr) uintptr")
    )
    files["syscall_cgo_linux.go"] = (
        "//go:build cgo && !(amd64 || arm64)\n\npackage purego\n\n"
        + U
        + _pull("cgocall", "runtime.cgocall", "(fn, arg uintptr) int32")
    )
    return files


def sonic_like() -> dict[str, str]:
    """sonic: a root module on an old go line and a nested loader module, +build guards."""
    files = {
        "go.mod": "module example.com/sonic\n\ngo 1.17\n",
        "internal/rt/stubs.go": "package rt\n\n"
        + U
        + _pull("memmove", "runtime.memmove", "(to, from uintptr, n uintptr)")
        + "func helper() {}\n",
        "internal/rt/old_go116.go": "// +build go1.16,!go1.22\n\npackage rt\n\n"
        + U
        + _pull("mapiterinit", "runtime.mapiterinit", "(t, m, it uintptr)"),
        "internal/rt/new_go122.go": "//go:build go1.22\n\npackage rt\n\n"
        + U
        + _pull("mapiterinit", "runtime.mapiterinit", "(t, m, it uintptr)"),
        "loader/go.mod": "module example.com/sonic/loader\n\ngo 1.16\n",
        "loader/internal/funcdata.go": "package internal\n\n"
        + U
        + _pull("moduledata", "runtime.firstmoduledata", "()")
        + "//go:linkname g runtime.g\ntype g struct{}\n",  # go 1.16: read and ignored
        "loader/internal/funcdata_go121.go": "//go:build go1.21 && !go1.26\n\npackage internal\n\n"
        + U
        + _pull("addmoduledata", "runtime.addmoduledata", "(uintptr)"),
    }
    return files


def traps() -> dict[str, str]:
    """Files and text the compiler never reads as directives, and some it reads unexpectedly."""
    raw = "var doc = `\n//go:linkname notes runtime.notes\n`\n\n"
    block = "/*\n//go:linkname inblock runtime.inblock\n*/\n\n"
    return {
        "go.mod": "module example.com/traps\n\ngo 1.21\n",
        "gen.go": "//go:build ignore\n\npackage main\n\n"
        + U
        + _pull("nt", "runtime.nanotime")
        + "func main() { println(nt()) }\n",  # read by `go run gen.go`
        "_disabled.go": "package traps\n\n" + U + _pull("d", "runtime.d"),
        "testdata/x.go": "package x\n\n" + U + _pull("t", "runtime.t"),
        ".hidden/y.go": "package y\n\n" + U + _pull("h", "runtime.h"),
        "prose.go": "package traps\n\n"
        + U
        + "// go:linkname spaced runtime.spaced\n"
        + raw
        + block
        + "func spaced() {}\n",
        "never.go": "//go:build linux && windows\n\npackage traps\n\n"
        + U
        + _pull("n", "runtime.n"),
        "body.go": "package traps\n\n"
        + U
        + "func f() {\n//go:linkname inbody runtime.inbody\n}\n\nfunc inbody() int64\n",
        "misplaced.go": "package traps\n\n"
        + U
        + "var x int //go:linkname x runtime.x\n",  # read, and fails: misplaced
        "tagged.go": "//go:build linux && linkname_fast\n\npackage traps\n\n"
        + U
        + _pull("fast", "runtime.fast"),
        "x_wasip1.go": "package traps\n\n" + U + _pull("w", "runtime.w"),
    }


TREES = {
    "sys-like": sys_like,
    "log-like": log_like,
    "purego-like": purego_like,
    "sonic-like": sonic_like,
    "traps": traps,
}
