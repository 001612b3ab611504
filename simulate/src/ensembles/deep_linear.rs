//! Input–output Jacobians of deep linear networks, `J = W_L ⋯ W_1`.

use super::{Ensemble, check_dim, check_positive, gaussian_matrix, gram, haar_stiefel, product};
use crate::SimulateError;
use crate::rng::Rng;
use faer::Mat;

/// How the weight matrices of a [`DeepLinearJacobian`] are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightLaw {
    /// iid N(0, σ²/N_{l−1}) entries (fan-in scaling).
    Gaussian,
    /// σ times a Haar-random matrix with orthonormal rows or columns (whichever is shorter): every singular
    /// value equals σ.
    Orthogonal,
}

/// `JJᵀ` (N_L × N_L) for `J = W_L ⋯ W_1`, with `W_l` of shape N_l × N_{l−1} and widths `[N_0, N_1, …, N_L]`.
///
/// **Limit (Gaussian weights).** With the rescaling rule of `docs/theory.md` §0 applied layer by layer (derivation below),
///
/// `ESD(JJᵀ) → MP(N_L/N_0, σ²) ⊠ MP(N_L/N_1, σ²) ⊠ ⋯ ⊠ MP(N_L/N_{L−1}, σ²)`,
///
/// i.e. `S(z) = Π_{l=1}^{L} 1/(σ²(1 + z N_L/N_{l−1}))`. For equal widths and σ² = 1 this is the Fuss–Catalan
/// law FC_L (`docs/theory.md` §1.4), with moments C((L+1)k, k)/(Lk+1). The expression is `fuss_catalan(depth=L)` in that
/// case (L ≥ 2), otherwise the left-nested `free_product(free_product(mp(..), mp(..)), ..)`, or a single `mp(..)`
/// for L = 1.
///
/// *Derivation.* Let μ_l be the ESD of J_l J_lᵀ on ℝ^{N_l} and c_l = N_{l−1}/N_l. The nonzero spectrum of
/// `W_l A W_lᵀ` equals that of `A^{1/2} W_lᵀW_l A^{1/2}` on ℝ^{N_{l−1}}, and `W_lᵀW_l` there has law
/// MP(c_l, σ²/c_l) (the companion of MP(1/c_l, σ²), `docs/theory.md` §1.2). So ν = μ_{l−1} ⊠ MP(c_l, σ²/c_l), and moving back
/// to ℝ^{N_l} multiplies every moment by c_l (ψ_{μ_l} = c_l ψ_ν), hence `S_{μ_l}(z) = S_ν(z/c_l)(1+z)/(c_l+z)`
/// (`docs/theory.md` §0) `= S_{μ_{l−1}}(z/c_l) / (σ²(1 + z/c_l))`. Induction from μ_0 = δ_1 gives the product above. The
/// tests check m1, m2, m3 against this law for unequal widths.
///
/// **Orthogonal weights.** For equal widths every singular value of J is σ^L, so the limit is a point mass, which
/// the law-expression vocabulary lacks; for unequal widths it is a free product of projections. Both give `None`.
///
/// Draw order: W_1, …, W_L. Cost O(Σ_l N_l N_{l−1} N_0 + N_L² N_0) per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepLinearJacobian {
    widths: Vec<usize>,
    weights: WeightLaw,
    variance: f64,
}

impl DeepLinearJacobian {
    /// `widths = [N_0, …, N_L]` with L ≥ 1 layers and every width ≥ 2; `variance = σ² > 0`.
    pub fn new(widths: &[usize], weights: WeightLaw, variance: f64) -> Result<Self, SimulateError> {
        if widths.len() < 2 {
            return Err(SimulateError::invalid(
                "widths",
                format!("{widths:?}"),
                "at least two widths [N_0, N_1, ...] (one layer)",
            ));
        }
        for &w in widths {
            check_dim("width", w)?;
        }
        Ok(Self {
            widths: widths.to_vec(),
            weights,
            variance: check_positive("variance", variance)?,
        })
    }

    /// The number of layers L.
    pub fn depth(&self) -> usize {
        self.widths.len() - 1
    }

    /// The widths `[N_0, …, N_L]`.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// Draws `W_l` (rows × cols).
    fn weight(&self, rows: usize, cols: usize, rng: &mut Rng) -> Mat<f64> {
        match self.weights {
            WeightLaw::Gaussian => {
                gaussian_matrix(rows, cols, (self.variance / cols as f64).sqrt(), rng)
            }
            WeightLaw::Orthogonal => {
                let sigma = self.variance.sqrt();
                let q = if rows >= cols {
                    haar_stiefel(rows, cols, rng)
                } else {
                    haar_stiefel(cols, rows, rng).transpose().to_owned()
                };
                Mat::from_fn(rows, cols, |i, j| sigma * q[(i, j)])
            }
        }
    }

    /// Draws the Jacobian J = W_L ⋯ W_1 itself (N_L × N_0).
    pub fn sample_jacobian(&self, rng: &mut Rng) -> Mat<f64> {
        let mut j = self.weight(self.widths[1], self.widths[0], rng);
        for l in 2..self.widths.len() {
            let w = self.weight(self.widths[l], self.widths[l - 1], rng);
            j = product(w.as_ref(), j.as_ref(), 1.0);
        }
        j
    }
}

impl Ensemble for DeepLinearJacobian {
    fn dim(&self) -> usize {
        self.widths[self.widths.len() - 1]
    }

    fn sample(&self, rng: &mut Rng) -> Mat<f64> {
        let j = self.sample_jacobian(rng);
        gram(j.as_ref(), 1.0)
    }

    fn limit_expression(&self) -> Option<String> {
        if self.weights == WeightLaw::Orthogonal {
            return None;
        }
        let square = self.widths.iter().all(|&w| w == self.widths[0]);
        if square && self.depth() >= 2 && self.variance.to_bits() == 1f64.to_bits() {
            return Some(format!("fuss_catalan(depth={})", self.depth()));
        }
        let out = self.dim() as f64;
        let factor = |l: usize| {
            format!(
                "mp(ratio={}, variance={})",
                out / self.widths[l] as f64,
                self.variance
            )
        };
        let mut expr = factor(0);
        for l in 1..self.depth() {
            expr = format!("free_product({expr}, {})", factor(l));
        }
        Some(expr)
    }

    fn name(&self) -> &'static str {
        "deep_linear_jacobian"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensembles::{eigenvalues, mean_spectral_moments};
    use crate::rng::seeded;

    fn binomial(n: u64, k: u64) -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    /// Fuss–Catalan moment C((L+1)k, k)/(Lk+1) (`docs/theory.md` §1.4).
    fn fuss_catalan(depth: u64, k: u64) -> f64 {
        binomial((depth + 1) * k, k) / (depth * k + 1) as f64
    }

    /// Products of Gaussian layers have heavy top tails, so m3 fluctuates most. Measured by the example
    /// `measure_ensembles deep_linear_moment_errors` (10 seeds × 8 draws per configuration): worst relative error
    /// 0.037 (square, L = 3, k = 3) and 0.053 (widths [150, 300, 200], k = 3); the mean error (finite-size bias) is
    /// ≤ 0.017 and halves when the widths double ([150, 300, 200] → [300, 600, 400]: m3 bias 0.0127 → 0.0057),
    /// as O(1/N) should. 0.1 is ≈ 1.9× the worst of 60 runs. A wrong ratio convention (e.g. N_l/N_{l−1}) moves m2
    /// by > 20 % for these widths, so the check discriminates.
    const MOMENT_REL_TOL: f64 = 0.1;

    #[test]
    fn square_gaussian_jacobian_moments_are_fuss_catalan() {
        for (depth, seed) in [(1usize, 61u64), (2, 62), (3, 63)] {
            let n = 200;
            let ens =
                DeepLinearJacobian::new(&vec![n; depth + 1], WeightLaw::Gaussian, 1.0).unwrap();
            let expected = if depth == 1 {
                "mp(ratio=1, variance=1)".to_string()
            } else {
                format!("fuss_catalan(depth={depth})")
            };
            assert_eq!(ens.limit_expression().unwrap(), expected);
            let m = mean_spectral_moments::<3>(&ens, seed, 8).unwrap();
            for k in 1..=3 {
                let want = fuss_catalan(depth as u64, k as u64);
                let got = m[k - 1];
                assert!(
                    (got - want).abs() < MOMENT_REL_TOL * want,
                    "seed {seed}, N {n}, L {depth}, k {k}: moment {got} vs Fuss–Catalan {want}"
                );
            }
        }
    }

    /// Moments of MP(λ₁,1) ⊠ MP(λ₂,1) (`docs/theory.md` §1.4, checked there by sympy and simulation):
    /// m2 = 1 + λ₁ + λ₂, m3 = 1 + 3λ₁ + 3λ₂ + λ₁² + 3λ₁λ₂ + λ₂².
    #[test]
    fn rectangular_gaussian_jacobian_matches_nested_free_product_of_mp() {
        for (widths, seed) in [
            ([300usize, 150, 200], 64u64),
            ([150, 300, 200], 65),
            ([200, 400, 100], 66),
        ] {
            let v = 1.5;
            let ens = DeepLinearJacobian::new(&widths, WeightLaw::Gaussian, v).unwrap();
            let out = widths[2] as f64;
            let (l1, l2) = (out / widths[0] as f64, out / widths[1] as f64);
            assert_eq!(
                ens.limit_expression().unwrap(),
                format!("free_product(mp(ratio={l1}, variance=1.5), mp(ratio={l2}, variance=1.5))")
            );
            let want = [
                v * v,
                v.powi(4) * (1.0 + l1 + l2),
                v.powi(6) * (1.0 + 3.0 * l1 + 3.0 * l2 + l1 * l1 + 3.0 * l1 * l2 + l2 * l2),
            ];
            let m = mean_spectral_moments::<3>(&ens, seed, 8).unwrap();
            for k in 0..3 {
                assert!(
                    (m[k] - want[k]).abs() < MOMENT_REL_TOL * want[k],
                    "seed {seed}, widths {widths:?}, k {}: moment {} vs free product {}",
                    k + 1,
                    m[k],
                    want[k]
                );
            }
        }
    }

    #[test]
    fn square_orthogonal_jacobian_is_an_isometry_times_sigma_to_the_depth() {
        let ens =
            DeepLinearJacobian::new(&[100, 100, 100, 100], WeightLaw::Orthogonal, 2.0).unwrap();
        let ev = eigenvalues(&ens.sample(&mut seeded(67))).unwrap();
        // Every eigenvalue of JJᵀ is σ^{2L} = 8, up to rounding O(L·√N·ε).
        for x in ev {
            assert!((x - 8.0).abs() < 1e-11, "seed 67: eigenvalue {x} vs 8");
        }
        assert!(ens.limit_expression().is_none());
    }

    #[test]
    fn rectangular_orthogonal_weights_have_unit_singular_values() {
        let ens = DeepLinearJacobian::new(&[30, 50], WeightLaw::Orthogonal, 1.0).unwrap();
        // W is 50×30 with orthonormal columns: JJᵀ is a rank-30 projection on ℝ⁵⁰.
        let ev = eigenvalues(&ens.sample(&mut seeded(68))).unwrap();
        let ones = ev.iter().filter(|x| (*x - 1.0).abs() < 1e-12).count();
        let zeros = ev.iter().filter(|x| x.abs() < 1e-12).count();
        assert_eq!((ones, zeros), (30, 20));
        let wide = DeepLinearJacobian::new(&[50, 30], WeightLaw::Orthogonal, 1.0).unwrap();
        let ev = eigenvalues(&wide.sample(&mut seeded(69))).unwrap();
        assert!(ev.iter().all(|x| (x - 1.0).abs() < 1e-12));
    }

    #[test]
    fn square_widths_with_other_variance_nest_free_products() {
        let ens = DeepLinearJacobian::new(&[50, 50, 50], WeightLaw::Gaussian, 2.0).unwrap();
        assert_eq!(
            ens.limit_expression().unwrap(),
            "free_product(mp(ratio=1, variance=2), mp(ratio=1, variance=2))"
        );
    }

    #[test]
    fn single_layer_limit_is_plain_marchenko_pastur() {
        let ens = DeepLinearJacobian::new(&[400, 100], WeightLaw::Gaussian, 1.0).unwrap();
        assert_eq!(
            ens.limit_expression().unwrap(),
            "mp(ratio=0.25, variance=1)"
        );
    }

    #[test]
    fn deep_linear_rejects_bad_widths() {
        assert!(DeepLinearJacobian::new(&[10], WeightLaw::Gaussian, 1.0).is_err());
        assert!(DeepLinearJacobian::new(&[10, 1, 10], WeightLaw::Gaussian, 1.0).is_err());
        assert!(DeepLinearJacobian::new(&[10, 10], WeightLaw::Orthogonal, 0.0).is_err());
    }
}
