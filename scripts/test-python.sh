#!/usr/bin/env bash
# Builds the Python bindings (python/) as a wheel in a fresh-or-reused virtual environment, installs it the way a
# user would (`pip install ./python`), and runs the pytest suite in python/tests against it and the CLI binary.
#
# Usage: scripts/test-python.sh [pytest arguments...]
# Environment: LANDSCAPE_PYTHON_VENV (default .venv-python at the repository root), PYTHON (default python3).
# Exits non-zero when any test fails, and also when pytest collects no test (its exit code 5).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LANDSCAPE_PYTHON_VENV:-$ROOT/.venv-python}"
PYTHON_BIN="${PYTHON:-python3}"
cd "$ROOT"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating virtual environment $VENV" >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet "maturin==1.16.*" numpy scipy pytest

# The CLI whose printed values the bindings must reproduce bit for bit.
cargo build --quiet --bin landscape
export LANDSCAPE_CLI="$ROOT/target/debug/landscape"

# `pip install ./python` builds the wheel through maturin's PEP 517 backend, exactly as a user's install would.
# --no-build-isolation reuses the venv's maturin instead of downloading one per build.
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps --no-build-isolation ./python

# Run from the tests folder so that `import landscape` finds the installed wheel, not the source tree.
cd "$ROOT/python/tests"
status=0
"$VENV/bin/python" -m pytest -q "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit $status
