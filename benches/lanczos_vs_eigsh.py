#!/usr/bin/env python3
"""Products for the top-5 eigenpairs: our thick-restart Lanczos next to ARPACK (scipy's eigsh), same operators.

Usage: python3 benches/lanczos_vs_eigsh.py [P] [N] [TOL]   (needs `pip install numpy scipy`)
Set LANCZOS_PRODUCTS_BIN to a built `lanczos_products` example to skip cargo; products do not depend on the
build profile, wall times do (compare wall times in release only).

Operators (built identically on both sides, see empirical/examples/lanczos_products.rs):
  1. Wishart X Xᵀ/N of side P (default 10⁴, N = 2·10⁴), matrix-free, X_ij = √3(2u − 1) with u from splitmix64 of
     the counter i·N + j, so numpy and Rust hold the same bits;
  2. the Hessian of the digits MLP (64–32–10, tanh, 500 samples), exported densely to .npy by the example; eigsh
     gets a LinearOperator over it.

Both stop at relative residual TOL (default 1e-10). ARPACK's test is ‖r_i‖ ≤ tol·|θ_i| per pair, ours
‖r_i‖ ≤ tol·max|θ|; for the top eigenvalues of these spectra the two scales differ by at most the ratio θ_1/θ_5,
printed. eigsh uses its defaults (ncv = max(2k + 1, 20), a random start); its products are counted by the
LinearOperator. The residuals of both are recomputed here relative to max|θ|.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

P = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
TOL = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-10
K = 5
PROFILE = os.environ.get("CARGO_PROFILE", "release")


def ours(*args):
    binary = os.environ.get("LANCZOS_PRODUCTS_BIN")  # a prebuilt example, e.g. target/release/examples/...
    cmd = [binary] if binary else ["cargo", "run", "--quiet", "--profile", PROFILE, "-p", "landscape-empirical",
                                   "--example", "lanczos_products", "--"]
    cmd += list(map(str, args))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def splitmix_matrix(p, n):
    """X_ij = √3(2u − 1), u = splitmix64(i·n + j) >> 11 scaled by 2⁻⁵³: the example's formula, row by row."""
    x = np.empty((p, n))
    cols = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(p):
            z = (np.uint64(i * n) + cols) + np.uint64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            u = (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
            x[i] = np.sqrt(3.0) * (2.0 * u - 1.0)
    return x


def arpack(name, n, matvec):
    count = [0]

    def counted(v):
        count[0] += 1
        return matvec(np.ravel(v))

    op = LinearOperator((n, n), matvec=counted, dtype=np.float64)
    t = time.perf_counter()
    values, vectors = eigsh(op, k=K, which="LA", tol=TOL)
    wall = time.perf_counter() - t
    products = count[0]
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    scale = np.max(np.abs(values))
    residuals = [float(np.linalg.norm(matvec(vectors[:, i]) - values[i] * vectors[:, i]) / scale)
                 for i in range(K)]
    return {"operator": name, "products": products, "wall_s": round(wall, 3),
            "values": values.tolist(), "residuals": residuals,
            "ncv": max(2 * K + 1, 20), "theta1_over_theta5": float(values[0] / values[-1])}


def row(solver, r, restarts="", basis=""):
    return (f"| {r['operator']} | {solver} | {r['products']} | {restarts} | {r['wall_s']:.2f} | {basis} | "
            f"{max(r['residuals']):.1e} |")


def main():
    rows = []
    print(f"building X ({P} × {N}) in numpy ...", file=sys.stderr)
    x = splitmix_matrix(P, N)
    mine = ours("wishart", P, N, TOL)
    theirs = arpack("wishart", P, lambda v: x @ (x.T @ v) / N)
    diff = np.max(np.abs(np.array(mine["values"]) - np.array(theirs["values"]))) / max(map(abs, theirs["values"]))
    print(f"wishart: max |ours − eigsh| / λ_max = {diff:.1e}", file=sys.stderr)
    rows += [row("thick-restart Lanczos", mine, mine["restarts"], mine["peak_basis"]),
             row("ARPACK eigsh", theirs, "", theirs["ncv"])]
    del x
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits_hessian.npy")
        mine = ours("digits", path, TOL)
        h = np.load(path)
    theirs = arpack("digits_mlp_hessian", h.shape[0], lambda v: h @ v)
    diff = np.max(np.abs(np.array(mine["values"]) - np.array(theirs["values"]))) / max(map(abs, theirs["values"]))
    print(f"digits: max |ours − eigsh| / λ_max = {diff:.1e}, θ1/θ5 = {theirs['theta1_over_theta5']:.2f}",
          file=sys.stderr)
    rows += [row("thick-restart Lanczos", mine, mine["restarts"], mine["peak_basis"]),
             row("ARPACK eigsh", theirs, "", theirs["ncv"])]
    print("| operator | solver | products | restarts | wall s | basis | max residual/‖A‖ |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
