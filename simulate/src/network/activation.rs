//! Pointwise activations with their first and second derivatives.
//!
//! Conventions follow PyTorch: `relu'(0) = 0`, and GELU is the exact form `x Φ(x)` (`nn.GELU()` with its default
//! `approximate='none'`), not the tanh approximation. Activations are the raw functions, neither centred nor
//! normalised (`docs/theory.md` §A1.2 tabulate the constants that normalise them).

use std::fmt;
use std::str::FromStr;

use crate::SimulateError;

/// `2/√π`, the derivative of erf at 0.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
/// `1/√(2π)`, the standard normal density at 0.
const INV_SQRT_TWO_PI: f64 = 0.398_942_280_401_432_7;

/// A pointwise nonlinearity σ applied after every hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `σ(x) = x`.
    Linear,
    /// `σ(x) = tanh x`.
    Tanh,
    /// `σ(x) = max(0, x)`, with `σ'(0) = 0` as in PyTorch.
    Relu,
    /// `σ(x) = erf x = (2/√π)∫₀ˣ e^{−t²} dt`.
    Erf,
    /// `σ(x) = x Φ(x) = (x/2)(1 + erf(x/√2))`, the exact GELU.
    Gelu,
}

impl Activation {
    /// Every activation, in the order the CLI lists them.
    pub const ALL: [Activation; 5] = [
        Activation::Linear,
        Activation::Tanh,
        Activation::Relu,
        Activation::Erf,
        Activation::Gelu,
    ];

    /// The name the CLI writes (`linear`, `tanh`, `relu`, `erf`, `gelu`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Erf => "erf",
            Activation::Gelu => "gelu",
        }
    }

    /// `σ(x)`.
    pub fn value(self, x: f64) -> f64 {
        match self {
            Activation::Linear => x,
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            Activation::Erf => libm::erf(x),
            Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2)),
        }
    }

    /// `σ'(x)`.
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
            Activation::Erf => TWO_OVER_SQRT_PI * (-x * x).exp(),
            // d/dx [x Φ(x)] = Φ(x) + x φ(x).
            Activation::Gelu => {
                0.5 * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2)) + x * normal_pdf(x)
            }
        }
    }

    /// `σ''(x)` (zero for ReLU away from 0, and taken as zero at the kink).
    pub fn second_derivative(self, x: f64) -> f64 {
        match self {
            Activation::Linear | Activation::Relu => 0.0,
            Activation::Tanh => {
                let t = x.tanh();
                -2.0 * t * (1.0 - t * t)
            }
            Activation::Erf => -2.0 * x * TWO_OVER_SQRT_PI * (-x * x).exp(),
            // d/dx [Φ(x) + x φ(x)] = 2φ(x) + x φ'(x) = φ(x)(2 − x²).
            Activation::Gelu => normal_pdf(x) * (2.0 - x * x),
        }
    }

    /// `(σ(x), σ'(x), σ''(x))` in one call, sharing the transcendental evaluations.
    pub fn value_and_derivatives(self, x: f64) -> (f64, f64, f64) {
        match self {
            Activation::Linear | Activation::Relu => {
                (self.value(x), self.derivative(x), self.second_derivative(x))
            }
            Activation::Tanh => {
                let t = x.tanh();
                let d = 1.0 - t * t;
                (t, d, -2.0 * t * d)
            }
            Activation::Erf => {
                let d = TWO_OVER_SQRT_PI * (-x * x).exp();
                (libm::erf(x), d, -2.0 * x * d)
            }
            Activation::Gelu => {
                let cdf = 0.5 * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2));
                let pdf = normal_pdf(x);
                (x * cdf, cdf + x * pdf, pdf * (2.0 - x * x))
            }
        }
    }

    /// `(σ(x), σ'(x))` in one call, sharing the transcendental evaluations.
    pub fn value_and_derivative(self, x: f64) -> (f64, f64) {
        let (v, d, _) = self.value_and_derivatives(x);
        (v, d)
    }
}

/// The standard normal density φ(x).
fn normal_pdf(x: f64) -> f64 {
    INV_SQRT_TWO_PI * (-0.5 * x * x).exp()
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = SimulateError;

    /// Parses a CLI name, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
                SimulateError::invalid("activation", s, format!("one of {}", names.join(", ")))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of a smooth function with step h: truncation `h²|f'''|/6` plus rounding `ε|f|/h`;
    /// at h = 1e-5 and |f|, |f'''| ≤ 4 both are below 1e-9.
    const FD_STEP: f64 = 1e-5;
    const FD_TOL: f64 = 1e-9;

    #[test]
    fn derivatives_match_central_differences() {
        for act in Activation::ALL {
            for i in -30..=30 {
                // Skip the ReLU kink, where the one-sided derivatives differ.
                let x = f64::from(i) * 0.1 + 0.013;
                let d_fd = (act.value(x + FD_STEP) - act.value(x - FD_STEP)) / (2.0 * FD_STEP);
                let dd_fd =
                    (act.derivative(x + FD_STEP) - act.derivative(x - FD_STEP)) / (2.0 * FD_STEP);
                assert!(
                    (d_fd - act.derivative(x)).abs() < FD_TOL,
                    "{act} σ'({x}) = {} vs fd {d_fd}",
                    act.derivative(x)
                );
                assert!(
                    (dd_fd - act.second_derivative(x)).abs() < FD_TOL,
                    "{act} σ''({x}) = {} vs fd {dd_fd}",
                    act.second_derivative(x)
                );
            }
        }
    }

    /// erf and GELU at points whose values were computed with mpmath at 30 digits
    /// (`simulate/tests/reference/make_activation_values.py`); libm's erf is within 1 ulp, so 4 ulp relative is ample.
    #[test]
    fn erf_and_gelu_match_mpmath_values() {
        const REL_TOL: f64 = 4.0 * f64::EPSILON;
        let cases = [
            (Activation::Erf, 0.5, 0.520_499_877_813_046_5),
            (Activation::Erf, -1.7, -0.983_790_458_590_774_6),
            (Activation::Erf, 3.0, 0.999_977_909_503_001_4),
            (Activation::Gelu, 1.0, 0.841_344_746_068_542_9),
            (Activation::Gelu, -0.5, -0.154_268_769_362_993_4),
        ];
        for (act, x, want) in cases {
            let got = act.value(x);
            assert!(
                ((got - want) / want).abs() < REL_TOL,
                "{act}({x}) = {got:e}, mpmath {want:e}"
            );
        }
    }

    #[test]
    fn combined_evaluation_equals_separate_calls() {
        for act in Activation::ALL {
            for i in -40..=40 {
                let x = f64::from(i) * 0.1;
                let (v, d, dd) = act.value_and_derivatives(x);
                // Same formulas up to the order of operations: a few ulp.
                let tol = 8.0 * f64::EPSILON;
                assert!(
                    (v - act.value(x)).abs() <= tol * (1.0 + v.abs()),
                    "{act}({x})"
                );
                assert!(
                    (d - act.derivative(x)).abs() <= tol * (1.0 + d.abs()),
                    "{act}'({x})"
                );
                assert!(
                    (dd - act.second_derivative(x)).abs() <= tol * (1.0 + dd.abs()),
                    "{act}''({x})"
                );
            }
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_list_the_valid_ones() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>().unwrap(), act);
        }
        assert_eq!("ReLU".parse::<Activation>().unwrap(), Activation::Relu);
        let err = "sigmoid".parse::<Activation>().unwrap_err().to_string();
        assert!(
            err.contains("sigmoid") && err.contains("linear, tanh, relu, erf, gelu"),
            "{err}"
        );
    }
}
