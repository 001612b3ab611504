"""Random-matrix predictions about neural-network loss landscapes, from Python.

The numerics are landscape's Rust crates (``theory``, ``simulate``) compiled into ``landscape._landscape``; this
package adds the Python conveniences: any operator form for the estimators, result dataclasses, and the PyTorch
shim :mod:`landscape.torch`.

Laws
    ``law("free_sum(mp(ratio=0.5), semicircle(variance=0.5))")`` builds a :class:`Law` from the CLI's expression
    language, with vectorised ``pdf``, ``cdf``, ``quantile``, ``cauchy``/``stieltjes`` (complex arrays), ``support``,
    ``atoms``, ``moments(k)`` and ``sample_eigenvalues(n, seed)``. :func:`tracy_widom`, the spiked-model predictions
    (:func:`spiked_covariance`, :func:`spiked_wigner`, :func:`information_plus_noise`) and the Pennington--Bahri
    index (:func:`pennington_bahri_index`, :func:`critical_energy`) complete the theory side.

Estimators on any symmetric operator
    :func:`lanczos` (extreme eigenpairs), :func:`slq` (spectral density), :func:`hutchpp` and :func:`hutchinson`
    (trace). The operator ``matvec`` may be a Python callable on 1-D float64 arrays (then ``dim`` is required), a
    scipy ``LinearOperator``, a dense numpy matrix or a scipy sparse matrix; matrices are applied in Rust without
    the interpreter lock.

Comparisons
    :func:`distance` gives the Kolmogorov--Smirnov and Wasserstein-1 distances of a spectrum from a law.

Conventions (``theory/src/law.rs``): Cauchy transform ``G(z) = ∫ dμ(x)/(z − x)``; Stieltjes ``m = −G``;
Marchenko--Pastur ratio = p/n; semicircle variance σ² (radius 2σ); smoothing widths are standard deviations.

Bad input raises ``ValueError`` with the one-line message the CLI prints; a numerical method that fails raises
``RuntimeError``; an exception raised inside a user's ``matvec`` propagates as itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _landscape
from ._landscape import (
    SYMMETRY_RTOL,
    Law,
    Operator,
    Slq,
    SpikePrediction,
    TracyWidom,
    __version__,
    critical_energy,
    information_plus_noise,
    law,
    pennington_bahri_index,
    spiked_covariance,
    spiked_wigner,
    tracy_widom,
)

__all__ = [
    "Distances",
    "Law",
    "LanczosResult",
    "Operator",
    "Slq",
    "SpikePrediction",
    "TraceEstimate",
    "TracyWidom",
    "__version__",
    "as_operator",
    "critical_energy",
    "distance",
    "hutchinson",
    "hutchpp",
    "information_plus_noise",
    "lanczos",
    "law",
    "pennington_bahri_index",
    "slq",
    "spiked_covariance",
    "spiked_wigner",
    "tracy_widom",
]

#: What the estimators accept as an operator.
OperatorLike = Union[Operator, Callable[[np.ndarray], Any], np.ndarray, Any]

_U64_MAX = 2**64 - 1


@dataclass(frozen=True)
class LanczosResult:
    """Extreme eigenpairs from :func:`lanczos`, each with its measured accuracy.

    ``eigenvalues`` are largest first for ``which="largest"`` and ascending for ``"smallest"`` and ``"both"``
    (the ``k`` smallest, then the ``k`` largest). ``residuals[i] = ‖A v_i − θ_i v_i‖₂`` is computed with an
    explicit product, and ``converged[i]`` says whether it is at most ``tol · max_j |θ_j|``. A pair that did not
    converge is returned, not hidden: check ``converged.all()``.
    """

    #: Ritz values θ_i.
    eigenvalues: np.ndarray
    #: ``‖A v_i − θ_i v_i‖₂`` for each pair.
    residuals: np.ndarray
    #: Whether each pair met the tolerance.
    converged: np.ndarray
    #: Products with the operator made, including one per pair for its residual.
    n_matvecs: int
    #: Products of the iteration (thick-restart Lanczos stops when the wanted pairs have converged).
    steps: int
    #: Thick restarts (the basis is kept at about 2·#pairs + 20 vectors).
    n_restarts: int
    #: Whether the Krylov space became invariant (then the Ritz values are exact eigenvalues).
    invariant: bool
    #: Unit Ritz vectors as the columns of an ``(n, len(eigenvalues))`` array, when requested.
    eigenvectors: Optional[np.ndarray] = None


@dataclass(frozen=True)
class TraceEstimate:
    """A stochastic estimate of ``tr A`` with its standard error (sample standard deviation over √probes)."""

    estimate: float
    std_error: float
    n_matvecs: int


@dataclass(frozen=True)
class Distances:
    """Distances of a spectrum from a law: ``ks = sup_x |F_emp(x) − F(x)|``, ``w1 = ∫ |F_emp(x) − F(x)| dx``."""

    ks: float
    w1: float


def _integer(name: str, value: Any, minimum: int, maximum: int = _U64_MAX) -> int:
    """``value`` as an int in ``[minimum, maximum]``, else ``ValueError`` naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"invalid {name} = {value!r}: expected an integer >= {minimum}")
    value = int(value)
    if value < minimum or value > maximum:
        raise ValueError(f"invalid {name} = {value}: expected an integer in [{minimum}, {maximum}]")
    return value


def _is_scipy_sparse(obj: Any) -> bool:
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(obj))


def as_operator(matvec: OperatorLike, dim: Optional[int] = None) -> Operator:
    """The :class:`Operator` for ``matvec``: an :class:`Operator`, a dense square matrix (numpy array or nested
    lists), a scipy sparse matrix, a scipy ``LinearOperator`` (anything with ``matvec`` and ``shape``), or a
    callable ``x ↦ A x`` on 1-D float64 arrays of length ``dim``.

    Matrices are copied and must be symmetric to ``SYMMETRY_RTOL`` relative to their largest entry. ``dim`` is
    required for a bare callable and, when given for another form, must equal its side.
    """
    if dim is not None:
        dim = _integer("dim", dim, 1)
    if isinstance(matvec, Operator):
        op = matvec
    elif isinstance(matvec, (np.ndarray, list, tuple)):
        a = np.ascontiguousarray(np.asarray(matvec, dtype=np.float64))
        if a.ndim != 2:
            raise ValueError(f"invalid matrix shape = {a.shape}: expected a square 2-D matrix")
        op = Operator.dense(a)
    elif _is_scipy_sparse(matvec):
        op = _sparse_operator(matvec)
    elif hasattr(matvec, "matvec") and hasattr(matvec, "shape"):
        shape = tuple(matvec.shape)
        if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 1:
            raise ValueError(f"invalid operator shape = {shape}: expected a square operator of side >= 1")
        op = Operator.callable(matvec.matvec, int(shape[0]))
    elif callable(matvec):
        if dim is None:
            raise ValueError("invalid dim = None: expected the operator's dimension (an integer >= 1) "
                             "when matvec is a callable")
        return Operator.callable(matvec, dim)
    else:
        raise TypeError(
            f"matvec: expected a callable, a scipy LinearOperator, a numpy matrix or a scipy sparse matrix, "
            f"got {type(matvec).__name__}"
        )
    if dim is not None and dim != op.dim:
        raise ValueError(f"invalid dim = {dim}: expected the operator's side {op.dim}")
    return op


def _sparse_operator(matrix: Any) -> Operator:
    import scipy.sparse as sp

    a = sp.csr_matrix(matrix, dtype=np.float64)
    rows, cols = a.shape
    if rows != cols or rows < 1:
        raise ValueError(f"invalid matrix shape = ({rows}, {cols}): expected a square matrix of side >= 1")
    scale = abs(a).max() if a.nnz else 0.0
    asymmetry = abs(a - a.T).max() if a.nnz else 0.0
    if asymmetry > SYMMETRY_RTOL * scale:
        raise ValueError(
            f"invalid matrix: max |a_ij − a_ji| = {asymmetry:e}: expected a symmetric matrix "
            f"(|a_ij − a_ji| ≤ {SYMMETRY_RTOL:g} · max |a|)"
        )
    return Operator.csr(
        rows,
        a.indptr.astype(np.int64),
        a.indices.astype(np.int64),
        np.ascontiguousarray(a.data, dtype=np.float64),
    )


def lanczos(
    matvec: OperatorLike,
    dim: Optional[int] = None,
    *,
    k: int = 1,
    which: str = "largest",
    tol: float = 1e-8,
    max_matvecs: Optional[int] = None,
    seed: int = 0,
    return_eigenvectors: bool = False,
) -> LanczosResult:
    """The ``k`` extreme eigenpairs of a symmetric operator by thick-restart Lanczos (Wu & Simon 2000).

    ``which``: ``"largest"``, ``"smallest"`` or ``"both"`` (``k`` at each end). The start vector is standard
    Gaussian from the seeded ChaCha8 generator (``simulate::rng::seeded(seed)``), so the same seed gives the same
    bits. It stops when every wanted pair has converged, ``‖A v − θ v‖ ≤ tol · max_i |θ_i|`` (confirmed by explicit
    residuals); ``max_matvecs`` is a cap (default 2000), not a schedule: unconverged pairs are then flagged. The basis
    is bounded (about 2·#pairs + 20 vectors), so memory is O(dim · basis) however many products it takes.

    See :func:`as_operator` for the forms ``matvec`` may take; ``dim`` is needed only for a bare callable.

    >>> import numpy as np, landscape
    >>> r = landscape.lanczos(np.diag([1.0, 2.0, 3.0]), k=2)
    >>> [round(v, 12) for v in r.eigenvalues]
    [3.0, 2.0]
    """
    op = as_operator(matvec, dim)
    k = _integer("k", k, 1)
    if max_matvecs is not None:
        max_matvecs = _integer("max_matvecs", max_matvecs, 1)
    seed = _integer("seed", seed, 0)
    values, residuals, converged, n_matvecs, steps, n_restarts, invariant, vectors = _landscape.lanczos(
        op, k, which, float(tol), max_matvecs, seed, bool(return_eigenvectors)
    )
    return LanczosResult(values, residuals, converged, n_matvecs, steps, n_restarts, invariant, vectors)


def slq(
    matvec: OperatorLike,
    dim: Optional[int] = None,
    *,
    steps: int = 80,
    n_probes: int = 10,
    probe: str = "rademacher",
    seed: int = 0,
) -> Slq:
    """The spectral density of a symmetric operator by stochastic Lanczos quadrature.

    ``n_probes`` probes (``"rademacher"`` or ``"gaussian"``, probe ``p`` drawn from ``task_rng(seed, p)``), each
    followed by ``steps`` Lanczos steps whose Gauss rule (nodes θ_i, weights τ_i) approximates the spectral
    measure seen from it; their average estimates ``(1/n) Σ_j δ_{λ_j}`` (Ubaru, Chen & Saad, SIMAX 2017). The
    result's ``nodes``/``weights`` are that measure, ``density(x, sigma)`` smooths it with a Gaussian of standard
    deviation ``sigma``, and ``moment(k)`` estimates ``(1/n) tr A^k``. Cost ``n_probes · steps`` products.
    """
    op = as_operator(matvec, dim)
    steps = _integer("steps", steps, 1)
    n_probes = _integer("n_probes", n_probes, 1)
    seed = _integer("seed", seed, 0)
    return _landscape.slq(op, steps, n_probes, probe, seed)


def hutchpp(
    matvec: OperatorLike,
    dim: Optional[int] = None,
    *,
    n_matvecs: int = 150,
    seed: int = 0,
) -> TraceEstimate:
    """``tr A`` by Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021) with a budget of ``n_matvecs`` products.

    A third of the budget sketches ``Q = orth(A S)``, a third computes ``tr(Qᵀ A Q)`` exactly and a third runs
    Hutchinson on ``(I − QQᵀ) A (I − QQᵀ)`` with Rademacher probes; the standard error is that of the Hutchinson
    part. For a decaying spectrum the error falls like ``1/n_matvecs`` instead of ``1/√n_matvecs``.
    """
    op = as_operator(matvec, dim)
    n_matvecs = _integer("n_matvecs", n_matvecs, 1)
    seed = _integer("seed", seed, 0)
    return TraceEstimate(*_landscape.hutchpp(op, n_matvecs, seed))


def hutchinson(
    matvec: OperatorLike,
    dim: Optional[int] = None,
    *,
    n_probes: int = 100,
    probe: str = "rademacher",
    seed: int = 0,
) -> TraceEstimate:
    """``tr A`` by Hutchinson's estimator: the mean of ``gᵀ A g`` over ``n_probes`` probes with ``E[g gᵀ] = I``
    (variance ``2(‖A‖_F² − Σ a_ii²)`` per Rademacher probe, ``2‖A‖_F²`` per Gaussian one)."""
    op = as_operator(matvec, dim)
    n_probes = _integer("n_probes", n_probes, 1)
    seed = _integer("seed", seed, 0)
    return TraceEstimate(*_landscape.hutchinson(op, n_probes, probe, seed))


def distance(eigenvalues: Any, law: Union[Law, str], weights: Any = None) -> Distances:
    """Kolmogorov--Smirnov and Wasserstein-1 distances of a spectrum from a law, as the CLI computes them.

    ``eigenvalues`` is any array-like of real numbers (an SLQ measure with its ``weights`` works too); ``law`` a
    :class:`Law` or an expression string. ``ks = sup_x |F_emp(x) − F(x)|`` is exact over the jump points, and
    ``w1 = ∫ |F_emp − F| dx`` is integrated piecewise by adaptive Gauss--Kronrod (about 1e-12 per unit length).
    Points within 1e-8 · max(|points|, |atoms|) of an atom of the law are counted on it (``ATOM_SNAP_REL_TOL``
    in ``simulate/src/distance.rs``).
    """
    if isinstance(law, str):
        law = _landscape.law(law)
    ks, w1 = _landscape.distance(eigenvalues, law, weights)
    return Distances(ks, w1)

