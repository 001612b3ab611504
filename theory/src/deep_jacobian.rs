//! Spectra of deep-network input–output Jacobians `J = D_L W_L ⋯ D_1 W_1` at initialisation (Pennington,
//! Schoenholz & Ganguli, NeurIPS 2017 "Resurrecting the sigmoid in deep learning through dynamical isometry";
//! AISTATS 2018 "The emergence of spectral universality in deep networks"). `docs/theory.md` §1.5.
//!
//! * [`LinearJacobian`]: the law of `JJᵀ` for a **linear** network (`D_l = I`) with layer widths
//!   `N_0, …, N_L` and weights `W_l` (`N_l × N_{l−1}`) of entry variance `σ_w²/N_{l−1}`:
//!   - Gaussian weights: pushing each `W_lᵀW_l ~ MP(N_{l−1}/N_l, σ_w² N_l/N_{l−1})` through the AB ↔ BA rule of
//!     `docs/theory.md` §0 gives, on the output space `N_L`,
//!     `S_{JJᵀ}(z) = Π_{l=1}^{L} 1 / (σ_w² (1 + r_l z))`, `r_l = N_L / N_{l−1}`.
//!     With `ψ = wG(w) − 1` this is the polynomial equation `w ψ = σ_w^{2L} (1 + ψ) Π_l (1 + r_l ψ)` of degree
//!     `L + 1`, solved by Newton with warm starts and tabulated by [`NumericalLaw`]. For equal widths and
//!     `σ_w = 1` it is the Fuss–Catalan law `FC_L` (`S = (1+z)^{−L}`). The atom at 0 has mass
//!     `1 − min_l N_l / N_L` (the rank of `J`).
//!   - Scaled orthogonal weights, equal widths: `JJᵀ = σ_w^{2L} I`, the point mass `δ_{σ_w^{2L}}`.
//! * [`jacobian_mean_variance`]: mean and variance of the `JJᵀ` spectrum of a nonlinear network with equal
//!   widths from the first two moments `μ_k = E[φ'(h)^{2k}]`, `h ~ N(0, q*)`:
//!   `mean = χ^L`, `variance = χ^{2L}·L·(μ₂/μ₁² − 1 − s₁)` with `χ = σ_w² μ₁`, `s₁ = −1` (Gaussian) or `0`
//!   (orthogonal). At criticality (`χ = 1`) this is PSG's `σ²_{JJᵀ} = L(μ₂/μ₁² − 1 − s₁)`. Derivation: multiply
//!   the expansions `S(z) = (1/m₁)(1 + (1 − m₂/m₁²) z + O(z²))` of the `2L` factors.
//! * [`MeanField`]: the variance fixed point `q*` and the moments `μ₁, μ₂` for linear, tanh, ReLU, erf and GELU networks
//!   (Gauss–Hermite quadrature, [`Activation::gaussian_expectation`]).

use std::fmt;

use crate::LawError;
use crate::error::{require_non_negative, require_positive};
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::numerical::{CauchySolver, NumericalConfig, NumericalLaw};

/// The weight distribution of every layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightKind {
    /// iid Gaussian entries of variance `σ_w²/N_{l−1}`: `S_{WWᵀ} = 1/(σ_w²(1 + z))`, `s₁ = −1`.
    Gaussian,
    /// `σ_w` times a Haar orthogonal matrix: `S_{WWᵀ} = 1/σ_w²`, `s₁ = 0`.
    Orthogonal,
}

impl WeightKind {
    /// The linear coefficient `s₁` of the normalised S-transform `σ_w² S_{WWᵀ}(z) = 1 + s₁ z + O(z²)`.
    pub fn s1(self) -> f64 {
        match self {
            Self::Gaussian => -1.0,
            Self::Orthogonal => 0.0,
        }
    }
}

/// Newton tolerance on `ψ`, relative to `1 + |ψ|` (a few ulps).
const NEWTON_TOL: f64 = 1e-15;
/// Residual of the polynomial, relative to the size of its terms, at which Newton stops (rounding level).
const RESIDUAL_TOL: f64 = 4e-16;
/// Largest accepted `Im G / |G|` on `C⁺` (wrong-branch roots in the bulk have `Im G ~ +ρ`, far above this).
const BRANCH_TOL: f64 = 1e-7;
/// Newton iterations before giving up (the engine then restarts from a cold continuation).
const NEWTON_MAX_ITER: usize = 100;

/// Newton on `P(ψ) = σ^{2L}(1+ψ)Π(1 + r_l ψ) − wψ = 0`; state `ψ`.
#[derive(Debug, Clone)]
pub struct LinearJacobianSolver {
    /// `r_l = N_L/N_{l−1}`.
    ratios: Vec<f64>,
    /// `σ_w^{2L}`.
    gain: f64,
}

impl LinearJacobianSolver {
    /// `(P(ψ), P'(ψ), size)` where `size` bounds the terms of P (for a relative residual test).
    fn residual(&self, w: Complex64, psi: Complex64) -> (Complex64, Complex64, f64) {
        // (p, dp) = ((1+ψ)Π(1+r_lψ), its derivative), by the product rule.
        let mut p = 1.0 + psi;
        let mut dp = Complex64::new(1.0, 0.0);
        for &r in &self.ratios {
            let f = 1.0 + r * psi;
            dp = dp * f + p * r;
            p *= f;
        }
        let size = self.gain * p.norm() + (w * psi).norm();
        (self.gain * p - w * psi, self.gain * dp - w, size)
    }
}

impl CauchySolver for LinearJacobianSolver {
    type State = Complex64;

    /// The polynomial has `L + 1` roots, several of which can lie in the lower half-plane.
    fn needs_vertical_continuation(&self) -> bool {
        true
    }

    fn solve(
        &self,
        w: Complex64,
        warm: Option<&Complex64>,
    ) -> Result<(Complex64, Complex64), LawError> {
        // Cold start (|w| large): ψ ≈ m₁/w + m₂/w², m₁ = σ^{2L}, m₂ = m₁²(1 + Σ r_l).
        let m1 = self.gain;
        let m2 = m1 * m1 * (1.0 + self.ratios.iter().sum::<f64>());
        let mut psi = warm.copied().unwrap_or(m1 / w + m2 / (w * w));
        for _ in 0..NEWTON_MAX_ITER {
            let (p, dp, size) = self.residual(w, psi);
            // Converged when the step is at rounding level, or the residual is (next to a square-root edge the
            // root is double and Newton only halves the error per step; the root is then ill-conditioned anyway,
            // |δψ| ~ √(ε·size)).
            let at_floor = p.norm() <= RESIDUAL_TOL * size;
            let step = p / dp;
            if step.re.is_finite() && step.im.is_finite() && !at_floor {
                psi -= step;
            }
            if at_floor || step.norm() <= NEWTON_TOL * (1.0 + psi.norm()) {
                let g = (1.0 + psi) / w;
                // The right branch has Im G ≤ 0 on C⁺; next to an edge the two nearly real roots are only
                // resolved to ~1e-8, so allow that much.
                if g.im <= BRANCH_TOL * g.norm() {
                    return Ok((g, psi));
                }
                break;
            }
            if !(step.re.is_finite() && step.im.is_finite()) {
                break;
            }
        }
        Err(LawError::NoConvergence {
            what: "linear_jacobian polynomial",
            detail: format!("no root on the Cauchy branch at w = {w} from ψ = {psi}"),
        })
    }
}

/// The upper edge of the `JJᵀ` law: `min_{ψ>0} σ^{2L}(1+ψ)Π(1 + r_l ψ)/ψ` (the real critical point of the
/// inverse `w(ψ)` through which `ψ = wG − 1` leaves the real axis), by golden-section search in `ln ψ`.
fn upper_edge(gain: f64, ratios: &[f64]) -> f64 {
    let f = |t: f64| {
        let psi = t.exp();
        gain * (1.0 + psi) * ratios.iter().map(|r| 1.0 + r * psi).product::<f64>() / psi
    };
    let (mut a, mut b) = (-60.0_f64, 60.0_f64);
    let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..300 {
        let c = b - inv_phi * (b - a);
        let d = a + inv_phi * (b - a);
        if f(c) < f(d) {
            b = d;
        } else {
            a = c;
        }
    }
    f(0.5 * (a + b))
}

#[derive(Debug, Clone)]
enum Inner {
    Gaussian(Box<NumericalLaw<LinearJacobianSolver>>),
    Orthogonal { value: f64 },
}

/// The limit spectral law of `JJᵀ` for a deep **linear** network (see the module docs).
///
/// ```
/// use landscape_theory::deep_jacobian::{LinearJacobian, WeightKind};
/// use landscape_theory::SpectralLaw;
/// // Three equal-width Gaussian layers at σ_w = 1: Fuss–Catalan FC₃, moments C(4k, k)/(3k + 1) = 1, 4, 22.
/// let fc3 = LinearJacobian::new(&[1.0, 1.0, 1.0, 1.0], 1.0, WeightKind::Gaussian).unwrap();
/// assert!((fc3.moment(2) - 4.0).abs() < 1e-9);
/// assert!((fc3.moment(3) - 22.0).abs() < 1e-8);
/// // Upper edge (L+1)^{L+1}/L^L = 256/27.
/// assert!((fc3.support().upper_edge().unwrap() - 256.0 / 27.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct LinearJacobian {
    widths: Vec<f64>,
    sigma_w: f64,
    kind: WeightKind,
    inner: Inner,
}

impl LinearJacobian {
    /// `JJᵀ` for widths `N_0, …, N_L` (only their ratios matter; `L = widths.len() − 1 ≥ 1`), weight scale `σ_w`
    /// and weight kind.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] for fewer than two widths, a width or `σ_w` not finite and positive;
    /// [`LawError::Unsupported`] for orthogonal weights with unequal widths; [`LawError::NoConvergence`] if the
    /// tabulation fails.
    pub fn new(widths: &[f64], sigma_w: f64, kind: WeightKind) -> Result<Self, LawError> {
        require_positive("linear_jacobian", "sigma_w", sigma_w)?;
        if widths.len() < 2 {
            return Err(LawError::invalid(
                "linear_jacobian",
                "depth",
                widths.len() as f64 - 1.0,
                "at least one layer (two widths)",
            ));
        }
        for &n in widths {
            require_positive("linear_jacobian", "width", n)?;
        }
        let depth = widths.len() - 1;
        let s2 = sigma_w * sigma_w;
        let gain = s2.powi(depth as i32);
        let inner = match kind {
            WeightKind::Orthogonal => {
                if widths.iter().any(|&n| (n - widths[0]).abs() > 0.0) {
                    return Err(LawError::Unsupported {
                        law: "linear_jacobian",
                        reason: "orthogonal weights are implemented for equal widths only".into(),
                    });
                }
                Inner::Orthogonal { value: gain }
            }
            WeightKind::Gaussian => {
                let out = widths[depth];
                let ratios: Vec<f64> = widths[..depth].iter().map(|&n| out / n).collect();
                let min = widths.iter().copied().fold(f64::INFINITY, f64::min);
                let zero_mass = 1.0 - min / out;
                let top = 1.02 * upper_edge(gain, &ratios);
                let atoms = if zero_mass > 1e-13 {
                    vec![Atom {
                        location: 0.0,
                        mass: zero_mass,
                    }]
                } else {
                    Vec::new()
                };
                let config = NumericalConfig {
                    search: Interval::new(0.0, top),
                    atoms,
                    hard_edges: vec![0.0],
                    regions: Vec::new(),
                };
                let name = format!(
                    "linear_jacobian(widths={widths:?}, sigma_w={sigma_w}, weights=gaussian)"
                );
                Inner::Gaussian(Box::new(NumericalLaw::from_solver(
                    name,
                    LinearJacobianSolver { ratios, gain },
                    config,
                )?))
            }
        };
        Ok(Self {
            widths: widths.to_vec(),
            sigma_w,
            kind,
            inner,
        })
    }

    /// Depth L.
    pub fn depth(&self) -> usize {
        self.widths.len() - 1
    }

    /// The weight kind.
    pub fn weight_kind(&self) -> WeightKind {
        self.kind
    }
}

impl fmt::Display for LinearJacobian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Gaussian(law) => fmt::Display::fmt(law, f),
            Inner::Orthogonal { .. } => write!(
                f,
                "linear_jacobian(widths={:?}, sigma_w={}, weights=orthogonal)",
                self.widths, self.sigma_w
            ),
        }
    }
}

impl SpectralLaw for LinearJacobian {
    fn pdf(&self, x: f64) -> f64 {
        match &self.inner {
            Inner::Gaussian(law) => law.pdf(x),
            Inner::Orthogonal { .. } => 0.0,
        }
    }
    fn cdf(&self, x: f64) -> f64 {
        match &self.inner {
            Inner::Gaussian(law) => law.cdf(x),
            Inner::Orthogonal { value } => {
                if x >= *value {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
    fn support(&self) -> Support {
        match &self.inner {
            Inner::Gaussian(law) => law.support(),
            Inner::Orthogonal { .. } => Support::default(),
        }
    }
    fn atoms(&self) -> Vec<Atom> {
        match &self.inner {
            Inner::Gaussian(law) => law.atoms(),
            Inner::Orthogonal { value } => vec![Atom {
                location: *value,
                mass: 1.0,
            }],
        }
    }
    fn moment(&self, k: u32) -> f64 {
        match &self.inner {
            Inner::Gaussian(law) => law.moment(k),
            Inner::Orthogonal { value } => value.powi(k as i32),
        }
    }
    fn cauchy(&self, z: Complex64) -> Complex64 {
        match &self.inner {
            Inner::Gaussian(law) => law.cauchy(z),
            Inner::Orthogonal { value } => 1.0 / (z - *value),
        }
    }
}

/// Mean and variance of the `JJᵀ` spectrum of a depth-`L` network with equal widths:
/// `mean = χ^L`, `variance = χ^{2L} · L · (μ₂/μ₁² − 1 − s₁)`, `χ = σ_w² μ₁` (module docs; PSG 2018 eq. for
/// `σ²_{JJᵀ}` at `χ = 1`). `mu1`, `mu2` are `E[φ'(h)²]`, `E[φ'(h)⁴]` at the fixed point.
///
/// # Errors
/// [`LawError::InvalidParameter`] for `σ_w²` or `μ₁` not positive, or `μ₂ < μ₁²` (impossible for moments).
///
/// ```
/// use landscape_theory::deep_jacobian::{jacobian_mean_variance, WeightKind};
/// // ReLU at criticality (σ_w² = 2, μ₁ = μ₂ = 1/2): variance L·(2 − 1 + 1) = 2L with Gaussian weights.
/// let (mean, var) = jacobian_mean_variance(10, 2.0, 0.5, 0.5, WeightKind::Gaussian).unwrap();
/// assert!((mean - 1.0).abs() < 1e-15 && (var - 20.0).abs() < 1e-12);
/// ```
pub fn jacobian_mean_variance(
    depth: u32,
    sigma_w2: f64,
    mu1: f64,
    mu2: f64,
    kind: WeightKind,
) -> Result<(f64, f64), LawError> {
    require_positive("jacobian_mean_variance", "sigma_w2", sigma_w2)?;
    require_positive("jacobian_mean_variance", "mu1", mu1)?;
    require_non_negative("jacobian_mean_variance", "mu2", mu2)?;
    if mu2 < mu1 * mu1 * (1.0 - 1e-12) {
        return Err(LawError::invalid(
            "jacobian_mean_variance",
            "mu2",
            mu2,
            "μ₂ ≥ μ₁² (moments of one variable)",
        ));
    }
    let chi = sigma_w2 * mu1;
    let l = f64::from(depth);
    let mean = chi.powf(l);
    Ok((
        mean,
        mean * mean * l * (mu2 / (mu1 * mu1) - 1.0 - kind.s1()),
    ))
}

/// The pointwise activation φ of the mean-field recursion: the crate's one activation type (linear, tanh, relu,
/// erf, gelu). Expectations use [`Activation::gaussian_expectation`]: Gauss–Hermite with
/// [`crate::activation::GAUSS_HERMITE_NODES`] nodes for smooth φ — `sech⁸(√q x)` has poles at `±iπ/(2√q)`, so
/// convergence is slower than for entire integrands: measured at `q* = 0.5`, the PSG variance has relative error
/// 2e-9 with 80 nodes, 5e-11 with 100, 3e-14 with 150 (against mpmath at 30 digits, `tests/reference/free.py`) —
/// and closed forms for linear and ReLU.
pub use crate::activation::Activation;

/// The mean-field quantities of a deep network at its variance fixed point (Poole et al. 2016; PSG 2017):
/// `q* = σ_w² E[φ(√q* ξ)²] + σ_b²`, `μ_k = E[φ'(√q* ξ)^{2k}]`, `χ = σ_w² μ₁`, `ξ ~ N(0,1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanField {
    /// The fixed point `q*` of the pre-activation variance.
    pub q_star: f64,
    /// `σ_w²`.
    pub sigma_w2: f64,
    /// `μ₁ = E[φ'(h)²]`.
    pub mu1: f64,
    /// `μ₂ = E[φ'(h)⁴]`.
    pub mu2: f64,
}

impl MeanField {
    /// `χ = σ_w² μ₁` (1 at criticality).
    pub fn chi(&self) -> f64 {
        self.sigma_w2 * self.mu1
    }

    /// The fixed point reached from `q = 1` for weight and bias scales `σ_w`, `σ_b`.
    ///
    /// Linear and ReLU have closed forms: `q* = σ_b²/(1 − σ_w²)` and `σ_b²/(1 − σ_w²/2)` (0 if `σ_b = 0`);
    /// `μ_k = 1` and `1/2`. Tanh iterates the map (a contraction towards its stable fixed point).
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] for negative or non-finite scales, or when the variance diverges (linear
    /// with `σ_w ≥ 1`, ReLU with `σ_w² ≥ 2`, and `σ_b > 0`).
    ///
    /// ```
    /// use landscape_theory::deep_jacobian::{Activation, MeanField};
    /// let mf = MeanField::new(Activation::Relu, 2f64.sqrt(), 0.0).unwrap();
    /// assert!((mf.chi() - 1.0).abs() < 1e-15); // He initialisation is critical
    /// ```
    pub fn new(activation: Activation, sigma_w: f64, sigma_b: f64) -> Result<Self, LawError> {
        require_non_negative("mean_field", "sigma_w", sigma_w)?;
        require_non_negative("mean_field", "sigma_b", sigma_b)?;
        let (sw2, sb2) = (sigma_w * sigma_w, sigma_b * sigma_b);
        let diverges = || {
            LawError::invalid(
                "mean_field",
                "sigma_w",
                sigma_w,
                "a scale with a finite fixed point q*",
            )
        };
        let q_star = match activation {
            Activation::Linear | Activation::Relu => {
                let gain = if activation == Activation::Linear {
                    sw2
                } else {
                    0.5 * sw2
                };
                if sb2 == 0.0 {
                    0.0
                } else if gain < 1.0 {
                    sb2 / (1.0 - gain)
                } else {
                    return Err(diverges());
                }
            }
            Activation::Tanh | Activation::Erf | Activation::Gelu => {
                let mut q: f64 = 1.0;
                let mut converged = false;
                for _ in 0..100_000 {
                    let next = sw2 * second_moment(activation, q) + sb2;
                    if !next.is_finite() {
                        return Err(diverges());
                    }
                    let done = (next - q).abs() <= 1e-15 * next.max(1e-300);
                    q = next;
                    if done {
                        converged = true;
                        break;
                    }
                }
                if !converged && q > 1e-10 {
                    return Err(LawError::NoConvergence {
                        what: "mean-field variance map",
                        detail: format!(
                            "q = {q} after 100000 iterations (σ_w = {sigma_w}, σ_b = {sigma_b})"
                        ),
                    });
                }
                q
            }
        };
        Ok(Self::at(activation, q_star, sw2))
    }

    /// The quantities at a given `q*` and `σ_w²` (no fixed-point solve).
    pub fn at(activation: Activation, q_star: f64, sigma_w2: f64) -> Self {
        let (mu1, mu2) = derivative_moments(activation, q_star);
        Self {
            q_star,
            sigma_w2,
            mu1,
            mu2,
        }
    }

    /// The critical network with fixed point `q*`: `σ_w² = 1/μ₁` (so `χ = 1`); `σ_b² = q* − σ_w² E[φ(√q* ξ)²]`
    /// is then [`MeanField::critical_bias_variance`].
    pub fn critical(activation: Activation, q_star: f64) -> Self {
        let (mu1, _) = derivative_moments(activation, q_star);
        Self::at(activation, q_star, 1.0 / mu1)
    }

    /// `σ_b² = q* − σ_w² E[φ(√q* ξ)²]`, the bias variance that makes `q*` a fixed point.
    pub fn critical_bias_variance(&self, activation: Activation) -> f64 {
        self.q_star - self.sigma_w2 * second_moment(activation, self.q_star)
    }

    /// Mean and variance of the `JJᵀ` spectrum at depth `L` ([`jacobian_mean_variance`]).
    ///
    /// # Errors
    /// As [`jacobian_mean_variance`].
    pub fn jacobian_mean_variance(
        &self,
        depth: u32,
        kind: WeightKind,
    ) -> Result<(f64, f64), LawError> {
        jacobian_mean_variance(depth, self.sigma_w2, self.mu1, self.mu2, kind)
    }
}

/// `E[φ(h)²]`, `h ~ N(0, q)` (exact for linear and ReLU).
fn second_moment(activation: Activation, q: f64) -> f64 {
    match activation {
        Activation::Linear => q,
        Activation::Relu => 0.5 * q,
        _ => activation.gaussian_expectation(|x| activation.value(q.sqrt() * x).powi(2)),
    }
}

/// `(μ₁, μ₂) = (E[φ'(h)²], E[φ'(h)⁴])`, `h ~ N(0, q)`.
fn derivative_moments(activation: Activation, q: f64) -> (f64, f64) {
    match activation {
        Activation::Linear => (1.0, 1.0),
        // φ' = 1{h > 0}: every moment is P(h > 0) = 1/2 (exact; quadrature would smear the step).
        Activation::Relu => (0.5, 0.5),
        _ => {
            let d2 = |x: f64| activation.derivative(q.sqrt() * x).powi(2);
            (
                activation.gaussian_expectation(d2),
                activation.gaussian_expectation(|x| d2(x).powi(2)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MarchenkoPastur;
    use crate::free_product::{FreeProduct, WithZeroAtom};
    use std::sync::Arc;

    fn binomial(n: u64, k: u64) -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn square_gaussian_linear_network_is_fuss_catalan() {
        for depth in 1..=4_u64 {
            let widths = vec![1.0; depth as usize + 1];
            let law = LinearJacobian::new(&widths, 1.0, WeightKind::Gaussian).unwrap();
            for k in 1..=5_u64 {
                let fc = binomial((depth + 1) * k, k) / (depth * k + 1) as f64;
                let m = law.moment(k as u32);
                assert!((m - fc).abs() < 1e-9 * fc, "L={depth}, k={k}: {m} vs {fc}");
            }
            let l = depth as f64;
            let top = (l + 1.0).powf(l + 1.0) / l.powf(l);
            let edge = law.support().upper_edge().unwrap();
            assert!((edge - top).abs() < 1e-6, "L={depth}: edge {edge} vs {top}");
            assert!(law.atoms().is_empty());
        }
    }

    #[test]
    fn rectangular_depth_two_matches_free_product_with_zero_atom_rescaling() {
        // widths N0, N1, N2 = 2, 1, 1.5: ν₁ = MP(N1/N0, 1); A₂ = ν₁ ⊠ MP(N1/N2, N2/N1) on the N1 space;
        // ν₂ = (N1/N2)·A₂ + (1 − N1/N2)δ₀.
        let (n0, n1, n2) = (2.0, 1.0, 1.5);
        let direct = LinearJacobian::new(&[n0, n1, n2], 1.0, WeightKind::Gaussian).unwrap();
        let a2 = FreeProduct::new(
            Arc::new(MarchenkoPastur::new(n1 / n0, 1.0).unwrap()),
            Arc::new(MarchenkoPastur::new(n1 / n2, n2 / n1).unwrap()),
        )
        .unwrap();
        let nu2 = WithZeroAtom::new(Arc::new(a2), n1 / n2).unwrap();
        let (da, ra) = (direct.atoms(), nu2.atoms());
        assert_eq!(da.len(), 1);
        assert!((da[0].mass - ra[0].mass).abs() < 1e-12, "{da:?} vs {ra:?}");
        for i in 1..40 {
            let x = 0.2 * f64::from(i);
            let (p, q) = (direct.pdf(x), nu2.pdf(x));
            assert!((p - q).abs() < 1e-8, "pdf at {x}: {p} vs {q}");
            let (p, q) = (direct.cdf(x), nu2.cdf(x));
            assert!((p - q).abs() < 1e-8, "cdf at {x}: {p} vs {q}");
        }
        for k in 1..=4 {
            let (p, q) = (direct.moment(k), nu2.moment(k));
            assert!((p - q).abs() < 1e-9 * q.abs(), "moment {k}: {p} vs {q}");
        }
    }

    #[test]
    fn jacobian_variance_matches_the_linear_gaussian_law() {
        // Linear, σ_w = 1: μ₁ = μ₂ = 1, so the variance is L·(1 − 1 + 1) = L, FC_L's variance.
        let law = LinearJacobian::new(&[1.0; 4], 1.0, WeightKind::Gaussian).unwrap();
        let (mean, var) = jacobian_mean_variance(3, 1.0, 1.0, 1.0, WeightKind::Gaussian).unwrap();
        assert!((law.moment(1) - mean).abs() < 1e-10);
        assert!((law.moment(2) - mean * mean - var).abs() < 1e-9);
        // Orthogonal linear network: isometry.
        let iso = LinearJacobian::new(&[1.0; 4], 1.0, WeightKind::Orthogonal).unwrap();
        assert!((iso.moment(2) - 1.0).abs() < 1e-15);
        let (_, var) = jacobian_mean_variance(3, 1.0, 1.0, 1.0, WeightKind::Orthogonal).unwrap();
        assert!(var.abs() < 1e-15);
    }

    #[test]
    fn orthogonal_tanh_variance_at_criticality_matches_the_simulated_values() {
        // `docs/theory.md` §1.5: orthogonal tanh, L = 16, N = 400 simulation gave 0.214 (q* = 0.05) and 4.786 (q* = 0.5);
        // theory 0.213 and 4.788 (cross-checked by tests/reference/free.py at 30 digits).
        for (q, expected) in [(0.05, 0.213), (0.5, 4.788)] {
            let mf = MeanField::critical(Activation::Tanh, q);
            assert!((mf.chi() - 1.0).abs() < 1e-14);
            let (_, var) = mf
                .jacobian_mean_variance(16, WeightKind::Orthogonal)
                .unwrap();
            assert!((var - expected).abs() < 1e-3, "q*={q}: {var}");
            assert!(mf.critical_bias_variance(Activation::Tanh) >= 0.0);
        }
    }

    #[test]
    fn tanh_fixed_point_is_a_fixed_point() {
        let mf = MeanField::new(Activation::Tanh, 1.2, 0.3).unwrap();
        let sb2 = mf.critical_bias_variance(Activation::Tanh);
        assert!((sb2 - 0.09).abs() < 1e-12, "{sb2}");
        assert!(MeanField::new(Activation::Linear, 1.5, 0.1).is_err());
        let relu = MeanField::new(Activation::Relu, 1.0, 1.0).unwrap();
        assert!((relu.q_star - 2.0).abs() < 1e-15);
    }

    #[test]
    fn relu_dynamical_isometry_is_impossible() {
        // μ₂/μ₁² = 2 ⇒ variance ≥ L even with orthogonal weights.
        let mf = MeanField::new(Activation::Relu, 2f64.sqrt(), 0.0).unwrap();
        let (_, var) = mf
            .jacobian_mean_variance(8, WeightKind::Orthogonal)
            .unwrap();
        assert!((var - 8.0).abs() < 1e-12);
    }

    /// `E f(h)`, `h ~ N(0, q)`, by a composite 64-panel Simpson rule on `[−12√q, 12√q]`: independent of the
    /// Gauss–Hermite rule the mean field uses; its error (h⁴ f⁗ ~ 1e-12 here) sets the 1e-10 tolerance.
    fn simpson_expectation(q: f64, f: impl Fn(f64) -> f64) -> f64 {
        let (a, n) = (12.0 * q.sqrt(), 4096);
        let h = 2.0 * a / n as f64;
        let g =
            |x: f64| f(x) * (-x * x / (2.0 * q)).exp() / (2.0 * std::f64::consts::PI * q).sqrt();
        let mut sum = g(-a) + g(a);
        for i in 1..n {
            sum += g(-a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0
    }

    #[test]
    fn erf_and_gelu_mean_fields_solve_their_variance_maps() {
        for (activation, sigma_w, sigma_b) in [
            (Activation::Erf, 1.3, 0.2),
            (Activation::Gelu, 1.2, 0.3),
            (Activation::Tanh, 1.1, 0.1),
        ] {
            let mf = MeanField::new(activation, sigma_w, sigma_b).unwrap();
            let q = mf.q_star;
            let image = sigma_w * sigma_w * simpson_expectation(q, |h| activation.value(h).powi(2))
                + sigma_b * sigma_b;
            assert!(
                (image - q).abs() < 1e-10 * q,
                "{activation}: q* = {q}, map(q*) = {image}"
            );
            let mu1 = simpson_expectation(q, |h| activation.derivative(h).powi(2));
            assert!(
                (mf.mu1 - mu1).abs() < 1e-10,
                "{activation}: μ₁ {} vs {mu1}",
                mf.mu1
            );
        }
    }

    #[test]
    fn invalid_inputs_are_rejected() {
        assert!(LinearJacobian::new(&[1.0], 1.0, WeightKind::Gaussian).is_err());
        assert!(LinearJacobian::new(&[1.0, -1.0], 1.0, WeightKind::Gaussian).is_err());
        assert!(LinearJacobian::new(&[1.0, 2.0], 1.0, WeightKind::Orthogonal).is_err());
        assert!(jacobian_mean_variance(2, 1.0, 0.5, 0.1, WeightKind::Gaussian).is_err());
    }
}
