//! The Lanczos process with full reorthogonalisation ([`lanczos_decomposition`], what quadrature needs), and extreme
//! eigenpairs by thick-restart Lanczos ([`lanczos`], in `restarted.rs`), which stops when the wanted pairs have
//! converged and keeps a bounded basis.
//!
//! Starting from a unit vector `q₀`, Lanczos builds an orthonormal basis `Q = [q₀ … q_{m−1}]` of the Krylov space
//! and the symmetric tridiagonal `T = Qᵀ A Q` (diagonal `α`, off-diagonal `β`):
//!
//! ```text
//! β_j q_{j+1} = A q_j − α_j q_j − β_{j−1} q_{j−1}
//! ```
//!
//! In floating point the `q_j` lose orthogonality as Ritz values converge (Paige 1971), which produces spurious
//! copies ("ghosts") of converged eigenvalues. Here every new vector is orthogonalised against all previous ones
//! by two passes of classical Gram–Schmidt ("twice is enough": Parlett, *The Symmetric Eigenvalue Problem*, §6.9,
//! after Kahan; Giraud, Langou, Rozložník 2005), so `Q` stays orthonormal to working precision. Cost per step:
//! one product with `A` plus about `8 n j` flops at step `j`; memory `n m` for the basis.
//!
//! **Breakdown.** If `β_j` vanishes (`β_j ≤` [`BREAKDOWN_REL_TOL`] `·‖A‖`), the Krylov space is invariant and
//! the Ritz values found so far are exact eigenvalues. [`OnBreakdown::Restart`] then continues with a fresh
//! random vector orthogonal to `Q` (setting `β_j = 0`, so `T` becomes block diagonal and further eigenvalues can
//! be found); [`OnBreakdown::Stop`] ends the run (what quadrature wants: the Gauss rule is then exact).
//!
//! The small tridiagonal eigenproblem is solved with faer's *symmetric* tridiagonal solver (implicit QR / divide
//! and conquer), never a general eigensolver: a general solver on `T` can return complex or unordered values and
//! non-orthogonal vectors, a known bug in a popular Hessian tool.

mod restarted;

pub use restarted::{
    DEFAULT_MAX_MATVECS, LanczosConfig, LanczosResult, RitzPair, Stopped, Which, lanczos,
    lanczos_from,
};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::{Mat, Par};
use rand_distr::{Distribution, StandardNormal};

use crate::SimulateError;
use crate::operator::{SymmetricOperator, apply_checked};
use crate::rng::Rng;

/// A computed `β_j ≤ BREAKDOWN_REL_TOL · ‖A‖` is treated as an exact breakdown.
///
/// After an invariant subspace is found, the computed `β_j` is pure round-off, about `√n · ε · ‖A‖` (≲ 1e-13
/// relative for n ≤ 10⁶). Treating a genuine `β_j` of this size as zero moves Ritz values by at most `β_j`
/// (Weyl), far below the 1e-10 accuracy we claim, so 1e-12 is safe on both sides.
pub const BREAKDOWN_REL_TOL: f64 = 1e-12;

/// A fresh vector after a breakdown is accepted only if orthogonalisation against `Q` leaves at least this
/// fraction of its norm; a smaller remainder means `Q` already spans (numerically) the whole space.
const FRESH_VECTOR_MIN_FRACTION: f64 = 1e-6;

/// Attempts at drawing a fresh vector after a breakdown before concluding that `Q` spans the whole space.
const FRESH_VECTOR_ATTEMPTS: usize = 3;

/// A real symmetric tridiagonal matrix `T` with diagonal `α` (length m) and off-diagonal `β` (length m − 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Tridiagonal {
    alpha: Vec<f64>,
    beta: Vec<f64>,
}

impl Tridiagonal {
    /// Builds `T` from its diagonal and off-diagonal.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] if `beta.len() + 1 != alpha.len()` (for non-empty `alpha`), and
    /// [`SimulateError::NonFinite`] for a non-finite entry.
    pub fn new(alpha: Vec<f64>, beta: Vec<f64>) -> Result<Self, SimulateError> {
        if beta.len() + 1 != alpha.len().max(1) {
            return Err(SimulateError::invalid(
                "beta.len()",
                beta.len(),
                format!("alpha.len() - 1 = {}", alpha.len().saturating_sub(1)),
            ));
        }
        check_finite("tridiagonal alpha", &alpha)?;
        check_finite("tridiagonal beta", &beta)?;
        Ok(Self { alpha, beta })
    }

    /// The diagonal `α`.
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// The off-diagonal `β` (zero where a run restarted after a breakdown).
    pub fn beta(&self) -> &[f64] {
        &self.beta
    }

    /// The size `m`.
    pub fn len(&self) -> usize {
        self.alpha.len()
    }

    /// Whether `m = 0`.
    pub fn is_empty(&self) -> bool {
        self.alpha.is_empty()
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of `T`, by faer's symmetric tridiagonal
    /// solver. Cost O(m²) to O(m³).
    ///
    /// # Errors
    /// [`SimulateError::Numerical`] if the solver does not converge.
    pub fn eigen(&self) -> Result<(Vec<f64>, Mat<f64>), SimulateError> {
        let m = self.len();
        if m == 0 {
            return Ok((Vec::new(), Mat::zeros(0, 0)));
        }
        let par = Par::Seq;
        let mut sub = self.beta.clone();
        sub.push(0.0);
        let mut buffer = MemBuffer::new(evd::self_adjoint_evd_scratch::<f64>(
            m,
            ComputeEigenvectors::Yes,
            par,
            Default::default(),
        ));
        let stack = MemStack::new(&mut buffer);
        let mut s = faer::diag::Diag::<f64>::zeros(m);
        let mut u = Mat::<f64>::zeros(m, m);
        evd::tridiagonal_self_adjoint_evd(
            faer::diag::DiagRef::from_slice(&self.alpha),
            faer::diag::DiagRef::from_slice(&sub),
            s.as_mut(),
            Some(u.as_mut()),
            par,
            stack,
            Default::default(),
        )
        .map_err(|e| SimulateError::Numerical {
            what: "symmetric tridiagonal eigensolver",
            detail: format!("{e:?} (m = {m})"),
        })?;
        let values: Vec<f64> = s.column_vector().iter().copied().collect();
        check_finite("tridiagonal eigenvalue", &values)?;
        Ok((values, u))
    }

    /// The Gauss quadrature rule of `T` (Golub–Welsch): nodes `θ_i` (the eigenvalues of `T`, ascending) and
    /// weights `τ_i = (e₁ᵀ s_i)²`, the squared first components of the eigenvectors. The weights sum to 1.
    ///
    /// If `T` comes from Lanczos on `A` started at a unit vector `q₀`, then `Σ τ_i f(θ_i) ≈ q₀ᵀ f(A) q₀`,
    /// exactly for polynomials of degree `< 2m` (Golub & Meurant, *Matrices, Moments and Quadrature*, 2010).
    ///
    /// # Errors
    /// As [`Tridiagonal::eigen`].
    pub fn gauss_quadrature(&self) -> Result<(Vec<f64>, Vec<f64>), SimulateError> {
        let (nodes, vectors) = self.eigen()?;
        let weights = (0..nodes.len()).map(|i| vectors[(0, i)].powi(2)).collect();
        Ok((nodes, weights))
    }
}

/// What [`lanczos_decomposition`] does when `β_j` vanishes (an invariant subspace is found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBreakdown {
    /// Continue with a fresh random vector orthogonal to the basis (`β_j = 0`); stop only when the basis spans ℝⁿ.
    Restart,
    /// Stop: the tridiagonal so far is exact for the Krylov space of the starting vector.
    Stop,
}

/// The result of the Lanczos process: `A Q ≈ Q T` with `Q` orthonormal.
#[derive(Debug, Clone)]
pub struct LanczosDecomposition {
    tridiagonal: Tridiagonal,
    basis: Vec<f64>,
    dim: usize,
    n_matvecs: usize,
    restarts: Vec<usize>,
    invariant: bool,
    residual_beta: f64,
    norm_estimate: f64,
}

impl LanczosDecomposition {
    /// The tridiagonal `T = Qᵀ A Q`.
    pub fn tridiagonal(&self) -> &Tridiagonal {
        &self.tridiagonal
    }

    /// The number of steps `m` (columns of `Q`).
    pub fn steps(&self) -> usize {
        self.tridiagonal.len()
    }

    /// Basis vector `q_j`.
    ///
    /// # Panics
    /// If `j >= self.steps()`.
    #[track_caller]
    pub fn basis_vector(&self, j: usize) -> &[f64] {
        &self.basis[j * self.dim..(j + 1) * self.dim]
    }

    /// Products with `A` made.
    pub fn n_matvecs(&self) -> usize {
        self.n_matvecs
    }

    /// Steps at which a fresh vector started a new block after a breakdown.
    pub fn restarts(&self) -> &[usize] {
        &self.restarts
    }

    /// Whether the run ended on an exact invariant subspace (a breakdown under [`OnBreakdown::Stop`], or a basis
    /// spanning ℝⁿ), so that the Ritz values are exact eigenvalues.
    pub fn is_invariant(&self) -> bool {
        self.invariant
    }

    /// `β_m`, the norm of the last residual `A q_{m−1} − α q_{m−1} − β q_{m−2}` (zero when invariant). The Ritz
    /// pair `(θ_i, Q s_i)` has residual norm `β_m |e_mᵀ s_i|` in exact arithmetic.
    pub fn residual_beta(&self) -> f64 {
        self.residual_beta
    }

    /// `max_j ‖A q_j‖`, a lower bound on `‖A‖₂` used as the scale of relative tolerances.
    pub fn norm_estimate(&self) -> f64 {
        self.norm_estimate
    }

    /// The Ritz vector `Q s` for a coefficient vector `s` of length `m`. Cost `n m`.
    ///
    /// # Panics
    /// If `s.len() != self.steps()`.
    #[track_caller]
    pub fn ritz_vector(&self, s: &[f64]) -> Vec<f64> {
        assert_eq!(s.len(), self.steps(), "coefficient vector length");
        let mut y = vec![0.0; self.dim];
        for (j, &c) in s.iter().enumerate() {
            axpy(c, self.basis_vector(j), &mut y);
        }
        y
    }
}

/// Runs up to `steps` Lanczos steps of `op` from `start` (normalised here), with full reorthogonalisation.
///
/// `steps` is capped at `n`. `rng` supplies fresh vectors after a breakdown under [`OnBreakdown::Restart`]; it is
/// not used otherwise. Cost: `steps` products plus O(n · steps²) flops; memory `n · steps`.
///
/// # Errors
/// [`SimulateError::InvalidArgument`] for a zero dimension, a wrong-length or zero starting vector, or
/// `steps = 0`; [`SimulateError::NonFinite`] if the operator (or a recurrence coefficient) produces NaN or ±∞.
pub fn lanczos_decomposition<O: SymmetricOperator + ?Sized>(
    op: &O,
    start: &[f64],
    steps: usize,
    on_breakdown: OnBreakdown,
    rng: &mut Rng,
) -> Result<LanczosDecomposition, SimulateError> {
    let n = op.dim();
    if n == 0 {
        return Err(SimulateError::invalid("operator dimension", 0, "n >= 1"));
    }
    if steps == 0 {
        return Err(SimulateError::invalid("steps", 0, "steps >= 1"));
    }
    if start.len() != n {
        return Err(SimulateError::invalid(
            "start.len()",
            start.len(),
            format!("the operator dimension {n}"),
        ));
    }
    check_finite("Lanczos starting vector", start)?;
    let start_norm = norm(start);
    if start_norm == 0.0 {
        return Err(SimulateError::invalid(
            "starting vector",
            "the zero vector",
            "a non-zero vector",
        ));
    }
    let max_steps = steps.min(n);
    let mut basis = Vec::with_capacity(n * max_steps);
    basis.extend(start.iter().map(|x| x / start_norm));
    let mut alpha = Vec::with_capacity(max_steps);
    let mut beta: Vec<f64> = Vec::with_capacity(max_steps);
    let mut restarts = Vec::new();
    let mut w = vec![0.0; n];
    let mut h = vec![0.0; max_steps];
    let mut norm_estimate = 0.0_f64;
    let mut n_matvecs = 0;
    let mut invariant = false;
    let mut residual_beta = 0.0;
    for j in 0..max_steps {
        let (done, current) = basis.split_at(j * n);
        apply_checked(op, current, &mut w)?;
        n_matvecs += 1;
        norm_estimate = norm_estimate.max(norm(&w));
        if j > 0 && beta[j - 1] != 0.0 {
            axpy(-beta[j - 1], &done[(j - 1) * n..], &mut w);
        }
        let mut a = dot(current, &w);
        axpy(-a, current, &mut w);
        // Full reorthogonalisation, two passes of classical Gram–Schmidt against q_0..q_j.
        for pass in 0..2 {
            let q = &basis[..(j + 1) * n];
            gram_schmidt_pass(q, n, &mut w, &mut h[..=j]);
            if pass == 0 {
                a += h[j];
            }
        }
        if !a.is_finite() {
            return Err(SimulateError::NonFinite {
                what: "Lanczos coefficient alpha",
                index: j,
            });
        }
        alpha.push(a);
        let b = norm(&w);
        if !b.is_finite() {
            return Err(SimulateError::NonFinite {
                what: "Lanczos coefficient beta",
                index: j,
            });
        }
        let broke_down = b <= BREAKDOWN_REL_TOL * norm_estimate;
        if j + 1 == max_steps {
            residual_beta = if broke_down { 0.0 } else { b };
            invariant = broke_down || max_steps == n;
            break;
        }
        if !broke_down {
            beta.push(b);
            basis.extend(w.iter().map(|x| x / b));
            continue;
        }
        if on_breakdown == OnBreakdown::Stop {
            invariant = true;
            break;
        }
        match fresh_orthogonal_vector(&basis, n, rng, &mut h) {
            Some(fresh) => {
                beta.push(0.0);
                restarts.push(j + 1);
                basis.extend_from_slice(&fresh);
            }
            None => {
                invariant = true;
                break;
            }
        }
    }
    let tridiagonal = Tridiagonal::new(alpha, beta)?;
    Ok(LanczosDecomposition {
        tridiagonal,
        basis,
        dim: n,
        n_matvecs,
        restarts,
        invariant,
        residual_beta,
        norm_estimate,
    })
}

/// A unit Gaussian vector orthogonal to the `basis` columns, or `None` if none can be found (the basis spans ℝⁿ
/// numerically).
fn fresh_orthogonal_vector(
    basis: &[f64],
    n: usize,
    rng: &mut Rng,
    h: &mut [f64],
) -> Option<Vec<f64>> {
    let n_cols = basis.len() / n;
    if n_cols >= n {
        return None;
    }
    for _ in 0..FRESH_VECTOR_ATTEMPTS {
        let mut v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(rng)).collect();
        let before = norm(&v);
        for _ in 0..2 {
            gram_schmidt_pass(basis, n, &mut v, &mut h[..n_cols]);
        }
        let after = norm(&v);
        if after > FRESH_VECTOR_MIN_FRACTION * before {
            v.iter_mut().for_each(|x| *x /= after);
            return Some(v);
        }
    }
    None
}

/// One classical Gram–Schmidt pass: `h = Qᵀ w`, `w ← w − Q h`, for `Q` stored column-major with `n` rows.
fn gram_schmidt_pass(q: &[f64], n: usize, w: &mut [f64], h: &mut [f64]) {
    for (hi, col) in h.iter_mut().zip(q.chunks_exact(n)) {
        *hi = dot(col, w);
    }
    for (&hi, col) in h.iter().zip(q.chunks_exact(n)) {
        axpy(-hi, col, w);
    }
}

/// `Σ x_i y_i` with four independent accumulators (f64 throughout).
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0_f64; 4];
    let (xc, xr) = x.split_at(x.len() - x.len() % 4);
    let (yc, yr) = y.split_at(xc.len());
    for (a, b) in xc.chunks_exact(4).zip(yc.chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += a[l] * b[l];
        }
    }
    let tail: f64 = xr.iter().zip(yr).map(|(a, b)| a * b).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `y ← y + a x`.
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// The Euclidean norm.
pub(crate) fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

fn check_finite(what: &'static str, values: &[f64]) -> Result<(), SimulateError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(SimulateError::NonFinite { what, index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::DenseSymmetric;
    use crate::rng;

    fn random_symmetric(n: usize, seed: u64) -> DenseSymmetric {
        let mut r = rng::seeded(seed);
        let g: Vec<f64> = (0..n * n).map(|_| StandardNormal.sample(&mut r)).collect();
        let scale = 1.0 / (2.0 * (n as f64).sqrt());
        let sym: Vec<f64> = (0..n * n)
            .map(|idx| {
                let (i, j) = (idx / n, idx % n);
                (g[i * n + j] + g[j * n + i]) * scale
            })
            .collect();
        DenseSymmetric::from_row_major(n, &sym).unwrap()
    }

    #[test]
    fn full_run_reproduces_whole_spectrum_without_ghosts() {
        // With m = n steps and full reorthogonalisation the Ritz values are all n eigenvalues, each once.
        let (n, seed) = (60, 7);
        let a = random_symmetric(n, seed);
        let exact = a.eigenvalues().unwrap();
        let start: Vec<f64> = (0..n).map(|i| 1.0 + (i as f64).sin()).collect();
        let d = lanczos_decomposition(&a, &start, n, OnBreakdown::Restart, &mut rng::seeded(seed))
            .unwrap();
        assert!(d.is_invariant());
        let theta = d.tridiagonal().eigen().unwrap().0;
        for (t, e) in theta.iter().zip(&exact) {
            assert!((t - e).abs() <= 1e-12, "seed {seed} n {n}: {t} vs {e}");
        }
        // Orthonormality of the basis.
        for i in 0..n {
            for j in 0..=i {
                let g = dot(d.basis_vector(i), d.basis_vector(j));
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((g - want).abs() <= 1e-13, "q{i}·q{j} = {g}");
            }
        }
    }

    /// A rank-r operator `A = Σ c_i u_i u_iᵀ` on coordinate vectors: the Krylov space of a generic start has
    /// dimension r + 1 (including the null space component), so Lanczos breaks down after r + 1 steps.
    struct LowRank {
        n: usize,
        diag: Vec<f64>,
    }

    impl SymmetricOperator for LowRank {
        fn dim(&self) -> usize {
            self.n
        }
        fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
            y.fill(0.0);
            for (i, c) in self.diag.iter().enumerate() {
                y[i] = c * x[i];
            }
            Ok(())
        }
    }

    #[test]
    fn breakdown_on_low_rank_operator_is_detected_and_exact() {
        let op = LowRank {
            n: 50,
            diag: vec![3.0, -2.0, 1.0],
        };
        let start: Vec<f64> = (0..50).map(|i| 1.0 + 0.1 * i as f64).collect();
        let mut r = rng::seeded(1);
        let d = lanczos_decomposition(&op, &start, 20, OnBreakdown::Stop, &mut r).unwrap();
        assert!(d.is_invariant(), "breakdown not detected");
        assert_eq!(
            d.steps(),
            4,
            "Krylov space of a rank-3 operator plus the null direction has dimension 4"
        );
        let theta = d.tridiagonal().eigen().unwrap().0;
        for (t, e) in theta.iter().zip(&[-2.0, 0.0, 1.0, 3.0]) {
            assert!((t - e).abs() <= 1e-13, "{t} vs {e}");
        }
    }

    #[test]
    fn gauss_quadrature_weights_sum_to_one_and_integrate_moments() {
        // T from Lanczos integrates x^p exactly against q₀ for p < 2m: check q₀ᵀA²q₀ = ‖A q₀‖².
        let (n, seed) = (80, 9);
        let a = random_symmetric(n, seed);
        let start: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64) - 5.0).collect();
        let d = lanczos_decomposition(&a, &start, 6, OnBreakdown::Stop, &mut rng::seeded(seed))
            .unwrap();
        let (nodes, weights) = d.tridiagonal().gauss_quadrature().unwrap();
        let total: f64 = weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-14);
        let q0 = d.basis_vector(0);
        let mut aq = vec![0.0; n];
        a.apply(q0, &mut aq).unwrap();
        let exact = dot(&aq, &aq);
        let quad: f64 = nodes.iter().zip(&weights).map(|(x, w)| w * x * x).sum();
        assert!((exact - quad).abs() < 1e-13, "{exact} vs {quad}");
    }
}
