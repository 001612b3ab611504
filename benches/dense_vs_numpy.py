#!/usr/bin/env python3
"""Dense symmetric eigenvalues at n = 2000: numpy's eigvalsh (LAPACK dsyevd) next to ours (faer, sequential).

Usage: python3 benches/dense_vs_numpy.py [N] [REPS]   (needs `pip install numpy`)

Ours is timed by `cargo run --release -p landscape-simulate --example eig_timing -- eig N REPS` (best of REPS).
numpy is timed on a GOE matrix of the same size, best of REPS; its BLAS thread count is printed, and
OMP_NUM_THREADS=1 gives the single-thread comparison (ours is single-threaded by design: reproducible bits).
"""
import os
import subprocess
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
profile = os.environ.get("CARGO_PROFILE", "release")

rng = np.random.default_rng(1)
g = rng.standard_normal((n, n))
a = (g + g.T) / np.sqrt(2 * n)
np.linalg.eigvalsh(a[:10, :10])
best = float("inf")
for _ in range(reps):
    t = time.perf_counter()
    np.linalg.eigvalsh(a)
    best = min(best, time.perf_counter() - t)

cmd = ["cargo", "run", "-q", "--profile", profile, "-p", "landscape-simulate", "--example", "eig_timing",
       "--", "eig", str(n), str(reps)]
ours = float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip())
threads = os.environ.get("OMP_NUM_THREADS", "default")
print(f"n = {n}: numpy eigvalsh {best:.3f} s (OMP_NUM_THREADS={threads}), landscape (faer, 1 thread) {ours:.3f} s, "
      f"ratio ours/numpy = {ours / best:.2f}")
