//! The Gauss–Newton matrix of a fully connected network at initialisation, from its NTK law (`docs/theory.md` §A1.11).
//!
//! For a loss `ℒ = (1/n) Σ_α ℓ(f(x_α), y_α)` with `k` outputs, the Gauss–Newton matrix is
//! `G = (1/n) Jᵀ (I_n ⊗ H_ℓ) J` (`P × P`, `J` is `nk × P`). Its nonzero eigenvalues are those of
//! `(1/n) (I ⊗ H_ℓ^{1/2}) K (I ⊗ H_ℓ^{1/2})` with `K = JJᵀ` the `nk × nk` NTK. With independent readout rows the
//! NTK is `≈ I_k ⊗ K_1` in the limit (`docs/theory.md` §A1.11), so:
//!
//! * **MSE** `ℓ = ½‖f − y‖²` (`H_ℓ = I_k`): `ESD(G) = (1 − nk/P) δ_0 + (nk/P)·ν_{K/n}`;
//! * **cross-entropy at initialisation** (near-uniform logits, `H_ℓ ≈ (1/C)(I − 11ᵀ/C)`, eigenvalues `1/C` with
//!   multiplicity `C − 1` and one 0): `ESD(G) = (1 − n(C−1)/P) δ_0 + (n(C−1)/P)·ν_{K/(nC)}`;
//!
//! where `ν_{K/n}` is the NTK law scaled by `1/n` in the NTK parameterisation, and the law of `K_SP/n` itself in
//! the standard parameterisation (that is what [`NeuralTangentKernel`] returns there). The zero eigenvalues number
//! `P − nk` (resp. `P − n(C−1)`), which needs `P ≥ nk`. Low-rank parts of K (non-centred activations, biases)
//! are outliers: see [`GaussNewton::outlier`].

use std::fmt;
use std::sync::Arc;

use crate::LawError;
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::neural_kernels::{NeuralTangentKernel, Parameterization};

/// The loss whose curvature enters the Gauss–Newton matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaussNewtonLoss {
    /// `ℓ = ½‖f − y‖²` with `outputs` independent outputs (`H_ℓ = I`).
    Mse {
        /// Number of outputs k ≥ 1.
        outputs: usize,
    },
    /// Softmax cross-entropy with `classes` outputs at initialisation, `H_ℓ ≈ (1/C)(I − 11ᵀ/C)`.
    CrossEntropy {
        /// Number of classes C ≥ 2.
        classes: usize,
    },
}

/// The law of `w·(s·X) + (1 − w)·δ_0` for `X ~ inner`: the Gauss–Newton ESD of the module docs.
///
/// ```
/// use std::sync::Arc;
/// use landscape_theory::activation::Activation;
/// use landscape_theory::gauss_newton::{GaussNewton, GaussNewtonLoss};
/// use landscape_theory::neural_kernels::{NetworkSpec, NeuralTangentKernel};
/// use landscape_theory::SpectralLaw;
/// let spec = NetworkSpec::new(100.0, 100.0, vec![100.0], Activation::Tanh);
/// let ntk = NeuralTangentKernel::new(spec).unwrap();
/// let gn = GaussNewton::new(ntk, GaussNewtonLoss::Mse { outputs: 1 }).unwrap();
/// // P = 100·100 + 100 parameters, n·k = 100 nonzero eigenvalues of mean (1 + a)/n.
/// let a = Activation::Tanh.constants().a;
/// assert!((gn.atoms()[0].mass - (1.0 - 100.0 / 10100.0)).abs() < 1e-12);
/// assert!((gn.moment(1) - (100.0 / 10100.0) * (1.0 + a) / 100.0).abs() < 1e-10);
/// ```
#[derive(Debug, Clone)]
pub struct GaussNewton {
    ntk: Arc<NeuralTangentKernel>,
    loss: GaussNewtonLoss,
    params: f64,
    weight: f64,
    scale: f64,
}

impl GaussNewton {
    /// The Gauss–Newton law for the network of `ntk` (sizes from its spec; P counts weights only, no biases:
    /// `P = Σ_ℓ d_ℓ d_{ℓ−1} + d_L·k`) and `loss`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] for `outputs = 0`, `classes < 2`, or fewer parameters than nonzero
    /// eigenvalues (`P < nk`).
    pub fn new(ntk: NeuralTangentKernel, loss: GaussNewtonLoss) -> Result<Self, LawError> {
        const LAW: &str = "gauss_newton";
        let spec = ntk.spec().clone();
        let (k, nonzero_per_sample, hessian_scale) = match loss {
            GaussNewtonLoss::Mse { outputs } if outputs >= 1 => {
                (outputs as f64, outputs as f64, 1.0)
            }
            GaussNewtonLoss::CrossEntropy { classes } if classes >= 2 => {
                (classes as f64, classes as f64 - 1.0, 1.0 / classes as f64)
            }
            GaussNewtonLoss::Mse { .. } => {
                return Err(LawError::invalid(
                    LAW,
                    "outputs",
                    0.0,
                    "at least one output",
                ));
            }
            GaussNewtonLoss::CrossEntropy { classes } => {
                return Err(LawError::invalid(
                    LAW,
                    "classes",
                    classes as f64,
                    "at least two classes",
                ));
            }
        };
        let mut params = 0.0;
        let mut fan_in = spec.d0;
        for &d in &spec.widths {
            params += d * fan_in;
            fan_in = d;
        }
        params += fan_in * k;
        let nonzero = spec.n * nonzero_per_sample;
        if params < nonzero {
            return Err(LawError::invalid(
                LAW,
                "params",
                params,
                "P ≥ n·(outputs) (fewer parameters than outputs: G has no zero eigenvalues and this law \
                 does not apply)",
            ));
        }
        let per_n = match spec.parameterization {
            Parameterization::Ntk => 1.0 / spec.n,
            Parameterization::Standard => 1.0,
        };
        Ok(Self {
            ntk: Arc::new(ntk),
            loss,
            params,
            weight: nonzero / params,
            scale: per_n * hessian_scale,
        })
    }

    /// Number of parameters P.
    pub fn params(&self) -> f64 {
        self.params
    }

    /// The loss.
    pub fn loss(&self) -> GaussNewtonLoss {
        self.loss
    }

    /// Fraction of nonzero eigenvalues `nk/P` (MSE) or `n(C−1)/P` (cross-entropy).
    pub fn nonzero_fraction(&self) -> f64 {
        self.weight
    }

    /// The factor mapping an NTK eigenvalue to a Gauss–Newton eigenvalue (`1/n` or `1/(nC)` in the NTK
    /// parameterisation; `1` or `1/C` in the standard one, whose NTK law is already that of `K_SP/n`).
    pub fn eigenvalue_scale(&self) -> f64 {
        self.scale
    }

    /// The outlier of G from a raw non-centred activation at depth 1 (`docs/theory.md` §A3.1): the NTK spike `≈ n(Eφ)²`
    /// mapped by [`GaussNewton::eigenvalue_scale`]; one outlier per output (MSE) or per nonzero Hessian direction
    /// (cross-entropy). `None` for centred activations.
    pub fn outlier(&self) -> Option<f64> {
        self.ntk.spike().map(|s| s * self.scale)
    }
}

impl fmt::Display for GaussNewton {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.loss {
            GaussNewtonLoss::Mse { outputs } => {
                write!(f, "gauss_newton({}, loss=mse, outputs={outputs})", self.ntk)
            }
            GaussNewtonLoss::CrossEntropy { classes } => write!(
                f,
                "gauss_newton({}, loss=cross_entropy, classes={classes})",
                self.ntk
            ),
        }
    }
}

impl SpectralLaw for GaussNewton {
    fn pdf(&self, x: f64) -> f64 {
        self.weight * self.ntk.pdf(x / self.scale) / self.scale
    }

    fn cdf(&self, x: f64) -> f64 {
        let zero = if x >= 0.0 { 1.0 - self.weight } else { 0.0 };
        zero + self.weight * self.ntk.cdf(x / self.scale)
    }

    fn support(&self) -> Support {
        Support {
            intervals: self
                .ntk
                .support()
                .intervals
                .iter()
                .map(|i| Interval::new(i.lo * self.scale, i.hi * self.scale))
                .collect(),
        }
    }

    fn atoms(&self) -> Vec<Atom> {
        let mut atoms = vec![Atom {
            location: 0.0,
            mass: 1.0 - self.weight,
        }];
        for a in self.ntk.atoms() {
            let location = a.location * self.scale;
            let mass = a.mass * self.weight;
            if location == 0.0 {
                atoms[0].mass += mass;
            } else {
                atoms.push(Atom { location, mass });
            }
        }
        atoms.retain(|a| a.mass > 0.0);
        atoms.sort_by(|a, b| a.location.total_cmp(&b.location));
        atoms
    }

    fn moment(&self, k: u32) -> f64 {
        if k == 0 {
            return 1.0;
        }
        self.weight * self.scale.powi(k as i32) * self.ntk.moment(k)
    }

    fn cauchy(&self, z: Complex64) -> Complex64 {
        self.weight * self.ntk.cauchy(z / self.scale) / self.scale + (1.0 - self.weight) / z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;
    use crate::neural_kernels::NetworkSpec;

    #[test]
    fn cross_entropy_scales_by_classes_and_counts_c_minus_one_directions() {
        let spec = NetworkSpec::new(50.0, 40.0, vec![60.0], Activation::Erf);
        let ntk = NeuralTangentKernel::new(spec).unwrap();
        let mean = ntk.moment(1);
        let gn = GaussNewton::new(ntk, GaussNewtonLoss::CrossEntropy { classes: 10 }).unwrap();
        let p = 40.0 * 60.0 + 60.0 * 10.0;
        assert!((gn.params() - p).abs() < 1e-9);
        assert!((gn.nonzero_fraction() - 50.0 * 9.0 / p).abs() < 1e-15);
        // Trace of G / P = (n(C−1)/P)·mean/(nC).
        assert!((gn.moment(1) - 50.0 * 9.0 / p * mean / 500.0).abs() < 1e-12);
        assert!((gn.cdf(0.0) - (1.0 - gn.nonzero_fraction())).abs() < 1e-12);
    }

    #[test]
    fn too_few_parameters_is_rejected() {
        let spec = NetworkSpec::new(1000.0, 2.0, vec![2.0], Activation::Tanh);
        let ntk = NeuralTangentKernel::new(spec).unwrap();
        assert!(GaussNewton::new(ntk, GaussNewtonLoss::Mse { outputs: 1 }).is_err());
    }

    #[test]
    fn gauss_newton_passes_the_conformance_checker() {
        let spec = NetworkSpec::new(100.0, 100.0, vec![80.0, 120.0], Activation::Gelu);
        let ntk = NeuralTangentKernel::new(spec).unwrap();
        let gn = GaussNewton::new(ntk, GaussNewtonLoss::Mse { outputs: 1 }).unwrap();
        // The inner law's table accuracy (see `numerical`), rescaled.
        let tol = crate::conformance::ConformanceTolerance {
            mass: 1e-7,
            cdf: 1e-7,
            moment: 1e-7,
            cauchy: 1e-7,
            quantile: 1e-6,
            quadrature: 1e-10,
            max_moment: 3,
            grid_points: 12,
        };
        crate::conformance::check_law(&gn, &tol).unwrap_or_else(|e| panic!("{e}"));
    }
}
