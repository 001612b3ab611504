"""landscape.lanczos against scipy.sparse.linalg.eigsh on the same operator: products used and wall time, and the
per-product overhead of calling a Python matvec from Rust.

    python python/benches/lanczos_vs_eigsh.py [n]

The operator is a sparse symmetric matrix with a planted top spectrum (eigenvalues 10, 9.5, ..., 8 above a
semicircle-like bulk in [−2, 2]) given to both solvers as the same Python callable, so both pay the same product
cost. eigsh (ARPACK, implicitly restarted Lanczos) stops when its Ritz values meet `tol`; landscape's
thick-restart Lanczos stops when every wanted pair has converged to the same `tol` (its residual confirmed by one
explicit product per pair, which the count includes), with `max_matvecs` only a cap.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

import landscape

K = 5
TOL = 1e-10


def operator(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    g = sp.random(n, n, density=10.0 / n, random_state=rng, data_rvs=rng.standard_normal)
    bulk = (g + g.T) / np.sqrt(2 * 10.0)
    u = np.linalg.qr(rng.standard_normal((n, K)))[0]
    spikes = np.linspace(10.0, 8.0, K)
    # A sparse bulk plus a rank-K spike, applied as two products (kept matrix-free).
    return bulk.tocsr(), u, spikes


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    bulk, u, spikes = operator(n)
    calls = [0]

    def matvec(x: np.ndarray) -> np.ndarray:
        calls[0] += 1
        return bulk @ x + u @ (spikes * (u.T @ x))

    lin = LinearOperator((n, n), matvec=matvec, dtype=np.float64)

    calls[0] = 0
    start = time.perf_counter()
    ref = np.sort(eigsh(lin, k=K, which="LA", tol=TOL, return_eigenvectors=False))[::-1]
    eigsh_time, eigsh_calls = time.perf_counter() - start, calls[0]

    calls[0] = 0
    start = time.perf_counter()
    r = landscape.lanczos(matvec, n, k=K, tol=TOL, max_matvecs=2000, seed=0)
    elapsed = time.perf_counter() - start
    assert calls[0] == r.n_matvecs, (calls[0], r.n_matvecs)
    print(f"n = {n}, k = {K}, tol = {TOL:g}")
    print(f"eigsh      : {eigsh_calls:5d} products, {eigsh_time:7.3f} s")
    print(f"lanczos    : {r.n_matvecs:5d} products, {elapsed:7.3f} s, all converged: {bool(r.converged.all())}, "
          f"max |Δλ| vs eigsh = {np.abs(r.eigenvalues - ref).max():.2e}")

    # Per-product overhead: a trivial matvec on a tiny vector, through Rust and called directly from Python.
    tiny = np.ones(8)
    products = 20_000
    start = time.perf_counter()
    landscape.hutchinson(lambda x: x, 8, n_probes=products, seed=0)
    through_rust = (time.perf_counter() - start) / products
    start = time.perf_counter()
    for _ in range(products):
        (lambda x: x)(tiny.copy())
    direct = (time.perf_counter() - start) / products
    print(f"per-product overhead of a Python matvec called from Rust: {1e6 * (through_rust - direct):.2f} µs "
          f"({1e6 * through_rust:.2f} µs per product incl. the estimator, {1e6 * direct:.2f} µs for the bare call)")
    small = LinearOperator((8, 8), matvec=lambda x: x, dtype=np.float64)
    start = time.perf_counter()
    for _ in range(products):
        small.matvec(tiny)
    print(f"for comparison, scipy LinearOperator.matvec's own overhead: {1e6 * (time.perf_counter() - start) / products:.2f} µs")


if __name__ == "__main__":
    main()
