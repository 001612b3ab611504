#!/usr/bin/env bash
# Builds the Python bindings (python/) into a wheel the way `pip install ./python` does, installs it in a
# fresh-or-reused virtual environment, and runs the pytest suite in python/tests against it and the CLI binary.
#
# Usage: scripts/test-python.sh [pytest arguments...]
# Environment:
#   LANDSCAPE_PYTHON_VENV  the venv for the tests (default .venv-python at the repository root);
#   PYTHON                 the interpreter that creates it (default python3);
#   LANDSCAPE_TORCH_VENV   a venv with torch (default .venv, the one scripts/setup-torch.sh makes): when torch
#                          imports there, the wheel is installed there too and the torch tests run with it (in
#                          the torch-free venv they are skipped);
#   MATURIN_PEP517_ARGS    passed to maturin by pip (default `--profile dev`: the optimised dev profile of the
#                          workspace, which reuses the debug build; set it empty for maturin's release build);
#   LANDSCAPE_CLI          a built `landscape` binary to compare against (default: built here, target/debug).
# Exits non-zero when any test fails, and also when pytest collects no test (its exit code 5).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LANDSCAPE_PYTHON_VENV:-$ROOT/.venv-python}"
TORCH_VENV="${LANDSCAPE_TORCH_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"
export MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS-"--profile dev"}"
cd "$ROOT"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating virtual environment $VENV" >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet "maturin==1.16.*" numpy scipy pytest
# The PEP 517 backend runs the `maturin` executable, found on PATH.
export PATH="$VENV/bin:$PATH"

# The CLI whose printed values the bindings must reproduce bit for bit.
if [[ -z "${LANDSCAPE_CLI:-}" ]]; then
    cargo build --quiet --bin landscape
    export LANDSCAPE_CLI="$ROOT/target/debug/landscape"
fi

# `pip wheel ./python` runs maturin's PEP 517 backend exactly as `pip install ./python` does; the wheel is then
# installed in each venv. --no-build-isolation reuses the venv's maturin instead of fetching one per build.
WHEELS="$(mktemp -d)"
trap 'rm -rf "$WHEELS"' EXIT
"$VENV/bin/python" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$WHEELS" ./python
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps "$WHEELS"/landscape-*.whl

# pytest runs from the tests folder, so `import landscape` finds the installed wheel, not the source tree.
run_pytest() {
    local python="$1"
    shift
    local status=0
    (cd "$ROOT/python/tests" && "$python" -m pytest -q "$@") || status=$?
    if [[ $status -eq 5 ]]; then
        echo "error: pytest collected no tests" >&2
        return 1
    fi
    return $status
}

run_pytest "$VENV/bin/python" "$@"

if [[ -x "$TORCH_VENV/bin/python" ]] && "$TORCH_VENV/bin/python" -c 'import torch' 2>/dev/null; then
    echo "torch found in $TORCH_VENV: running the torch tests there" >&2
    "$TORCH_VENV/bin/python" -m pip install --quiet numpy scipy pytest
    "$TORCH_VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps "$WHEELS"/landscape-*.whl
    run_pytest "$TORCH_VENV/bin/python" test_torch.py
else
    echo "no torch in $TORCH_VENV: the torch tests were skipped" >&2
fi
