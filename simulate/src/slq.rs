//! Stochastic Lanczos quadrature (SLQ): the spectral density of a large symmetric operator from a few Lanczos
//! runs.
//!
//! For a probe `v` (Rademacher or Gaussian, `E[v vᵀ] = I`) and `q = v/‖v‖`, `m` Lanczos steps from `q` give a
//! tridiagonal `T` whose Gauss rule (nodes `θ_i` = eigenvalues of `T`, weights `τ_i` = squared first components
//! of its eigenvectors) approximates the spectral measure of `A` seen from `q`:
//!
//! ```text
//! q ᵀ f(A) q = Σ_j ⟨q, u_j⟩² f(λ_j) ≈ Σ_i τ_i f(θ_i),
//! ```
//!
//! exactly for polynomials of degree `< 2m`. Averaging over probes estimates the empirical spectral measure
//! `(1/n) Σ_j δ_{λ_j}` (Ubaru, Chen, Saad, SIMAX 2017; Lin, Saad, Yang, SIAM Review 2016; used on network
//! Hessians by Ghorbani, Krishnan, Xiao, ICML 2019).
//!
//! * The **combined measure** puts weight `τ_i / P` on each node of each of the `P` probes; it is a probability
//!   measure. Its CDF is a step function; by the Chebyshev–Markov–Stieltjes inequalities, a single probe's Gauss
//!   CDF is within `max_i τ_i` of the probe's exact spectral CDF.
//! * The **density** convolves the combined measure with a Gaussian of **standard deviation** `σ` (not variance):
//!   `ρ_σ(x) = Σ_i w_i exp(−(x − θ_i)²/(2σ²)) / (σ√(2π))`.
//! * **Traces** `tr f(A)` are estimated per probe by `‖v‖² Σ_i τ_i f(θ_i)` (unbiased for polynomials of degree
//!   `< 2m`), with a standard error across probes.
//!
//! Probe `p` is drawn from [`crate::rng::task_rng`]`(seed, p)`: results depend only on the seed, never on the
//! thread count. Cost: `P · m` products plus O(P n m²) flops for reorthogonalisation; memory `n m`.

use crate::SimulateError;
use crate::distance::WeightedSpectrum;
use crate::lanczos::{OnBreakdown, lanczos_decomposition};
use crate::operator::SymmetricOperator;
use crate::rng;
use crate::trace::{ProbeKind, TraceEstimate, mean_and_std_error};

/// Settings of [`slq`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlqConfig {
    /// Lanczos steps per probe (`m`, capped at `n`): the number of quadrature nodes per probe.
    pub steps: usize,
    /// Number of probes `P`.
    pub n_probes: usize,
    /// Probe distribution.
    pub probe: ProbeKind,
    /// Seed; probe `p` uses `task_rng(seed, p)`.
    pub seed: u64,
}

impl Default for SlqConfig {
    /// 80 steps and 10 Rademacher probes (the setting of Ghorbani et al. 2019), seed 0.
    fn default() -> Self {
        Self {
            steps: 80,
            n_probes: 10,
            probe: ProbeKind::Rademacher,
            seed: 0,
        }
    }
}

/// The Gauss quadrature rule of one probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeQuadrature {
    /// Nodes `θ_i` (Ritz values), ascending.
    pub nodes: Vec<f64>,
    /// Weights `τ_i`, summing to 1.
    pub weights: Vec<f64>,
    /// `‖v‖²` of the unnormalised probe (`n` for Rademacher).
    pub probe_norm_sq: f64,
    /// Whether Lanczos broke down (the Krylov space was invariant), making the rule exact for every `f`.
    pub exact: bool,
}

/// The quadrature rules of all probes from [`slq`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralQuadrature {
    dim: usize,
    probes: Vec<ProbeQuadrature>,
    n_matvecs: usize,
}

impl SpectralQuadrature {
    /// The operator dimension `n`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The per-probe rules.
    pub fn probes(&self) -> &[ProbeQuadrature] {
        &self.probes
    }

    /// Products with the operator made.
    pub fn n_matvecs(&self) -> usize {
        self.n_matvecs
    }

    /// The combined measure: all nodes (ascending) with weights `τ_i / P` (summing to 1).
    pub fn measure(&self) -> (Vec<f64>, Vec<f64>) {
        let count = self.probes.len() as f64;
        let mut pairs: Vec<(f64, f64)> = self
            .probes
            .iter()
            .flat_map(|p| {
                p.nodes
                    .iter()
                    .zip(&p.weights)
                    .map(|(&x, &w)| (x, w / count))
            })
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        pairs.into_iter().unzip()
    }

    /// The combined measure as a [`WeightedSpectrum`], for the distances of [`crate::distance`].
    ///
    /// # Errors
    /// Never for a result of [`slq`] (its weights are finite, non-negative and sum to 1).
    pub fn to_spectrum(&self) -> Result<WeightedSpectrum, SimulateError> {
        let (nodes, weights) = self.measure();
        WeightedSpectrum::new(&nodes, &weights)
    }

    /// The CDF of the combined measure at `x`: `Σ_{θ_i ≤ x} w_i` (right-continuous step function).
    pub fn cdf(&self, x: f64) -> f64 {
        let count = self.probes.len() as f64;
        self.probes
            .iter()
            .map(|p| {
                p.nodes
                    .iter()
                    .zip(&p.weights)
                    .filter(|(node, _)| **node <= x)
                    .map(|(_, w)| w)
                    .sum::<f64>()
            })
            .sum::<f64>()
            / count
    }

    /// The smoothed density `ρ_σ(x) = Σ_i w_i φ_σ(x − θ_i)` with `φ_σ` the normal density of **standard
    /// deviation** `sigma`. It integrates to 1.
    ///
    /// # Errors
    /// [`SimulateError::InvalidArgument`] unless `sigma` is positive and finite.
    pub fn density(&self, x: f64, sigma: f64) -> Result<f64, SimulateError> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(SimulateError::invalid(
                "sigma",
                sigma,
                "a positive finite standard deviation",
            ));
        }
        let count = self.probes.len() as f64;
        let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt() * count);
        let total: f64 = self
            .probes
            .iter()
            .flat_map(|p| p.nodes.iter().zip(&p.weights))
            .map(|(&node, &w)| w * (-0.5 * ((x - node) / sigma).powi(2)).exp())
            .sum();
        Ok(total * norm)
    }

    /// [`SpectralQuadrature::density`] at each point of `xs`.
    ///
    /// # Errors
    /// As [`SpectralQuadrature::density`].
    pub fn density_on(&self, xs: &[f64], sigma: f64) -> Result<Vec<f64>, SimulateError> {
        xs.iter().map(|&x| self.density(x, sigma)).collect()
    }

    /// Estimate of `tr f(A)`: the mean over probes of `‖v‖² Σ_i τ_i f(θ_i)`, with its standard error across
    /// probes (NaN for a single probe). `n_matvecs` is the cost of the whole SLQ run.
    pub fn trace_of(&self, f: &dyn Fn(f64) -> f64) -> TraceEstimate {
        let samples: Vec<f64> = self
            .probes
            .iter()
            .map(|p| {
                p.probe_norm_sq
                    * p.nodes
                        .iter()
                        .zip(&p.weights)
                        .map(|(&x, &w)| w * f(x))
                        .sum::<f64>()
            })
            .collect();
        let (value, std_error) = mean_and_std_error(&samples);
        TraceEstimate {
            value,
            std_error,
            n_matvecs: self.n_matvecs,
        }
    }

    /// Estimate of the normalised moment `(1/n) tr A^k`, with its standard error.
    pub fn moment(&self, k: i32) -> TraceEstimate {
        let est = self.trace_of(&|x| x.powi(k));
        let n = self.dim as f64;
        TraceEstimate {
            value: est.value / n,
            std_error: est.std_error / n,
            n_matvecs: est.n_matvecs,
        }
    }
}

/// Stochastic Lanczos quadrature of `op`: `config.n_probes` Lanczos runs of `config.steps` steps.
///
/// Each run uses full reorthogonalisation and stops at a breakdown (the Gauss rule is then exact).
///
/// # Errors
/// [`SimulateError::InvalidArgument`] if `steps` or `n_probes` is 0 or the dimension is 0;
/// [`SimulateError::NonFinite`] if the operator returns NaN or ±∞ (never a silently wrong density).
pub fn slq<O: SymmetricOperator + ?Sized>(
    op: &O,
    config: &SlqConfig,
) -> Result<SpectralQuadrature, SimulateError> {
    let n = op.dim();
    if n == 0 {
        return Err(SimulateError::invalid("operator dimension", 0, "n >= 1"));
    }
    if config.steps == 0 {
        return Err(SimulateError::invalid("steps", 0, "steps >= 1"));
    }
    if config.n_probes == 0 {
        return Err(SimulateError::invalid("n_probes", 0, "n_probes >= 1"));
    }
    let mut probes = Vec::with_capacity(config.n_probes);
    let mut n_matvecs = 0;
    let mut v = vec![0.0; n];
    for p in 0..config.n_probes {
        let mut r = rng::task_rng(config.seed, p as u64);
        config.probe.fill(&mut r, &mut v);
        let probe_norm_sq: f64 = v.iter().map(|x| x * x).sum();
        let decomposition = lanczos_decomposition(op, &v, config.steps, OnBreakdown::Stop, &mut r)?;
        n_matvecs += decomposition.n_matvecs();
        let (nodes, weights) = decomposition.tridiagonal().gauss_quadrature()?;
        probes.push(ProbeQuadrature {
            nodes,
            weights,
            probe_norm_sq,
            exact: decomposition.is_invariant(),
        });
    }
    Ok(SpectralQuadrature {
        dim: n,
        probes,
        n_matvecs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::DenseSymmetric;
    use crate::distance::ks_two_sample;
    use crate::trace::hutchinson;
    use rand_distr::{Distribution, StandardNormal};

    fn wigner(n: usize, seed: u64) -> DenseSymmetric {
        let mut r = rng::seeded(seed);
        let g: Vec<f64> = (0..n * n).map(|_| StandardNormal.sample(&mut r)).collect();
        let scale = 1.0 / (2.0 * n as f64).sqrt();
        let data: Vec<f64> = (0..n * n)
            .map(|idx| {
                let (i, j) = (idx / n, idx % n);
                (g[i * n + j] + g[j * n + i]) * scale
            })
            .collect();
        DenseSymmetric::from_row_major(n, &data).unwrap()
    }

    #[test]
    fn single_probe_gauss_cdf_is_within_largest_weight_of_probe_measure() {
        // Chebyshev–Markov–Stieltjes: |F_Gauss(x) − F_q(x)| ≤ max_i τ_i, where F_q is the exact spectral CDF
        // seen from q, Σ_{λ_j ≤ x} ⟨q,u_j⟩². Deterministic, so the only slack is round-off (1e-10).
        let (n, seed, steps) = (200, 17, 20);
        let a = wigner(n, seed);
        let (lambda, u) = a.eigen().unwrap();
        let config = SlqConfig {
            steps,
            n_probes: 1,
            probe: ProbeKind::Rademacher,
            seed,
        };
        let quad = slq(&a, &config).unwrap();
        let probe = &quad.probes()[0];
        let mut v = vec![0.0; n];
        ProbeKind::Rademacher.fill(&mut rng::task_rng(seed, 0), &mut v);
        let vn = (n as f64).sqrt();
        let exact_weights: Vec<f64> = (0..n)
            .map(|j| ((0..n).map(|i| u[(i, j)] * v[i]).sum::<f64>() / vn).powi(2))
            .collect();
        let exact = WeightedSpectrum::new(&lambda, &exact_weights).unwrap();
        let gauss = WeightedSpectrum::new(&probe.nodes, &probe.weights).unwrap();
        let ks = ks_two_sample(&gauss, &exact);
        let bound = probe.weights.iter().fold(0.0_f64, |m, &w| m.max(w)) + 1e-10;
        assert!(
            ks <= bound,
            "seed {seed} n {n} m {steps}: KS {ks} > max weight {bound}"
        );
        assert!(ks > 0.0);
    }

    #[test]
    fn slq_measure_matches_exact_eigenvalues_in_ks() {
        // KS(SLQ measure, exact spectrum) ≤ (mean over probes of max τ_i) [CMS quadrature error]
        // + 6·√(2/(nP)) [probe noise: Var(F_g(x)) ≤ 2F(x)/n for Rademacher g, averaged over P probes; 6σ gives
        // a pointwise false-failure probability ~1e-9, which leaves room for the sup over x].
        let (n, seed) = (400, 99);
        let a = wigner(n, seed);
        let exact = WeightedSpectrum::from_eigenvalues(&a.eigenvalues().unwrap()).unwrap();
        let config = SlqConfig {
            steps: 60,
            n_probes: 20,
            probe: ProbeKind::Rademacher,
            seed,
        };
        let quad = slq(&a, &config).unwrap();
        let (nodes, weights) = quad.measure();
        let total: f64 = weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        let measure = quad.to_spectrum().unwrap();
        assert_eq!(measure.points(), &nodes[..]);
        let ks = ks_two_sample(&measure, &exact);
        let p = config.n_probes as f64;
        let cms: f64 = quad
            .probes()
            .iter()
            .map(|q| q.weights.iter().fold(0.0_f64, |m, &w| m.max(w)))
            .sum::<f64>()
            / p;
        let bound = cms + 6.0 * (2.0 / (n as f64 * p)).sqrt();
        assert!(ks <= bound, "seed {seed} n {n}: KS {ks} > bound {bound}");
        assert_eq!(quad.n_matvecs(), 60 * 20);
        // The CDF method agrees with the measure.
        assert!((quad.cdf(0.0) - measure.cdf(0.0)).abs() < 1e-12);
    }

    #[test]
    fn slq_trace_of_identity_function_equals_hutchinson_with_same_probes() {
        // ‖v‖² Σ τ θ = vᵀAv exactly (degree 1 < 2m), and SLQ draws the same probes as Hutchinson.
        let (n, seed) = (100, 4);
        let a = wigner(n, seed);
        let config = SlqConfig {
            steps: 10,
            n_probes: 8,
            probe: ProbeKind::Gaussian,
            seed,
        };
        let quad = slq(&a, &config).unwrap();
        let from_slq = quad.trace_of(&|x| x);
        let direct = hutchinson(&a, 8, ProbeKind::Gaussian, seed).unwrap();
        assert!(
            (from_slq.value - direct.value).abs() < 1e-11,
            "{from_slq:?} vs {direct:?}"
        );
        assert!((from_slq.std_error - direct.std_error).abs() < 1e-11);
        // Second moment of the semicircle of radius 2 is 1; SLQ gets (1/n) tr A² within 6 standard errors.
        let m2 = quad.moment(2);
        let exact_m2: f64 = a.as_mat().norm_l2().powi(2) / n as f64;
        assert!(
            (m2.value - exact_m2).abs() <= 6.0 * m2.std_error,
            "{m2:?} vs {exact_m2}"
        );
    }

    #[test]
    fn density_uses_sigma_as_standard_deviation_and_integrates_to_one() {
        let a = DenseSymmetric::from_row_major(2, &[1.0, 0.0, 0.0, 1.0]).unwrap();
        let quad = slq(&a, &SlqConfig::default()).unwrap();
        // A = I: one node at 1 with weight 1 per probe, Lanczos breaks down after one step.
        assert!(quad.probes().iter().all(|p| p.exact && p.nodes.len() == 1));
        let sigma = 0.25;
        let peak = quad.density(1.0, sigma).unwrap();
        let want = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        assert!((peak - want).abs() < 1e-12, "{peak} vs {want}");
        // One standard deviation away the normal density is e^{-1/2} of its peak.
        let ratio = quad.density(1.0 + sigma, sigma).unwrap() / peak;
        assert!((ratio - (-0.5_f64).exp()).abs() < 1e-12);
        // Riemann sum of the density over ±8σ.
        let h = sigma / 100.0;
        let mass: f64 = (-800..=800)
            .map(|i| quad.density(1.0 + i as f64 * h, sigma).unwrap() * h)
            .sum();
        assert!((mass - 1.0).abs() < 1e-9, "mass {mass}");
        assert!(quad.density(0.0, 0.0).is_err());
    }

    struct NanAfterTwo(std::cell::Cell<usize>);
    impl SymmetricOperator for NanAfterTwo {
        fn dim(&self) -> usize {
            16
        }
        fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
            self.0.set(self.0.get() + 1);
            for (i, (yi, xi)) in y.iter_mut().zip(x).enumerate() {
                *yi = (i as f64) * xi;
            }
            if self.0.get() > 2 {
                y[3] = f64::NAN;
            }
            Ok(())
        }
    }

    #[test]
    fn nan_mid_run_is_reported_not_returned_as_density() {
        let err = slq(&NanAfterTwo(std::cell::Cell::new(0)), &SlqConfig::default()).unwrap_err();
        assert!(matches!(err, SimulateError::NonFinite { .. }), "{err}");
    }
}
