//! Bulk edges, outliers beyond them, and eigenvector overlaps for spiked models.
//!
//! **Edge estimate.** Most random-matrix bulks end in a square-root edge: near the upper edge `λ₊` the density is
//! `ρ(x) ≈ C √(λ₊ − x)`, so the fraction of eigenvalues above `x` is `(2C/3)(λ₊ − x)^{3/2}` and the k-th largest
//! bulk eigenvalue sits near its classical location `λ_(k) ≈ λ₊ − c (k − ½)^{2/3}`. [`upper_edge`] fits this line
//! in `t_k = (k − ½)^{2/3}` by least squares over `n_fit` bulk eigenvalues (after skipping the `skip` largest,
//! the suspected outliers) and returns the intercept. It uses many eigenvalues, so it fluctuates less than the
//! largest bulk eigenvalue (whose Tracy–Widom fluctuations are `O(n^{−2/3})`) and is not biased below the edge
//! as that eigenvalue is (its mean is `λ₊ + n^{−2/3}·E[TW] < λ₊` for β = 1). The lower edge is the mirror image.
//!
//! **Outliers.** [`outliers_above`] returns the eigenvalues above a threshold the caller computes, typically
//! `edge + scale · s_α` with `s_α` a Tracy–Widom quantile at the chosen level ([`tracy_widom_threshold`]); for a
//! GOE-normalised Wigner matrix `scale = n^{−2/3}`, for sample covariances Johnstone's `σ_np` (see the theory
//! `docs/theory.md` §1.9). This crate does not compute the quantile (it has no theory dependency).
//!
//! **Overlap.** [`eigenvector_overlap`] is `|⟨v, u⟩|² / (‖v‖² ‖u‖²)`. For the rank-one spiked Wigner matrix
//! `W + θ u uᵀ` (semicircle of radius 2) with `θ > 1`, the top eigenvalue tends to `θ + 1/θ` and the overlap to
//! `1 − 1/θ²` (Benaych-Georges & Nadakuditi, Adv. Math. 2011, §3.1).

use crate::SimulateError;

/// Settings of [`upper_edge`] / [`lower_edge`] / [`bulk_edges`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeFitConfig {
    /// Extreme eigenvalues skipped at each end before the fit (suspected outliers).
    pub skip: usize,
    /// Bulk eigenvalues used in the fit at each end (at least 2). A few percent of `n` balances noise (fewer
    /// points) against the bias of the square-root approximation (points far from the edge).
    pub n_fit: usize,
}

impl EdgeFitConfig {
    /// No skipped eigenvalues and `n_fit = max(5, n/40)` for a spectrum of size `n`.
    pub fn for_size(n: usize) -> Self {
        Self {
            skip: 0,
            n_fit: (n / 40).max(5),
        }
    }
}

/// The estimated edges of a single bulk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BulkEdges {
    /// Lower edge `λ₋`.
    pub lower: f64,
    /// Upper edge `λ₊`.
    pub upper: f64,
}

/// The upper bulk edge of `eigenvalues` (any order) by the square-root-edge fit (module docs).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] if `n_fit < 2` or `skip + n_fit` exceeds the number of eigenvalues;
/// [`SimulateError::NonFinite`] for NaN or ±∞.
pub fn upper_edge(eigenvalues: &[f64], config: &EdgeFitConfig) -> Result<f64, SimulateError> {
    let sorted = sorted_checked(eigenvalues, config)?;
    let bulk: Vec<f64> = sorted
        .iter()
        .rev()
        .skip(config.skip)
        .take(config.n_fit)
        .copied()
        .collect();
    Ok(fit_intercept(&bulk))
}

/// The lower bulk edge, mirror image of [`upper_edge`].
///
/// # Errors
/// As [`upper_edge`].
pub fn lower_edge(eigenvalues: &[f64], config: &EdgeFitConfig) -> Result<f64, SimulateError> {
    let sorted = sorted_checked(eigenvalues, config)?;
    let bulk: Vec<f64> = sorted
        .iter()
        .skip(config.skip)
        .take(config.n_fit)
        .map(|x| -x)
        .collect();
    Ok(-fit_intercept(&bulk))
}

/// Both edges of a single bulk.
///
/// # Errors
/// As [`upper_edge`].
pub fn bulk_edges(eigenvalues: &[f64], config: &EdgeFitConfig) -> Result<BulkEdges, SimulateError> {
    Ok(BulkEdges {
        lower: lower_edge(eigenvalues, config)?,
        upper: upper_edge(eigenvalues, config)?,
    })
}

/// `edge + scale · tw_quantile`: an outlier threshold at the level whose Tracy–Widom quantile is `tw_quantile`
/// (e.g. the 0.99 quantile of TW₁ for a false-outlier probability of 1 % on a real symmetric bulk).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] unless all inputs are finite and `scale > 0`.
pub fn tracy_widom_threshold(
    edge: f64,
    scale: f64,
    tw_quantile: f64,
) -> Result<f64, SimulateError> {
    if !(edge.is_finite() && tw_quantile.is_finite()) {
        return Err(SimulateError::invalid(
            "edge / tw_quantile",
            format!("{edge} / {tw_quantile}"),
            "finite values",
        ));
    }
    if !(scale.is_finite() && scale > 0.0) {
        return Err(SimulateError::invalid(
            "scale",
            scale,
            "a positive finite scale",
        ));
    }
    Ok(edge + scale * tw_quantile)
}

/// The eigenvalues strictly above `threshold`, largest first.
pub fn outliers_above(eigenvalues: &[f64], threshold: f64) -> Vec<f64> {
    let mut out: Vec<f64> = eigenvalues
        .iter()
        .copied()
        .filter(|&x| x > threshold)
        .collect();
    out.sort_by(|a, b| b.total_cmp(a));
    out
}

/// The eigenvalues strictly below `threshold`, smallest first.
pub fn outliers_below(eigenvalues: &[f64], threshold: f64) -> Vec<f64> {
    let mut out: Vec<f64> = eigenvalues
        .iter()
        .copied()
        .filter(|&x| x < threshold)
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// The squared overlap `|⟨v, u⟩|² / (‖v‖² ‖u‖²)` ∈ [0, 1], insensitive to the sign and scale of either vector.
///
/// # Errors
/// [`SimulateError::InvalidArgument`] for different lengths or a zero vector; [`SimulateError::NonFinite`] for
/// NaN or ±∞.
pub fn eigenvector_overlap(v: &[f64], u: &[f64]) -> Result<f64, SimulateError> {
    if v.len() != u.len() || v.is_empty() {
        return Err(SimulateError::invalid(
            "vector lengths",
            format!("{} and {}", v.len(), u.len()),
            "equal non-zero lengths",
        ));
    }
    for (what, x) in [("overlap vector v", v), ("overlap vector u", u)] {
        if let Some(index) = x.iter().position(|a| !a.is_finite()) {
            return Err(SimulateError::NonFinite { what, index });
        }
    }
    let (mut vu, mut vv, mut uu) = (0.0, 0.0, 0.0);
    for (a, b) in v.iter().zip(u) {
        vu += a * b;
        vv += a * a;
        uu += b * b;
    }
    if vv == 0.0 || uu == 0.0 {
        return Err(SimulateError::invalid("vector", "zero", "non-zero vectors"));
    }
    Ok((vu * vu / (vv * uu)).min(1.0))
}

fn sorted_checked(eigenvalues: &[f64], config: &EdgeFitConfig) -> Result<Vec<f64>, SimulateError> {
    if config.n_fit < 2 {
        return Err(SimulateError::invalid("n_fit", config.n_fit, "at least 2"));
    }
    if config.skip.saturating_add(config.n_fit) > eigenvalues.len() {
        return Err(SimulateError::invalid(
            "skip + n_fit",
            config.skip.saturating_add(config.n_fit),
            format!("at most the number of eigenvalues {}", eigenvalues.len()),
        ));
    }
    if let Some(index) = eigenvalues.iter().position(|x| !x.is_finite()) {
        return Err(SimulateError::NonFinite {
            what: "eigenvalue",
            index,
        });
    }
    let mut sorted = eigenvalues.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(sorted)
}

/// Least-squares intercept of `y_k = a − c t_k`, `t_k = (k − ½)^{2/3}`, k = 1.., for `y` largest first.
fn fit_intercept(y: &[f64]) -> f64 {
    let t: Vec<f64> = (1..=y.len())
        .map(|k| (k as f64 - 0.5).powf(2.0 / 3.0))
        .collect();
    let count = y.len() as f64;
    let t_mean = t.iter().sum::<f64>() / count;
    let y_mean = y.iter().sum::<f64>() / count;
    let sxy: f64 = t
        .iter()
        .zip(y)
        .map(|(a, b)| (a - t_mean) * (b - y_mean))
        .sum();
    let sxx: f64 = t.iter().map(|a| (a - t_mean).powi(2)).sum();
    let slope = sxy / sxx;
    y_mean - slope * t_mean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::DenseSymmetric;
    use crate::rng;
    use faer::Mat;
    use rand_distr::{Distribution, StandardNormal};

    /// GOE normalised to the semicircle on [−2, 2], plus `theta u uᵀ` with `u = e-vector (1,…,1)/√n`.
    fn spiked_wigner(n: usize, theta: f64, seed: u64) -> (DenseSymmetric, Vec<f64>) {
        let mut r = rng::seeded(seed);
        let g: Mat<f64> = Mat::from_fn(n, n, |_, _| StandardNormal.sample(&mut r));
        let s = 1.0 / (2.0 * n as f64).sqrt();
        let u = vec![1.0 / (n as f64).sqrt(); n];
        let a = Mat::from_fn(n, n, |i, j| {
            (g[(i, j)] + g[(j, i)]) * s + theta * u[i] * u[j]
        });
        (DenseSymmetric::new(a).unwrap(), u)
    }

    #[test]
    fn edge_fit_recovers_semicircle_edges() {
        // Wigner n = 800: edges ±2. Measured over 6 other seeds, the fit's error has mean ≈ +0.001 to +0.007
        // (bias of the square-root approximation over the top 2.5 %) and sd ≈ 0.01 (the largest eigenvalue:
        // mean −0.02, sd 0.019); 0.04 is about 3.5 sd beyond the bias.
        let (n, seed) = (800, 12);
        let (a, _) = spiked_wigner(n, 0.0, seed);
        let eigs = a.eigenvalues().unwrap();
        let edges = bulk_edges(&eigs, &EdgeFitConfig::for_size(n)).unwrap();
        for (got, want) in [(edges.lower, -2.0), (edges.upper, 2.0)] {
            assert!(
                (got - want).abs() < 0.04,
                "seed {seed} n {n}: edge {got} vs {want}"
            );
        }
    }

    #[test]
    fn spiked_wigner_outlier_and_overlap_match_bbp() {
        // θ = 4 > 1: outlier at θ + 1/θ = 4.25 and overlap 1 − 1/θ² = 0.9375 (Benaych-Georges–Nadakuditi).
        // Both fluctuate by O(n^{−1/2}) ≈ 0.035 at n = 800 (sd of the outlier ≈ √(2(1 − θ⁻²)/n) ≈ 0.05);
        // tolerances 0.2 and 0.1 are ≈ 4σ and 3σ.
        let (n, seed, theta) = (800, 5, 4.0);
        let (a, u) = spiked_wigner(n, theta, seed);
        let (eigs, vectors) = a.eigen().unwrap();
        let config = EdgeFitConfig {
            skip: 1,
            ..EdgeFitConfig::for_size(n)
        };
        let edge = upper_edge(&eigs, &config).unwrap();
        assert!(
            (edge - 2.0).abs() < 0.04,
            "seed {seed}: edge {edge} with outlier skipped"
        );
        // TW₁ 0.99 quantile ≈ 2.0234 (Tracy–Widom tables; Bornemann 2010) for a 1 % false-outlier level.
        let threshold = tracy_widom_threshold(edge, (n as f64).powf(-2.0 / 3.0), 2.0234).unwrap();
        let out = outliers_above(&eigs, threshold);
        assert_eq!(
            out.len(),
            1,
            "seed {seed}: outliers {out:?} above {threshold}"
        );
        assert!(
            (out[0] - 4.25).abs() < 0.2,
            "seed {seed} n {n}: outlier {} vs 4.25",
            out[0]
        );
        let top: Vec<f64> = (0..n).map(|i| vectors[(i, n - 1)]).collect();
        let overlap = eigenvector_overlap(&top, &u).unwrap();
        assert!(
            (overlap - 0.9375).abs() < 0.1,
            "seed {seed} n {n}: overlap {overlap} vs 0.9375"
        );
        // A bulk eigenvector is nearly orthogonal to the spike: overlap O(1/n).
        let bulk: Vec<f64> = (0..n).map(|i| vectors[(i, n / 2)]).collect();
        assert!(eigenvector_overlap(&bulk, &u).unwrap() < 0.02);
        assert!(outliers_below(&eigs, -threshold).is_empty());
    }

    #[test]
    fn overlap_is_scale_and_sign_invariant() {
        let v = [1.0, 2.0, -3.0];
        let w: Vec<f64> = v.iter().map(|x| -2.5 * x).collect();
        assert!((eigenvector_overlap(&v, &w).unwrap() - 1.0).abs() < 1e-15);
        assert!(eigenvector_overlap(&[1.0, 0.0], &[0.0, 1.0]).unwrap() == 0.0);
        assert!(eigenvector_overlap(&[0.0, 0.0], &[0.0, 1.0]).is_err());
        assert!(eigenvector_overlap(&[1.0], &[0.0, 1.0]).is_err());
    }

    #[test]
    fn exact_square_root_edge_is_recovered_exactly() {
        // Points at their classical locations 3 − 0.5 (k − ½)^{2/3} lie on the fitted line: intercept 3.
        let eigs: Vec<f64> = (1..=30)
            .map(|k| 3.0 - 0.5 * (k as f64 - 0.5).powf(2.0 / 3.0))
            .collect();
        let edge = upper_edge(&eigs, &EdgeFitConfig { skip: 0, n_fit: 30 }).unwrap();
        assert!((edge - 3.0).abs() < 1e-12, "{edge}");
    }

    #[test]
    fn invalid_edge_fits_are_rejected() {
        let eigs = [1.0, 2.0, 3.0];
        assert!(upper_edge(&eigs, &EdgeFitConfig { skip: 2, n_fit: 2 }).is_err());
        assert!(upper_edge(&eigs, &EdgeFitConfig { skip: 0, n_fit: 1 }).is_err());
        assert!(upper_edge(&[1.0, f64::NAN], &EdgeFitConfig { skip: 0, n_fit: 2 }).is_err());
        assert!(tracy_widom_threshold(2.0, 0.0, 1.0).is_err());
    }
}
