//! Pennington–Worah nonlinear random-feature Gram matrices.

use super::{Ensemble, check_dim, check_positive, gaussian_matrix, gram, product};
use crate::SimulateError;
use crate::network;
use crate::rng::Rng;
use faer::Mat;
use std::sync::Arc;

/// The feature map `f: ℝ → ℝ` of a random-features model, any function with a name for reports (the network's
/// named activations are [`network::Activation`]; this wraps a closure).
///
/// Any closure can be wrapped ([`FeatureMap::new`]); the named activations of the network module convert with
/// `From`, so their formulas ([`network::Activation::value`]) serve both the networks and this ensemble:
///
/// ```
/// use landscape_simulate::ensembles::{FeatureMap, GaussianMoments};
/// use landscape_simulate::network;
/// let tanh = FeatureMap::from(network::Activation::Tanh);
/// assert_eq!(tanh.name(), "tanh");
/// assert_eq!(tanh.eval(0.5), 0.5_f64.tanh());
/// // E tanh²(ξ), ξ ~ N(0, 1) (mpmath): 0.394294490397841.
/// let eta = GaussianMoments::of(&tanh, 1.0)?.eta;
/// assert!((eta - 0.394_294_490_397_841).abs() < 1e-12);
/// # Ok::<(), landscape_simulate::SimulateError>(())
/// ```
#[derive(Clone)]
pub struct FeatureMap {
    name: String,
    f: Arc<dyn Fn(f64) -> f64 + Send + Sync>,
}

impl std::fmt::Debug for FeatureMap {
    fn fmt(&self, fmt: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt.debug_struct("FeatureMap")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl FeatureMap {
    /// Wraps any function or closure.
    pub fn new(name: impl Into<String>, f: impl Fn(f64) -> f64 + Send + Sync + 'static) -> Self {
        Self {
            name: name.into(),
            f: Arc::new(f),
        }
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// f(x).
    pub fn eval(&self, x: f64) -> f64 {
        (self.f)(x)
    }

    /// `f − E f(sξ)`, ξ ~ N(0,1): the activation centred for pre-activations of standard deviation `scale`.
    /// The Pennington–Worah limit assumes this centring.
    pub fn centred(&self, scale: f64) -> Result<Self, SimulateError> {
        let mean = GaussianMoments::of(self, scale)?.mean;
        let f = Arc::clone(&self.f);
        Ok(Self {
            name: format!("centred {}", self.name),
            f: Arc::new(move |x| f(x) - mean),
        })
    }
}

impl From<network::Activation> for FeatureMap {
    /// The named network activation as a closure: [`network::Activation::value`] under its CLI name.
    fn from(activation: network::Activation) -> Self {
        Self::new(activation.name(), move |x| activation.value(x))
    }
}

/// Gaussian moments of an activation at pre-activation scale s = σ_wσ_x (`docs/theory.md` §1.8):
/// `mean = E f(sξ)`, `η = E f(sξ)²`, `ζ = (s E f'(sξ))² = (E ξ f(sξ))²` (Stein's lemma, so f need not be
/// differentiable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianMoments {
    /// E f(sξ).
    pub mean: f64,
    /// η = E f(sξ)².
    pub eta: f64,
    /// ζ = (E ξ f(sξ))².
    pub zeta: f64,
}

/// Half-width of the quadrature interval: the Gaussian weight beyond 12 is below e^{−72} ≈ 5e-32.
const QUAD_HALF_WIDTH: f64 = 12.0;
/// Panels of the composite rule. An even count puts 0 on a panel boundary, so a kink at 0 (ReLU, |x|) costs no
/// accuracy; with h = 0.02 the 5-point rule is exact to ~1e-15 on smooth integrands and O(h²)·(jump in f') ≈ 1e-5
/// locally at a kink elsewhere.
const QUAD_PANELS: usize = 1200;

/// `Σ_i w_i g(x_i) ≈ E g(ξ)`, ξ ~ N(0, 1): composite 5-point Gauss–Legendre on [−12, 12] with the Gaussian density
/// folded into the weights (nodes and weights of [−1, 1] from Abramowitz & Stegun 25.4.29). `g` receives each node
/// and its weight. Cost `5·QUAD_PANELS` evaluations of `g`.
fn for_each_gaussian_node(mut g: impl FnMut(f64, f64)) {
    let a = (5.0 - 2.0 * (10.0_f64 / 7.0).sqrt()).sqrt() / 3.0;
    let b = (5.0 + 2.0 * (10.0_f64 / 7.0).sqrt()).sqrt() / 3.0;
    let wa = (322.0 + 13.0 * 70.0_f64.sqrt()) / 900.0;
    let wb = (322.0 - 13.0 * 70.0_f64.sqrt()) / 900.0;
    let nodes = [(-b, wb), (-a, wa), (0.0, 128.0 / 225.0), (a, wa), (b, wb)];
    let h = 2.0 * QUAD_HALF_WIDTH / QUAD_PANELS as f64;
    let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
    for k in 0..QUAD_PANELS {
        let mid = -QUAD_HALF_WIDTH + (k as f64 + 0.5) * h;
        for &(t, w) in &nodes {
            let x = mid + 0.5 * h * t;
            g(x, 0.5 * h * w * norm * (-0.5 * x * x).exp());
        }
    }
}

impl GaussianMoments {
    /// `E f(sξ)`, `E f(sξ)²` and `(E ξ f(sξ))²` by the composite Gauss–Legendre rule of the module (one pass).
    pub fn of(activation: &FeatureMap, scale: f64) -> Result<Self, SimulateError> {
        check_positive("pre-activation scale", scale)?;
        let (mut m0, mut m2, mut m1x) = (0.0, 0.0, 0.0);
        for_each_gaussian_node(|x, weight| {
            let fx = activation.eval(scale * x);
            m0 += weight * fx;
            m2 += weight * fx * fx;
            m1x += weight * x * fx;
        });
        if !(m0.is_finite() && m2.is_finite() && m1x.is_finite()) {
            return Err(SimulateError::NonFinite {
                what: "Gaussian moments of the activation",
                index: 0,
            });
        }
        Ok(Self {
            mean: m0,
            eta: m2,
            zeta: m1x * m1x,
        })
    }
}

/// Largest |E f(sξ)| accepted as centred, relative to √η: quadrature error is ~1e-14, while an uncentred
/// activation puts a rank-one outlier of size m·mean² into M and changes the limit.
const CENTRING_TOL: f64 = 1e-9;

/// `M = (1/m) Y Yᵀ` (n1 × n1), `Y = f(W X / √n0)`, W n1×n0 with iid N(0, σ_w²), X n0×m with iid N(0, σ_x²).
///
/// Limit (Pennington & Worah 2017, `docs/theory.md` §1.8): `random_features(phi=n0/m, psi=n0/n1, eta=η, zeta=ζ)` with η, ζ
/// the [`GaussianMoments`] of f at s = σ_wσ_x, computed by quadrature at construction. f must be centred
/// (E f(sξ) = 0; see [`FeatureMap::centred`]). Draw order: W, then X. Cost O(n1·n0·m + n1²·m).
#[derive(Debug, Clone)]
pub struct RandomFeatures {
    n0: usize,
    n1: usize,
    m: usize,
    activation: FeatureMap,
    weight_variance: f64,
    data_variance: f64,
    moments: GaussianMoments,
}

impl RandomFeatures {
    /// Validates the sizes (≥ 2), the variances (> 0) and that the activation is centred at s = σ_wσ_x.
    pub fn new(
        n0: usize,
        n1: usize,
        m: usize,
        activation: FeatureMap,
        weight_variance: f64,
        data_variance: f64,
    ) -> Result<Self, SimulateError> {
        let n0 = check_dim("n0", n0)?;
        let n1 = check_dim("n1", n1)?;
        let m = check_dim("m", m)?;
        let weight_variance = check_positive("weight variance", weight_variance)?;
        let data_variance = check_positive("data variance", data_variance)?;
        let scale = (weight_variance * data_variance).sqrt();
        let moments = GaussianMoments::of(&activation, scale)?;
        if moments.mean.abs() > CENTRING_TOL * moments.eta.sqrt().max(1.0) {
            return Err(SimulateError::invalid(
                "activation Gaussian mean",
                moments.mean,
                "0 (centre the activation with FeatureMap::centred)",
            ));
        }
        if moments.eta <= 0.0 {
            return Err(SimulateError::invalid(
                "activation second moment",
                moments.eta,
                "a non-zero activation",
            ));
        }
        Ok(Self {
            n0,
            n1,
            m,
            activation,
            weight_variance,
            data_variance,
            moments,
        })
    }

    /// φ = n0/m.
    pub fn phi(&self) -> f64 {
        self.n0 as f64 / self.m as f64
    }

    /// ψ = n0/n1.
    pub fn psi(&self) -> f64 {
        self.n0 as f64 / self.n1 as f64
    }

    /// The Gaussian moments (η, ζ) used in the limit expression.
    pub fn moments(&self) -> GaussianMoments {
        self.moments
    }
}

impl Ensemble for RandomFeatures {
    fn dim(&self) -> usize {
        self.n1
    }

    fn sample(&self, rng: &mut Rng) -> Mat<f64> {
        let w = gaussian_matrix(self.n1, self.n0, self.weight_variance.sqrt(), rng);
        let x = gaussian_matrix(self.n0, self.m, self.data_variance.sqrt(), rng);
        let mut y = product(w.as_ref(), x.as_ref(), 1.0 / (self.n0 as f64).sqrt());
        for j in 0..self.m {
            for v in y.col_as_slice_mut(j) {
                *v = self.activation.eval(*v);
            }
        }
        gram(y.as_ref(), 1.0 / self.m as f64)
    }

    fn limit_expression(&self) -> Option<String> {
        Some(format!(
            "random_features(phi={}, psi={}, eta={}, zeta={})",
            self.phi(),
            self.psi(),
            self.moments.eta,
            self.moments.zeta
        ))
    }

    fn name(&self) -> &'static str {
        "random_features"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensembles::mean_spectral_moments;
    use std::f64::consts::PI;

    fn relu() -> FeatureMap {
        FeatureMap::from(network::Activation::Relu)
    }

    fn tanh() -> FeatureMap {
        FeatureMap::from(network::Activation::Tanh)
    }

    /// Quadrature against closed forms to 1e-12 (the rule is exact to ~1e-15 here; kinks sit at 0).
    const QUAD_TOL: f64 = 1e-12;

    #[test]
    fn gaussian_moments_match_closed_forms() {
        // Centred ReLU (`docs/theory.md` §1.8): η = 1/2 − 1/(2π), ζ = 1/4; mean of raw ReLU 1/√(2π).
        let raw = GaussianMoments::of(&relu(), 1.0).unwrap();
        assert!((raw.mean - 1.0 / (2.0 * PI).sqrt()).abs() < QUAD_TOL);
        let c = GaussianMoments::of(&relu().centred(1.0).unwrap(), 1.0).unwrap();
        assert!(c.mean.abs() < QUAD_TOL);
        assert!((c.eta - (0.5 - 0.5 / PI)).abs() < QUAD_TOL, "η {}", c.eta);
        assert!((c.zeta - 0.25).abs() < QUAD_TOL, "ζ {}", c.zeta);
        // tanh, mpmath at 30 digits (`quad(f(x)·exp(−x²/2)/√(2π), [−∞, 0, ∞])`): E tanh²(ξ) =
        // 0.394294490397841 (also the Var φ of `docs/theory.md` §A1.2), (E sech²(ξ))² = (E ξ tanh ξ)² = 0.366879164362411.
        let t = GaussianMoments::of(&tanh(), 1.0).unwrap();
        assert!(
            (t.eta - 0.394_294_490_397_841).abs() < QUAD_TOL,
            "η {}",
            t.eta
        );
        assert!(
            (t.zeta - 0.366_879_164_362_411).abs() < QUAD_TOL,
            "ζ {}",
            t.zeta
        );
        // Linear f(x) = x at scale s: η = ζ = s².
        let l = GaussianMoments::of(&FeatureMap::from(network::Activation::Linear), 1.5).unwrap();
        assert!((l.eta - 2.25).abs() < QUAD_TOL && (l.zeta - 2.25).abs() < QUAD_TOL);
    }

    /// The first two trace moments of M: m1 → η, m2 → η²(1 + φ/ψ) + ζ²/ψ (`docs/theory.md` §1.8). Measured by the
    /// example `measure_ensembles random_feature_moment_errors` (10 seeds × 4 draws, n0 = 200, n1 = 300, m = 400):
    /// worst m1 error 0.013; worst m2 error 0.022 (tanh), 0.036 (centred ReLU), 0.054 (centred |x|). The last
    /// carries a bias of +0.036: an activation with an even part has a non-zero second Hermite coefficient c₂, and
    /// the matrix c₂²(w_i·w_j/n0)² has mean ≈ c₂²/n0 off the diagonal, i.e. an O(1) outlier eigenvalue that adds
    /// O(1/n1) to m2 but is invisible in the limit law. 0.08 ≈ 1.5× the worst of 30 runs; dropping the ζ²/ψ term or
    /// swapping φ/ψ moves m2 by > 25 %, so the check discriminates.
    const MOMENT_REL_TOL: f64 = 0.08;

    fn check_moments(act: FeatureMap, wv: f64, dv: f64, seed: u64) {
        let (e1, e2) = moment_errors(act, wv, dv, seed);
        assert!(
            e1.abs() < MOMENT_REL_TOL,
            "seed {seed}: m1 relative error {e1} (tol {MOMENT_REL_TOL})"
        );
        assert!(
            e2.abs() < MOMENT_REL_TOL,
            "seed {seed}: m2 relative error {e2} (tol {MOMENT_REL_TOL})"
        );
    }

    /// Relative errors of m1 against η and m2 against η²(1 + φ/ψ) + ζ²/ψ, mean of 4 draws at n0=200, n1=300, m=400.
    fn moment_errors(act: FeatureMap, wv: f64, dv: f64, seed: u64) -> (f64, f64) {
        let (n0, n1, m) = (200, 300, 400);
        let ens = RandomFeatures::new(n0, n1, m, act, wv, dv).unwrap();
        let GaussianMoments { eta, zeta, .. } = ens.moments();
        let (phi, psi) = (ens.phi(), ens.psi());
        let [m1, m2] = mean_spectral_moments::<2>(&ens, seed, 4).unwrap();
        let want2 = eta * eta * (1.0 + phi / psi) + zeta * zeta / psi;
        (m1 / eta - 1.0, m2 / want2 - 1.0)
    }

    #[test]
    fn random_feature_moments_match_pennington_worah() {
        check_moments(relu().centred(1.0).unwrap(), 1.0, 1.0, 71);
        check_moments(tanh(), 1.0, 1.0, 72);
        // s = σ_wσ_x = √2 with |x| − E|sξ| (ζ = 0: pure MP(n1/m, η)).
        let abs = FeatureMap::new("abs", f64::abs)
            .centred(2f64.sqrt())
            .unwrap();
        check_moments(abs, 2.0, 1.0, 73);
    }

    #[test]
    fn network_activations_convert_with_the_same_formula_and_name() {
        for a in network::Activation::ALL {
            let converted = FeatureMap::from(a);
            assert_eq!(converted.name(), a.name());
            for x in [-3.0, -0.5, 0.0, 0.25, 2.0] {
                let (got, want) = (converted.eval(x), a.value(x));
                assert!(
                    got.to_bits() == want.to_bits(),
                    "{}: f({x}) = {got}, enum {want}",
                    a.name()
                );
            }
        }
    }

    #[test]
    fn random_features_rejects_uncentred_activation_and_bad_sizes() {
        assert!(RandomFeatures::new(10, 10, 10, relu(), 1.0, 1.0).is_err());
        let t = tanh();
        assert!(RandomFeatures::new(1, 10, 10, t.clone(), 1.0, 1.0).is_err());
        assert!(RandomFeatures::new(10, 10, 10, t.clone(), 0.0, 1.0).is_err());
        assert!(
            RandomFeatures::new(10, 10, 10, FeatureMap::new("zero", |_| 0.0), 1.0, 1.0).is_err()
        );
        let ok = RandomFeatures::new(100, 50, 400, t, 1.0, 1.0).unwrap();
        let expr = ok.limit_expression().unwrap();
        assert!(
            expr.starts_with("random_features(phi=0.25, psi=2, eta=0.39429449039"),
            "{expr}"
        );
    }
}
