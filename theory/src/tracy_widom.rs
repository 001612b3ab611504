//! The Tracy–Widom laws `F_β`, β ∈ {1, 2, 4}: the limit law of the centred and scaled largest eigenvalue of the
//! Gaussian orthogonal (β = 1), unitary (β = 2) and symplectic (β = 4) ensembles.
//!
//! # Formulas (Ferrari–Spohn 2005; Bornemann 2010, §§4–5)
//!
//! With the Hankel operator `B_s(x, y) = Ai(s + x + y)` on `L²(0, ∞)`:
//!
//! * `F₁(s) = det(I − B_s)`,
//! * `F₂(s) = det(I − B_s) det(I + B_s)` (= `det(I − K_Ai)` on `L²(s, ∞)`, since `K_Ai = B_s²` shifted),
//! * `F₄(s) = ½ [det(I − B_t) + det(I + B_t)]`, `t = √2 s`.
//!
//! `F₄` is in the **Tracy–Widom / Bornemann convention** (mean −2.3069). RMTstat's β = 4 law is
//! `½(F₁ + F₂/F₁)(s)` with no √2, i.e. `F₄(s/√2)` here: do not compare the two without rescaling.
//!
//! # Numerics
//!
//! Bornemann's Nyström method: Gauss–Legendre with `m` nodes on `[0, L]`, `L = max(16 − t, 6)` (so the kernel
//! entries beyond the cut are below `Ai(16) ≈ 1e-17`), the symmetric matrix `K_ij = √w_i Ai(t + x_i + x_j) √w_j`,
//! and `det(I ∓ K)` by LU with partial pivoting. The density is the exact derivative of the discretised
//! determinant: `d/dt det(I ∓ K) = ∓det(I ∓ K)·tr((I ∓ K)^{-1} K')` with `K'_ij = √w_i Ai'(t + x_i + x_j) √w_j`.
//! The error decays exponentially in `m` (Bornemann 2010, Thm 6.2); `m = 64` gives ~1e-15 absolute accuracy for
//! the CDF and the density on the effective support (measured against mpmath, see the tests).
//!
//! Mean, variance, moments and the Cauchy transform come from one cached composite Gauss–Legendre grid over the
//! effective support (29 panels × 12 nodes), built on first use.
//!
//! # Effective support
//!
//! The law lives on the whole line. [`SpectralLaw::support`] reports `[−12, 17]` for every β: by the tail
//! asymptotics (below) the mass outside is below 1e-20 for each β (the binding end is β = 1 on the right, where
//! `1 − F₁(17) ≈ 2e-21`); `cdf` and `pdf` are still evaluated outside it: by the Nyström determinant for
//! `s ≥ −8` and by the left-tail expansion ([`TracyWidom::left_tail_expansion`]) below, which keeps a relative
//! accuracy of ≤ 4e-6 where the determinant keeps only an absolute one (values below 2e-12 there; a fixed Nyström
//! rule cannot resolve the Airy oscillations far out and loses monotonicity from s ≈ −31 on).
//!
//! References: C. A. Tracy, H. Widom, Commun. Math. Phys. 159 (1994) 151 and 177 (1996) 727; F. Bornemann,
//! "On the numerical evaluation of distributions in random matrix theory: a review", Markov Processes Relat.
//! Fields 16 (2010) 803–866, which also tabulates the moments used in the tests.

use std::f64::consts::{PI, SQRT_2};
use std::fmt;
use std::sync::OnceLock;

use crate::LawError;
use crate::airy::airy_ai_and_derivative;
use crate::law::{Complex64, SpectralLaw, Support};
use crate::quadrature::{Rule, gauss_legendre};

/// Nyström nodes. Measured: the CDF and density change by < 3e-16 between m = 48 and m = 96 on `[−10, 17]`.
const NYSTROM_NODES: usize = 64;
/// The kernel is cut where its argument exceeds this (`Ai(16) = 2.1e-17`, below the double-precision resolution of
/// a determinant of size ~1).
const KERNEL_CUTOFF: f64 = 16.0;
/// Shortest Nyström interval: for large t the kernel decays like `e^{−√t (x+y)}`, and `L = 6` keeps the cut mass
/// below `e^{−6√t}·Ai(t)` relative to `Ai(t)`, i.e. negligible for every t where `L = 16 − t` would be shorter.
const MIN_INTERVAL: f64 = 6.0;
/// At and below this the cdf and density come from the left-tail expansion ([`TracyWidom::left_tail_expansion`]) instead
/// of the Nyström determinant. In double precision the determinant keeps ~1e-15 *absolute* accuracy only: its
/// relative error, measured against mpmath, grows from ~1e-9 at s = −8 to 2e-3 at s = −11 (β = 1, 2) and to 96% at
/// s = −10 (β = 4, where `t = √2 s`), and further out the 64-node rule stops resolving the Airy oscillations at all
/// (non-monotone cdf from s ≈ −31). The expansion is good to ≤ 4e-6 relative at −8 (β = 4: 9e-7, where the determinant is 4.5e-5 off) and
/// better beyond.
const LEFT_TAIL_CUTOFF: f64 = -8.0;
/// Ends of the reported effective support (see the module docs for the tail-mass argument).
const EFFECTIVE_SUPPORT: (f64, f64) = (-12.0, 17.0);
/// Panels and nodes of the cached grid for moments and the Cauchy transform (unit-width panels; the density is
/// entire and varies on a scale ≥ 0.5, so 12 nodes per unit panel integrate it to ~1e-16).
const GRID_NODES_PER_PANEL: usize = 12;

/// The Tracy–Widom law `F_β` for β ∈ {1, 2, 4} (GOE, GUE, GSE), in the Tracy–Widom convention (see the module docs).
///
/// ```
/// use landscape_theory::{SpectralLaw, tracy_widom::TracyWidom};
/// let tw2 = TracyWidom::new(2)?;
/// // Bornemann (2010): E = −1.7710868074116, Var = 0.8131947928329 for β = 2.
/// assert!((tw2.mean() + 1.771_086_807_411_6).abs() < 1e-11);
/// assert_eq!(tw2.to_string(), "tracy_widom(beta=2)");
/// // F₁(−2) = 0.27432019790921785767 (mpmath Nyström at 32 digits, theory/tests/reference/tracy_widom.py).
/// let tw1 = TracyWidom::new(1)?;
/// assert!((tw1.cdf(-2.0) - 0.274_320_197_909_217_9).abs() < 1e-14);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug)]
pub struct TracyWidom {
    beta: u8,
    rule: Rule,
    grid: OnceLock<Grid>,
}

/// Quadrature nodes, weights and density values over the effective support, shared by every moment.
#[derive(Debug)]
struct Grid {
    nodes: Vec<f64>,
    weights: Vec<f64>,
    density: Vec<f64>,
}

impl Clone for TracyWidom {
    fn clone(&self) -> Self {
        Self {
            beta: self.beta,
            rule: self.rule.clone(),
            grid: OnceLock::new(),
        }
    }
}

impl TracyWidom {
    /// The law `F_β`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] naming `beta` unless β ∈ {1, 2, 4}.
    pub fn new(beta: u8) -> Result<Self, LawError> {
        if !matches!(beta, 1 | 2 | 4) {
            return Err(LawError::invalid(
                "tracy_widom",
                "beta",
                f64::from(beta),
                "1, 2 or 4",
            ));
        }
        Ok(Self {
            beta,
            rule: gauss_legendre(NYSTROM_NODES),
            grid: OnceLock::new(),
        })
    }

    /// The law `F_β` with `nodes` Nyström nodes instead of the default 64 (for accuracy studies: the error decays
    /// exponentially in `nodes`).
    ///
    /// # Errors
    /// As [`TracyWidom::new`], and [`LawError::InvalidParameter`] naming `nodes` unless `8 ≤ nodes ≤ 400`.
    pub fn with_nodes(beta: u8, nodes: usize) -> Result<Self, LawError> {
        let mut law = Self::new(beta)?;
        if !(8..=400).contains(&nodes) {
            return Err(LawError::invalid(
                "tracy_widom",
                "nodes",
                nodes as f64,
                "an integer in [8, 400]",
            ));
        }
        law.rule = gauss_legendre(nodes);
        Ok(law)
    }

    /// The Dyson index β.
    pub fn beta(&self) -> u8 {
        self.beta
    }

    /// `(F_β(s), f_β(s))`: the CDF and the density from one Fredholm determinant evaluation
    /// (cost: `m(m+1)/2` Airy evaluations and two `m×m` LU solves, ~1–5 ms).
    ///
    /// Accuracy ~1e-15 absolute (see the module docs). For `s` far in the left tail the values are tiny and only
    /// absolutely accurate; for the right tail use `1 − cdf` only down to ~1e-15.
    pub fn cdf_and_pdf(&self, s: f64) -> (f64, f64) {
        if s.is_nan() {
            return (f64::NAN, f64::NAN);
        }
        if s == f64::INFINITY {
            return (1.0, 0.0);
        }
        if s == f64::NEG_INFINITY {
            return (0.0, 0.0);
        }
        if s <= LEFT_TAIL_CUTOFF {
            return self.left_tail_expansion(s);
        }
        match self.beta {
            1 => {
                let (dm, _, ddm, _) = self.fredholm(s);
                (dm, ddm)
            }
            2 => {
                let (dm, dp, ddm, ddp) = self.fredholm(s);
                (dm * dp, ddm * dp + dm * ddp)
            }
            _ => {
                let (dm, dp, ddm, ddp) = self.fredholm(SQRT_2 * s);
                (0.5 * (dm + dp), 0.5 * SQRT_2 * (ddm + ddp))
            }
        }
        .clamped()
    }

    /// Mean `E[X]` (β = 1: −1.2065335745820, β = 2: −1.7710868074116, β = 4: −2.306884893241; Bornemann 2010).
    ///
    /// ```
    /// let tw1 = landscape_theory::tracy_widom::TracyWidom::new(1)?;
    /// assert!((tw1.mean() + 1.206_533_574_582).abs() < 1e-11);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn mean(&self) -> f64 {
        self.grid_integral(|x| x)
    }

    /// Variance (β = 1: 1.6077810345810, β = 2: 0.8131947928329, β = 4: 0.5177237207726; Bornemann 2010).
    ///
    /// ```
    /// let tw4 = landscape_theory::tracy_widom::TracyWidom::new(4)?;
    /// assert!((tw4.variance() - 0.517_723_720_772_6).abs() < 1e-11);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn variance(&self) -> f64 {
        let mean = self.mean();
        self.grid_integral(|x| (x - mean) * (x - mean))
    }

    /// Leading-order left-tail asymptotic of the CDF as `s → −∞` (Tracy–Widom 1994/96; constants by
    /// Deift–Its–Krasovsky 2008 and Baik–Buckingham–DiFranco 2008), with relative corrections `O(|s|^{−3/2})`:
    ///
    /// * `F₁(s) ≈ τ₁|s|^{−1/16} e^{−|s|³/24 − |s|^{3/2}/(3√2)}`, `τ₁ = 2^{−11/48} e^{ζ'(−1)/2}`,
    /// * `F₂(s) ≈ τ₂|s|^{−1/8} e^{−|s|³/12}`, `τ₂ = 2^{1/24} e^{ζ'(−1)}`,
    /// * `F₄(s) ≈ τ₄|t|^{−1/16} e^{−|t|³/24 + |t|^{3/2}/(3√2)}`, `t = √2 s`, `τ₄ = τ₂/(2τ₁) = 2^{−35/48} e^{ζ'(−1)/2}`
    ///   (the `det(I + B_t) = F₂(t)/F₁(t)` term dominates).
    ///
    /// Meaningful for `s < 0` only.
    ///
    /// ```
    /// let tw2 = landscape_theory::tracy_widom::TracyWidom::new(2)?;
    /// let (exact, asym) = (tw2.cdf_and_pdf(-6.0).0, tw2.left_tail_asymptotic(-6.0));
    /// assert!((asym / exact - 1.0).abs() < 0.01);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn left_tail_asymptotic(&self, s: f64) -> f64 {
        // ζ'(−1) = 1/12 − ln A (Glaisher's constant A).
        const ZETA_PRIME_MINUS_ONE: f64 = -0.165_421_143_696_045_7;
        let a = s.abs();
        match self.beta {
            1 => {
                let tau1 = 2.0_f64.powf(-11.0 / 48.0) * (0.5 * ZETA_PRIME_MINUS_ONE).exp();
                tau1 * a.powf(-1.0 / 16.0)
                    * (-a.powi(3) / 24.0 - a.powf(1.5) / (3.0 * SQRT_2)).exp()
            }
            2 => {
                let tau2 = 2.0_f64.powf(1.0 / 24.0) * ZETA_PRIME_MINUS_ONE.exp();
                tau2 * a.powf(-1.0 / 8.0) * (-a.powi(3) / 12.0).exp()
            }
            _ => {
                // F₄(s) = ½[det(I−B_t) + det(I+B_t)], and for t → −∞ the second term dominates:
                // det(I+B_t) = F₂(t)/F₁(t) ≈ (τ₂/τ₁)|t|^{−1/16} e^{−|t|³/24 + |t|^{3/2}/(3√2)}.
                let t = SQRT_2 * a;
                let tau4 = 0.5
                    * 2.0_f64.powf(1.0 / 24.0 + 11.0 / 48.0)
                    * (0.5 * ZETA_PRIME_MINUS_ONE).exp();
                tau4 * t.powf(-1.0 / 16.0)
                    * (-t.powi(3) / 24.0 + t.powf(1.5) / (3.0 * SQRT_2)).exp()
            }
        }
    }

    /// `(F_β(s), f_β(s))` from the left-tail expansion, used by [`TracyWidom::cdf_and_pdf`] at and below `s = −8`
    /// (Tracy–Widom 1994, eq. (1.19); Baik–Buckingham–DiFranco 2008, Thm 1; Deift–Its–Krasovsky 2008):
    ///
    /// * `F₂(s) = τ₂|s|^{−1/8} e^{−|s|³/12} (1 + 3/(2⁶|s|³) + 2025/(2¹³|s|⁶) + O(|s|^{−9}))`,
    /// * `F₁(s) = τ₁|s|^{−1/16} e^{−|s|³/24 − |s|^{3/2}/(3√2)} (1 − u/(24√2) + (3/128 + 1/2304) u² + O(u³))`,
    ///   `u = |s|^{−3/2}`,
    /// * `F₄(s) = τ₄|t|^{−1/16} e^{−|t|³/24 + |t|^{3/2}/(3√2)} (1 + u/(24√2) + (3/128 + 1/2304) u² + O(u³))`,
    ///   `u = |t|^{−3/2}`, `t = √2 s`,
    ///
    /// with the constants of [`TracyWidom::left_tail_asymptotic`]. The β = 1 and β = 4 series are
    /// `√F₂ · exp(∓½∫_s^∞ q)` with the Hastings–McLeod expansion `q(x) = √(−x/2)(1 + 1/(8x³) + O(x^{−6}))`, which
    /// gives `∫_s^∞ q = C + (√2/3)|s|^{3/2} + |s|^{−3/2}/(12√2) + O(|s|^{−9/2})` (β = 4 drops the exponentially
    /// smaller `½F₁(t)`). The density is `F · d/ds log F` of the same series. Relative error, measured against
    /// mpmath (`tests/reference/tracy_widom_left_tail.py`): ≤ 4e-6 at `s = −8`, decreasing like `|s|^{−9/2}` (β = 1,
    /// 4) or `|s|^{−9}` (β = 2).
    ///
    /// ```
    /// let tw2 = landscape_theory::tracy_widom::TracyWidom::new(2)?;
    /// let (nystrom, expansion) = (tw2.cdf_and_pdf(-7.0).0, tw2.left_tail_expansion(-7.0).0);
    /// assert!((expansion / nystrom - 1.0).abs() < 1e-6);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn left_tail_expansion(&self, s: f64) -> (f64, f64) {
        let leading = self.left_tail_asymptotic(s);
        let a = s.abs();
        // The correction is a series in v = |s| (β = 1, 2) or |t| (β = 4) with terms (c_k, p_k) meaning c_k v^{−p_k};
        // `slope` is d/ds of the log of the leading term and `dv_da` = dv/d|s|.
        const SECOND: f64 = 3.0 / 128.0 + 1.0 / 2304.0;
        let first = 1.0 / (24.0 * SQRT_2);
        let (v, terms, slope, dv_da): (f64, [(f64, f64); 2], f64, f64) = match self.beta {
            1 => (
                a,
                [(-first, 1.5), (SECOND, 3.0)],
                a * a / 8.0 + a.sqrt() / (2.0 * SQRT_2) + 1.0 / (16.0 * a),
                1.0,
            ),
            2 => (
                a,
                [(3.0 / 64.0, 3.0), (2025.0 / 8192.0, 6.0)],
                a * a / 4.0 + 1.0 / (8.0 * a),
                1.0,
            ),
            _ => {
                let t = SQRT_2 * a;
                (
                    t,
                    [(first, 1.5), (SECOND, 3.0)],
                    SQRT_2 * (t * t / 8.0 - t.sqrt() / (2.0 * SQRT_2) + 1.0 / (16.0 * t)),
                    SQRT_2,
                )
            }
        };
        // c(v) = 1 + Σ c_k v^{−p_k}; d/ds log c = −dv_da·c'(v)/c with c'(v) = −Σ p_k c_k v^{−p_k−1}.
        let mut correction = 1.0;
        let mut derivative = 0.0;
        for (c, p) in terms {
            let term = c * v.powf(-p);
            correction += term;
            derivative += p * term / v;
        }
        let cdf = leading * correction;
        if cdf == 0.0 {
            // Underflow (below s ≈ −26 for every β); the density underflows with it.
            return (0.0, 0.0);
        }
        (cdf, cdf * (slope + dv_da * derivative / correction)).clamped()
    }

    /// Leading-order right-tail asymptotic of `1 − F_β(s)` as `s → +∞`, with relative corrections `O(s^{−3/2})`:
    /// `1 − F₁ ≈ e^{−(2/3)s^{3/2}}/(4√π s^{3/4})` and `1 − F₂ ≈ e^{−(4/3)s^{3/2}}/(16π s^{3/2})` (from
    /// `1 − F ≈ tr B_s` and `tr B_s²`). `None` for β = 4, where the first-order terms of `det(I ± B_t)` cancel and
    /// no leading constant is implemented. Meaningful for `s > 0` only.
    ///
    /// ```
    /// let tw1 = landscape_theory::tracy_widom::TracyWidom::new(1)?;
    /// let exact = 1.0 - tw1.cdf_and_pdf(6.0).0;
    /// let asym = tw1.right_tail_asymptotic(6.0).unwrap();
    /// assert!((asym / exact - 1.0).abs() < 0.1);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn right_tail_asymptotic(&self, s: f64) -> Option<f64> {
        match self.beta {
            1 => Some((-2.0 / 3.0 * s.powf(1.5)).exp() / (4.0 * PI.sqrt() * s.powf(0.75))),
            2 => Some((-4.0 / 3.0 * s.powf(1.5)).exp() / (16.0 * PI * s.powf(1.5))),
            _ => None,
        }
    }

    /// `(det(I − K_t), det(I + K_t), d/dt det(I − K_t), d/dt det(I + K_t))` by the Nyström method.
    fn fredholm(&self, t: f64) -> (f64, f64, f64, f64) {
        let m = self.rule.nodes.len();
        let length = (KERNEL_CUTOFF - t).max(MIN_INTERVAL);
        let mapped = self.rule.on_interval(0.0, length);
        let root_w: Vec<f64> = mapped.weights.iter().map(|w| w.sqrt()).collect();
        let mut kernel = vec![0.0; m * m];
        let mut derivative = vec![0.0; m * m];
        for i in 0..m {
            for j in i..m {
                let (ai, aip) = airy_ai_and_derivative(t + mapped.nodes[i] + mapped.nodes[j]);
                let scale = root_w[i] * root_w[j];
                kernel[i * m + j] = scale * ai;
                kernel[j * m + i] = scale * ai;
                derivative[i * m + j] = scale * aip;
                derivative[j * m + i] = scale * aip;
            }
        }
        let mut out = [0.0; 4];
        for (idx, sign) in [-1.0, 1.0].into_iter().enumerate() {
            let mut a: Vec<f64> = kernel.iter().map(|k| sign * k).collect();
            for i in 0..m {
                a[i * m + i] += 1.0;
            }
            let (det, trace) = determinant_and_trace_of_solve(&mut a, &derivative, m);
            out[idx] = det;
            // d/dt det(I + σK) = det · tr((I + σK)^{-1} σK').
            out[idx + 2] = det * sign * trace;
        }
        (out[0], out[1], out[2], out[3])
    }

    fn grid(&self) -> &Grid {
        self.grid.get_or_init(|| {
            let unit = gauss_legendre(GRID_NODES_PER_PANEL);
            let (lo, hi) = EFFECTIVE_SUPPORT;
            let panels = (hi - lo).round() as usize;
            let mut nodes = Vec::with_capacity(panels * GRID_NODES_PER_PANEL);
            let mut weights = Vec::with_capacity(panels * GRID_NODES_PER_PANEL);
            for p in 0..panels {
                let a = lo + p as f64;
                let rule = unit.on_interval(a, a + 1.0);
                nodes.extend_from_slice(&rule.nodes);
                weights.extend_from_slice(&rule.weights);
            }
            let density = nodes.iter().map(|&x| self.cdf_and_pdf(x).1).collect();
            Grid {
                nodes,
                weights,
                density,
            }
        })
    }

    fn grid_integral(&self, f: impl Fn(f64) -> f64) -> f64 {
        let grid = self.grid();
        grid.nodes
            .iter()
            .zip(&grid.weights)
            .zip(&grid.density)
            .map(|((&x, &w), &d)| w * d * f(x))
            .sum()
    }
}

/// Keeps a computed `(F, f)` inside `[0, 1] × [0, ∞)`, which rounding can leave by ~1e-16 in the tails.
trait Clamped {
    fn clamped(self) -> Self;
}

impl Clamped for (f64, f64) {
    fn clamped(self) -> Self {
        (self.0.clamp(0.0, 1.0), self.1.max(0.0))
    }
}

/// `(det A, tr(A^{-1} D))` for an `m×m` row-major `a` (overwritten by its LU factors) and `d`, by Gaussian
/// elimination with partial pivoting. `O(m³)`.
fn determinant_and_trace_of_solve(a: &mut [f64], d: &[f64], m: usize) -> (f64, f64) {
    let mut perm: Vec<usize> = (0..m).collect();
    let mut det = 1.0;
    for k in 0..m {
        let mut pivot = k;
        for i in k + 1..m {
            if a[i * m + k].abs() > a[pivot * m + k].abs() {
                pivot = i;
            }
        }
        if pivot != k {
            for j in 0..m {
                a.swap(k * m + j, pivot * m + j);
            }
            perm.swap(k, pivot);
            det = -det;
        }
        let akk = a[k * m + k];
        det *= akk;
        if akk == 0.0 {
            return (0.0, 0.0);
        }
        for i in k + 1..m {
            let factor = a[i * m + k] / akk;
            a[i * m + k] = factor;
            for j in k + 1..m {
                a[i * m + j] -= factor * a[k * m + j];
            }
        }
    }
    // tr(A^{-1} D) = Σ_j (A^{-1} d_j)_j over the columns d_j of D.
    let mut trace = 0.0;
    let mut y = vec![0.0; m];
    for col in 0..m {
        for i in 0..m {
            let mut v = d[perm[i] * m + col];
            for j in 0..i {
                v -= a[i * m + j] * y[j];
            }
            y[i] = v;
        }
        for i in (0..m).rev() {
            let mut v = y[i];
            for j in i + 1..m {
                v -= a[i * m + j] * y[j];
            }
            y[i] = v / a[i * m + i];
        }
        trace += y[col];
    }
    (det, trace)
}

impl fmt::Display for TracyWidom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tracy_widom(beta={})", self.beta)
    }
}

impl SpectralLaw for TracyWidom {
    fn pdf(&self, x: f64) -> f64 {
        self.cdf_and_pdf(x).1
    }

    fn cdf(&self, x: f64) -> f64 {
        self.cdf_and_pdf(x).0
    }

    /// The effective support `[−12, 17]` (mass outside < 1e-20; see the module docs).
    fn support(&self) -> Support {
        Support::interval(EFFECTIVE_SUPPORT.0, EFFECTIVE_SUPPORT.1)
    }

    /// `false`: the law lives on the whole line, and its grid Cauchy transform degrades near the axis.
    fn has_compact_support(&self) -> bool {
        false
    }

    /// `∫ x^k f_β(x) dx` over the effective support by the cached composite Gauss–Legendre grid.
    fn moment(&self, k: u32) -> f64 {
        let k = i32::try_from(k).unwrap_or(i32::MAX);
        self.grid_integral(|x| x.powi(k))
    }

    /// `∫ f_β(x)/(z − x) dx` by the cached grid; accurate to ~1e-13 while `Im z` (or the distance to
    /// `[−12, 17]`) is at least ~0.3, degrading as `z` approaches the real axis inside the support.
    fn cauchy(&self, z: Complex64) -> Complex64 {
        let grid = self.grid();
        grid.nodes
            .iter()
            .zip(&grid.weights)
            .zip(&grid.density)
            .map(|((&x, &w), &d)| w * d / (z - x))
            .sum()
    }

    /// Newton's method on `F_β(x) = p` with a bisection safeguard, to ~1e-13 absolute.
    fn quantile(&self, p: f64) -> Result<f64, LawError> {
        if !(0.0..=1.0).contains(&p) || p.is_nan() {
            return Err(LawError::invalid(
                "tracy_widom",
                "p",
                p,
                "a probability in [0, 1]",
            ));
        }
        let (mut lo, mut hi) = EFFECTIVE_SUPPORT;
        if p <= 0.0 {
            return Ok(lo);
        }
        if p >= 1.0 {
            return Ok(hi);
        }
        // Start at the mean (Bornemann 2010, rounded): no need to build the moment grid for a quantile.
        let mut x = match self.beta {
            1 => -1.2,
            2 => -1.8,
            _ => -2.3,
        };
        for _ in 0..100 {
            let (f, d) = self.cdf_and_pdf(x);
            if f < p {
                lo = lo.max(x);
            } else {
                hi = hi.min(x);
            }
            let step = (f - p) / d;
            let mut next = x - step;
            if !(next > lo && next < hi && step.is_finite()) {
                next = 0.5 * (lo + hi);
            }
            if (next - x).abs() < 1e-14 * (1.0 + x.abs()) || hi - lo < 1e-14 {
                return Ok(next);
            }
            x = next;
        }
        Err(LawError::NoConvergence {
            what: "tracy_widom quantile",
            detail: format!("p = {p}, bracket [{lo}, {hi}]"),
        })
    }
}
