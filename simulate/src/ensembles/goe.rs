//! The Gaussian orthogonal ensemble.

use super::{Ensemble, check_dim, check_positive, gaussian_matrix};
use crate::SimulateError;
use crate::rng::Rng;
use faer::Mat;

/// GOE with **off-diagonal variance v/N and diagonal variance 2v/N**: `M = √(v/(2N)) (A + Aᵀ)`, A iid N(0,1).
///
/// Its ESD tends to the semicircle SC(v) on [−2√v, 2√v] (`docs/theory.md` §1.1), and `N^{2/3}(λ_max/√v − 2) ⇒ TW₁`.
/// Cost O(N²) per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Goe {
    n: usize,
    variance: f64,
}

impl Goe {
    /// Validates `n ≥ 2`, `variance > 0` finite.
    pub fn new(n: usize, variance: f64) -> Result<Self, SimulateError> {
        Ok(Self {
            n: check_dim("n", n)?,
            variance: check_positive("variance", variance)?,
        })
    }

    /// The semicircle variance v (off-diagonal entry variance times N).
    pub fn variance(&self) -> f64 {
        self.variance
    }
}

impl Ensemble for Goe {
    fn dim(&self) -> usize {
        self.n
    }

    fn sample(&self, rng: &mut Rng) -> Mat<f64> {
        let n = self.n;
        let a = gaussian_matrix(n, n, 1.0, rng);
        let scale = (self.variance / (2.0 * n as f64)).sqrt();
        // (A + Aᵀ) is bit-symmetric because floating-point addition commutes.
        Mat::from_fn(n, n, |i, j| scale * (a[(i, j)] + a[(j, i)]))
    }

    fn limit_expression(&self) -> Option<String> {
        Some(format!("semicircle(variance={})", self.variance))
    }

    fn name(&self) -> &'static str {
        "goe"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensembles::eigenvalues;
    use crate::ensembles::test_support::{KS_LOG_CONSTANT, ks_bound, ks_distance, semicircle_cdf};
    use crate::rng::{seeded, task_rng};

    #[test]
    fn goe_esd_matches_semicircle() {
        for (n, variance, seed) in [(400, 1.0, 21), (300, 3.0, 22)] {
            let ens = Goe::new(n, variance).unwrap();
            let evals = eigenvalues(&ens.sample(&mut seeded(seed))).unwrap();
            let ks = ks_distance(&evals, |x| semicircle_cdf(x, variance));
            let bound = ks_bound(n);
            assert!(
                ks < bound,
                "seed {seed}, n {n}, variance {variance}: KS {ks} >= bound {bound} (C = {KS_LOG_CONSTANT})"
            );
        }
    }

    #[test]
    fn goe_entry_variances_are_v_over_n_off_diagonal_and_twice_that_on_it() {
        let n = 200;
        let ens = Goe::new(n, 2.0).unwrap();
        let m = ens.sample(&mut seeded(23));
        let (mut off, mut n_off, mut diag) = (0.0, 0.0, 0.0);
        for j in 0..n {
            diag += m[(j, j)] * m[(j, j)];
            for i in (j + 1)..n {
                off += m[(i, j)] * m[(i, j)];
                n_off += 1.0;
            }
        }
        let off = off / n_off * n as f64;
        let diag = diag / n as f64 * n as f64;
        // Off-diagonal: 19900 squared N(0,1)·v values, relative sd √(2/19900) = 0.010; 5 sd.
        assert!(
            (off - 2.0).abs() < 2.0 * 0.05,
            "off-diagonal v estimate {off}"
        );
        // Diagonal: 200 values, relative sd √(2/200) = 0.1; 4 sd.
        assert!(
            (diag - 4.0).abs() < 4.0 * 0.4,
            "diagonal 2v estimate {diag}"
        );
    }

    /// TW₁ mean, Tracy & Widom 1996; also Bornemann 2010 Table 4: −1.2065335745820.
    const TW1_MEAN: f64 = -1.206_533_574_582;
    /// TW₁ standard deviation √1.6077810345 (same sources).
    const TW1_SD: f64 = 1.267_983_1;
    /// Finite-N bias of the mean at N = 200: O(N^{-2/3}) and negative. `docs/theory.md` §1.1 report −1.29 at N = 400;
    /// the example `measure_ensembles goe_tracy_widom_bias` (2000 repeats at N = 200) gives mean −1.294, bias
    /// −0.088 ± 0.028. Allowed: 0.2, about twice the bias.
    const TW_FINITE_N_BIAS: f64 = 0.2;

    #[test]
    fn goe_scaled_top_eigenvalue_mean_is_tracy_widom_one() {
        let (n, reps, seed) = (200usize, 200usize, 24u64);
        let ens = Goe::new(n, 1.0).unwrap();
        let scale = (n as f64).powf(2.0 / 3.0);
        let stats: Vec<f64> = (0..reps)
            .map(|r| {
                let evals = eigenvalues(&ens.sample(&mut task_rng(seed, r as u64))).unwrap();
                scale * (evals[n - 1] - 2.0)
            })
            .collect();
        let mean = stats.iter().sum::<f64>() / reps as f64;
        let var = stats.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (reps - 1) as f64;
        // 3.29 standard errors: two-sided false-failure probability 0.001 (CLT), plus the bias allowance.
        let tol = 3.29 * TW1_SD / (reps as f64).sqrt() + TW_FINITE_N_BIAS;
        assert!(
            (mean - TW1_MEAN).abs() < tol,
            "seed {seed}, N {n}, reps {reps}: mean {mean} vs TW1 {TW1_MEAN}, tol {tol}"
        );
        // The variance of the sample variance of a TW₁ law (kurtosis ≈ 3.17) over 200 draws has relative sd
        // ≈ √(2.17/200) ≈ 0.10; allow ±40 % (4 sd) around 1.6078.
        assert!(
            (var / (TW1_SD * TW1_SD) - 1.0).abs() < 0.4,
            "seed {seed}, N {n}, reps {reps}: variance {var} vs TW1 1.6078"
        );
    }

    #[test]
    fn goe_rejects_bad_arguments() {
        assert!(Goe::new(1, 1.0).is_err());
        assert!(Goe::new(10, -1.0).is_err());
        assert!(Goe::new(10, f64::INFINITY).is_err());
    }
}
