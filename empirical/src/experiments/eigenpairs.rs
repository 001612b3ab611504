//! Extreme eigenpairs of a curvature operator by thick-restart Lanczos ([`landscape_simulate::lanczos`]),
//! optionally warm-started from a previous eigenvector.
//!
//! Along a training run the top eigenvector moves slowly, so starting Lanczos from the previous one converges in
//! a few products. The run stops when the pairs have converged (relative residual `tol`, confirmed by explicit
//! products) or when it reaches its cap of products, and says which; its basis never exceeds
//! `max(2k + 20, …)` vectors, so memory stays `O(n k)` however long it runs. A warm start is blended with 1% of
//! a Gaussian vector ([`WARM_START_NOISE`]), so an eigenvector that is no longer the extreme one cannot hide it. Every returned pair carries its residual `‖A v − θ v‖₂`, computed with an explicit product.

use landscape_simulate::SymmetricOperator;
use landscape_simulate::lanczos::{LanczosConfig, Stopped, Which, lanczos_from};
use landscape_simulate::rng::task_rng;
use landscape_simulate::trace::ProbeKind;

use crate::error::EmpiricalError;
use crate::model::from_simulate;

/// The relative residual tolerance of [`extreme_eigenpairs`]: `‖A v − θ v‖ ≤ 1e-8 ‖A‖`. The eigenvalue error is
/// at most that and, for a pair separated from the rest of the spectrum by a gap `δ`, about `1e-16 ‖A‖²/δ`:
/// far below what any experiment here resolves, at a few products more than a looser tolerance.
pub const DEFAULT_EIGENPAIR_TOL: f64 = 1e-8;

/// The smallest relative residual asked of an operator, in units of its [`SymmetricOperator::epsilon`]: the
/// tolerance is raised to `ROUNDOFF_TOL_FACTOR · ε` when the given one is below it. In float64 that is 5.6e-14,
/// below any tolerance used here. For float32 networks it is 3.0e-5: the residuals of their top-5 Hessian pairs
/// stall at 1.3, 8.5 and 56 ε relative to λ_max on a digits MLP, the small CNN and the small ResNet (500 digits,
/// measured with 1000 products), so the factor leaves 4.5× above the worst; the eigenvalue error of a pair
/// separated by a gap δ is then about `r²/δ`, not `r`: against f64, the float32 top-5 moved by at most 1e-6 relative
/// on the MLP, VGG-style and ResNet-style models of `benches/torch_peers.py`.
pub const ROUNDOFF_TOL_FACTOR: f64 = 250.0;

/// Weight of the random vector blended into a warm start (relative to the unit warm start).
///
/// Lanczos never finds an eigenvector its start has no component along, and stops as soon as the pairs it does
/// see have converged. Along training the top two eigenvalues can cross; the previous top eigenvector is then
/// (nearly) the new second one, and an unblended warm start would report λ₂ as λ_max to full accuracy. With 1% of
/// a Gaussian vector, every eigenvector has a component of about 0.01/√n, which keeps the wrong pair's residual
/// above the tolerance until the Krylov space has resolved the true extreme one; the price is a few products to
/// damp the 1% noise.
pub const WARM_START_NOISE: f64 = 1e-2;

/// `s/‖s‖ + WARM_START_NOISE · g/‖g‖`.
fn blend(start: &[f64], noise: &[f64]) -> Result<Vec<f64>, EmpiricalError> {
    if start.len() != noise.len() {
        return Err(EmpiricalError::invalid(
            "start.len()",
            start.len(),
            format!("the operator dimension {}", noise.len()),
        ));
    }
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (s_norm, g_norm) = (norm(start), norm(noise));
    if !(s_norm.is_finite() && s_norm > 0.0) {
        return Err(EmpiricalError::invalid(
            "warm start",
            format!("a vector of norm {s_norm}"),
            "a non-zero finite vector",
        ));
    }
    Ok(start
        .iter()
        .zip(noise)
        .map(|(s, g)| s / s_norm + WARM_START_NOISE * g / g_norm)
        .collect())
}

/// Which end of the spectrum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The largest eigenvalues, descending.
    Top,
    /// The smallest eigenvalues, ascending.
    Bottom,
}

/// Eigenpairs at one end of the spectrum.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigenpairs {
    /// Ritz values: descending for [`End::Top`], ascending for [`End::Bottom`].
    pub values: Vec<f64>,
    /// Unit Ritz vectors, one per value.
    pub vectors: Vec<Vec<f64>>,
    /// `‖A v − θ v‖₂` per pair.
    pub residuals: Vec<f64>,
    /// Whether each pair met the tolerance.
    pub converged: Vec<bool>,
    /// Products with the operator, residuals included.
    pub n_matvecs: usize,
    /// Thick restarts of the Lanczos basis.
    pub restarts: usize,
    /// Why the run stopped.
    pub stopped: Stopped,
    /// The relative residual tolerance the run used (the requested one, raised to the operator's floor
    /// [`ROUNDOFF_TOL_FACTOR`]` · ε`).
    pub tol: f64,
}

impl Eigenpairs {
    /// Whether every pair met the tolerance.
    pub fn all_converged(&self) -> bool {
        self.converged.iter().all(|c| *c)
    }
}

/// `k` extreme eigenpairs of `op` by Lanczos run to the relative tolerance [`DEFAULT_EIGENPAIR_TOL`] with at most
/// `max_matvecs` products, started at `start` or at a Gaussian vector from `task_rng(seed, 0)`.
///
/// # Errors
/// As [`extreme_eigenpairs_to`].
pub fn extreme_eigenpairs(
    op: &dyn SymmetricOperator,
    k: usize,
    end: End,
    max_matvecs: usize,
    start: Option<&[f64]>,
    seed: u64,
) -> Result<Eigenpairs, EmpiricalError> {
    extreme_eigenpairs_to(
        op,
        k,
        end,
        (max_matvecs, DEFAULT_EIGENPAIR_TOL),
        start,
        seed,
    )
}

/// [`extreme_eigenpairs`] with an explicit `(max_matvecs, tol)`: stop when every pair has
/// `‖A v − θ v‖ ≤ tol · ‖A‖` (‖A‖ estimated by the largest Ritz value in magnitude), or after `max_matvecs`
/// products (then [`Eigenpairs::stopped`] is [`Stopped::MaxMatvecs`] and the unconverged pairs are flagged). A
/// `tol` below what the operator's arithmetic resolves is raised to [`ROUNDOFF_TOL_FACTOR`]` · ε`
/// ([`SymmetricOperator::epsilon`]; only float32 operators are affected) and the tolerance used is returned.
///
/// # Errors
/// [`EmpiricalError::InvalidArgument`] if `k = 0`, `k` exceeds `max_matvecs` or the dimension, `tol` is not
/// positive, or `start` has the wrong length or is zero; operator errors.
pub fn extreme_eigenpairs_to(
    op: &dyn SymmetricOperator,
    k: usize,
    end: End,
    (max_matvecs, tol): (usize, f64),
    start: Option<&[f64]>,
    seed: u64,
) -> Result<Eigenpairs, EmpiricalError> {
    let n = op.dim();
    if k == 0 || k > max_matvecs.min(n) {
        return Err(EmpiricalError::invalid(
            "top-k",
            k,
            format!(
                "1..={} (at most the cap of Lanczos products, {max_matvecs}, and the dimension {n})",
                max_matvecs.min(n)
            ),
        ));
    }
    let tol = tol.max(ROUNDOFF_TOL_FACTOR * op.epsilon());
    let mut rng = task_rng(seed, 0);
    let mut noise = vec![0.0; n];
    ProbeKind::Gaussian.fill(&mut rng, &mut noise);
    let start = match start {
        Some(s) => blend(s, &noise)?,
        None => noise,
    };
    let config = LanczosConfig {
        k,
        which: match end {
            End::Top => Which::Top,
            End::Bottom => Which::Bottom,
        },
        tol,
        max_matvecs,
        max_basis: None,
    };
    let result = lanczos_from(op, &start, &config, &mut rng).map_err(from_simulate)?;
    let mut pairs = result.pairs;
    if end == End::Top {
        pairs.reverse();
    }
    Ok(Eigenpairs {
        values: pairs.iter().map(|p| p.value).collect(),
        residuals: pairs.iter().map(|p| p.residual).collect(),
        converged: pairs.iter().map(|p| p.converged).collect(),
        vectors: pairs.into_iter().map(|p| p.vector).collect(),
        n_matvecs: result.n_matvecs,
        restarts: result.n_restarts,
        stopped: result.stopped,
        tol,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use landscape_simulate::dense::DenseSymmetric;

    /// A random symmetric matrix with a known spectrum: `Q diag(d) Qᵀ` is not needed, a diagonal-plus-coupling
    /// matrix compared with the dense solver suffices.
    #[test]
    fn top_and_bottom_pairs_match_the_dense_solver_with_small_residuals() {
        let n = 30;
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = i as f64;
            if i + 1 < n {
                a[i * n + i + 1] = 0.3;
                a[(i + 1) * n + i] = 0.3;
            }
        }
        let dense = DenseSymmetric::from_row_major(n, &a).unwrap();
        let exact = dense.eigenvalues().unwrap();
        // The cap is far above what convergence takes; the assertions below check that it was not reached.
        let top = extreme_eigenpairs(&dense, 3, End::Top, 1000, None, 1).unwrap();
        let bottom = extreme_eigenpairs(&dense, 2, End::Bottom, 1000, None, 1).unwrap();
        // Converged pairs: residual ≤ 1e-8 ‖A‖ ≈ 3e-7 bounds the eigenvalue error; measured ≲ 1e-12 (gaps ≈ 1).
        const TOL: f64 = 1e-9;
        for (j, v) in top.values.iter().enumerate() {
            assert!(
                (v - exact[n - 1 - j]).abs() < TOL,
                "top {j}: {v} vs {}",
                exact[n - 1 - j]
            );
        }
        for (j, v) in bottom.values.iter().enumerate() {
            assert!(
                (v - exact[j]).abs() < TOL,
                "bottom {j}: {v} vs {}",
                exact[j]
            );
        }
        // The stopping rule: residual ≤ tol · max|θ| ≤ tol · ‖A‖.
        let norm_a = exact[n - 1].abs().max(exact[0].abs());
        assert!(
            top.residuals
                .iter()
                .chain(&bottom.residuals)
                .all(|r| *r <= DEFAULT_EIGENPAIR_TOL * norm_a)
        );
        assert!(top.all_converged() && bottom.all_converged());
        // A warm start at the top eigenvector converges at once.
        let warm = extreme_eigenpairs(&dense, 1, End::Top, 40, Some(&top.vectors[0]), 2).unwrap();
        assert!((warm.values[0] - exact[n - 1]).abs() < TOL);
        // A warm start at the second eigenvector (eigenvalues crossed along a trajectory) must not stop there.
        let second = &extreme_eigenpairs(&dense, 2, End::Top, 1000, None, 3)
            .unwrap()
            .vectors[1];
        let warm = extreme_eigenpairs(&dense, 1, End::Top, 200, Some(second), 4).unwrap();
        assert!(
            (warm.values[0] - exact[n - 1]).abs() < TOL,
            "warm start at the second eigenvector: {} vs {}",
            warm.values[0],
            exact[n - 1]
        );
    }
}
