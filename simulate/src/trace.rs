//! Stochastic trace estimation: Hutchinson and Hutch++, each with a standard error.
//!
//! **Hutchinson** (1989): for probes `g` with `E[g gᵀ] = I`, `gᵀ A g` is an unbiased estimate of `tr A`. With
//! Rademacher probes its variance is `2 (‖A‖_F² − Σ_i a_ii²)`; with Gaussian probes `2 ‖A‖_F²`. The estimate is
//! the mean over `N` probes and its standard error the sample standard deviation over `√N`.
//!
//! **Hutch++** (Meyer, Musco, Musco, Woodruff, *Hutch++: Optimal Stochastic Trace Estimation*, SOSA 2021,
//! Algorithm 1): with a budget of `m` products, draw `S` with `m/3` random columns, let `Q` be an orthonormal
//! basis of `A S`, and estimate
//!
//! ```text
//! tr A ≈ tr(Qᵀ A Q) + (3/m) Σ_{g} gᵀ (I − QQᵀ) A (I − QQᵀ) g
//! ```
//!
//! The first term is computed exactly (`m/3` products); the second is Hutchinson on the deflated operator
//! (`m/3` probes). For a spectrum with decaying eigenvalues the error falls like `1/m` instead of `1/√m`. The
//! reported standard error is that of the Hutchinson part (the deflated part is exact given `Q`).
//!
//! Probe `p` is drawn from [`crate::rng::task_rng`]`(seed, p)`, so results depend only on the seed.

use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::SimulateError;
use crate::lanczos::{axpy, dot, norm};
use crate::operator::{SymmetricOperator, apply_checked};
use crate::rng::{self, Rng};

/// The distribution of a random probe vector; both have `E[g gᵀ] = I`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeKind {
    /// Independent ±1 entries: the lowest-variance choice for trace estimation, `‖g‖² = n` exactly.
    #[default]
    Rademacher,
    /// Independent standard normal entries.
    Gaussian,
}

impl ProbeKind {
    /// Fills `out` with a probe of this kind drawn from `rng`.
    pub fn fill(self, rng: &mut Rng, out: &mut [f64]) {
        match self {
            ProbeKind::Rademacher => {
                for chunk in out.chunks_mut(64) {
                    let bits = rng.next_u64();
                    for (b, x) in chunk.iter_mut().enumerate() {
                        *x = if (bits >> b) & 1 == 1 { 1.0 } else { -1.0 };
                    }
                }
            }
            ProbeKind::Gaussian => {
                for x in out.iter_mut() {
                    *x = StandardNormal.sample(rng);
                }
            }
        }
    }
}

/// A trace estimate with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceEstimate {
    /// The estimate of `tr A`.
    pub value: f64,
    /// The standard error of `value` (sample standard deviation of the per-probe estimates over `√N`).
    pub std_error: f64,
    /// Products with `A` made.
    pub n_matvecs: usize,
}

/// Hutchinson's estimator of `tr A` with `n_probes` probes of `kind`, probe `p` from `task_rng(seed, p)`.
///
/// Cost: `n_probes` products and O(n) memory.
///
/// # Errors
/// [`SimulateError::InvalidArgument`] if `n_probes < 2` (a standard error needs two probes) or the operator has
/// dimension 0; [`SimulateError::NonFinite`] if the operator returns NaN or ±∞.
pub fn hutchinson<O: SymmetricOperator + ?Sized>(
    op: &O,
    n_probes: usize,
    kind: ProbeKind,
    seed: u64,
) -> Result<TraceEstimate, SimulateError> {
    let n = op.dim();
    check_dim(n)?;
    if n_probes < 2 {
        return Err(SimulateError::invalid("n_probes", n_probes, "at least 2"));
    }
    let mut g = vec![0.0; n];
    let mut ag = vec![0.0; n];
    let mut samples = Vec::with_capacity(n_probes);
    for p in 0..n_probes {
        kind.fill(&mut rng::task_rng(seed, p as u64), &mut g);
        apply_checked(op, &g, &mut ag)?;
        samples.push(dot(&g, &ag));
    }
    let (mean, std_error) = mean_and_std_error(&samples);
    Ok(TraceEstimate {
        value: mean,
        std_error,
        n_matvecs: n_probes,
    })
}

/// Hutch++ estimator of `tr A` with a budget of `n_matvecs` products (Rademacher probes).
///
/// `n_matvecs` is split into three equal parts `s = n_matvecs / 3`: `s` sketch products `A S`, `s` products for
/// `tr(Qᵀ A Q)`, and `s` Hutchinson probes of the deflated operator. The sketch is drawn from
/// `task_rng(seed, p)` for `p < s` and the Hutchinson probes from `p ≥ s`. Cost: `3s` products, O(n s²) flops
/// for the orthonormalisation, O(n s) memory.
///
/// # Errors
/// [`SimulateError::InvalidArgument`] if `n_matvecs < 6` (two Hutchinson probes are needed for a standard
/// error) or the dimension is 0; [`SimulateError::NonFinite`] if the operator returns NaN or ±∞.
pub fn hutch_plus_plus<O: SymmetricOperator + ?Sized>(
    op: &O,
    n_matvecs: usize,
    seed: u64,
) -> Result<TraceEstimate, SimulateError> {
    let n = op.dim();
    check_dim(n)?;
    if n_matvecs < 6 {
        return Err(SimulateError::invalid("n_matvecs", n_matvecs, "at least 6"));
    }
    let s = n_matvecs / 3;
    // Sketch: Y = A S, orthonormalised (rank-revealing: dependent columns are dropped).
    let mut g = vec![0.0; n];
    let mut y = vec![0.0; n];
    let mut q: Vec<f64> = Vec::with_capacity(n * s.min(n));
    let mut h = vec![0.0; s];
    for p in 0..s {
        ProbeKind::Rademacher.fill(&mut rng::task_rng(seed, p as u64), &mut g);
        apply_checked(op, &g, &mut y)?;
        let before = norm(&y);
        let n_cols = q.len() / n;
        for _ in 0..2 {
            project_out(&q, n, &mut y, &mut h[..n_cols]);
        }
        let after = norm(&y);
        // A column left with less than 1e-10 of its norm lies in span(Q) up to round-off.
        if after > 1e-10 * before && n_cols < n {
            q.extend(y.iter().map(|v| v / after));
        }
    }
    let mut n_products = s;
    // Exact part: tr(Qᵀ A Q).
    let mut exact = 0.0;
    for col in q.chunks_exact(n) {
        apply_checked(op, col, &mut y)?;
        n_products += 1;
        exact += dot(col, &y);
    }
    // Hutchinson on (I − QQᵀ) A (I − QQᵀ).
    let n_cols = q.len() / n;
    let mut samples = Vec::with_capacity(s);
    for p in s..(2 * s) {
        ProbeKind::Rademacher.fill(&mut rng::task_rng(seed, p as u64), &mut g);
        project_out(&q, n, &mut g, &mut h[..n_cols]);
        apply_checked(op, &g, &mut y)?;
        n_products += 1;
        samples.push(dot(&g, &y));
    }
    let (mean, std_error) = mean_and_std_error(&samples);
    Ok(TraceEstimate {
        value: exact + mean,
        std_error,
        n_matvecs: n_products,
    })
}

/// `w ← (I − Q Qᵀ) w` for `Q` stored column-major with `n` rows (one classical Gram–Schmidt pass).
fn project_out(q: &[f64], n: usize, w: &mut [f64], h: &mut [f64]) {
    for (hi, col) in h.iter_mut().zip(q.chunks_exact(n)) {
        *hi = dot(col, w);
    }
    for (&hi, col) in h.iter().zip(q.chunks_exact(n)) {
        axpy(-hi, col, w);
    }
}

/// Sample mean and its standard error `s/√N` (`s` the unbiased sample standard deviation).
pub(crate) fn mean_and_std_error(samples: &[f64]) -> (f64, f64) {
    let count = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / count;
    if samples.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (count - 1.0);
    (mean, (var / count).sqrt())
}

fn check_dim(n: usize) -> Result<(), SimulateError> {
    if n == 0 {
        return Err(SimulateError::invalid("operator dimension", 0, "n >= 1"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::DenseSymmetric;

    /// Bound in standard errors for a trace test. Over N ≥ 30 probes the per-probe mean is close to normal
    /// (CLT) and the Student-t tail with 29 degrees of freedom beyond 6 is 1.4e-6, so a correct estimator
    /// fails such a test with probability ≈ 1e-6 (the seed is fixed, so in practice it passes or fails always).
    const Z_FALSE_FAILURE_1E6: f64 = 6.0;

    /// `A = U diag(d) Uᵀ` with `U` a random orthogonal matrix (QR-free: Gram–Schmidt on Gaussian columns) and a
    /// fast-decaying spectrum `d_i = 1/(i+1)²` plus a dense random symmetric part, as Hutch++ targets.
    fn decaying(n: usize, seed: u64) -> (DenseSymmetric, f64) {
        let mut r = rng::seeded(seed);
        let mut u: Vec<f64> = Vec::with_capacity(n * n);
        let mut h = vec![0.0; n];
        for _ in 0..n {
            let mut v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut r)).collect();
            let k = u.len() / n;
            for _ in 0..2 {
                project_out(&u, n, &mut v, &mut h[..k]);
            }
            let nv = norm(&v);
            u.extend(v.iter().map(|x| x / nv));
        }
        let d: Vec<f64> = (0..n).map(|i| 100.0 / ((i + 1) as f64).powi(2)).collect();
        let mut data = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                data[i * n + j] = (0..n).map(|k| u[k * n + i] * d[k] * u[k * n + j]).sum();
            }
        }
        let trace = d.iter().sum();
        (DenseSymmetric::from_row_major(n, &data).unwrap(), trace)
    }

    #[test]
    fn hutchinson_is_within_six_standard_errors_of_exact_trace() {
        let (n, seed, probes) = (120, 5, 60);
        let (a, trace) = decaying(n, seed);
        let est = hutchinson(&a, probes, ProbeKind::Rademacher, seed).unwrap();
        let err = (est.value - trace).abs();
        let bound = Z_FALSE_FAILURE_1E6 * est.std_error;
        assert!(
            err <= bound,
            "seed {seed} n {n}: |{} − {trace}| = {err} > {bound}",
            est.value
        );
        assert_eq!(est.n_matvecs, probes);
        let g = hutchinson(&a, probes, ProbeKind::Gaussian, seed).unwrap();
        assert!((g.value - trace).abs() <= Z_FALSE_FAILURE_1E6 * g.std_error);
    }

    #[test]
    fn hutchinson_standard_error_matches_rademacher_variance_formula() {
        // Var(gᵀAg) = 2(‖A‖_F² − Σ a_ii²) for Rademacher g. The sample variance over N = 400 probes has relative
        // standard deviation ≈ √(2/N)·(kurtosis factor) ≲ 0.2 here; a factor-2 window is a > 5σ band.
        let (n, seed, probes) = (80, 8, 400);
        let (a, _) = decaying(n, seed);
        let m = a.as_mat();
        let mut off = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    off += m[(i, j)] * m[(i, j)];
                }
            }
        }
        let exact_se = (2.0 * off / probes as f64).sqrt();
        let est = hutchinson(&a, probes, ProbeKind::Rademacher, seed).unwrap();
        let ratio = est.std_error / exact_se;
        assert!(
            (0.5..2.0).contains(&ratio),
            "seed {seed}: stderr {} vs exact {exact_se}",
            est.std_error
        );
    }

    #[test]
    fn hutch_plus_plus_is_within_six_standard_errors_and_beats_hutchinson() {
        let (n, seed, budget) = (150, 21, 90);
        let (a, trace) = decaying(n, seed);
        let pp = hutch_plus_plus(&a, budget, seed).unwrap();
        let err = (pp.value - trace).abs();
        let bound = Z_FALSE_FAILURE_1E6 * pp.std_error;
        assert!(
            err <= bound,
            "seed {seed} n {n}: Hutch++ |{} − {trace}| = {err} > {bound}",
            pp.value
        );
        assert_eq!(pp.n_matvecs, budget);
        // With d_i ∝ 1/i², deflating the top 30 directions cuts the standard error by far more than 3.
        let h = hutchinson(&a, budget, ProbeKind::Rademacher, seed).unwrap();
        assert!(
            pp.std_error * 3.0 < h.std_error,
            "Hutch++ stderr {} not well below Hutchinson's {}",
            pp.std_error,
            h.std_error
        );
    }

    #[test]
    fn hutch_plus_plus_is_exact_for_low_rank_operator() {
        // rank(A) = 3 < s: Q spans range(A), the deflated part is zero, the estimate is exact.
        let n = 40;
        let mut data = vec![0.0; n * n];
        for (i, c) in [(0, 2.0), (5, -1.0), (9, 4.5)] {
            data[i * n + i] = c;
        }
        let a = DenseSymmetric::from_row_major(n, &data).unwrap();
        let est = hutch_plus_plus(&a, 30, 1).unwrap();
        assert!((est.value - 5.5).abs() <= 1e-12, "{}", est.value);
        assert!(est.std_error <= 1e-12);
    }

    #[test]
    fn invalid_budgets_are_rejected() {
        let (a, _) = decaying(5, 1);
        assert!(hutchinson(&a, 1, ProbeKind::Rademacher, 0).is_err());
        assert!(hutch_plus_plus(&a, 5, 0).is_err());
    }
}
