//! Conjugate-kernel (CK) and neural-tangent-kernel (NTK) spectra of fully connected networks at random
//! initialisation, in the linear-width regime.
//!
//! # The network (Fan & Wang 2020, "Spectra of the conjugate kernel and neural tangent kernel for linear-width
//! neural networks", NeurIPS; `docs/theory.md` §A1.1)
//! Data `X_0 ∈ R^{d0×n}` with columns of norm ≈ 1; layers `X_ℓ = σ(W_ℓ X_{ℓ−1})/√d_ℓ` with `W_ℓ` iid N(0, 1), an
//! activation σ centred and normalised (`E σ(ξ) = 0`, `E σ(ξ)² = 1`), output `f = wᵀx_L`, `w ~ N(0, I)`. This is
//! the NTK parameterisation. The CK of layer ℓ is `C_ℓ = X_ℓᵀX_ℓ` and the NTK is `K = JJᵀ` (both `n × n`), with
//! `γ_ℓ = n/d_ℓ` held fixed as `n → ∞`.
//!
//! # The limit laws
//! * CK (§A1.4): `μ_ℓ = MP_{γ_ℓ} ⊠ ((1 − b²) + b²·μ_{ℓ−1})`, with `μ_0` the law of `X_0ᵀX_0`: `MP_{γ0}` for
//!   Gaussian data ([`InputData::Gaussian`]), `δ_1` for orthonormal data ([`InputData::Orthonormal`]).
//! * NTK (§A1.5): the law of `r I + Σ_{k=0}^{L} q_k C_k` with `q_k = Π_{j>k} b_j²` (`q_L = 1`) and
//!   `r = Σ_{ℓ=1}^{L} (Π_{j≥ℓ} a_j − Π_{j≥ℓ} b_j²)`.
//! * Standard parameterisation (§A1.11): the law of `K_SP/n`, with `q_k = Π_{j>k} b_j²/γ_k` and
//!   `r = Σ_ℓ (Π_{j≥ℓ} a_j − Π_{j≥ℓ} b_j²)/γ_{ℓ−1}`.
//! * Raw activations at weight variance `σ_w²` (§A1.10): the same laws with per-layer `b_ℓ`, `a_ℓ` from the NNGP
//!   recursion ([`raw_layer_constants`]), scaled by `Var φ(h_L)`.
//!
//! All of them are the law of a linear combination `r I + Σ q_k C_k`, a [`KernelModel`], whose Stieltjes transform
//! solves the fixed point of `docs/theory.md` §A1.6 in `L` (or `L + 1`) unknowns δ; [`KernelFixedPoint`] solves it by damped
//! Newton and the shared [`NumericalLaw`] engine does the rest.
//!
//! Conventions: `G(z) = −m(z)` is the Cauchy transform (crate convention); the `m` of `docs/theory.md` §A1.6 is the Stieltjes
//! transform. `MP_γ` here has mean 1 and variance γ (the crate's `mp(ratio=γ, variance=1)`).

use std::fmt;

use crate::LawError;
use crate::activation::{Activation, raw_layer_constants};
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::numerical::{CauchySolver, NumericalConfig, NumericalLaw};

/// Largest supported depth (the fixed point has `L + 1` unknowns; deeper nets are fine mathematically but untested).
pub const MAX_DEPTH: usize = 16;
/// Newton stops when `max_k |F_k(x)|/|x_k| ≤ NEWTON_TOL`: a few ulps of each unknown.
const NEWTON_TOL: f64 = 1e-14;
/// If the line search cannot decrease `|F|` any more, the iterate is accepted when `|F|` is already below this.
/// Stagnation happens only within ~1e-10·scale of an atom or a hard edge (the engine's innermost graded panels),
/// where `c_0 − w` is a difference of O(1) terms that cancel to O(distance), so `F` has a rounding floor of
/// ~1e-16/distance relative (measured: 3e-7 at 5e-12 from an atom). Those panels carry < 1e-9 of mass, so an
/// unknown good to 1e-6 there does not affect the cdf or the moments at the 1e-9 level.
const NEWTON_FLOOR: f64 = 1e-6;
/// Newton iterations per solve (3–8 are typical from a warm start; `docs/theory.md` §A2.2).
const NEWTON_STEPS: usize = 80;
/// Relative step of the central-difference Jacobian. `T` is holomorphic, so any direction works; the O(h²) ≈ 1e-12
/// relative error only slows Newton to a linear rate with a tiny factor, and 1e-6 keeps the rounding error of the
/// difference (~1e-16/1e-6) at 1e-10.
const JACOBIAN_STEP: f64 = 1e-6;
/// Largest `|E φ(h_ℓ)|` treated as centred in the raw mode (quadrature of an odd function gives ~1e-17).
const CENTRED_TOL: f64 = 1e-12;

/// The law of the input Gram matrix `X_0ᵀX_0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputData {
    /// iid Gaussian data, entries N(0, 1/d0): `μ_0 = MP_{γ0}`, `γ0 = n/d0` (`data=gaussian`, the default).
    #[default]
    Gaussian,
    /// Orthonormal columns: `μ_0 = δ_1` (`data=orthonormal`; needs `d0 ≥ n`).
    Orthonormal,
}

impl InputData {
    /// The expression word.
    pub fn name(self) -> &'static str {
        match self {
            InputData::Gaussian => "gaussian",
            InputData::Orthonormal => "orthonormal",
        }
    }
}

/// How the weights are scaled (`docs/theory.md` §A1.1, §A1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parameterization {
    /// NTK (Fan–Wang) parameterisation: the law of `K` (`parameterization=ntk`, the default).
    #[default]
    Ntk,
    /// Standard parameterisation: the law of `K_SP/n` (`parameterization=standard`).
    Standard,
}

impl Parameterization {
    /// The expression word.
    pub fn name(self) -> &'static str {
        match self {
            Parameterization::Ntk => "ntk",
            Parameterization::Standard => "standard",
        }
    }
}

/// A network shape and conventions, as written in `ck(...)` and `ntk(...)` law expressions.
///
/// `n` samples, input dimension `d0`, hidden widths `d_1..d_L` (`widths`), all positive (only their ratios
/// matter); `layer` (CK only) picks `C_layer`, default `L`; `weight_variance = Some(σ_w²)` switches from the
/// Fan–Wang normalised activation to the raw activation with weights of variance `σ_w²/fan_in` (§A1.10).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// Number of samples n.
    pub n: f64,
    /// Input dimension d0.
    pub d0: f64,
    /// Hidden widths d_1..d_L.
    pub widths: Vec<f64>,
    /// The activation.
    pub activation: Activation,
    /// CK layer (1..=L); `None` means L.
    pub layer: Option<usize>,
    /// Parameterisation (NTK only).
    pub parameterization: Parameterization,
    /// Input data law.
    pub data: InputData,
    /// `Some(σ_w²)`: raw activation at this weight variance; `None`: centred, normalised activation.
    pub weight_variance: Option<f64>,
}

impl NetworkSpec {
    /// The Fan–Wang defaults for `n`, `d0`, `widths` and `activation`.
    pub fn new(n: f64, d0: f64, widths: Vec<f64>, activation: Activation) -> Self {
        Self {
            n,
            d0,
            widths,
            activation,
            layer: None,
            parameterization: Parameterization::Ntk,
            data: InputData::Gaussian,
            weight_variance: None,
        }
    }

    /// Writes `name(n=…, d0=…, widths=[…], activation=…, …)`, non-default options only.
    pub fn write_expr(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        let widths: Vec<String> = self.widths.iter().map(f64::to_string).collect();
        write!(
            f,
            "{name}(n={}, d0={}, widths=[{}], activation={}",
            self.n,
            self.d0,
            widths.join(", "),
            self.activation
        )?;
        if let Some(layer) = self.layer {
            write!(f, ", layer={layer}")?;
        }
        if self.parameterization != Parameterization::Ntk {
            write!(f, ", parameterization={}", self.parameterization.name())?;
        }
        if self.data != InputData::Gaussian {
            write!(f, ", data={}", self.data.name())?;
        }
        if let Some(v) = self.weight_variance {
            write!(f, ", weight_variance={v}")?;
        }
        f.write_str(")")
    }

    fn validate(&self, law: &'static str) -> Result<(), LawError> {
        crate::error::require_positive(law, "n", self.n)?;
        crate::error::require_positive(law, "d0", self.d0)?;
        if self.widths.is_empty() || self.widths.len() > MAX_DEPTH {
            return Err(LawError::invalid(
                law,
                "depth",
                self.widths.len() as f64,
                "between 1 and 16 hidden widths",
            ));
        }
        for &d in &self.widths {
            crate::error::require_positive(law, "widths", d)?;
        }
        if self.data == InputData::Orthonormal && self.d0 < self.n {
            return Err(LawError::invalid(
                law,
                "d0",
                self.d0,
                "d0 ≥ n for orthonormal data (n orthonormal vectors need d0 ≥ n dimensions)",
            ));
        }
        if let Some(v) = self.weight_variance {
            crate::error::require_positive(law, "weight_variance", v)?;
        }
        Ok(())
    }

    /// Per-layer `(b_ℓ², a_ℓ)` for layers 1..=depth, the scale factor of the law, and the first layer's mean term.
    fn layer_constants(
        &self,
        law: &'static str,
        depth: usize,
    ) -> Result<(Vec<f64>, Vec<f64>, f64, f64), LawError> {
        match self.weight_variance {
            None => {
                let c = self.activation.constants();
                Ok((vec![c.b * c.b; depth], vec![c.a; depth], 1.0, 0.0))
            }
            Some(v) => {
                let c = raw_layer_constants(self.activation, v, 1.0, depth)?;
                if depth >= 2 && c.mean.iter().any(|m| m.abs() > CENTRED_TOL) {
                    return Err(LawError::Unsupported {
                        law,
                        reason: format!(
                            "a raw {} activation is not centred; beyond one layer its bulk law is open \
                             (docs/theory.md §A3.1): centre it or use the default normalised activation",
                            self.activation
                        ),
                    });
                }
                let b2 = c.b.iter().map(|b| b * b).collect();
                Ok((b2, c.a, c.variance[depth - 1], c.mean[0]))
            }
        }
    }

    fn gammas(&self, depth: usize) -> Vec<f64> {
        self.widths[..depth].iter().map(|d| self.n / d).collect()
    }
}

/// The law of `r I + Σ_{k=0}^{L} q_k C_k` for the Fan–Wang Gram matrices `C_k` (`docs/theory.md` §A1.5–A1.6, §A2.1).
///
/// Domain: `γ_k > 0`, `b_k² ∈ [0, 1]`, `q_k ≥ 0` not all zero, `r ≥ 0`.
///
/// ```
/// use landscape_theory::neural_kernels::{InputData, KernelModel};
/// // One layer, b = 0, q = e_1: the CK is MP_{γ1} (mean 1, variance γ1).
/// let m = KernelModel::new(InputData::Orthonormal, 1.0, vec![0.5], vec![0.0], vec![0.0, 1.0], 0.0).unwrap();
/// assert_eq!((m.mean(), m.variance()), (1.0, 0.5));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KernelModel {
    data: InputData,
    gamma0: f64,
    gammas: Vec<f64>,
    b2: Vec<f64>,
    q: Vec<f64>,
    r: f64,
}

impl KernelModel {
    /// The model with input law `data` (`gamma0 = n/d0`, used for Gaussian data), `gammas = γ_1..γ_L`,
    /// `b2 = b_1²..b_L²`, coefficients `q = q_0..q_L` and shift `r`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] when a parameter is outside the domain or the lengths disagree.
    pub fn new(
        data: InputData,
        gamma0: f64,
        gammas: Vec<f64>,
        b2: Vec<f64>,
        q: Vec<f64>,
        r: f64,
    ) -> Result<Self, LawError> {
        const LAW: &str = "kernel_model";
        crate::error::require_positive(LAW, "gamma0", gamma0)?;
        crate::error::require_non_negative(LAW, "r", r)?;
        if gammas.is_empty() || b2.len() != gammas.len() || q.len() != gammas.len() + 1 {
            return Err(LawError::invalid(
                LAW,
                "depth",
                gammas.len() as f64,
                "L ≥ 1 ratios, L values of b², L + 1 coefficients",
            ));
        }
        for &g in &gammas {
            crate::error::require_positive(LAW, "gamma", g)?;
        }
        for &b in &b2 {
            if !(0.0..=1.0).contains(&b) {
                return Err(LawError::invalid(LAW, "b2", b, "b² in [0, 1]"));
            }
        }
        for &c in &q {
            crate::error::require_non_negative(LAW, "q", c)?;
        }
        if q.iter().all(|&c| c == 0.0) {
            return Err(LawError::invalid(LAW, "q", 0.0, "some q_k > 0"));
        }
        Ok(Self {
            data,
            gamma0,
            gammas,
            b2,
            q,
            r,
        })
    }

    /// Depth L.
    pub fn depth(&self) -> usize {
        self.gammas.len()
    }

    /// `q_0..q_L`.
    pub fn coefficients(&self) -> &[f64] {
        &self.q
    }

    /// The shift r.
    pub fn shift(&self) -> f64 {
        self.r
    }

    /// Mean `r + Σ q_k` (every `C_k` has normalised trace 1; `docs/theory.md` §A2.4).
    pub fn mean(&self) -> f64 {
        self.r + self.q.iter().sum::<f64>()
    }

    /// `Q_i = Σ_{k≥i} q_k Π_{j=i+1}^{k} b_j²`, i = 0..L.
    fn q_tilde(&self) -> Vec<f64> {
        let l = self.depth();
        let mut out = vec![0.0; l + 1];
        let mut acc = 0.0;
        for i in (0..=l).rev() {
            if i < l {
                acc *= self.b2[i];
            }
            acc += self.q[i];
            out[i] = acc;
        }
        out
    }

    /// Variance `Σ_i g_i Q_i²` with `g_0 = Var μ_0` (γ0 or 0) and `g_i = γ_i` (`docs/theory.md` §A2.4, closed form from the
    /// free cumulants; independent of the fixed-point solver).
    pub fn variance(&self) -> f64 {
        let qt = self.q_tilde();
        let g0 = match self.data {
            InputData::Gaussian => self.gamma0,
            InputData::Orthonormal => 0.0,
        };
        g0 * qt[0] * qt[0]
            + self
                .gammas
                .iter()
                .zip(&qt[1..])
                .map(|(g, q)| g * q * q)
                .sum::<f64>()
    }

    /// An upper bound on the top of the support: `r + Σ q_k B_k` with `B_0 = (1 + √γ0)²` (or 1) and
    /// `B_k = ((1 − b_k²) + b_k² B_{k−1})(1 + √γ_k)²` (operator-norm bounds of `Σ^{1/2} W Σ^{1/2}`).
    fn upper_bound(&self) -> f64 {
        let mut bound = match self.data {
            InputData::Gaussian => (1.0 + self.gamma0.sqrt()).powi(2),
            InputData::Orthonormal => 1.0,
        };
        let mut total = self.r + self.q[0] * bound;
        for k in 0..self.depth() {
            bound =
                ((1.0 - self.b2[k]) + self.b2[k] * bound) * (1.0 + self.gammas[k].sqrt()).powi(2);
            total += self.q[k + 1] * bound;
        }
        total
    }

    /// The mass at 0 of `C_L` (the CK case): `1 − rank fraction`, where the rank fraction is `min(1, 1/γ_L)`, and
    /// through linear layers (`b² = 1`) also that of the layer below.
    fn ck_zero_atom(&self) -> f64 {
        let l = self.depth();
        let mut rank = 1.0_f64;
        let mut k = l;
        loop {
            rank = rank.min(1.0 / self.gammas[k - 1]);
            if self.b2[k - 1] < 1.0 {
                break;
            }
            k -= 1;
            if k == 0 {
                if self.data == InputData::Gaussian {
                    rank = rank.min(1.0 / self.gamma0);
                }
                break;
            }
        }
        (1.0 - rank).max(0.0)
    }

    /// The atom of `r I + Σ q_k C_k` at the bottom of its spectrum, for a generic (nonlinear, `b_k² < 1`) network:
    /// the common null space of the `C_k` with `q_k > 0` has dimension fraction `1 − Σ_k min(1, 1/γ_k)` (ranks of
    /// independent generic subspaces add), at `r` (plus `q_0` for orthonormal data, where `C_0 = I`).
    fn bottom(&self) -> f64 {
        match self.data {
            InputData::Gaussian => self.r,
            InputData::Orthonormal => self.r + self.q[0],
        }
    }

    fn generic_bottom_atom(&self) -> Option<Atom> {
        if self.b2.iter().any(|&b| b >= 1.0) {
            return None;
        }
        let mut rank = 0.0;
        let location = self.bottom();
        if self.data == InputData::Gaussian && self.q[0] > 0.0 {
            rank += (1.0 / self.gamma0).min(1.0);
        }
        for (g, &q) in self.gammas.iter().zip(&self.q[1..]) {
            if q > 0.0 {
                rank += (1.0 / g).min(1.0);
            }
        }
        (rank < 1.0).then_some(Atom {
            location,
            mass: 1.0 - rank,
        })
    }

    /// The map of `docs/theory.md` §A1.6 in the inverted unknowns `x_k = 1/δ_k`: returns `(1/T(1/x), m)` with `m` the
    /// Stieltjes transform estimate. In these unknowns `s_k = c_k x_k/(x_k + c_k)` and
    /// `t_k = 1/(γ_k (x_k + c_k))` stay finite where δ blows up (next to atoms and hard edges, where `m → ∞`).
    fn map(&self, z: Complex64, x: &[Complex64]) -> (Vec<Complex64>, Complex64) {
        let l = self.depth();
        let one = Complex64::new(1.0, 0.0);
        let mut c: Vec<Complex64> = self.q.iter().map(|&q| Complex64::new(q, 0.0)).collect();
        let mut w = z - self.r;
        if self.data == InputData::Orthonormal {
            // C_0 = I: fold q_0 into the shift before subtracting, so that next to the atom at r + q_0 the
            // difference c_0 − w does not cancel two O(1) terms.
            w = z - (self.r + self.q[0]);
            c[0] = Complex64::new(0.0, 0.0);
        }
        for k in (1..=l).rev() {
            let s = c[k] * x[k] / (x[k] + c[k]);
            w -= (1.0 - self.b2[k - 1]) * s;
            let add = self.b2[k - 1] * s;
            c[k - 1] += add;
        }
        let mut out = vec![Complex64::new(0.0, 0.0); l + 1];
        let (m, mut t) = match self.data {
            InputData::Gaussian => {
                let s0 = c[0] * x[0] / (x[0] + c[0]);
                let m = one / (s0 - w);
                // 1/δ_0' = 1/(γ0 m) = (s0 − w)/γ0.
                out[0] = (s0 - w) / self.gamma0;
                (m, one / (self.gamma0 * (x[0] + c[0])))
            }
            InputData::Orthonormal => {
                let m = one / (c[0] - w);
                (m, m)
            }
        };
        for k in 1..=l {
            let g = self.gammas[k - 1];
            let b2 = self.b2[k - 1];
            out[k] = one / (g * (b2 * t + (1.0 - b2) * m));
            t = one / (g * (x[k] + c[k]));
        }
        (out, m)
    }

    /// Whether component k of δ is an unknown (δ_0 is one only for Gaussian data).
    fn active(&self, k: usize) -> bool {
        k > 0 || self.data == InputData::Gaussian
    }
}

/// The fixed point of `docs/theory.md` §A1.6 as a [`CauchySolver`]: damped Newton on `F(x) = x − 1/T(1/x; z)` in the
/// inverted unknowns `x_k = 1/δ_k` (finite at atoms and hard edges, where δ diverges) with a forward-difference
/// Jacobian, keeping every `Im x_k < 0` (i.e. `Im δ_k > 0`); the state is x.
#[derive(Debug, Clone)]
pub struct KernelFixedPoint {
    model: KernelModel,
}

impl KernelFixedPoint {
    /// The solver for `model`.
    pub fn new(model: KernelModel) -> Self {
        Self { model }
    }

    fn residual(&self, z: Complex64, delta: &[Complex64]) -> (Vec<Complex64>, Complex64) {
        let (t, m) = self.model.map(z, delta);
        let f = delta.iter().zip(&t).map(|(d, t)| d - t).collect();
        (f, m)
    }

    fn in_branch(&self, delta: &[Complex64]) -> bool {
        delta.iter().enumerate().all(|(k, d)| {
            d.re.is_finite()
                && d.im.is_finite()
                && (!self.model.active(k) || d.im <= 16.0 * f64::EPSILON * d.norm())
        })
    }
}

/// `max_k |f_k|/|x_k|`: the residual relative to each unknown (inactive unknowns have `f_k = x_k = 0`).
fn relative_norm(f: &[Complex64], x: &[Complex64]) -> f64 {
    f.iter()
        .zip(x)
        .map(|(f, x)| {
            if f.norm() == 0.0 {
                0.0
            } else {
                f.norm() / x.norm().max(1e-300)
            }
        })
        .fold(0.0, f64::max)
}

/// Solves `a x = rhs` in place by Gaussian elimination with partial pivoting (`a` is `n × n`, row-major).
fn solve_linear(a: &mut [Complex64], rhs: &mut [Complex64], n: usize) -> bool {
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].norm().total_cmp(&a[j * n + col].norm()))
            .unwrap_or(col);
        if a[pivot * n + col].norm() == 0.0 || !a[pivot * n + col].norm().is_finite() {
            return false;
        }
        if pivot != col {
            for j in 0..n {
                a.swap(col * n + j, pivot * n + j);
            }
            rhs.swap(col, pivot);
        }
        for row in col + 1..n {
            let factor = a[row * n + col] / a[col * n + col];
            for j in col..n {
                let v = a[col * n + j];
                a[row * n + j] -= factor * v;
            }
            let v = rhs[col];
            rhs[row] -= factor * v;
        }
    }
    for col in (0..n).rev() {
        let mut v = rhs[col];
        for j in col + 1..n {
            v -= a[col * n + j] * rhs[j];
        }
        rhs[col] = v / a[col * n + col];
    }
    true
}

impl CauchySolver for KernelFixedPoint {
    type State = Vec<Complex64>;

    fn solve(
        &self,
        z: Complex64,
        warm: Option<&Vec<Complex64>>,
    ) -> Result<(Complex64, Vec<Complex64>), LawError> {
        let model = &self.model;
        let dim = model.depth() + 1;
        let fail = |detail: String| LawError::NoConvergence {
            what: "CK/NTK fixed point",
            detail,
        };
        let mut delta: Vec<Complex64> = match warm {
            Some(d) if d.len() == dim && self.in_branch(d) => d.clone(),
            _ => {
                // m ≈ −1/z at large |z|, so δ_k = γ_k τ(Σ R) ≈ −γ_k/z and x_k = 1/δ_k ≈ −z/γ_k.
                let mut d = vec![Complex64::new(0.0, 0.0); dim];
                if model.data == InputData::Gaussian {
                    d[0] = -z / model.gamma0;
                }
                for (dk, g) in d[1..].iter_mut().zip(&model.gammas) {
                    *dk = -z / g;
                }
                d
            }
        };
        let (mut f, mut m) = self.residual(z, &delta);
        let mut norm = relative_norm(&f, &delta);
        let mut jac = vec![Complex64::new(0.0, 0.0); dim * dim];
        for _ in 0..NEWTON_STEPS {
            if norm <= NEWTON_TOL {
                break;
            }
            for j in 0..dim {
                if !model.active(j) {
                    for i in 0..dim {
                        jac[i * dim + j] = Complex64::new(if i == j { 1.0 } else { 0.0 }, 0.0);
                    }
                    continue;
                }
                // Central differences with a step relative to |x_j| (x_j → 0 at atoms and hard edges).
                let h = JACOBIAN_STEP * delta[j].norm().max(1e-300);
                let (mut plus, mut minus) = (delta.clone(), delta.clone());
                plus[j] += h;
                minus[j] -= h;
                let (fp, _) = self.residual(z, &plus);
                let (fm, _) = self.residual(z, &minus);
                for i in 0..dim {
                    jac[i * dim + j] = (fp[i] - fm[i]) / (2.0 * h);
                }
            }
            let mut step: Vec<Complex64> = f.iter().map(|v| -v).collect();
            if !solve_linear(&mut jac, &mut step, dim) {
                // A numerically singular Jacobian (a hard edge, where dF/dx → 0): stop here and let the floor
                // test decide.
                break;
            }
            let mut theta = 1.0;
            let mut accepted = false;
            while theta > 1e-12 {
                let cand: Vec<Complex64> = delta
                    .iter()
                    .zip(&step)
                    .map(|(d, s)| d + theta * s)
                    .collect();
                if self.in_branch(&cand) {
                    let (fc, mc) = self.residual(z, &cand);
                    let nc = relative_norm(&fc, &cand);
                    if nc.is_finite() && nc < norm {
                        delta = cand;
                        f = fc;
                        m = mc;
                        norm = nc;
                        accepted = true;
                        break;
                    }
                }
                theta *= 0.5;
            }
            if !accepted {
                break;
            }
        }
        if norm > NEWTON_FLOOR {
            return Err(fail(format!("|F| = {norm:e} at z = {z}")));
        }
        if m.im.is_nan() || m.im < -1e-12 * m.norm() || !self.in_branch(&delta) {
            return Err(fail(format!("wrong branch (Im m = {:e}) at z = {z}", m.im)));
        }
        Ok((-m, delta))
    }
}

fn build(
    name: String,
    model: KernelModel,
    atoms: Vec<Atom>,
    hard_edges: Vec<f64>,
) -> Result<NumericalLaw<KernelFixedPoint>, LawError> {
    let lo = model.r;
    let hi = model.upper_bound();
    let pad = 0.01 * (hi - lo);
    let config = NumericalConfig {
        search: Interval::new(lo - pad, hi + pad),
        atoms,
        hard_edges,
        regions: Vec::new(),
    };
    NumericalLaw::from_solver(name, KernelFixedPoint::new(model), config)
}

/// Formats a spec under a law name (for `Display`).
struct Named<'a>(&'a NetworkSpec, &'static str);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write_expr(f, self.1)
    }
}

/// The limit spectral law of the conjugate kernel `C_ℓ = X_ℓᵀX_ℓ` (`n × n`) of layer ℓ (`docs/theory.md` §A1.4):
/// `μ_ℓ = MP_{γ_ℓ} ⊠ ((1 − b²) + b² μ_{ℓ−1})`, with an atom `max(0, 1 − d_ℓ/n)` at 0.
///
/// Domain: all sizes positive; `d0 ≥ n` for orthonormal data. Reference: Fan & Wang 2020, Thm 3.4; Pennington &
/// Worah 2017 for one layer.
///
/// ```
/// use landscape_theory::activation::Activation;
/// use landscape_theory::neural_kernels::{ConjugateKernel, NetworkSpec};
/// use landscape_theory::SpectralLaw;
/// let spec = NetworkSpec::new(1000.0, 2000.0, vec![500.0, 1000.0], Activation::Tanh);
/// let ck = ConjugateKernel::new(spec).unwrap();
/// assert_eq!(ck.to_string(), "ck(n=1000, d0=2000, widths=[500, 1000], activation=tanh)");
/// // Mean 1, variance Σ_i b^{4(L−i)} γ_i (`docs/theory.md` §A2.4).
/// let b2 = Activation::Tanh.constants().b.powi(2);
/// assert!((ck.moment(1) - 1.0).abs() < 1e-9);
/// assert!((ck.moment(2) - 1.0 - (b2.powi(4) * 0.5 + b2 * b2 * 2.0 + 1.0)).abs() < 1e-8);
/// ```
#[derive(Debug, Clone)]
pub struct ConjugateKernel {
    spec: NetworkSpec,
    model: KernelModel,
    mean_term: f64,
    law: NumericalLaw<KernelFixedPoint>,
}

impl ConjugateKernel {
    /// The CK law of `spec` (layer `spec.layer`, default the last).
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] for sizes out of domain or a layer outside 1..=L;
    /// [`LawError::Unsupported`] for `parameterization=standard` (the CK does not depend on it) or a raw
    /// non-centred activation at depth ≥ 2; [`LawError::NoConvergence`] if tabulation fails.
    pub fn new(spec: NetworkSpec) -> Result<Self, LawError> {
        const LAW: &str = "ck";
        spec.validate(LAW)?;
        if spec.parameterization != Parameterization::Ntk {
            return Err(LawError::Unsupported {
                law: LAW,
                reason: "the conjugate kernel does not depend on the parameterisation; drop `parameterization`"
                    .into(),
            });
        }
        let depth = spec.widths.len();
        let layer = spec.layer.unwrap_or(depth);
        if layer == 0 || layer > depth {
            return Err(LawError::invalid(
                LAW,
                "layer",
                layer as f64,
                "a layer in 1..=L",
            ));
        }
        let (b2, _, scale, mean_term) = spec.layer_constants(LAW, layer)?;
        let mut q = vec![0.0; layer + 1];
        q[layer] = scale;
        let model = KernelModel::new(spec.data, spec.n / spec.d0, spec.gammas(layer), b2, q, 0.0)?;
        let zero = model.ck_zero_atom();
        let atoms = if zero > 0.0 {
            vec![Atom {
                location: 0.0,
                mass: zero,
            }]
        } else {
            Vec::new()
        };
        let law = build(
            Named(&spec, LAW).to_string(),
            model.clone(),
            atoms,
            vec![0.0],
        )?;
        Ok(Self {
            spec,
            model,
            mean_term,
            law,
        })
    }

    /// The network spec.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The linear-combination model (here `q = s·e_ℓ`, `r = 0`).
    pub fn model(&self) -> &KernelModel {
        &self.model
    }

    /// The rank-one outlier of a raw non-centred activation at depth 1 (`docs/theory.md` §A3.1): `n·(E φ)²`, or `None` when
    /// the activation is centred. It sits on top of the bulk given by this law.
    pub fn spike(&self) -> Option<f64> {
        (self.mean_term.abs() > CENTRED_TOL).then(|| self.spec.n * self.mean_term.powi(2))
    }
}

/// The limit spectral law of the NTK `K = JJᵀ` (`n × n`, NTK parameterisation) or of `K_SP/n` (standard
/// parameterisation): the law of `r I + Σ_k q_k C_k` with the coefficients of `docs/theory.md` §A1.5 / §A1.11.
///
/// Domain: as [`ConjugateKernel`]. Reference: Fan & Wang 2020, Thm 3.7; `docs/theory.md` §A1.5–A1.6.
///
/// ```
/// use landscape_theory::activation::Activation;
/// use landscape_theory::neural_kernels::{NetworkSpec, NeuralTangentKernel};
/// use landscape_theory::SpectralLaw;
/// let spec = NetworkSpec::new(1000.0, 1000.0, vec![1000.0, 1000.0], Activation::Relu);
/// let ntk = NeuralTangentKernel::new(spec).unwrap();
/// // The NTK diagonal: mean 1 + a + a².
/// let a = Activation::Relu.constants().a;
/// assert!((ntk.moment(1) - (1.0 + a + a * a)).abs() < 1e-8);
/// ```
#[derive(Debug, Clone)]
pub struct NeuralTangentKernel {
    spec: NetworkSpec,
    model: KernelModel,
    mean_term: f64,
    law: NumericalLaw<KernelFixedPoint>,
}

impl NeuralTangentKernel {
    /// The NTK law of `spec`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] for sizes out of domain or a `layer` given; [`LawError::Unsupported`] for a
    /// raw non-centred activation at depth ≥ 2; [`LawError::NoConvergence`] if tabulation fails.
    pub fn new(spec: NetworkSpec) -> Result<Self, LawError> {
        const LAW: &str = "ntk";
        spec.validate(LAW)?;
        if let Some(layer) = spec.layer {
            return Err(LawError::invalid(
                LAW,
                "layer",
                layer as f64,
                "no layer (the NTK involves every layer)",
            ));
        }
        let depth = spec.widths.len();
        let model = Self::model_of(&spec, LAW)?;
        let (_, _, _, mean_term) = spec.layer_constants(LAW, depth)?;
        let atoms: Vec<Atom> = model.generic_bottom_atom().into_iter().collect();
        // When the null-space fractions add up to exactly 1 (γ0 = γ1 = 2 at depth 1, or a linear square network)
        // the bottom of the spectrum is a hard edge: declared, so that a bisected edge within 1e-9 of it is
        // snapped there and the graded panels (with their tail extrapolation) meet the singularity where it is.
        let hard_edges = vec![model.bottom()];
        let law = build(
            Named(&spec, LAW).to_string(),
            model.clone(),
            atoms,
            hard_edges,
        )?;
        Ok(Self {
            spec,
            model,
            mean_term,
            law,
        })
    }

    /// The coefficients `(q, r)` of `docs/theory.md` §A1.5 (NTK) or §A1.11 (standard), times the raw-activation scale.
    fn model_of(spec: &NetworkSpec, law: &'static str) -> Result<KernelModel, LawError> {
        let depth = spec.widths.len();
        let (b2, a, scale, _) = spec.layer_constants(law, depth)?;
        let gamma0 = spec.n / spec.d0;
        let gammas = spec.gammas(depth);
        // Inverse aspect ratio of layer k's fan-in for the standard parameterisation.
        let weight = |k: usize| match spec.parameterization {
            Parameterization::Ntk => 1.0,
            Parameterization::Standard => 1.0 / if k == 0 { gamma0 } else { gammas[k - 1] },
        };
        let mut q = vec![0.0; depth + 1];
        let mut r = 0.0;
        q[depth] = scale * weight(depth);
        let (mut pb, mut pa) = (1.0, 1.0);
        for l in (1..=depth).rev() {
            pb *= b2[l - 1];
            pa *= a[l - 1];
            q[l - 1] = scale * pb * weight(l - 1);
            r += scale * (pa - pb) * weight(l - 1);
        }
        KernelModel::new(spec.data, gamma0, gammas, b2, q, r.max(0.0))
    }

    /// The network spec.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The linear-combination model.
    pub fn model(&self) -> &KernelModel {
        &self.model
    }

    /// The rank-one outlier of a raw non-centred activation at depth 1 (`docs/theory.md` §A3.1): `≈ n·(E φ)²` to leading
    /// order in n, or `None` when the activation is centred.
    pub fn spike(&self) -> Option<f64> {
        (self.mean_term.abs() > CENTRED_TOL).then(|| self.spec.n * self.mean_term.powi(2))
    }
}

macro_rules! delegate_law {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.law, f)
            }
        }

        impl SpectralLaw for $ty {
            fn pdf(&self, x: f64) -> f64 {
                self.law.pdf(x)
            }
            fn cdf(&self, x: f64) -> f64 {
                self.law.cdf(x)
            }
            fn support(&self) -> Support {
                self.law.support()
            }
            fn atoms(&self) -> Vec<Atom> {
                self.law.atoms()
            }
            fn moment(&self, k: u32) -> f64 {
                self.law.moment(k)
            }
            fn cauchy(&self, z: Complex64) -> Complex64 {
                self.law.cauchy(z)
            }
            fn quantile(&self, p: f64) -> Result<f64, LawError> {
                self.law.quantile(p)
            }
        }
    };
}

delegate_law!(ConjugateKernel);
delegate_law!(NeuralTangentKernel);
