#!/usr/bin/env bash
# Creates .venv at the repository root with PyTorch 2.13.0 (the version tch 0.26 expects) and prints the
# environment a build with `--features torch` needs. Idempotent: an existing venv with torch 2.13.0 is reused.
#
# Usage: scripts/setup-torch.sh [--build] [--peers] [--torchvision]
#   --build   also runs `cargo build --release --features torch` with that environment.
#   --peers   also installs the peer libraries `benches/torch_peers.py` times against: PyHessian 0.1 and
#             curvlinops-for-pytorch 3.0 with their pure-Python dependencies, all --no-deps so the pinned torch
#             stays as it is.
#   --torchvision  also installs torchvision 0.28.0, the release built against torch 2.13, and Pillow, which it
#             imports, both --no-deps: what `scripts/export_torchvision.py` builds its models with.
set -euo pipefail

TORCH_VERSION="2.13.0"
TORCHVISION_VERSION="0.28.0"
BUILD=0
PEERS=0
TORCHVISION=0
for arg in "$@"; do
    case "$arg" in
        --build) BUILD=1 ;;
        --peers) PEERS=1 ;;
        --torchvision) TORCHVISION=1 ;;
        *) echo "error: unknown argument $arg (expected --build, --peers or --torchvision)" >&2; exit 2 ;;
    esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LANDSCAPE_VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "creating virtual environment $VENV" >&2
    "$PYTHON_BIN" -m venv "$VENV"
fi

installed="$("$VENV/bin/python" -W ignore -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)"
if [[ "$installed" == "$TORCH_VERSION" ]]; then
    echo "torch $TORCH_VERSION already installed in $VENV" >&2
else
    echo "installing torch==$TORCH_VERSION into $VENV (about 5 GB)" >&2
    "$VENV/bin/python" -m pip install --upgrade pip >&2
    # The wheel is half a gigabyte: a dropped connection resumes where it stopped (--resume-retries), and the
    # whole install is tried again a few times before giving up. --no-cache-dir keeps a second copy of the
    # wheels off the disk.
    attempt=1
    until "$VENV/bin/python" -m pip install --no-cache-dir --retries 10 --timeout 60 --resume-retries 50 \
        "torch==$TORCH_VERSION" >&2; do
        if (( attempt >= 4 )); then
            echo "error: installing torch==$TORCH_VERSION failed $attempt times" >&2
            exit 1
        fi
        attempt=$((attempt + 1))
        echo "installing torch failed; attempt $attempt of 4 in 20 s" >&2
        sleep 20
    done
fi
# numpy: torch warns without it, and it writes the .npz data files `landscape` reads.
if ! "$VENV/bin/python" -c 'import numpy' 2>/dev/null; then
    "$VENV/bin/python" -m pip install numpy >&2
fi

if (( PEERS )); then
    if ! "$VENV/bin/python" -c 'import pyhessian, curvlinops' 2>/dev/null; then
        echo "installing PyHessian 0.1 and curvlinops-for-pytorch 3.0 (--no-deps, next to torch $TORCH_VERSION)" >&2
        "$VENV/bin/python" -m pip install --no-deps "pyhessian==0.1" "curvlinops-for-pytorch==3.0.0" \
            "backpack-for-pytorch==1.7.1" "unfoldNd==0.2.3" "einops==0.8.2" "einconv==0.1.0" \
            "linear_operator==0.6.1" "jaxtyping==0.3.11" "wadler_lindig==0.1.8" "tqdm==4.70.1" "scipy" >&2
    fi
fi

if (( TORCHVISION )); then
    tv_installed="$("$VENV/bin/python" -W ignore -c 'import torchvision; print(torchvision.__version__.split("+")[0])' \
        2>/dev/null || true)"
    if [[ "$tv_installed" != "$TORCHVISION_VERSION" ]]; then
        echo "installing torchvision==$TORCHVISION_VERSION and Pillow (--no-deps, next to torch $TORCH_VERSION)" >&2
        "$VENV/bin/python" -m pip install --no-deps "torchvision==$TORCHVISION_VERSION" "pillow==13.0.0" >&2
    fi
fi

TORCH_LIB="$("$VENV/bin/python" -W ignore -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
CUDA="$("$VENV/bin/python" -W ignore -c 'import torch; print(torch.version.cuda or "none")')"
echo "torch $("$VENV/bin/python" -W ignore -c 'import torch; print(torch.__version__)') (CUDA build: $CUDA), libraries in $TORCH_LIB" >&2

cat <<ENV
export LIBTORCH_USE_PYTORCH=1
export PATH="$VENV/bin:\$PATH"
export LANDSCAPE_PYTHON="$VENV/bin/python"
ENV

if (( BUILD )); then
    cd "$ROOT"
    LIBTORCH_USE_PYTORCH=1 PATH="$VENV/bin:$PATH" LANDSCAPE_PYTHON="$VENV/bin/python" \
        cargo build --release --features torch
fi
