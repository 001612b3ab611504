"""Estimators on every operator form, against numpy's dense eigensolver and scipy's eigsh; distances."""

from __future__ import annotations

import numpy as np
import pytest

import landscape

scipy = pytest.importorskip("scipy")
from scipy.sparse import csr_matrix  # noqa: E402
from scipy.sparse.linalg import LinearOperator, eigsh  # noqa: E402

# Round-off of a dense symmetric eigensolver relative to ‖A‖: backward stable, error ≲ n ε ‖A‖ with n ≤ 300 here.
EIG_ROUNDOFF_REL = 1e-12
# The tolerance asked of both Lanczos and eigsh in the comparisons.
SOLVER_TOL = 1e-10


def planted(n: int = 300, seed: int = 1) -> np.ndarray:
    """A symmetric matrix with a known spectrum: eight well-separated outliers above a uniform bulk in [−1, 1],
    rotated by a Haar orthogonal matrix."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    spectrum = np.concatenate([np.linspace(-1.0, 1.0, n - 8), [2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0]])
    a = (q * spectrum) @ q.T
    return (a + a.T) / 2


def forms(a: np.ndarray):
    """The same operator as a dense matrix, a scipy sparse matrix, a LinearOperator and a bare callable."""
    n = a.shape[0]
    return {
        "dense": (a, None),
        "sparse": (csr_matrix(a), None),
        "linear_operator": (LinearOperator((n, n), matvec=lambda x: a @ x, dtype=np.float64), None),
        "callable": ((lambda x: a @ x), n),
    }


@pytest.mark.parametrize("form", ["dense", "sparse", "linear_operator", "callable"])
def test_lanczos_top_eigenvalues_agree_with_eigh_and_eigsh_within_their_residuals(form: str) -> None:
    a = planted()
    exact = np.linalg.eigvalsh(a)[::-1][:5]
    op, dim = forms(a)[form]
    r = landscape.lanczos(op, dim, k=5, which="largest", tol=SOLVER_TOL, seed=3)
    assert r.converged.all(), r
    assert list(r.eigenvalues) == sorted(r.eigenvalues, reverse=True)
    scale = np.abs(exact).max()
    # For a unit Ritz vector with residual ‖r‖ there is an eigenvalue within ‖r‖ of θ (Kahan; Parlett, The
    # Symmetric Eigenvalue Problem, Thm 4.5.1); the outliers are separated by ≥ 0.5, so it is the matching one.
    bound = r.residuals + EIG_ROUNDOFF_REL * scale
    assert np.all(np.abs(r.eigenvalues - exact) <= bound), (r.eigenvalues - exact, bound)
    reference = eigsh(a, k=5, which="LA", tol=SOLVER_TOL, return_eigenvectors=False)[::-1]
    # eigsh is held to its own tolerance: ARPACK's relative accuracy tol · |θ| for each Ritz value.
    assert np.all(np.abs(reference - exact) <= SOLVER_TOL * np.abs(exact) + EIG_ROUNDOFF_REL * scale)


def test_lanczos_which_smallest_and_both_and_eigenvectors() -> None:
    a = planted()
    exact = np.linalg.eigvalsh(a)
    r = landscape.lanczos(a, k=2, which="both", max_matvecs=300, seed=0, return_eigenvectors=True)
    assert r.eigenvalues.shape == (4,) and r.eigenvectors.shape == (300, 4)
    # The two largest are separated outliers and converge; the bulk's bottom edge is dense (gap ~0.007), so the
    # smallest two are only checked against their residual bound, not flagged converged.
    top = r.eigenvalues[2:]
    np.testing.assert_allclose(top, exact[-2:], rtol=0, atol=1e-8)
    assert np.all(np.abs(r.eigenvalues[:2] - exact[:2]) <= r.residuals[:2] + EIG_ROUNDOFF_REL * 6)
    # Ritz vectors are unit vectors and their residuals are what the result says.
    v = r.eigenvectors
    np.testing.assert_allclose(np.linalg.norm(v, axis=0), 1.0, rtol=0, atol=1e-12)
    measured = np.linalg.norm(a @ v - v * r.eigenvalues, axis=0)
    np.testing.assert_allclose(measured, r.residuals, rtol=1e-6, atol=1e-13)
    low = landscape.lanczos(a, k=1, which="smallest", max_matvecs=302, seed=0)
    assert np.abs(low.eigenvalues[0] - exact[0]) <= low.residuals[0] + EIG_ROUNDOFF_REL * 6


def test_lanczos_is_seeded_and_counts_products() -> None:
    a = planted(n=120)
    calls = 0

    def matvec(x: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        return a @ x

    first = landscape.lanczos(matvec, 120, k=3, max_matvecs=60, seed=7)
    # Every product is counted; thick-restart Lanczos stops at convergence, never above the cap.
    assert first.n_matvecs == calls <= 60
    again = landscape.lanczos(matvec, 120, k=3, max_matvecs=60, seed=7)
    # Same seed, same start vector, same products: identical bits.
    assert first.eigenvalues.tobytes() == again.eigenvalues.tobytes()
    dense = landscape.lanczos(a, k=3, max_matvecs=60, seed=7)
    assert dense.eigenvalues.tobytes() == landscape.lanczos(a, k=3, max_matvecs=60, seed=7).eigenvalues.tobytes()
    # numpy's BLAS and the Rust dense product sum in different orders: equal up to round-off amplified by the
    # 57 Lanczos steps (measured ~1e-15 relative).
    np.testing.assert_allclose(dense.eigenvalues, first.eigenvalues, rtol=1e-12, atol=0)
    other = landscape.lanczos(matvec, 120, k=3, max_matvecs=60, seed=8)
    assert other.eigenvalues.tobytes() != first.eigenvalues.tobytes()


def test_slq_is_exact_when_the_krylov_space_is_the_whole_space() -> None:
    n = 24
    spectrum = np.arange(1.0, n + 1.0)
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = (q * spectrum) @ q.T
    a = (a + a.T) / 2
    result = landscape.slq(a, steps=n, n_probes=4, seed=2)
    assert result.dim == n and result.n_probes == 4
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    # With n steps each Gauss rule has the eigenvalues themselves as nodes (Golub & Meurant 2010, §6.2).
    nearest = np.abs(result.nodes[:, None] - spectrum[None, :]).min(axis=1)
    assert nearest.max() < 1e-9
    # Moments of an exact rule are the probes' quadratic forms vᵀ A^k v / n, unbiased for tr A^k / n; with four
    # Rademacher probes the estimate is within a few standard errors (5σ: false failure < 1e-6 under normality).
    value, std_error = result.moment(1)
    assert abs(value - spectrum.mean()) <= 5 * std_error + 1e-12
    x = np.linspace(0, n + 1, 200)
    density = result.density(x, 0.5)
    assert density.shape == x.shape and np.all(density >= 0)
    assert result.cdf(n + 1.0) == pytest.approx(1.0, abs=1e-12)


def test_hutchpp_is_exact_when_the_sketch_spans_the_range_and_unbiased_otherwise() -> None:
    n = 30
    a = planted(n=n, seed=4)
    exact = np.trace(a)
    full = landscape.hutchpp(a, n_matvecs=3 * n, seed=1)
    # A sketch of n columns spans ℝⁿ, so tr(Qᵀ A Q) = tr A and the deflated remainder is 0, up to round-off.
    assert abs(full.estimate - exact) < 1e-10 * np.abs(a).sum()
    assert full.n_matvecs == 3 * n
    big = planted(n=300, seed=6)
    estimate = landscape.hutchpp(csr_matrix(big), n_matvecs=90, seed=3)
    # 5 standard errors: a false failure below 1e-6 for a Gaussian estimate.
    assert abs(estimate.estimate - np.trace(big)) <= 5 * estimate.std_error
    plain = landscape.hutchinson(big, n_probes=200, seed=3)
    assert abs(plain.estimate - np.trace(big)) <= 5 * plain.std_error


def test_distance_of_a_sample_from_its_law_and_from_a_wrong_law() -> None:
    law = landscape.law("semicircle(variance=1)")
    n = 400
    rng = np.random.default_rng(0)
    g = rng.standard_normal((n, n))
    eigenvalues = np.linalg.eigvalsh((g + g.T) / np.sqrt(2 * n))
    near = landscape.distance(eigenvalues, law)
    far = landscape.distance(eigenvalues, "semicircle(variance=2)")
    # GOE eigenvalues are rigid: KS to the limit is O(log n / n) ≈ 0.015 at n = 400 (Götze–Tikhomirov), while
    # SC(1) and SC(2) differ by KS ≈ 0.1.
    assert near.ks < 0.03 and far.ks > 0.07
    assert near.w1 < far.w1
    # An SLQ measure with weights is a spectrum too.
    dense = landscape.slq(np.diag(eigenvalues), steps=60, n_probes=6, seed=1)
    weighted = landscape.distance(dense.nodes, law, weights=dense.weights)
    # Each probe's Gauss CDF is within max τ_i ≲ 0.05 of the probe's spectral CDF, which is within O(1/√n) ≈ 0.05
    # of the ESD; averaged over 6 probes the KS distance stays below 0.1, and 0.2 leaves a factor 2.
    assert weighted.ks < 0.2
