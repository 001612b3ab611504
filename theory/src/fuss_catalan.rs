//! The Fuss–Catalan law FC_L = MP(1,1)^{⊠L}: squared singular values of a product of `L` square Ginibre
//! matrices.
//!
//! If `W_1, …, W_L` are iid `N × N` with iid entries of mean 0 and variance `1/N`, the empirical spectral
//! distribution of `(W_L ⋯ W_1)(W_L ⋯ W_1)ᵀ` tends to FC_L (Alexeev, Götze & Tikhomirov, Lith. Math. J. 50 (2010)
//! 121; Penson & Życzkowski, PRE 83 (2011) 061118). It is also the Jacobian spectrum of a deep linear network with
//! Gaussian weights at `σ_w = 1` (Pennington, Schoenholz & Ganguli 2017). Formulas: `docs/theory.md` §1.4.
//!
//! The density has no elementary closed form in `x` for `L ≥ 2`, but it has one in a parameter
//! `φ ∈ (0, π/(L+1))` (Haagerup & Möller 2012; Penson & Życzkowski 2011, eq. (8)):
//!
//! `x(φ) = sin^{L+1}((L+1)φ) / (sin φ · sin^L(Lφ))`, `ρ(x(φ)) = (1/π) sin²φ · sin^{L−1}(Lφ) / sin^L((L+1)φ)`.
//!
//! `x(φ)` decreases from the top edge `(L+1)^{L+1}/L^L` at `φ = 0` to 0 at `φ = π/(L+1)`, so the pdf inverts it
//! by safeguarded Newton, and the CDF integrates `ρ(x(φ))·|x'(φ)|`, which is smooth on the closed interval (the
//! `x^{−L/(L+1)}` singularity at 0 and the square-root edge both disappear under this change of variables).

use std::f64::consts::PI;
use std::fmt;

use crate::LawError;
use crate::law::{Complex64, SpectralLaw, Support};
use crate::quadrature::{Rule, gauss_legendre};

/// Largest depth accepted. The pole of `cot(Lφ)` at `π/L` approaches the `φ`-interval as `L` grows, which slows
/// the fixed Gauss–Legendre rule below; at L = 64 the reference test still measures 3e-15 on the cdf and 2.4e-13 on
/// the pdf (the latter is the conditioning of `φ(x)` at `x = 0.99·x_max`).
pub const MAX_DEPTH: u32 = 64;

/// Nodes of the Gauss–Legendre rule in `φ` for the CDF, on each half of the interval. The integrand is analytic on
/// a Bernstein ellipse whose size is set by the pole at `π/L`; 64 nodes reach rounding level up to `L = 64`
/// (measured against mpmath, see [`MAX_DEPTH`]).
const PHI_NODES: usize = 64;

/// Relative step at which the Newton inversion of `x(φ)` stops.
const PHI_TOL: f64 = 1e-15;

/// Rounding level of `ln x(φ)`, per unit of `(L+1)(1 + |ln x|)`: it is a sum of terms `(L+1)·ln sin(…)`.
const LN_X_NOISE: f64 = 8.0 * f64::EPSILON;

/// A Newton residual within this many ulps of the terms of `w^{L+1} − z(w − 1)` is at the rounding floor.
const NEWTON_RESIDUAL_ULPS: f64 = 8.0;
/// At the rounding floor a near-double root still moves by up to `~√ε` relative per step; a step larger than this
/// fraction of `|w|` means the iterate is not at the root but at a near-flat point of `f`.
const NEAR_DOUBLE_STEP: f64 = 1e-6;

/// Continuation of `G` along a path: each step moves at most this fraction of the distance to the support, so the
/// corrector always starts inside the basin of the right root.
const CONTINUATION_STEP: f64 = 0.25;

/// `ln(x/x_max)` computed from `x − x_max` (exact near the top edge by Sterbenz's lemma).
fn target_rel(x: f64, upper: f64) -> f64 {
    ((x - upper) / upper).ln_1p()
}

/// A point of the parametrisation, measured from the nearer end of `(0, π/(L+1))`.
#[derive(Debug, Clone, Copy)]
enum Param {
    /// `φ` itself, in the lower half.
    FromZero(f64),
    /// `ε = π/(L+1) − φ`, in the upper half.
    FromTop(f64),
}

/// `sin` and `cos` of `φ`, `Lφ` and `(L+1)φ`.
#[derive(Debug, Clone, Copy)]
struct Angles {
    s1: f64,
    c1: f64,
    sl: f64,
    cl: f64,
    sl1: f64,
    cl1: f64,
}

/// The Fuss–Catalan law FC_L with `L = depth ≥ 1`: moments `C((L+1)k, k)/(Lk+1)`, support
/// `[0, (L+1)^{L+1}/L^L]`, `S(z) = (1+z)^{−L}`. FC₁ is MP(1, 1).
///
/// Domain: `1 ≤ depth ≤ 64` ([`MAX_DEPTH`]). Reference: Penson & Życzkowski, PRE 83 (2011) 061118.
///
/// ```
/// use landscape_theory::{FussCatalan, SpectralLaw};
/// let fc = FussCatalan::new(2)?;
/// assert!((fc.upper_edge() - 6.75).abs() < 1e-15);
/// assert_eq!(fc.moment(2), 3.0); // C(6,2)/5
/// assert_eq!(fc.to_string(), "fuss_catalan(depth=2)");
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FussCatalan {
    depth: u32,
    upper: f64,
    phi_max: f64,
    rule: Rule,
}

impl FussCatalan {
    /// FC_L with `L = depth`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] unless `1 ≤ depth ≤ 64`.
    ///
    /// ```
    /// # use landscape_theory::FussCatalan;
    /// assert!(FussCatalan::new(0).is_err());
    /// assert!(FussCatalan::new(3).is_ok());
    /// ```
    pub fn new(depth: u32) -> Result<Self, LawError> {
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(LawError::invalid(
                "fuss_catalan",
                "depth",
                f64::from(depth),
                "an integer in 1..=64",
            ));
        }
        let l = f64::from(depth);
        Ok(Self {
            depth,
            upper: (l + 1.0) * ((l + 1.0) / l).powi(depth as i32),
            phi_max: PI / (l + 1.0),
            rule: gauss_legendre(PHI_NODES),
        })
    }

    /// `L`.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The top edge `(L+1)^{L+1}/L^L` (≈ e·(L+1) for large `L`).
    ///
    /// ```
    /// # use landscape_theory::FussCatalan;
    /// assert!((FussCatalan::new(1)?.upper_edge() - 4.0).abs() < 1e-15);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn upper_edge(&self) -> f64 {
        self.upper
    }

    /// The point `x(φ) = sin^{L+1}((L+1)φ) / (sin φ · sin^L(Lφ))` of the parametrisation, `φ ∈ (0, π/(L+1))`.
    ///
    /// ```
    /// # use landscape_theory::FussCatalan;
    /// // L = 1: x(φ) = 4 cos²φ.
    /// let x = FussCatalan::new(1)?.x_of_phi(0.5);
    /// assert!((x - 4.0 * 0.5f64.cos().powi(2)).abs() < 1e-14);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn x_of_phi(&self, phi: f64) -> f64 {
        self.ln_x(self.param(phi)).exp()
    }

    /// The density at `x(φ)`: `ρ = (1/π) sin²φ · sin^{L−1}(Lφ) / sin^L((L+1)φ)`.
    ///
    /// ```
    /// # use landscape_theory::FussCatalan;
    /// // L = 1: ρ(x(φ)) = tan φ / (2π).
    /// let rho = FussCatalan::new(1)?.density_of_phi(0.5);
    /// assert!((rho - 0.5f64.tan() / (2.0 * std::f64::consts::PI)).abs() < 1e-15);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn density_of_phi(&self, phi: f64) -> f64 {
        self.density(self.param(phi))
    }

    /// `φ` as a [`Param`]: measured from the nearer end so that it keeps its relative precision.
    fn param(&self, phi: f64) -> Param {
        if phi > 0.5 * self.phi_max {
            Param::FromTop(self.phi_max - phi)
        } else {
            Param::FromZero(phi)
        }
    }

    /// The trigonometric values of `φ`, `Lφ` and `(L+1)φ`. In the upper half `sin((L+1)φ)` is evaluated as
    /// `sin((L+1)ε)` with `ε = φ_max − φ`, exact in relative terms as it vanishes (the rounded `φ_max` is the zero
    /// by construction).
    fn angles(&self, param: Param) -> Angles {
        let l = f64::from(self.depth);
        match param {
            Param::FromZero(phi) => {
                let (s1, c1) = phi.sin_cos();
                let (sl, cl) = (l * phi).sin_cos();
                let (sl1, cl1) = ((l + 1.0) * phi).sin_cos();
                Angles {
                    s1,
                    c1,
                    sl,
                    cl,
                    sl1,
                    cl1,
                }
            }
            Param::FromTop(eps) => {
                let phi = self.phi_max - eps;
                let (s1, c1) = phi.sin_cos();
                let (sl, cl) = (l * phi).sin_cos();
                let (sl1, cl1) = ((l + 1.0) * eps).sin_cos();
                Angles {
                    s1,
                    c1,
                    sl,
                    cl,
                    sl1,
                    cl1: -cl1,
                }
            }
        }
    }

    /// `ln x(φ)`.
    fn ln_x(&self, param: Param) -> f64 {
        match param {
            Param::FromZero(_) => self.upper.ln() + self.ln_x_rel(param),
            Param::FromTop(_) => {
                let l = f64::from(self.depth);
                let a = self.angles(param);
                (l + 1.0) * a.sl1.ln() - a.s1.ln() - l * a.sl.ln()
            }
        }
    }

    /// `ln(x(φ)/x_max) = (L+1) ln sinc((L+1)φ) − ln sinc φ − L ln sinc(Lφ)`, accurate as it vanishes at the top
    /// edge (`≈ −L(L+1)φ²/2`). Only used in the lower half.
    fn ln_x_rel(&self, param: Param) -> f64 {
        let l = f64::from(self.depth);
        let phi = match param {
            Param::FromZero(phi) => phi,
            Param::FromTop(eps) => self.phi_max - eps,
        };
        let sinc = |t: f64| if t == 0.0 { 1.0 } else { t.sin() / t };
        (l + 1.0) * sinc((l + 1.0) * phi).ln() - sinc(phi).ln() - l * sinc(l * phi).ln()
    }

    fn density(&self, param: Param) -> f64 {
        let l = f64::from(self.depth);
        let a = self.angles(param);
        (2.0 * a.s1.ln() + (l - 1.0) * a.sl.ln() - l * a.sl1.ln()).exp() / PI
    }

    /// The CDF integrand in `φ`: `h(φ) = ρ(x(φ))·|x'(φ)| = (1/π)/sin(Lφ)·[cos φ sin((L+1)φ) +
    /// L² sin φ sin((L+1)φ) cot(Lφ) − (L+1)² sin φ cos((L+1)φ)]`, smooth on `[0, π/(L+1)]`.
    fn mass_density(&self, param: Param) -> f64 {
        let l = f64::from(self.depth);
        let a = self.angles(param);
        (a.c1 * a.sl1 + l * l * a.s1 * a.sl1 * a.cl / a.sl - (l + 1.0) * (l + 1.0) * a.s1 * a.cl1)
            / (PI * a.sl)
    }

    /// The parameter of `x ∈ (0, x_max)`, by Newton on `ln x` safeguarded by bisection, in the half of the
    /// interval that contains it; `d ln x/dφ = (L+1)² cot((L+1)φ) − cot φ − L² cot(Lφ)`. Typically 4–8 steps.
    fn param_of_x(&self, x: f64) -> Param {
        let half = 0.5 * self.phi_max;
        let from_top = x < self.x_of_phi(half);
        let (make, sign): (fn(f64) -> Param, f64) = if from_top {
            (Param::FromTop, -1.0)
        } else {
            (Param::FromZero, 1.0)
        };
        // From zero, solve ln(x(φ)/x_max) = ln(x/x_max), both sides free of cancellation near the top edge.
        let target = if from_top {
            x.ln()
        } else {
            target_rel(x, self.upper)
        };
        // One evaluation of the six trigonometric values gives both the residual and the slope d ln x/dφ.
        let residual_and_slope = |t: f64| {
            let l = f64::from(self.depth);
            let param = make(t);
            let a = self.angles(param);
            let value = match param {
                Param::FromTop(_) => (l + 1.0) * a.sl1.ln() - a.s1.ln() - l * a.sl.ln(),
                Param::FromZero(phi) => {
                    // ln(x/x_max) from sinc values, as in `ln_x_rel`.
                    let sinc = |s: f64, arg: f64| if arg == 0.0 { 1.0 } else { s / arg };
                    (l + 1.0) * sinc(a.sl1, (l + 1.0) * phi).ln()
                        - sinc(a.s1, phi).ln()
                        - l * sinc(a.sl, l * phi).ln()
                }
            };
            let slope = (l + 1.0) * (l + 1.0) * a.cl1 / a.sl1 - a.c1 / a.s1 - l * l * a.cl / a.sl;
            (value - target, slope)
        };
        // g(t) = ln x(t) − target is decreasing in φ, so increasing in t = ε from the top.
        let (mut lo, mut hi) = (0.0, half);
        // Leading-order inversions: ln(x/x_max) ≈ −L(L+1)φ²/2 near the top edge, and
        // x ≈ ((L+1)ε)^{L+1} / (sin φ_max · sin^L(Lφ_max)) near 0.
        let l = f64::from(self.depth);
        let guess = if from_top {
            let a = self.angles(Param::FromTop(0.0));
            (x * a.s1 * a.sl.powi(self.depth as i32)).powf(1.0 / (l + 1.0)) / (l + 1.0)
        } else {
            (-2.0 * target / (l * (l + 1.0))).max(0.0).sqrt()
        };
        let mut t = if guess > 0.0 && guess < half {
            guess
        } else {
            0.5 * half
        };
        let noise = LN_X_NOISE * (l + 1.0) * (1.0 + target.abs());
        for _ in 0..200 {
            let (g, d_ln_x) = residual_and_slope(t);
            // A residual at the rounding level of ln x: Newton would only wander inside that noise (near the top
            // edge, where the slope vanishes, it would wander far).
            if g.abs() <= noise {
                break;
            }
            // Along t, d ln x/dt = sign · d ln x/dφ.
            let increasing_in_t = sign < 0.0;
            if (g > 0.0) == increasing_in_t {
                hi = t;
            } else {
                lo = t;
            }
            let slope = sign * d_ln_x;
            let mut next = t - g / slope;
            if !(next > lo && next < hi && next.is_finite()) {
                next = 0.5 * (lo + hi);
            }
            let moved = (next - t).abs();
            t = next;
            if moved <= PHI_TOL * t || hi - lo <= PHI_TOL * t {
                break;
            }
        }
        make(t)
    }

    /// `∫_a^b f(t) dt` by the fixed Gauss–Legendre rule.
    fn integrate(&self, a: f64, b: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
        let half = 0.5 * (b - a);
        let mid = 0.5 * (a + b);
        self.rule
            .nodes
            .iter()
            .zip(&self.rule.weights)
            .map(|(&t, &w)| w * f(mid + half * t))
            .sum::<f64>()
            * half
    }

    /// `∫ f(x(φ)) h(φ) dφ` over the whole interval, as two halves parametrised from their ends.
    fn integrate_measure(&self, mut f: impl FnMut(f64) -> f64) -> f64 {
        let half = 0.5 * self.phi_max;
        let mut both = |make: fn(f64) -> Param| {
            self.integrate(0.0, half, |t| {
                let p = make(t);
                f(self.ln_x(p).exp()) * self.mass_density(p)
            })
        };
        both(Param::FromZero) + both(Param::FromTop)
    }

    /// The Cauchy transform by direct quadrature in `φ`, `G(z) = ∫ h(φ)/(z − x(φ)) dφ`. Accurate only for `z`
    /// at a distance from the support comparable to its width; used to cross-check [`SpectralLaw::cauchy`].
    ///
    /// ```
    /// use landscape_theory::{Complex64, FussCatalan, SpectralLaw};
    /// let fc = FussCatalan::new(3)?;
    /// let z = Complex64::new(5.0, 8.0);
    /// assert!((fc.cauchy_by_quadrature(z) - fc.cauchy(z)).norm() < 1e-13);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn cauchy_by_quadrature(&self, z: Complex64) -> Complex64 {
        let re = self.integrate_measure(|x| (1.0 / (z - x)).re);
        let im = self.integrate_measure(|x| (1.0 / (z - x)).im);
        Complex64::new(re, im)
    }

    /// Distance from `z` to the support `[0, upper]`.
    fn distance_to_support(&self, z: Complex64) -> f64 {
        let dx = if z.re < 0.0 {
            -z.re
        } else if z.re > self.upper {
            z.re - self.upper
        } else {
            0.0
        };
        dx.hypot(z.im)
    }

    /// Newton on `f(w) = w^{L+1} − z(w − 1)` from `w`; `None` if it does not settle in 30 steps.
    ///
    /// Next to the top edge the root is nearly double (`f' → 0`), where Newton converges only linearly and the
    /// root is determined only to `~√ε` relative: a residual at the rounding floor of `f` (a few ulps of its
    /// terms `|w|^{L+1}` and `|z(w − 1)|`) also counts as converged, as it does for
    /// [`crate::random_features`]. Without that the continuation towards `z` near the top edge stalls.
    fn newton_w(&self, z: Complex64, mut w: Complex64) -> Option<Complex64> {
        let l = self.depth as i32;
        for _ in 0..30 {
            let wl = w.powi(l);
            let f = wl * w - z * (w - 1.0);
            let floor =
                NEWTON_RESIDUAL_ULPS * f64::EPSILON * ((wl * w).norm() + (z * (w - 1.0)).norm());
            let df = f64::from(self.depth + 1) * wl - z;
            let step = f / df;
            if f.norm() <= floor && step.is_finite() && step.norm() <= NEAR_DOUBLE_STEP * w.norm() {
                return Some(w - step);
            }
            w -= step;
            if !w.is_finite() {
                return None;
            }
            if step.norm() <= 1e-15 * w.norm().max(1e-300) {
                return Some(w);
            }
        }
        None
    }
}

impl fmt::Display for FussCatalan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fuss_catalan(depth={})", self.depth)
    }
}

impl SpectralLaw for FussCatalan {
    /// The parametric density at `φ(x)` (Newton inversion of `x(φ)`); 0 outside `(0, upper_edge)`. It diverges like
    /// `x^{−L/(L+1)}` at 0 and vanishes like a square root at the top edge.
    fn pdf(&self, x: f64) -> f64 {
        if !(x > 0.0 && x < self.upper) {
            return 0.0;
        }
        self.density(self.param_of_x(x))
    }

    /// `F(x) = ∫_{φ(x)}^{π/(L+1)} h(φ) dφ` for `x` in the lower half (parametrised by `ε = φ_max − φ`), and
    /// `1 − ∫_0^{φ(x)} h` in the upper half; 64-point Gauss–Legendre in `φ`.
    fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        if x <= 0.0 {
            return 0.0;
        }
        if x >= self.upper {
            return 1.0;
        }
        let value = match self.param_of_x(x) {
            Param::FromTop(eps) => {
                self.integrate(0.0, eps, |e| self.mass_density(Param::FromTop(e)))
            }
            Param::FromZero(phi) => {
                1.0 - self.integrate(0.0, phi, |t| self.mass_density(Param::FromZero(t)))
            }
        };
        value.clamp(0.0, 1.0)
    }

    fn support(&self) -> Support {
        Support::interval(0.0, self.upper)
    }

    /// `m_k = C((L+1)k, k) / (Lk + 1) = (1/(Lk+1)) Π_{j=1}^{k} (Lk + j)/j`.
    fn moment(&self, k: u32) -> f64 {
        let lk = f64::from(self.depth) * f64::from(k);
        let mut binomial = 1.0;
        for j in 1..=k {
            let jf = f64::from(j);
            binomial *= (lk + jf) / jf;
        }
        binomial / (lk + 1.0)
    }

    /// `G(z) = w/z` where `w = zG` is the root of `w^{L+1} − z w + z = 0` (the moment series
    /// `w = Σ m_k z^{−k}` satisfies `w = 1 + w^{L+1}/z`) that tends to 1 at infinity. The root is followed by
    /// predictor–corrector continuation from `z + i·4·upper_edge` straight down to `z`, each step at most a
    /// quarter of the distance to the support. For `z` on the support itself the value just above the axis
    /// (`Im z = ε·upper_edge`) is returned; `G(0) = −∞`.
    fn cauchy(&self, z: Complex64) -> Complex64 {
        if z.re.is_nan() || z.im.is_nan() {
            return Complex64::new(f64::NAN, f64::NAN);
        }
        if z.im < 0.0 {
            return self.cauchy(z.conj()).conj();
        }
        if z.norm() == 0.0 {
            return Complex64::new(f64::NEG_INFINITY, 0.0);
        }
        let mut target = z;
        if target.im == 0.0 && self.distance_to_support(target) == 0.0 {
            target.im = f64::EPSILON * self.upper;
        }
        // Start far above: |start| ≥ 4·upper, where the moment series converges like 4^{−k}.
        let top = target.im + 4.0 * self.upper + target.re.abs();
        let mut current = Complex64::new(target.re, top);
        let mut w = Complex64::new(0.0, 0.0);
        let inv = 1.0 / current;
        let mut power = Complex64::new(1.0, 0.0);
        for k in 0..60 {
            w += self.moment(k) * power;
            power *= inv;
        }
        w = self.newton_w(current, w).unwrap_or(w);
        let mut step_fraction = CONTINUATION_STEP;
        let mut guard = 0;
        while current.im > target.im && guard < 100_000 {
            guard += 1;
            let d = self.distance_to_support(current);
            let next_im = (current.im - step_fraction * d).max(target.im);
            let next = Complex64::new(target.re, next_im);
            // Predictor: dw/dz = (w − 1) / ((L+1) w^L − z).
            let slope =
                (w - 1.0) / (f64::from(self.depth + 1) * w.powi(self.depth as i32) - current);
            let guess = w + slope * (next - current);
            match self.newton_w(next, guess) {
                Some(found) if (found - guess).norm() <= 0.1 * (w.norm() + 1e-300) => {
                    w = found;
                    current = next;
                    step_fraction = (step_fraction * 1.5).min(CONTINUATION_STEP);
                }
                _ => {
                    step_fraction *= 0.5;
                    if step_fraction < 1e-6 {
                        break;
                    }
                }
            }
        }
        if current.im > target.im {
            // The continuation stalled (never observed); say so rather than return a wrong branch.
            return Complex64::new(f64::NAN, f64::NAN);
        }
        w / target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_one_is_marchenko_pastur_one_one() {
        let fc = FussCatalan::new(1).unwrap();
        let mp = crate::MarchenkoPastur::new(1.0, 1.0).unwrap();
        for &x in &[1e-6, 0.01, 0.5, 1.0, 2.0, 3.9, 3.999] {
            let (a, b) = (fc.pdf(x), mp.pdf(x));
            assert!((a - b).abs() < 1e-12 * b, "pdf({x}): {a} vs {b}");
            let (a, b) = (fc.cdf(x), mp.cdf(x));
            assert!((a - b).abs() < 1e-13, "cdf({x}): {a} vs {b}");
        }
        for &(re, im) in &[(1.0, 0.1), (-1.0, 0.0), (5.0, -0.5), (2.0, 1e-9)] {
            let z = Complex64::new(re, im);
            let (a, b) = (fc.cauchy(z), mp.cauchy(z));
            assert!((a - b).norm() < 1e-12 * b.norm(), "G({z}): {a} vs {b}");
        }
        for k in 0..8 {
            let (a, b) = (fc.moment(k), mp.moment(k));
            assert!((a - b).abs() < 1e-13 * b, "m_{k}: {a} vs {b}");
        }
    }

    #[test]
    fn upper_edges_match_notes() {
        // `docs/theory.md` §1.4: 4, 6.75, 9.4815, 12.2070.
        for &(l, edge) in &[(1, 4.0), (2, 6.75), (3, 9.4815), (4, 12.2070)] {
            let fc = FussCatalan::new(l).unwrap();
            assert!(
                (fc.upper_edge() - edge).abs() < 1e-4,
                "L={l}: {}",
                fc.upper_edge()
            );
        }
    }

    #[test]
    fn fuss_catalan_numbers() {
        // L = 2: 1, 1, 3, 12, 55, 273; L = 3: 1, 1, 4, 22, 140.
        let fc2 = FussCatalan::new(2).unwrap();
        for (k, m) in [1.0, 1.0, 3.0, 12.0, 55.0, 273.0].iter().enumerate() {
            assert!((fc2.moment(k as u32) - m).abs() < 1e-13 * m);
        }
        let fc3 = FussCatalan::new(3).unwrap();
        for (k, m) in [1.0, 1.0, 4.0, 22.0, 140.0].iter().enumerate() {
            assert!((fc3.moment(k as u32) - m).abs() < 1e-13 * m);
        }
    }

    #[test]
    fn cauchy_solves_algebraic_equation_on_the_right_branch() {
        // z^L G^{L+1} − zG + 1 = 0, Im G < 0 on C⁺, and agreement with φ-quadrature away from the support.
        for depth in [2, 3, 5, 12] {
            let fc = FussCatalan::new(depth).unwrap();
            let top = fc.upper_edge();
            for &(re, im) in &[
                (0.5, 1e-6),
                (0.3, 0.2),
                (-0.5, 0.0),
                (1.1, 0.0),
                (0.9, 1e-3),
            ] {
                let z = Complex64::new(re * top, im * top);
                let g = fc.cauchy(z);
                let residual = z.powi(depth as i32) * g.powi(depth as i32 + 1) - z * g + 1.0;
                assert!(
                    residual.norm() < 1e-11 * (1.0 + (z * g).norm()),
                    "L={depth} z={z}: {residual}"
                );
                if z.im > 0.0 {
                    assert!(g.im < 0.0, "L={depth} z={z}: G={g}");
                }
            }
            for &(re, im) in &[(0.5, 1.0), (-1.0, 0.3), (2.0, 0.0), (1.0, -2.0)] {
                let z = Complex64::new(re * top, im * top);
                let (a, b) = (fc.cauchy(z), fc.cauchy_by_quadrature(z));
                // 64-point Gauss–Legendre in φ with the pole of 1/(z − x(φ)) at distance ≥ 0.3·width: ~1e-13.
                assert!(
                    (a - b).norm() < 1e-11 * b.norm(),
                    "L={depth} z={z}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn pdf_is_inverse_of_parametrisation() {
        let fc = FussCatalan::new(4).unwrap();
        for &phi in &[1e-4, 0.1, 0.3, 0.5, 0.6, 0.62] {
            let x = fc.x_of_phi(phi);
            // Condition number of φ(x) near the top edge, where x_max − x ∝ φ²: a relative rounding of x moves
            // φ by a relative x/(2(x_max − x)); allow 20 ulps of that, and 1e-13 elsewhere.
            let conditioning = x / (2.0 * (fc.upper_edge() - x));
            let bound = 1e-13_f64.max(20.0 * f64::EPSILON * conditioning);
            let back = match fc.param_of_x(x) {
                Param::FromZero(p) => p,
                Param::FromTop(e) => fc.phi_max - e,
            };
            assert!(
                (back - phi).abs() < bound * phi,
                "φ={phi}: x={x}, φ(x)={back}, bound {bound:e}"
            );
            let (a, b) = (fc.pdf(x), fc.density_of_phi(phi));
            assert!(
                (a - b).abs() < bound * b,
                "φ={phi}: pdf {a} vs {b}, bound {bound:e}"
            );
        }
    }
}
