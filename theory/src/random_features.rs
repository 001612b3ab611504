//! The Pennington–Worah law of the Gram matrix of nonlinear random features.
//!
//! `X ∈ R^{n0×m}` with iid `N(0, σ_x²)`, `W ∈ R^{n1×n0}` with iid `N(0, σ_w²)`, `Y = f(WX/√n0)` elementwise and
//! `M = (1/m) Y Yᵀ` (`n1×n1`). With `φ = n0/m`, `ψ = n0/n1`, and for `f` of zero Gaussian mean,
//! `η = ∫ f(σ_wσ_x x)² Dx`, `ζ = [σ_wσ_x ∫ f'(σ_wσ_x x) Dx]²` (so `η ≥ ζ ≥ 0`), the spectral law of `M` has
//! Cauchy transform (Pennington & Worah 2017, NeurIPS, Thm 1; `docs/theory.md` §1.8)
//!
//! ```text
//! G(z) = (ψ/z)·P(1/(zψ)) + (1 − ψ)/z,
//! P = 1 + (η − ζ) t P_φ P_ψ + P_φ P_ψ t ζ / (1 − P_φ P_ψ t ζ),   P_φ = 1 + (P − 1)φ,  P_ψ = 1 + (P − 1)ψ.
//! ```
//!
//! With `Q = P − 1`, `A = (1 + φQ)(1 + ψQ)`, `a = ζt`, `b = (η − ζ)t` this is the quartic
//! `(Q − bA)(1 − aA) − aA = 0` (a cubic when `η = ζ`, the Marchenko–Pastur quadratic when `ζ = 0`). It is solved
//! for `u = zG = 1 + ψQ` (see [`RandomFeaturesSolver`]), which keeps its precision near a hard edge at 0.
//!
//! # Numerics
//!
//! The law is tabulated by the shared engine [`NumericalLaw`] (support scan and edge bisection, graded-panel
//! table of the CDF, contour moments); [`RandomFeaturesSolver`] supplies `G(z)` at one point:
//!
//! * **Root selection by continuation**: a cold solve walks `z = x + iy` down from `y = 10·B` (where `u = zG ≈ 1`),
//!   halving `y` per step and keeping, at each step, the root of the quartic reached by Newton's method from the
//!   previous one (or, failing that, the nearest root with `Im G ≤ 0`, all roots found by Durand–Kerner). A warm
//!   start from a neighbouring real part (the engine's table and its `pdf`/`cdf`) is one Newton run, trusted only
//!   when Smale's α-test certifies that the root it reaches is isolated from the others; otherwise the engine
//!   falls back to the vertical walk. The quartic has several roots in the lower half-plane that meet at the
//!   edges, which is why an uncertified jump along the real axis is not taken. `B` is the edge bound below.
//! * **Atoms**: as `z → 0` (`t → ∞`) the physical root tends to `Q = −1/φ` (mass `1 − ψ/φ` at 0, i.e. `1 − m/n1`,
//!   the rank deficit of `Y` when `n1 > m`), or `Q = −1/ψ` (no atom); for linear `f` (`η = ζ`) also `Q = −1`
//!   (mass `1 − ψ`, the rank deficit when `n1 > n0`). So the atom at 0 has mass `max(0, 1 − ψ/φ)`, and
//!   `max(0, 1 − ψ/φ, 1 − ψ)` when `η = ζ`. The tests check this against `lim_{y↓0} y·(−Im G(iy))`; the engine
//!   is told this atom and checks the mass balance.
//! * **Support** by the engine's scan over the search interval `[0, 1.2·B]`, `B = [√ζ(1 + 1/√ψ)(1 + √φ) +
//!   √(η−ζ)(1 + √(φ/ψ))]²` (the norm bound of the linear-plus-noise decomposition of `Y/√m`); 0 is declared a
//!   possible hard edge (`φ = ψ`, where `ρ ~ x^{−1/2}`).
//!
//! Moments: `m1 = η`, `m2 = η²(1 + φ/ψ) + ζ²/ψ` (`docs/theory.md` §1.8, from the `t`-series).

use std::fmt;

use crate::LawError;
use crate::error::{require_non_negative, require_positive};
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::numerical::{CauchySolver, NumericalConfig, NumericalLaw};

/// Continuation: `y` shrinks by this factor per step (small enough that the physical root moves by much less than
/// its distance to the others, away from edges).
const CONTINUATION_RATIO: f64 = 0.5;
/// Newton on the quartic stops when the step is below this fraction of `|u|`: the last, quadratically convergent
/// step is then below rounding.
const NEWTON_TOL: f64 = 1e-13;
/// Largest Smale `α` at which a warm start from another real part is trusted: below `(13 − 3√17)/4 ≈ 0.157`
/// Newton converges quadratically to a root within `2β`, the only one in a ball of radius `~1/(20γ)`; 0.05 leaves
/// a margin for the rounding of the expanded coefficients.
pub const ALPHA_SAFE: f64 = 0.05;
/// A residual `|F(u)|` below this fraction of the size of its terms is at the rounding floor (a few ulps of the
/// dozen roundings in evaluating `F`).
const RESIDUAL_FLOOR: f64 = 1e-15;

/// The quartic of the Pennington–Worah law, solved at one point `z ∈ C⁺`.
///
/// The unknown is `u = zG(z) = 1 + ψQ` (so `P_ψ = u`, `P_φ = 1 + r(u − 1)` with `r = φ/ψ`): multiplying the
/// quartic in `Q` by `z²ψ²` gives, with `w = u·P_φ`,
///
/// ```text
/// F(u) = [z(u − 1) − (η − ζ)w]·[zψ − ζw] − ζψ z w = 0,
/// ```
///
/// whose coefficients stay bounded as `z → 0`. Written in `Q`, the root near a hard edge at 0 (`φ = ψ`) is
/// `Q = −1/ψ + O(√z)` and `G = (1 + ψQ)/z` would lose every digit to cancellation; in `u` it is `O(√z)` and
/// keeps full relative precision. The state is `(z, u)`.
///
/// ```
/// use landscape_theory::Complex64;
/// use landscape_theory::numerical::CauchySolver;
/// use landscape_theory::random_features::RandomFeatures;
/// // ζ = 0, φ/ψ = 1/2, η = 1 is MP(1/2, 1); far from the support G(z) ≈ 1/z.
/// let law = RandomFeatures::new(0.5, 1.0, 1.0, 0.0)?;
/// let z = Complex64::new(0.0, 1e3);
/// let (g, _) = law.solver().solve(z, None)?;
/// assert!((g * z - 1.0).norm() < 2e-3);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RandomFeaturesSolver {
    phi: f64,
    psi: f64,
    eta: f64,
    zeta: f64,
    bound: f64,
}

impl RandomFeaturesSolver {
    /// Coefficients `f0..f4` of `F(u)` (see the type docs).
    fn quartic(&self, z: Complex64) -> [Complex64; 5] {
        let r = self.phi / self.psi;
        let noise = self.eta - self.zeta;
        // A1 = p0 + p1 u + p2 u², B1 = q0 + q1 u + q2 u², ζψzw = c1 u + c2 u².
        let (p0, p1, p2) = (-z, z - noise * (1.0 - r), -noise * r);
        let (q0, q1, q2) = (z * self.psi, -self.zeta * (1.0 - r), -self.zeta * r);
        let (c1, c2) = (
            z * (self.zeta * self.psi * (1.0 - r)),
            z * (self.zeta * self.psi * r),
        );
        [
            p0 * q0,
            p0 * q1 + p1 * q0 - c1,
            p0 * q2 + p1 * q1 + p2 * q0 - c2,
            p1 * q2 + p2 * q1,
            Complex64::new(p2 * q2, 0.0),
        ]
    }

    /// `F(u)`, `F'(u)` in the factored form (fewer roundings than the expanded coefficients), and the size of the
    /// terms of `F(u)`, against which its rounding error is measured.
    fn value_and_slope(&self, z: Complex64, u: Complex64) -> (Complex64, Complex64, f64) {
        let r = self.phi / self.psi;
        let noise = self.eta - self.zeta;
        let w = u * (1.0 - r + r * u);
        let dw = 1.0 - r + 2.0 * r * u;
        let a1 = z * (u - 1.0) - noise * w;
        let b1 = z * self.psi - self.zeta * w;
        let value = a1 * b1 - z * (self.zeta * self.psi) * w;
        let slope = (z - noise * dw) * b1 - a1 * (self.zeta * dw) - z * (self.zeta * self.psi) * dw;
        let size = (z.norm() * (u.norm() + 1.0) + noise * w.norm())
            * (z.norm() * self.psi + self.zeta * w.norm())
            + z.norm() * self.zeta * self.psi * w.norm();
        (value, slope, size)
    }

    /// The physical `u` at `z = x + iy`, `y > 0`, by continuation down from `(x + i·height, start)`: Newton's
    /// method from the previous step's root, checking `Im G ≤ 0` at every step; a step that fails either check
    /// falls back to all roots and the nearest admissible one.
    fn continue_down(
        &self,
        x: f64,
        y: f64,
        mut height: f64,
        mut u: Complex64,
    ) -> Result<Complex64, LawError> {
        loop {
            let z = Complex64::new(x, height);
            u = match self.newton_root(z, u) {
                Some(root) => root,
                None => self.nearest_root(z, u)?,
            };
            if height <= y {
                return Ok(u);
            }
            // Once y ≪ |x| the point barely moves, so larger ratios suffice (the path hugs the real axis).
            let ratio = if height > 1e-3 * x.abs() {
                CONTINUATION_RATIO
            } else {
                1e-2
            };
            height = (height * ratio).max(y);
        }
    }

    /// Smale's `α = β·γ` of `F` at `u`: `β = |F/F'|`, `γ = max_k |F⁽ᵏ⁾/(k!F')|^{1/(k−1)}` (Blum, Cucker, Shub &
    /// Smale, *Complexity and Real Computation*, 1998, ch. 8). `1/γ` bounds below the distance to the other roots.
    fn smale_alpha(&self, z: Complex64, u: Complex64) -> f64 {
        // Taylor coefficients at u by repeated synthetic division.
        let mut t = self.quartic(z);
        for i in 0..4 {
            for j in (i..4).rev() {
                t[j] += u * t[j + 1];
            }
        }
        let beta = (t[0] / t[1]).norm();
        let gamma = (2..=4)
            .map(|k| (t[k] / t[1]).norm().powf(1.0 / (k as f64 - 1.0)))
            .fold(0.0, f64::max);
        let alpha = beta * gamma;
        if alpha.is_finite() {
            alpha
        } else {
            f64::INFINITY
        }
    }

    /// Whether `u` gives `Im G(z) = Im(u/z) ≤ 0` (up to rounding).
    fn admissible(z: Complex64, u: Complex64) -> bool {
        let g = u / z;
        g.im <= 1e-12 * g.norm()
    }

    /// Newton's method on `F` at `z` from `start`; `None` unless it converges to a root with `Im G(z) ≤ 0` that
    /// moved by less than `½(1 + |start|)` (a cheap guard against jumping branches).
    fn newton_root(&self, z: Complex64, start: Complex64) -> Option<Complex64> {
        let mut u = start;
        for _ in 0..60 {
            let (value, slope, size) = self.value_and_slope(z, u);
            let step = value / slope;
            if !step.is_finite() {
                return None;
            }
            u -= step;
            // Near an edge the root is nearly double and Newton stalls at a relative accuracy ~√ε; a residual at
            // the rounding floor of F also counts as converged.
            if step.norm() <= NEWTON_TOL * u.norm() || value.norm() <= RESIDUAL_FLOOR * size {
                let moved = (u - start).norm();
                return (Self::admissible(z, u) && moved <= 0.5 * (1.0 + start.norm()))
                    .then_some(u);
            }
        }
        None
    }

    /// Among the roots with `Im G(z) ≤ 0`, the one nearest `previous`.
    fn nearest_root(&self, z: Complex64, previous: Complex64) -> Result<Complex64, LawError> {
        let roots = polynomial_roots(&self.quartic(z));
        let mut best: Option<(f64, Complex64)> = None;
        for r in roots {
            if !Self::admissible(z, r) {
                continue;
            }
            let d = (r - previous).norm();
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, r));
            }
        }
        best.map(|(_, r)| r).ok_or_else(|| LawError::NoConvergence {
            what: "random_features root selection",
            detail: format!("no root with Im G ≤ 0 at z = {z}"),
        })
    }
}

impl CauchySolver for RandomFeaturesSolver {
    /// The point solved at and the physical root `u = zG(z)` there.
    type State = (Complex64, Complex64);

    /// Cold: continuation from `Im z = 10·B` (where `u ≈ 1`). Warm from a point above `z` on the same vertical:
    /// continuation from there (steps of ½ in `Im z`). Other warm starts (a neighbouring real part): one Newton
    /// run, accepted only under Smale's α-test (see [`ALPHA_SAFE`]); otherwise an error, on which the engine
    /// continues vertically from far above. The quartic has several roots in the lower half-plane that meet at
    /// the edges, so an uncertified jump along the real axis could land on the wrong one.
    fn solve(
        &self,
        z: Complex64,
        warm: Option<&(Complex64, Complex64)>,
    ) -> Result<(Complex64, (Complex64, Complex64)), LawError> {
        let u = match warm {
            None => self.continue_down(
                z.re,
                z.im,
                10.0 * self.bound + z.im,
                Complex64::new(1.0, 0.0),
            )?,
            // The engine continues vertically, so a warm start normally sits above z on the same vertical line.
            #[allow(clippy::float_cmp)]
            Some(&(from, start)) if from.re == z.re && from.im >= z.im => {
                self.continue_down(z.re, z.im, from.im, start)?
            }
            // From another real part: only when Smale's α-test certifies that Newton from `start` converges to
            // the root nearest it, isolated from the others (else the engine falls back to a vertical path).
            Some(&(_, start)) => {
                let alpha = self.smale_alpha(z, start);
                match self.newton_root(z, start) {
                    Some(u) if alpha <= ALPHA_SAFE => u,
                    _ => {
                        return Err(LawError::NoConvergence {
                            what: "random_features warm start",
                            detail: format!("α = {alpha:e} from u = {start} at z = {z}"),
                        });
                    }
                }
            }
        };
        Ok((u / z, (z, u)))
    }
}

/// The Pennington–Worah random-feature Gram law with parameters `φ = n0/m`, `ψ = n0/n1`, `η`, `ζ`.
///
/// ```
/// use landscape_theory::{SpectralLaw, random_features::RandomFeatures};
/// // Centred ReLU (`docs/theory.md` §1.8): η = ½ − 1/(2π), ζ = ¼.
/// let eta = 0.5 - 1.0 / (2.0 * std::f64::consts::PI);
/// let law = RandomFeatures::new(0.5, 0.25, eta, 0.25)?;
/// assert!((law.moment(1) - eta).abs() < 1e-9);
/// assert_eq!(law.to_string(), format!("random_features(phi=0.5, psi=0.25, eta={eta}, zeta=0.25)"));
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
///
/// The law is homogeneous in `(η, ζ)`: scaling `f` by `√c` scales `M` by `c`, so `RF(φ, ψ, η, ζ)` is `η` times
/// `RF(φ, ψ, 1, ζ/η)`. It is tabulated at `η = 1` and rescaled, so that any `η` within the double range works
/// (the engine's η-continuation and tolerances are relative to an O(1) scale).
#[derive(Debug, Clone)]
pub struct RandomFeatures {
    phi: f64,
    psi: f64,
    eta: f64,
    zeta: f64,
    /// The law at `η = 1`, `ζ/η`; this one is it scaled by `η`.
    law: NumericalLaw<RandomFeaturesSolver>,
}

impl RandomFeatures {
    /// The law for `φ > 0`, `ψ > 0`, `η > 0`, `0 ≤ ζ ≤ η`.
    ///
    /// Cost: one tabulation by [`NumericalLaw::from_solver`] (a few thousand continued solves); afterwards `cdf`
    /// costs 16 solves (microseconds).
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] naming the offending parameter; [`LawError::NoConvergence`] if the
    /// tabulation fails.
    pub fn new(phi: f64, psi: f64, eta: f64, zeta: f64) -> Result<Self, LawError> {
        const LAW: &str = "random_features";
        require_positive(LAW, "phi", phi)?;
        require_positive(LAW, "psi", psi)?;
        require_positive(LAW, "eta", eta)?;
        require_non_negative(LAW, "zeta", zeta)?;
        if zeta > eta {
            return Err(LawError::invalid(LAW, "zeta", zeta, "0 ≤ zeta ≤ eta"));
        }
        // In units of η (see the type docs); `unit_zeta` ≤ 1 since ζ ≤ η.
        let unit_zeta = (zeta / eta).min(1.0);
        let root_b = unit_zeta.sqrt() * (1.0 + 1.0 / psi.sqrt()) * (1.0 + phi.sqrt())
            + (1.0 - unit_zeta).sqrt() * (1.0 + (phi / psi).sqrt());
        let bound = root_b * root_b;
        let mut atom_mass = (1.0 - psi / phi).max(0.0);
        // Exactly linear f only: for η − ζ > 0, however small, the rank deficit is smeared into a continuous
        // cluster near 0 (the quartic does not degenerate).
        #[allow(clippy::float_cmp)]
        if eta == zeta {
            atom_mass = atom_mass.max(1.0 - psi);
        }
        let atoms = if atom_mass > 0.0 {
            vec![Atom {
                location: 0.0,
                mass: atom_mass,
            }]
        } else {
            Vec::new()
        };
        let config = NumericalConfig {
            search: Interval::new(0.0, 1.2 * bound),
            atoms,
            hard_edges: vec![0.0],
            regions: Vec::new(),
        };
        let solver = RandomFeaturesSolver {
            phi,
            psi,
            eta: 1.0,
            zeta: unit_zeta,
            bound,
        };
        let name = format!("random_features(phi={phi}, psi={psi}, eta={eta}, zeta={zeta})");
        let law = NumericalLaw::from_solver(name, solver, config)?;
        Ok(Self {
            phi,
            psi,
            eta,
            zeta,
            law,
        })
    }

    /// `φ = n0/m`.
    pub fn phi(&self) -> f64 {
        self.phi
    }

    /// `ψ = n0/n1`.
    pub fn psi(&self) -> f64 {
        self.psi
    }

    /// `η = E f(σ_wσ_x ξ)²`.
    pub fn eta(&self) -> f64 {
        self.eta
    }

    /// `ζ = (σ_wσ_x E f'(σ_wσ_x ξ))²`.
    pub fn zeta(&self) -> f64 {
        self.zeta
    }

    /// The quartic solver the law was tabulated from, in units of `η` (its `η` is 1, its `ζ` is `ζ/η`).
    pub fn solver(&self) -> &RandomFeaturesSolver {
        self.law.solver()
    }

    /// Density of the continuous part at `x`: `−Im G(x + iη)/π` on the physical branch, `η` ~1e-13 of the scale
    /// (see [`NumericalLaw::try_pdf`]), or an error if the continuation fails.
    ///
    /// ```
    /// use landscape_theory::random_features::RandomFeatures;
    /// // ζ = 0 is Marchenko–Pastur(λ = φ/ψ = 0.5, σ² = η = 1): at x = 1, √((λ₊−1)(1−λ₋))/(2πλ) = √1.75/π.
    /// let law = RandomFeatures::new(0.5, 1.0, 1.0, 0.0)?;
    /// assert!((law.try_pdf(1.0)? - 1.75_f64.sqrt() / std::f64::consts::PI).abs() < 1e-12);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    ///
    /// # Errors
    /// [`LawError::NoConvergence`] if no root with the right sign of `Im G` is found along the path.
    pub fn try_pdf(&self, x: f64) -> Result<f64, LawError> {
        Ok(self.law.try_pdf(x / self.eta)? / self.eta)
    }
}

/// All roots of `Σ c_k x^k` (trailing exact-zero leading coefficients dropped), by Durand–Kerner iteration
/// followed by two Newton polishing steps on the original polynomial. Degree ≤ 4 here.
fn polynomial_roots(coefficients: &[Complex64]) -> Vec<Complex64> {
    let mut degree = coefficients.len() - 1;
    while degree > 0 && coefficients[degree] == Complex64::new(0.0, 0.0) {
        degree -= 1;
    }
    if degree == 0 {
        return Vec::new();
    }
    let lead = coefficients[degree];
    let monic: Vec<Complex64> = coefficients[..=degree].iter().map(|c| c / lead).collect();
    let radius = 1.0 + monic[..degree].iter().map(|c| c.norm()).fold(0.0, f64::max);
    let eval = |x: Complex64| {
        monic
            .iter()
            .rev()
            .fold(Complex64::new(0.0, 0.0), |acc, &c| acc * x + c)
    };
    // Initial guesses on a circle, rotated off the real axis so that conjugate pairs separate.
    let mut roots: Vec<Complex64> = (0..degree)
        .map(|k| {
            Complex64::from_polar(
                radius,
                0.4 + 2.0 * std::f64::consts::PI * k as f64 / degree as f64,
            )
        })
        .collect();
    for _ in 0..500 {
        let mut change = 0.0_f64;
        for i in 0..degree {
            let mut denom = Complex64::new(1.0, 0.0);
            for j in 0..degree {
                if i != j {
                    denom *= roots[i] - roots[j];
                }
            }
            if denom.norm() == 0.0 {
                continue;
            }
            let delta = eval(roots[i]) / denom;
            roots[i] -= delta;
            change = change.max(delta.norm() / (1.0 + roots[i].norm()));
        }
        // Newton polishing below takes the roots from here to full precision.
        if change < 1e-12 {
            break;
        }
    }
    let derivative: Vec<Complex64> = (1..=degree).map(|k| monic[k] * k as f64).collect();
    let eval_d = |x: Complex64| {
        derivative
            .iter()
            .rev()
            .fold(Complex64::new(0.0, 0.0), |acc, &c| acc * x + c)
    };
    for r in &mut roots {
        for _ in 0..2 {
            let d = eval_d(*r);
            if d.norm() > 0.0 {
                let step = eval(*r) / d;
                if step.is_finite() {
                    *r -= step;
                }
            }
        }
    }
    roots
}

impl fmt::Display for RandomFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "random_features(phi={}, psi={}, eta={}, zeta={})",
            self.phi, self.psi, self.eta, self.zeta
        )
    }
}

impl SpectralLaw for RandomFeatures {
    fn pdf(&self, x: f64) -> f64 {
        self.law.pdf(x / self.eta) / self.eta
    }

    fn cdf(&self, x: f64) -> f64 {
        self.law.cdf(x / self.eta)
    }

    fn support(&self) -> Support {
        Support {
            intervals: self
                .law
                .support()
                .intervals
                .iter()
                .map(|i| Interval::new(i.lo * self.eta, i.hi * self.eta))
                .collect(),
        }
    }

    fn atoms(&self) -> Vec<Atom> {
        self.law
            .atoms()
            .into_iter()
            .map(|a| Atom {
                location: a.location * self.eta,
                mass: a.mass,
            })
            .collect()
    }

    fn moment(&self, k: u32) -> f64 {
        self.law.moment(k) * self.eta.powi(i32::try_from(k).unwrap_or(i32::MAX))
    }

    fn cauchy(&self, z: Complex64) -> Complex64 {
        self.law.cauchy(z / self.eta) / self.eta
    }
}
