//! The Pennington–Worah law of the Gram matrix of nonlinear random features.
//!
//! `X ∈ R^{n0×m}` with iid `N(0, σ_x²)`, `W ∈ R^{n1×n0}` with iid `N(0, σ_w²)`, `Y = f(WX/√n0)` elementwise and
//! `M = (1/m) Y Yᵀ` (`n1×n1`). With `φ = n0/m`, `ψ = n0/n1`, and for `f` of zero Gaussian mean,
//! `η = ∫ f(σ_wσ_x x)² Dx`, `ζ = [σ_wσ_x ∫ f'(σ_wσ_x x) Dx]²` (so `η ≥ ζ ≥ 0`), the spectral law of `M` has
//! Cauchy transform (Pennington & Worah 2017, NeurIPS, Thm 1; theory notes §1.8)
//!
//! ```text
//! G(z) = (ψ/z)·P(1/(zψ)) + (1 − ψ)/z,
//! P = 1 + (η − ζ) t P_φ P_ψ + P_φ P_ψ t ζ / (1 − P_φ P_ψ t ζ),   P_φ = 1 + (P − 1)φ,  P_ψ = 1 + (P − 1)ψ.
//! ```
//!
//! With `Q = P − 1`, `A = (1 + φQ)(1 + ψQ)`, `a = ζt`, `b = (η − ζ)t` this is the quartic
//! `(Q − bA)(1 − aA) − aA = 0` (a cubic when `η = ζ`, the Marchenko–Pastur quadratic when `ζ = 0`).
//!
//! # Numerics
//!
//! * **Root selection by continuation**: along `z = x + iy`, `y` from `10·B` (where `P ≈ 1`) down to the target,
//!   all roots of the quartic are found (Durand–Kerner, Newton-polished) at each step and the one nearest the
//!   previous is kept, among those with `Im G ≤ 0`. On the real axis the continued value at `y = 1e-10·B` is
//!   snapped to the nearest root of the real-coefficient quartic. `B` is the edge bound below.
//! * **Atoms**: as `z → 0` (`t → ∞`) the physical root tends to `Q = −1/φ` (mass `1 − ψ/φ` at 0, i.e. `1 − m/n1`,
//!   the rank deficit of `Y` when `n1 > m`), or `Q = −1/ψ` (no atom); for linear `f` (`η = ζ`) also `Q = −1`
//!   (mass `1 − ψ`, the rank deficit when `n1 > n0`). So the atom at 0 has mass `max(0, 1 − ψ/φ)`, and
//!   `max(0, 1 − ψ/φ, 1 − ψ)` when `η = ζ`. The tests check this against `lim_{y↓0} y·(−Im G(iy))`.
//! * **Support** by scanning the density on a grid over `(0, 1.2·B]`, `B = [√ζ(1 + 1/√ψ)(1 + √φ) +
//!   √(η−ζ)(1 + √(φ/ψ))]²` (the norm bound of the linear-plus-noise decomposition of `Y/√m`), with each edge
//!   then bisected to ~1e-14 of `B`.
//! * **CDF and moments** by tanh–sinh quadrature of the density on each support interval (the edges are square
//!   roots), plus the atom.
//!
//! Moments: `m1 = η`, `m2 = η²(1 + φ/ψ) + ζ²/ψ` (notes §1.8, from the `t`-series).

use std::fmt;

use crate::LawError;
use crate::error::{require_non_negative, require_positive};
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::quadrature::tanh_sinh;

/// Grid points for the support scan: a gap narrower than `1.2·B/SCAN_POINTS` could be missed.
const SCAN_POINTS: usize = 1200;
/// Continuation: `y` shrinks by this factor per step (small enough that the physical root moves by much less than
/// its distance to the others, away from edges).
const CONTINUATION_RATIO: f64 = 0.5;
/// Lowest `Im z` of the continuation before snapping to the real axis, relative to `min(B, |x|)`.
const CONTINUATION_FLOOR: f64 = 1e-10;
/// A root on the real axis counts as complex (inside the support) when `|Im Q| > REAL_ROOT_TOL·(1 + |Q|)`; the
/// Durand–Kerner roots of a real quartic carry imaginary noise of ~1e-14 relative.
const REAL_ROOT_TOL: f64 = 1e-11;
/// Relative to `B`, where the integral over a hard edge at 0 switches from the edge expansion to quadrature.
const HARD_EDGE_SPLIT: f64 = 2e-5;
/// Tolerance passed to tanh–sinh for the CDF and moments.
const QUADRATURE_TOL: f64 = 1e-12;

/// The Pennington–Worah random-feature Gram law with parameters `φ = n0/m`, `ψ = n0/n1`, `η`, `ζ`.
///
/// ```
/// use landscape_theory::{SpectralLaw, random_features::RandomFeatures};
/// // Centred ReLU (notes §1.8): η = ½ − 1/(2π), ζ = ¼.
/// let eta = 0.5 - 1.0 / (2.0 * std::f64::consts::PI);
/// let law = RandomFeatures::new(0.5, 0.25, eta, 0.25)?;
/// assert!((law.moment(1) - eta).abs() < 1e-9);
/// assert_eq!(law.to_string(), format!("random_features(phi=0.5, psi=0.25, eta={eta}, zeta=0.25)"));
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RandomFeatures {
    phi: f64,
    psi: f64,
    eta: f64,
    zeta: f64,
    bound: f64,
    atom_mass: f64,
    intervals: Vec<Interval>,
}

impl RandomFeatures {
    /// The law for `φ > 0`, `ψ > 0`, `η > 0`, `0 ≤ ζ ≤ η`.
    ///
    /// Cost: a support scan of [`SCAN_POINTS`] continued solves (~tens of ms).
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] naming the offending parameter.
    pub fn new(phi: f64, psi: f64, eta: f64, zeta: f64) -> Result<Self, LawError> {
        const LAW: &str = "random_features";
        require_positive(LAW, "phi", phi)?;
        require_positive(LAW, "psi", psi)?;
        require_positive(LAW, "eta", eta)?;
        require_non_negative(LAW, "zeta", zeta)?;
        if zeta > eta {
            return Err(LawError::invalid(LAW, "zeta", zeta, "0 ≤ zeta ≤ eta"));
        }
        let root_b = zeta.sqrt() * (1.0 + 1.0 / psi.sqrt()) * (1.0 + phi.sqrt())
            + (eta - zeta).sqrt() * (1.0 + (phi / psi).sqrt());
        let bound = root_b * root_b;
        let mut atom_mass = (1.0 - psi / phi).max(0.0);
        // Exactly linear f only: for η − ζ > 0, however small, the rank deficit is smeared into a continuous
        // cluster near 0 (the quartic does not degenerate).
        #[allow(clippy::float_cmp)]
        if eta == zeta {
            atom_mass = atom_mass.max(1.0 - psi);
        }
        let mut law = Self {
            phi,
            psi,
            eta,
            zeta,
            bound,
            atom_mass,
            intervals: Vec::new(),
        };
        law.intervals = law.scan_support()?;
        Ok(law)
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

    /// Coefficients `c0..c4` of the quartic in `Q = P − 1` at `t = 1/(zψ)`.
    fn quartic(&self, t: Complex64) -> [Complex64; 5] {
        let a = t * self.zeta;
        let b = t * (self.eta - self.zeta);
        let s1 = self.phi + self.psi;
        let s2 = self.phi * self.psi;
        let ab = a * b;
        [
            ab - a - b,
            1.0 - a - (a + b) * s1 + ab * (2.0 * s1),
            -a * s1 - (a + b) * s2 + ab * (s1 * s1 + 2.0 * s2),
            -a * s2 + ab * (2.0 * s1 * s2),
            ab * (s2 * s2),
        ]
    }

    fn g_from_q(&self, z: Complex64, q: Complex64) -> Complex64 {
        (self.psi * (1.0 + q) + (1.0 - self.psi)) / z
    }

    /// The physical `Q` at `z = x + iy`, `y > 0`, by continuation from `y = 10·B` (where `Q ≈ 0`): Newton's
    /// method on the quartic from the previous step's root, checking `Im G ≤ 0` at every step; a step that fails
    /// either check falls back to all roots and the nearest admissible one.
    fn continued_q(&self, x: f64, y: f64) -> Result<Complex64, LawError> {
        let mut height = 10.0 * self.bound + y;
        let mut q = Complex64::new(0.0, 0.0);
        loop {
            let z = Complex64::new(x, height);
            q = match self.newton_root(z, q) {
                Some(root) => root,
                None => self.nearest_root(z, q)?,
            };
            if height <= y {
                return Ok(q);
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

    /// Newton's method on the quartic at `z` from `start`; `None` unless it converges to a root with
    /// `Im G(z) ≤ 0` that moved by less than `½(1 + |start|)` (a cheap guard against jumping branches).
    fn newton_root(&self, z: Complex64, start: Complex64) -> Option<Complex64> {
        let c = self.quartic(1.0 / (z * self.psi));
        let mut q = start;
        for _ in 0..30 {
            let value = (((c[4] * q + c[3]) * q + c[2]) * q + c[1]) * q + c[0];
            let slope = ((c[4] * 4.0 * q + c[3] * 3.0) * q + c[2] * 2.0) * q + c[1];
            let step = value / slope;
            if !step.is_finite() {
                return None;
            }
            q -= step;
            // 1e-13 relative leaves the last (quadratically convergent) step below rounding.
            if step.norm() <= 1e-13 * (1.0 + q.norm()) {
                let g = self.g_from_q(z, q);
                let moved = (q - start).norm();
                return (g.im <= 1e-12 * g.norm() && moved <= 0.5 * (1.0 + start.norm()))
                    .then_some(q);
            }
        }
        None
    }

    /// Among the roots with `Im G(z) ≤ 0` (for `Im z > 0`), the one nearest `previous`.
    fn nearest_root(&self, z: Complex64, previous: Complex64) -> Result<Complex64, LawError> {
        let t = 1.0 / (z * self.psi);
        let roots = polynomial_roots(&self.quartic(t));
        let mut best: Option<(f64, Complex64)> = None;
        for r in roots {
            if z.im > 0.0 {
                let g = self.g_from_q(z, r);
                if g.im > 1e-12 * g.norm() {
                    continue;
                }
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

    /// `Q` on the real axis at `x ≠ 0`: continued to `y = 1e-10·B`, then snapped to the real-axis root.
    fn boundary_q(&self, x: f64) -> Result<Complex64, LawError> {
        let q = self.continued_q(x, CONTINUATION_FLOOR * self.bound.min(x.abs()))?;
        let t = Complex64::new(1.0 / (x * self.psi), 0.0);
        let roots = polynomial_roots(&self.quartic(t));
        Ok(roots
            .into_iter()
            .min_by(|a, b| (a - q).norm().total_cmp(&(b - q).norm()))
            .unwrap_or(q))
    }

    /// Density of the continuous part at `x`: `−ψ Im Q(x)/(πx)` on the physical branch, or an error if the
    /// continuation fails. Accurate to ~1e-12 relative away from edges; at a hard edge at 0 (`φ = ψ`, where the
    /// quartic has a double root) it loses accuracy below `x ≈ 1e-6·B`.
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
        if x.is_nan() || x <= 0.0 || !x.is_finite() {
            return Ok(0.0);
        }
        let q = self.boundary_q(x)?;
        if q.im.abs() <= REAL_ROOT_TOL * (1.0 + q.norm()) {
            return Ok(0.0);
        }
        // G = (ψ(1 + Q) + 1 − ψ)/x on the real axis: −Im G/π = −ψ Im Q/(π x); Im Q < 0 on the physical branch.
        Ok((-self.psi * q.im / (std::f64::consts::PI * x)).max(0.0))
    }

    fn inside(&self, x: f64) -> bool {
        self.try_pdf(x).is_ok_and(|d| d > 0.0)
    }

    fn scan_support(&self) -> Result<Vec<Interval>, LawError> {
        let hi = 1.2 * self.bound;
        let step = hi / SCAN_POINTS as f64;
        let mut intervals = Vec::new();
        let mut start: Option<f64> = None;
        let mut prev_x = 0.0;
        for i in 1..=SCAN_POINTS {
            let x = step * i as f64;
            let inside = self.inside(x);
            match (start, inside) {
                (None, true) => {
                    let edge = self.bisect_edge(prev_x, x);
                    // An edge within 1e-9·B of 0 is the hard edge at 0 (λ = φ/ψ = 1): the density there behaves
                    // like x^{−1/2}, which tanh–sinh integrates from 0.
                    start = Some(if edge < 1e-9 * self.bound { 0.0 } else { edge });
                }
                (Some(lo), false) => {
                    intervals.push(Interval::new(lo, self.bisect_edge(x, prev_x)));
                    start = None;
                }
                _ => {}
            }
            prev_x = x;
        }
        if let Some(lo) = start {
            return Err(LawError::NoConvergence {
                what: "random_features support scan",
                detail: format!(
                    "density still positive at the scan end {hi} (support starts at {lo})"
                ),
            });
        }
        if intervals.is_empty() {
            return Err(LawError::NoConvergence {
                what: "random_features support scan",
                detail: format!("no density found on (0, {hi}]"),
            });
        }
        Ok(intervals)
    }

    /// Bisects between `outside` (density 0) and `inside` (density > 0) to ~1e-14 of `B`.
    fn bisect_edge(&self, mut outside: f64, mut inside: f64) -> f64 {
        while (inside - outside).abs() > 1e-14 * self.bound {
            let mid = 0.5 * (inside + outside);
            if self.inside(mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        0.5 * (inside + outside)
    }

    fn integrate_density(&self, upto: f64, weight: impl Fn(f64) -> f64) -> f64 {
        let density = |x: f64| self.try_pdf(x).unwrap_or(0.0);
        self.intervals
            .iter()
            .filter(|iv| iv.lo < upto)
            .map(|iv| {
                let b = iv.hi.min(upto);
                let mut a = iv.lo;
                let mut head = 0.0;
                if a == 0.0 {
                    // Hard edge at 0 (φ = ψ): ρ(x) = c₀x^{−1/2} + c₁x^{1/2} + O(x^{3/2}), and the quartic has a double
                    // root there, so ρ loses accuracy below ~1e-6·B. Integrate [0, δ] from the two-term expansion
                    // fitted at δ and δ/4 (error O(δ^{5/2}); δ = 2e-5·B keeps m0, m1, m2 within 1e-9 in the tests) and
                    // tanh–sinh from δ.
                    let delta = (HARD_EDGE_SPLIT * self.bound).min(b);
                    let (x1, x2) = (delta, 0.25 * delta);
                    let (r1, r2) = (x1.sqrt() * density(x1), x2.sqrt() * density(x2));
                    let c1 = (r1 - r2) / (x1 - x2);
                    let c0 = r1 - c1 * x1;
                    // ∫_0^δ w(x)(c₀x^{−1/2} + c₁x^{1/2}) dx with w ≈ w(0) + w'(0)x, w(x) = x^k (k = 0 or smooth).
                    let (w0, w1) = (weight(0.0), (weight(delta) - weight(0.0)) / delta);
                    head = w0 * (2.0 * c0 * delta.sqrt() + 2.0 / 3.0 * c1 * delta.powf(1.5))
                        + w1 * (2.0 / 3.0 * c0 * delta.powf(1.5));
                    a = delta;
                }
                head + tanh_sinh(a, b, QUADRATURE_TOL, |x, _, _| density(x) * weight(x))
            })
            .sum()
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
        self.try_pdf(x).unwrap_or(f64::NAN)
    }

    fn cdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        let continuous = self.integrate_density(x, |_| 1.0);
        (self.atom_mass + continuous).clamp(0.0, 1.0)
    }

    fn support(&self) -> Support {
        Support {
            intervals: self.intervals.clone(),
        }
    }

    fn atoms(&self) -> Vec<Atom> {
        if self.atom_mass > 0.0 {
            vec![Atom {
                location: 0.0,
                mass: self.atom_mass,
            }]
        } else {
            Vec::new()
        }
    }

    /// By quadrature of the density (the atom sits at 0 and adds only to `m_0`).
    fn moment(&self, k: u32) -> f64 {
        let k = i32::try_from(k).unwrap_or(i32::MAX);
        let atom = if k == 0 { self.atom_mass } else { 0.0 };
        atom + self.integrate_density(f64::INFINITY, |x| x.powi(k))
    }

    /// `G(z)` from the continued root; conjugate symmetry for `Im z < 0`; on the real axis off the support the
    /// snapped real root. NaN if the continuation fails.
    fn cauchy(&self, z: Complex64) -> Complex64 {
        let solve = |z: Complex64| -> Result<Complex64, LawError> {
            if z.im > 0.0 {
                Ok(self.g_from_q(z, self.continued_q(z.re, z.im)?))
            } else if z.im < 0.0 {
                Ok(self
                    .g_from_q(z.conj(), self.continued_q(z.re, -z.im)?)
                    .conj())
            } else {
                Ok(self.g_from_q(z, self.boundary_q(z.re)?))
            }
        };
        solve(z).unwrap_or(Complex64::new(f64::NAN, f64::NAN))
    }
}
