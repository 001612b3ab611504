"""Shared fixtures: the `landscape` CLI binary whose printed values the bindings must reproduce bit for bit."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from typing import Any, Callable, List, Tuple

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _cli_path() -> pathlib.Path | None:
    explicit = os.environ.get("LANDSCAPE_CLI")
    if explicit:
        return pathlib.Path(explicit)
    for profile in ("debug", "release"):
        candidate = REPO / "target" / profile / "landscape"
        if candidate.exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def cli() -> Callable[..., Tuple[int, Any, str]]:
    """Runs the CLI with the given arguments: `(exit code, parsed JSON stdout or None, stderr)`.

    scripts/test-python.sh builds the binary and sets LANDSCAPE_CLI, so there these tests always run; elsewhere
    they are skipped when no binary has been built.
    """
    path = _cli_path()
    if path is None or not path.exists():
        pytest.skip("no landscape CLI binary (set LANDSCAPE_CLI or run `cargo build --bin landscape`)")

    def run(*args: str) -> Tuple[int, Any, str]:
        done = subprocess.run([str(path), *args], capture_output=True, text=True, timeout=600)
        out = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, out, done.stderr.strip()

    return run


def points(values: List[float]) -> str:
    """A comma-separated list for `--at`, written with `repr` so the CLI parses the very same doubles."""
    return ",".join(repr(float(v)) for v in values)
