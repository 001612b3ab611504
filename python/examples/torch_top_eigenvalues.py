"""Top Hessian eigenvalues of a small PyTorch network, and its spectral density by stochastic Lanczos quadrature.

Hessian-vector products come from torch.autograd (float64, one retained gradient graph, one backward per product);
Lanczos and SLQ run in Rust. Needs torch.

    python python/examples/torch_top_eigenvalues.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

import landscape
import landscape.torch as lt


def main() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(20, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 3)
    )
    x = torch.randn(512, 20)
    y = torch.randint(0, 3, (512,))
    op = lt.hessian_operator(model, (x, y), torch.nn.CrossEntropyLoss())
    print(f"{op.dim} trainable parameters, loss {op.loss_value:.4f}")

    start = time.perf_counter()
    top = landscape.lanczos(op, k=5, which="largest", max_matvecs=105, seed=0)
    elapsed = time.perf_counter() - start
    print(f"top eigenvalues: {np.array2string(top.eigenvalues, precision=6)}")
    print(f"residuals:       {np.array2string(top.residuals, precision=2)}  converged: {top.converged.all()}")
    print(f"{top.n_matvecs} Hessian-vector products in {elapsed:.2f} s")

    density = landscape.slq(op, steps=60, n_probes=4, seed=0)
    trace = landscape.hutchpp(op, n_matvecs=150, seed=0)
    print(f"SLQ: {density.n_matvecs} products; normalised trace {density.moment(1)[0]:.6f}; "
          f"Hutch++ trace {trace.estimate:.4f} ± {trace.std_error:.4f}")


if __name__ == "__main__":
    main()
