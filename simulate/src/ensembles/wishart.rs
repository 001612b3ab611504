//! The real Wishart (sample covariance) ensemble `S = XXᵀ/n`.

use super::{Ensemble, check_dim, check_positive, gaussian_matrix, gram};
use crate::SimulateError;
use crate::rng::Rng;
use faer::Mat;

/// `S = (1/n) X Xᵀ` (p×p) with X p×n of iid N(0, σ²) entries.
///
/// Its ESD tends to Marchenko–Pastur MP(λ, σ²) with **λ = p/n** (dimension over samples), any λ > 0; for λ > 1
/// the limit has an atom 1 − 1/λ at 0 (`docs/theory.md` §1.2). Cost O(p²n) per sample.
///
/// ```
/// use landscape_simulate::ensembles::{Ensemble, Wishart};
/// use landscape_simulate::rng::seeded;
///
/// let wishart = Wishart::new(100, 400, 2.0)?;
/// assert_eq!(wishart.limit_expression().as_deref(), Some("mp(ratio=0.25, variance=2)"));
/// let s = wishart.sample(&mut seeded(1));
/// // (1/p) tr S → σ² = 2 (the MP mean).
/// let mean = (0..100).map(|i| s[(i, i)]).sum::<f64>() / 100.0;
/// assert!((mean - 2.0).abs() < 0.1);
/// # Ok::<(), landscape_simulate::SimulateError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Wishart {
    p: usize,
    n: usize,
    variance: f64,
}

impl Wishart {
    /// Validates `p ≥ 2`, `n ≥ 2`, `variance > 0` finite.
    pub fn new(p: usize, n: usize, variance: f64) -> Result<Self, SimulateError> {
        Ok(Self {
            p: check_dim("p", p)?,
            n: check_dim("n", n)?,
            variance: check_positive("variance", variance)?,
        })
    }

    /// The aspect ratio λ = p/n.
    pub fn ratio(&self) -> f64 {
        self.p as f64 / self.n as f64
    }

    /// The entry variance σ².
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// The number of samples n.
    pub fn samples(&self) -> usize {
        self.n
    }
}

impl Ensemble for Wishart {
    fn dim(&self) -> usize {
        self.p
    }

    fn sample(&self, rng: &mut Rng) -> Mat<f64> {
        let x = gaussian_matrix(self.p, self.n, self.variance.sqrt(), rng);
        gram(x.as_ref(), 1.0 / self.n as f64)
    }

    fn limit_expression(&self) -> Option<String> {
        Some(format!(
            "mp(ratio={}, variance={})",
            self.ratio(),
            self.variance
        ))
    }

    fn name(&self) -> &'static str {
        "wishart"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensembles::eigenvalues;
    use crate::ensembles::test_support::{KS_LOG_CONSTANT, ks_bound, ks_distance, mp_cdf};
    use crate::rng::seeded;

    fn check_ks(p: usize, n: usize, variance: f64, seed: u64) {
        let ens = Wishart::new(p, n, variance).unwrap();
        // For λ > 1 the p − n exact zero eigenvalues come out as ±1e-15 (rounding floor ≈ p·ε·λ_max ≈ 1e-12),
        // which the KS distance would place beside, not in, the atom at 0: snap |x| < 1e-9 to 0. The smallest
        // non-zero eigenvalue is near σ²(1 − √λ)² ≈ 0.17 here, far above.
        let evals: Vec<f64> = eigenvalues(&ens.sample(&mut seeded(seed)))
            .unwrap()
            .into_iter()
            .map(|x| if x.abs() < 1e-9 { 0.0 } else { x })
            .collect();
        let ratio = ens.ratio();
        let ks = ks_distance(&evals, |x| mp_cdf(x, ratio, variance));
        let bound = ks_bound(p);
        assert!(
            ks < bound,
            "seed {seed}, p {p}, n {n}, variance {variance}: KS {ks} >= bound {bound} (C = {KS_LOG_CONSTANT})"
        );
    }

    #[test]
    fn wishart_esd_matches_marchenko_pastur_below_ratio_one() {
        check_ks(200, 400, 1.0, 11);
        check_ks(300, 400, 2.5, 12);
    }

    #[test]
    fn wishart_esd_matches_marchenko_pastur_with_atom_above_ratio_one() {
        // λ = 2: half the eigenvalues sit at (numerical) zero, which the CDF's atom must absorb.
        check_ks(400, 200, 1.0, 13);
    }

    /// TW₁ mean and standard deviation (Tracy & Widom 1996; Bornemann 2010).
    const TW1_MEAN: f64 = -1.206_533_574_582;
    const TW1_SD: f64 = 1.267_983_1;
    /// Finite-size bias of the Johnstone-centred statistic at n = 400, p = 200: `docs/theory.md` §1.9 reports mean −1.212 over
    /// 2000 repeats (bias −0.006 ± 0.028). Allowed 0.1, the tolerance `docs/theory.md` §1.9 suggests at N ~ 400.
    const JOHNSTONE_BIAS: f64 = 0.1;

    #[test]
    fn wishart_top_eigenvalue_with_johnstone_scaling_is_tracy_widom_one() {
        // Johnstone (2001): for X n×p iid N(0,1), l₁ = λ_max(XᵀX), (l₁ − μ)/σ ⇒ TW₁ with
        // μ = (√(n−1) + √p)², σ = (√(n−1) + √p)(1/√(n−1) + 1/√p)^{1/3}. Here XXᵀ (X p×n) has the same l₁ = n·λ_max(S).
        let (p, n, reps, seed) = (200usize, 400usize, 200u64, 14u64);
        let ens = Wishart::new(p, n, 1.0).unwrap();
        let (a, b) = (((n - 1) as f64).sqrt(), (p as f64).sqrt());
        let mu = (a + b).powi(2);
        let sigma = (a + b) * (1.0 / a + 1.0 / b).cbrt();
        let stats: Vec<f64> = (0..reps)
            .map(|r| {
                let ev = eigenvalues(&ens.sample(&mut crate::rng::task_rng(seed, r))).unwrap();
                (n as f64 * ev[p - 1] - mu) / sigma
            })
            .collect();
        let mean = stats.iter().sum::<f64>() / reps as f64;
        // 3.29 standard errors (two-sided false-failure probability 0.001) plus the finite-size allowance.
        let tol = 3.29 * TW1_SD / (reps as f64).sqrt() + JOHNSTONE_BIAS;
        assert!(
            (mean - TW1_MEAN).abs() < tol,
            "seed {seed}, p {p}, n {n}, reps {reps}: mean {mean} vs TW1 {TW1_MEAN}, tol {tol}"
        );
    }

    #[test]
    fn wishart_limit_expression_uses_ratio_p_over_n() {
        let ens = Wishart::new(300, 600, 2.0).unwrap();
        assert_eq!(ens.limit_expression().unwrap(), "mp(ratio=0.5, variance=2)");
    }

    #[test]
    fn wishart_rejects_bad_arguments() {
        assert!(Wishart::new(1, 10, 1.0).is_err());
        assert!(Wishart::new(10, 1, 1.0).is_err());
        assert!(Wishart::new(10, 10, 0.0).is_err());
        assert!(Wishart::new(10, 10, f64::NAN).is_err());
    }
}
