//! Pointwise activations and the Gaussian constants that enter the conjugate-kernel and NTK laws.
//!
//! For ξ ~ N(0, 1) and a raw activation φ, the Fan–Wang (2020) laws use the centred, normalised activation
//! `σ = (φ − E φ(ξ)) / sd φ(ξ)` (so `E σ(ξ) = 0`, `E σ(ξ)² = 1`) and two numbers (`docs/theory.md` §A1.2):
//!
//! * `b_σ = E σ'(ξ) = E[ξ σ(ξ)]`, the first Hermite coefficient, which drives the CK recursion;
//! * `a_σ = E σ'(ξ)²`, which enters the NTK only.
//!
//! For other initialisation scales (weights of variance `σ_w²/fan_in`, raw φ) the constants change from layer to
//! layer; [`raw_layer_constants`] runs the NNGP variance recursion of `docs/theory.md` §A1.10.
//!
//! Expectations are computed by Gauss–Hermite quadrature ([`gauss_hermite`], [`GAUSS_HERMITE_NODES`] nodes) for
//! the smooth activations. ReLU has a kink at 0, where Gauss–Hermite converges only algebraically (~1e-5 at 200
//! nodes), so its expectations are split at the kink and each half-line is integrated by composite Gauss–Legendre
//! on `[0, ±`[`HALF_LINE_CUTOFF`]`]`, which is spectrally accurate on each smooth piece.
//!
//! The simulate crate has its own `Activation` enum with the same five members. The duplication is deliberate:
//! `theory` may not depend on `simulate` (a prediction must not share code with the sampler that tests it), and
//! `simulate` may not depend on `theory`. The two are tied together by the checks in the root package.

use std::fmt;
use std::str::FromStr;

use crate::LawError;
use crate::quadrature::{Rule, composite, gauss_hermite, gauss_legendre};

/// Gauss–Hermite nodes for the smooth activations. tanh has poles at `±iπ/2`, so the error decays like
/// `exp(−π√(2m))`; 200 nodes give < 1e-15 (measured against mpmath: 2e-16 on the §A1.2 table).
pub const GAUSS_HERMITE_NODES: usize = 200;
/// Half-line cut-off for the split rule: the standard normal density at 40 is `e^{−800} ≈ 0` in f64, and every
/// integrand here grows at most polynomially.
pub const HALF_LINE_CUTOFF: f64 = 40.0;
/// Panels of the split rule per half-line (each of width 1, 20 Gauss–Legendre nodes: error < 1e-16 per panel for
/// the entire integrands `x^k e^{−x²/2}`).
const HALF_LINE_PANELS: usize = 40;
/// Gauss–Legendre nodes per panel of the split rule.
const PANEL_NODES: usize = 20;

/// `1/√(2π)`.
const INV_SQRT_TWO_PI: f64 = 0.398_942_280_401_432_7;

/// A pointwise nonlinearity φ, raw (neither centred nor normalised).
///
/// ```
/// use landscape_theory::activation::Activation;
/// let gelu: Activation = "gelu".parse().unwrap();
/// assert!((gelu.value(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15); // 1·Φ(1)
/// assert_eq!(Activation::Relu.derivative(2.0), 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `φ(x) = x`.
    Linear,
    /// `φ(x) = tanh x`.
    Tanh,
    /// `φ(x) = max(0, x)`, `φ'(0) = 0`.
    Relu,
    /// `φ(x) = erf x`.
    Erf,
    /// `φ(x) = x Φ(x)`, the exact GELU.
    Gelu,
}

impl Activation {
    /// Every activation.
    pub const ALL: [Activation; 5] = [
        Activation::Linear,
        Activation::Tanh,
        Activation::Relu,
        Activation::Erf,
        Activation::Gelu,
    ];

    /// The name the law expressions use.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Erf => "erf",
            Activation::Gelu => "gelu",
        }
    }

    /// `φ(x)`.
    pub fn value(self, x: f64) -> f64 {
        match self {
            Activation::Linear => x,
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            Activation::Erf => erf(x),
            Activation::Gelu => x * normal_cdf(x),
        }
    }

    /// `φ'(x)` (for ReLU, 0 at the kink).
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Linear => 1.0,
            Activation::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp(),
            Activation::Gelu => normal_cdf(x) + x * INV_SQRT_TWO_PI * (-0.5 * x * x).exp(),
        }
    }

    /// Whether φ is smooth (Gauss–Hermite applies) rather than kinked at 0.
    fn is_smooth(self) -> bool {
        !matches!(self, Activation::Relu)
    }

    /// `E f(ξ)` for `ξ ~ N(0, 1)`, by the rule suited to φ's smoothness (see the module docs).
    pub fn gaussian_expectation(self, f: impl Fn(f64) -> f64) -> f64 {
        if self.is_smooth() {
            gauss_hermite_rule().integrate(f)
        } else {
            let rule = gauss_legendre(PANEL_NODES);
            let density = |x: f64| f(x) * INV_SQRT_TWO_PI * (-0.5 * x * x).exp();
            composite(&rule, -HALF_LINE_CUTOFF, 0.0, HALF_LINE_PANELS, density)
                + composite(&rule, 0.0, HALF_LINE_CUTOFF, HALF_LINE_PANELS, density)
        }
    }

    /// The constants of the centred, normalised activation `σ = (φ − Eφ)/sd φ` (`docs/theory.md` §A1.2).
    ///
    /// ```
    /// use landscape_theory::activation::Activation;
    /// let c = Activation::Tanh.constants();
    /// assert!((c.b - 0.964608689374).abs() < 1e-11 && (c.a - 1.177807232300).abs() < 1e-11);
    /// ```
    pub fn constants(self) -> ActivationConstants {
        self.scaled_constants(1.0)
    }

    /// The constants of `x ↦ φ(√q x)` centred and normalised: `mean = E φ(√q ξ)`, `variance = Var φ(√q ξ)`,
    /// `b = √q E φ'(√q ξ)/sd`, `a = q E φ'(√q ξ)²/variance`.
    ///
    /// For the linear map these are exact: `E √q ξ = 0`, `Var √q ξ = q`, and `φ' ≡ 1` gives `b = a = 1`. Quadrature
    /// would give `b² = 1 − 2e-16`, and the kernel laws branch on `b² = 1` (a linear layer carries the rank of the
    /// layer below, so the atom at 0 and the support depend on it).
    fn scaled_constants(self, q: f64) -> ActivationConstants {
        if self == Activation::Linear {
            return ActivationConstants {
                mean: 0.0,
                variance: q,
                b: 1.0,
                a: 1.0,
            };
        }
        let s = q.sqrt();
        let mean = self.gaussian_expectation(|x| self.value(s * x));
        let second = self.gaussian_expectation(|x| self.value(s * x).powi(2));
        let variance = second - mean * mean;
        let d1 = self.gaussian_expectation(|x| self.derivative(s * x));
        let d2 = self.gaussian_expectation(|x| self.derivative(s * x).powi(2));
        ActivationConstants {
            mean,
            variance,
            b: s * d1 / variance.sqrt(),
            a: q * d2 / variance,
        }
    }
}

fn gauss_hermite_rule() -> &'static Rule {
    static RULE: std::sync::OnceLock<Rule> = std::sync::OnceLock::new();
    RULE.get_or_init(|| gauss_hermite(GAUSS_HERMITE_NODES))
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an activation name was not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activation `{0}`; valid: linear, tanh, relu, erf, gelu")]
pub struct UnknownActivation(pub String);

impl FromStr for Activation {
    type Err = UnknownActivation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownActivation(s.to_string()))
    }
}

/// Gaussian constants of an activation (`docs/theory.md` §A1.2), for ξ ~ N(0, 1):
/// `mean = E φ(ξ)`, `variance = Var φ(ξ)`, and for `σ = (φ − mean)/√variance`:
/// `b = E σ'(ξ)` and `a = E σ'(ξ)²`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivationConstants {
    /// `E φ(ξ)`.
    pub mean: f64,
    /// `Var φ(ξ)`.
    pub variance: f64,
    /// `b_σ = E σ'(ξ)`.
    pub b: f64,
    /// `a_σ = E σ'(ξ)²`.
    pub a: f64,
}

/// Per-layer constants of a raw activation at initialisation scale `σ_w²` (`docs/theory.md` §A1.10).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerConstants {
    /// `b_ℓ`, ℓ = 1..L.
    pub b: Vec<f64>,
    /// `a_ℓ`, ℓ = 1..L.
    pub a: Vec<f64>,
    /// `E φ(h_ℓ)` (the mean term; 0 for odd φ), ℓ = 1..L.
    pub mean: Vec<f64>,
    /// `Var φ(h_ℓ)` (the scale of the centred kernels), ℓ = 1..L.
    pub variance: Vec<f64>,
    /// `s_ℓ = E φ(h_ℓ)²`, ℓ = 0..L (`s_0` is the input's mean squared entry times `d0`, i.e. ‖x‖²).
    pub second_moment: Vec<f64>,
}

/// The NNGP recursion for pre-activations `h_ℓ = σ_w W_ℓ x_{ℓ−1}` with `W_ℓ` iid N(0, 1/d_{ℓ−1}) entries and a
/// raw φ (`docs/theory.md` §A1.10): `q_ℓ = σ_w² s_{ℓ−1}`, `s_ℓ = E φ(√q_ℓ ξ)²`, and
/// `b_ℓ = √q_ℓ E φ'(√q_ℓ ξ)/√v_ℓ`, `a_ℓ = q_ℓ E φ'(√q_ℓ ξ)²/v_ℓ` with `v_ℓ = Var φ(√q_ℓ ξ)` (`= s_ℓ` for centred
/// φ; with the variance, the one-layer bulk of a non-centred φ is also covered, `docs/theory.md` §A3.1). Then `C_L = s_L·Ĉ_L` and `K = s_L·K̂`, where
/// the hatted kernels follow the Fan–Wang laws with per-layer `b_ℓ`, `a_ℓ`. Valid for centred φ (odd φ exactly);
/// for non-centred φ at depth ≥ 2 the bulk is not given by this recursion (`docs/theory.md` §A3.1).
///
/// # Errors
/// [`LawError::InvalidParameter`] for `depth = 0`, `σ_w² ≤ 0` or `s_0 ≤ 0`.
///
/// ```
/// use landscape_theory::activation::{raw_layer_constants, Activation};
/// // Linear φ at σ_w² = 1: every b_ℓ = a_ℓ = 1 and the scale stays 1.
/// let c = raw_layer_constants(Activation::Linear, 1.0, 1.0, 3).unwrap();
/// assert!(c.b.iter().chain(&c.a).chain(&c.second_moment).all(|v| (v - 1.0).abs() < 1e-13));
/// ```
pub fn raw_layer_constants(
    activation: Activation,
    weight_variance: f64,
    input_second_moment: f64,
    depth: usize,
) -> Result<LayerConstants, LawError> {
    crate::error::require_positive("raw_layer_constants", "weight_variance", weight_variance)?;
    crate::error::require_positive(
        "raw_layer_constants",
        "input_second_moment",
        input_second_moment,
    )?;
    if depth == 0 {
        return Err(LawError::invalid(
            "raw_layer_constants",
            "depth",
            0.0,
            "an integer ≥ 1",
        ));
    }
    let mut out = LayerConstants {
        b: Vec::with_capacity(depth),
        a: Vec::with_capacity(depth),
        mean: Vec::with_capacity(depth),
        variance: Vec::with_capacity(depth),
        second_moment: vec![input_second_moment],
    };
    let mut s = input_second_moment;
    for _ in 0..depth {
        let q = weight_variance * s;
        if activation == Activation::Linear {
            // Exact, as in `Activation::scaled_constants`: φ(√q ξ) has mean 0 and variance q, and φ' ≡ 1.
            s = q;
            out.b.push(1.0);
            out.a.push(1.0);
            out.mean.push(0.0);
            out.variance.push(q);
            out.second_moment.push(q);
            continue;
        }
        let r = q.sqrt();
        let mean = activation.gaussian_expectation(|x| activation.value(r * x));
        s = activation.gaussian_expectation(|x| activation.value(r * x).powi(2));
        let d1 = activation.gaussian_expectation(|x| activation.derivative(r * x));
        let d2 = activation.gaussian_expectation(|x| activation.derivative(r * x).powi(2));
        let variance = s - mean * mean;
        out.b.push(r * d1 / variance.sqrt());
        out.a.push(q * d2 / variance);
        out.mean.push(mean);
        out.variance.push(variance);
        out.second_moment.push(s);
    }
    Ok(out)
}

/// The error function, by the series `erf x = (2/√π) e^{−x²} Σ_n 2ⁿ x^{2n+1}/(2n+1)!!` (all terms positive, so no
/// cancellation: relative error ~1e-16), and `±1` for `|x| > 6` where `erfc < 3e-17`.
pub fn erf(x: f64) -> f64 {
    let ax = x.abs();
    if ax > 6.0 {
        return x.signum();
    }
    let x2 = ax * ax;
    let mut term = ax;
    let mut sum = ax;
    let mut n = 0.0;
    while term > 1e-17 * sum {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    (std::f64::consts::FRAC_2_SQRT_PI * (-x2).exp() * sum).copysign(x)
}

/// The standard normal CDF `Φ(x) = (1 + erf(x/√2))/2`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mpmath at 30 digits (`theory/tests/reference/activation.py`): (φ, E φ, Var φ, b, a). Values of
    /// `docs/theory.md` §A1.2, recomputed independently.
    const TABLE: [(Activation, f64, f64, f64, f64); 4] =
        include!("../tests/reference/activation_values.rs");
    /// Quadrature accuracy target of `docs/theory.md` §3; the measured error is ~1e-15.
    const TABLE_TOL: f64 = 1e-10;

    #[test]
    fn constants_match_mpmath_table() {
        for (act, mean, variance, b, a) in TABLE {
            let c = act.constants();
            for (name, got, want) in [
                ("mean", c.mean, mean),
                ("variance", c.variance, variance),
                ("b", c.b, b),
                ("a", c.a, a),
            ] {
                assert!(
                    (got - want).abs() < TABLE_TOL,
                    "{act} {name}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    // Exact by Stein's lemma: the kernel laws branch on b² = 1, so these must not be 1 − 2e-16.
    #[allow(clippy::float_cmp)]
    fn linear_is_its_own_normalisation_exactly() {
        let c = Activation::Linear.constants();
        assert_eq!((c.mean, c.variance, c.b, c.a), (0.0, 1.0, 1.0, 1.0));
        let raw = raw_layer_constants(Activation::Linear, 2.0, 0.5, 3).unwrap();
        assert_eq!(raw.b, vec![1.0; 3]);
        assert_eq!(raw.a, vec![1.0; 3]);
        assert_eq!(raw.variance, vec![1.0, 2.0, 4.0]);
    }

    #[test]
    fn erf_matches_reference_values() {
        // mpmath.erf at 30 digits.
        for (x, want) in [
            (0.1, 0.112_462_916_018_284_9),
            (1.0, 0.842_700_792_949_714_9),
            (2.5, 0.999_593_047_982_555),
            (-3.0, -0.999_977_909_503_001_4),
        ] {
            // A few ulps: the series is multiplied by the rounded e^{−x²}.
            assert!((erf(x) - want).abs() < 4e-15, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>().unwrap(), act);
        }
        assert!("sigmoid".parse::<Activation>().is_err());
    }

    #[test]
    fn raw_tanh_constants_reduce_to_normalised_at_unit_scale_first_layer() {
        // At σ_w² = 1 and s_0 = 1 the first layer's pre-activations are N(0,1), so b_1, a_1 equal the centred,
        // normalised constants of the odd activation.
        let raw = raw_layer_constants(Activation::Tanh, 1.0, 1.0, 2).unwrap();
        let c = Activation::Tanh.constants();
        assert!((raw.b[0] - c.b).abs() < 1e-13 && (raw.a[0] - c.a).abs() < 1e-13);
        assert!((raw.second_moment[1] - c.variance).abs() < 1e-13);
        assert!(raw.mean.iter().all(|m| m.abs() < 1e-15));
    }
}
