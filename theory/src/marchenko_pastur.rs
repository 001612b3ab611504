//! The Marchenko–Pastur law MP(λ, σ²): the limit spectral distribution of a sample covariance matrix.
//!
//! # Model
//! `X` is `p × n` with iid entries of mean 0 and variance `σ²` (`variance`), and `S = (1/n) X Xᵀ` is `p × p`.
//! With `λ = p/n` (`ratio`, dimension over samples) held fixed as `p, n → ∞`, the empirical spectral distribution
//! of `S` tends to MP(λ, σ²):
//!
//! * edges `λ± = σ²(1 ± √λ)²`;
//! * absolutely continuous part `ρ(x) = √((λ₊ − x)(x − λ₋)) / (2π σ² λ x)` on `[λ₋, λ₊]`;
//! * an atom `(1 − 1/λ) δ₀` when `λ > 1` (the continuous part then has mass `1/λ`).
//!
//! Reference: Marchenko & Pastur, Math. USSR-Sb. 1 (1967) 457; Bai & Silverstein, *Spectral Analysis of Large
//! Dimensional Random Matrices* (2010), Thm 3.6 and eq. (3.1.1). See `docs/theory.md` §1.2 for the forms used here
//! and the ways published formulas go wrong.

use std::f64::consts::PI;
use std::fmt;

use crate::LawError;
use crate::error::require_positive;
use crate::law::{Atom, Complex64, SpectralLaw, Support};

/// The Marchenko–Pastur law MP(λ, σ²) with `λ = ratio = p/n` and `σ² = variance`.
///
/// Domain: `ratio > 0` and `variance > 0`, both finite. The law is the limit ESD of `(1/n) X Xᵀ` for `X` `p × n`
/// with iid entries of variance `σ²`; for `λ > 1` it carries the atom `1 − 1/λ` at 0 (listed by
/// [`SpectralLaw::atoms`], never hidden in the pdf).
///
/// Reference: Bai & Silverstein (2010), Thm 3.6.
///
/// ```
/// use landscape_theory::{MarchenkoPastur, SpectralLaw};
/// let mp = MarchenkoPastur::new(0.25, 1.0)?;
/// // Edges (1 ± 1/2)², mean σ², second moment σ⁴(1 + λ).
/// assert!((mp.lower_edge() - 0.25).abs() < 1e-15 && (mp.upper_edge() - 2.25).abs() < 1e-15);
/// assert!((mp.moment(2) - 1.25).abs() < 1e-15);
/// assert_eq!(mp.to_string(), "mp(ratio=0.25, variance=1)");
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarchenkoPastur {
    ratio: f64,
    variance: f64,
    lower: f64,
    upper: f64,
}

impl MarchenkoPastur {
    /// MP(λ, σ²) with `λ = ratio = p/n > 0` and `σ² = variance > 0`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] if either argument is not a finite number `> 0`.
    ///
    /// ```
    /// use landscape_theory::MarchenkoPastur;
    /// assert!(MarchenkoPastur::new(2.0, 1.0).is_ok());
    /// assert!(MarchenkoPastur::new(0.0, 1.0).is_err());
    /// assert!(MarchenkoPastur::new(1.0, f64::NAN).is_err());
    /// ```
    pub fn new(ratio: f64, variance: f64) -> Result<Self, LawError> {
        let ratio = require_positive("mp", "ratio", ratio)?;
        let variance = require_positive("mp", "variance", variance)?;
        let root = ratio.sqrt();
        Ok(Self {
            ratio,
            variance,
            lower: variance * (1.0 - root) * (1.0 - root),
            upper: variance * (1.0 + root) * (1.0 + root),
        })
    }

    /// `λ = p/n`.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// `σ²`, the entry variance of `X`.
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// Lower edge of the continuous part, `λ₋ = σ²(1 − √λ)²`.
    ///
    /// ```
    /// # use landscape_theory::MarchenkoPastur;
    /// assert!((MarchenkoPastur::new(4.0, 2.0)?.lower_edge() - 2.0).abs() < 1e-15);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn lower_edge(&self) -> f64 {
        self.lower
    }

    /// Upper edge of the continuous part, `λ₊ = σ²(1 + √λ)²` (the Bai–Yin limit of the largest eigenvalue).
    ///
    /// ```
    /// # use landscape_theory::MarchenkoPastur;
    /// assert!((MarchenkoPastur::new(4.0, 2.0)?.upper_edge() - 18.0).abs() < 1e-14);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn upper_edge(&self) -> f64 {
        self.upper
    }

    /// Mass of the atom at 0: `max(0, 1 − 1/λ)`.
    ///
    /// ```
    /// # use landscape_theory::MarchenkoPastur;
    /// assert_eq!(MarchenkoPastur::new(4.0, 1.0)?.atom_mass(), 0.75);
    /// assert_eq!(MarchenkoPastur::new(0.5, 1.0)?.atom_mass(), 0.0);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn atom_mass(&self) -> f64 {
        if self.ratio > 1.0 {
            1.0 - 1.0 / self.ratio
        } else {
            0.0
        }
    }

    /// R-transform `R(w) = σ² / (1 − λσ² w)`, so the free cumulants are `κ_n = σ^{2n} λ^{n−1}`.
    ///
    /// Convention `G(R(w) + 1/w) = w` (crate docs). Valid for `|w| < 1/(λσ²)` as a power series, and by analytic
    /// continuation elsewhere except at the pole `w = 1/(λσ²)`. Reference: Nica & Speicher, *Lectures on the
    /// Combinatorics of Free Probability* (2006), Prop. 12.11 (free Poisson law with rate `1/λ`, jump `λσ²`).
    ///
    /// ```
    /// use landscape_theory::{Complex64, MarchenkoPastur};
    /// let r = MarchenkoPastur::new(0.5, 2.0)?.r_transform(Complex64::new(0.5, 0.0));
    /// assert!((r.re - 4.0).abs() < 1e-15); // 2 / (1 − 0.5·2·0.5)
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn r_transform(&self, w: Complex64) -> Complex64 {
        Complex64::from(self.variance) / (1.0 - self.ratio * self.variance * w)
    }

    /// `(x − λ₋, λ₊ − x)`, clamped at 0. For `√λ ≤ 1/2` they are formed from `d = x − σ²` and
    /// `λ± − σ² = σ²√λ(±2 + √λ)`: `d` is exact inside the support by Sterbenz's lemma, so the rounding of the edges
    /// themselves (`ε·σ²`, which is `ε/(4√λ)` of the support's width `4√λσ²`: 6e-11 at λ = 1e-12) does not enter
    /// the density or the cdf. Otherwise the direct differences are as good (and exact next to a lower edge at 0).
    fn edge_distances(&self, x: f64) -> (f64, f64) {
        let a = self.ratio.sqrt();
        if a > SERIES_RATIO_ROOT {
            return ((x - self.lower).max(0.0), (self.upper - x).max(0.0));
        }
        let d = x - self.variance;
        (
            (d + self.variance * a * (2.0 - a)).max(0.0),
            (self.variance * a * (2.0 + a) - d).max(0.0),
        )
    }

    /// S-transform `S(z) = 1 / (σ²(1 + λ z))` (convention of the crate docs: `ψ(z) = Σ m_k z^k`, `χ = ψ⁻¹`,
    /// `S = χ(1+z)/z`).
    ///
    /// Valid near `z = 0` and by continuation away from the pole `z = −1/λ`. Reference: Voiculescu, Dykema &
    /// Nica, *Free Random Variables* (1992); `docs/theory.md` §1.2.
    ///
    /// ```
    /// use landscape_theory::{Complex64, MarchenkoPastur};
    /// let s = MarchenkoPastur::new(0.5, 2.0)?.s_transform(Complex64::new(2.0, 0.0));
    /// assert!((s.re - 0.25).abs() < 1e-15); // 1 / (2·(1 + 1))
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn s_transform(&self, z: Complex64) -> Complex64 {
        1.0 / (self.variance * (1.0 + self.ratio * z))
    }
}

impl fmt::Display for MarchenkoPastur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mp(ratio={}, variance={})", self.ratio, self.variance)
    }
}

/// The cdf uses the Chebyshev series when `√λ ≤ 1/2` or `√λ ≥ 2`: its terms shrink at least like `2⁻ⁿ`, so at most
/// ~60 terms reach `ε`, and the closed form's `ε/λ` cancellation error is at most `4ε` in between.
const SERIES_RATIO_ROOT: f64 = 0.5;

/// `(2/π) ∫₀^θ sin²t / (1 + a² − 2a cos t) dt` for `0 ≤ a ≤ 1/2` by the term-wise integral of
/// `sin t/(1 + a² − 2a cos t) = Σ_{n≥0} aⁿ sin((n+1)t)` (the generating function of the Chebyshev polynomials of
/// the second kind): `(1/π)[θ − sin 2θ/2 + Σ_{n≥1} aⁿ(sin nθ/n − sin (n+2)θ/(n+2))]`. Each term is bounded by
/// `2aⁿ/n`, so the sum stops once `aⁿ` is below `ε/4` of the leading term's scale.
fn chebyshev_cdf_series(a: f64, theta: f64) -> f64 {
    let mut sum = theta - 0.5 * (2.0 * theta).sin();
    let mut power = 1.0;
    let mut n = 1.0_f64;
    loop {
        power *= a;
        if power < 0.25 * f64::EPSILON {
            break;
        }
        sum += power * ((n * theta).sin() / n - ((n + 2.0) * theta).sin() / (n + 2.0));
        n += 1.0;
    }
    sum / PI
}

impl SpectralLaw for MarchenkoPastur {
    /// `ρ(x) = √((λ₊ − x)(x − λ₋)) / (2π σ² λ x)` for `λ₋ < x < λ₊`, 0 elsewhere (the atom is not in the pdf).
    fn pdf(&self, x: f64) -> f64 {
        if !(x > self.lower && x < self.upper) {
            return 0.0;
        }
        let (from_lower, to_upper) = self.edge_distances(x);
        (to_upper * from_lower).sqrt() / (2.0 * PI * self.variance * self.ratio * x)
    }

    /// With `a = √λ` and the angle `θ ∈ [0, π]` of `x = σ²(1 + a² − 2a cos θ)`, the continuous part is
    /// `(2/π) ∫₀^θ sin²t / (1 + a² − 2a cos t) dt`. Two evaluations of it, each accurate to a few ulps where used:
    ///
    /// * `a ≤ 1/2` or `a ≥ 2`: the Chebyshev series `sin t/(1 + a² − 2a cos t) = Σₙ aⁿ sin((n+1)t)` integrated
    ///   term by term, `(1/π)[θ − sin 2θ/2 + Σ_{n≥1} aⁿ(sin nθ/n − sin (n+2)θ/(n+2))]`, in `1/a` (times `1/a²`)
    ///   when `a ≥ 2`. This keeps full absolute accuracy as `λ → 0` or `λ → ∞`, where the closed form below
    ///   cancels to an error of `~ε/λ` (every digit is lost at `λ = 1e-12`).
    /// * otherwise the closed form (Mathematica `CDF[MarchenkoPasturDistribution]`, also Distributions.jl) with
    ///   `xs = x/σ²` and `R = √(4λ − (xs − 1 − λ)²)`, whose cancellation error `~ε/λ` is below `4ε` there.
    ///
    /// Both are checked against mpmath quadrature in `tests/reference/closed_forms.py`.
    fn cdf(&self, x: f64) -> f64 {
        let lam = self.ratio;
        if x.is_nan() {
            return f64::NAN;
        }
        if x < 0.0 {
            return 0.0;
        }
        if x <= self.lower {
            return self.atom_mass();
        }
        if x >= self.upper {
            return 1.0;
        }
        let a = lam.sqrt();
        let value = if a <= SERIES_RATIO_ROOT || a >= 1.0 / SERIES_RATIO_ROOT {
            // x − λ₋ = 4aσ² sin²(θ/2) and λ₊ − x = 4aσ² cos²(θ/2).
            let (from_lower, to_upper) = self.edge_distances(x);
            let theta = 2.0 * from_lower.sqrt().atan2(to_upper.sqrt());
            if a < 1.0 {
                chebyshev_cdf_series(a, theta)
            } else {
                self.atom_mass() + chebyshev_cdf_series(1.0 / a, theta) / lam
            }
        } else {
            let xs = x / self.variance;
            let d = xs - 1.0 - lam;
            let r = (4.0 * lam - d * d).max(0.0).sqrt();
            let y2 = -(lam - 1.0) * (lam - 1.0) + xs * (1.0 + lam);
            if lam <= 1.0 {
                (PI * lam + r
                    - (1.0 + lam) * (-d).atan2(r)
                    - (1.0 - lam) * y2.atan2((1.0 - lam) * r))
                    / (2.0 * PI * lam)
            } else {
                1.0 + (-PI + r
                    - (1.0 + lam) * (-d).atan2(r)
                    - (lam - 1.0) * y2.atan2((lam - 1.0) * r))
                    / (2.0 * PI * lam)
            }
        };
        value.clamp(self.atom_mass(), 1.0)
    }

    fn support(&self) -> Support {
        Support::interval(self.lower, self.upper)
    }

    fn atoms(&self) -> Vec<Atom> {
        let mass = self.atom_mass();
        if mass > 0.0 {
            vec![Atom {
                location: 0.0,
                mass,
            }]
        } else {
            Vec::new()
        }
    }

    /// Narayana form `m_k = σ^{2k} Σ_{r=1}^{k} N(k, r) λ^{r−1}`, `N(k, r) = C(k,r) C(k,r−1)/k` (the atom adds
    /// nothing for `k ≥ 1`). Reference: Bai & Silverstein (2010), Lemma 3.1.
    fn moment(&self, k: u32) -> f64 {
        if k == 0 {
            return 1.0;
        }
        // Terms N(k, r) λ^{r−1} by the ratio N(k, r+1)/N(k, r) = (k−r)(k−r+1)/(r(r+1)).
        let kf = f64::from(k);
        let mut term = 1.0;
        let mut sum = 1.0;
        for r in 1..k {
            let rf = f64::from(r);
            term *= (kf - rf) * (kf - rf + 1.0) / (rf * (rf + 1.0)) * self.ratio;
            sum += term;
        }
        sum * self.variance.powi(k as i32)
    }

    /// Bisection of the closed-form cdf ([`crate::law::default_quantile`]), except that every `p` up to the atom's
    /// mass maps exactly to the atom at 0 (bisection would stop 1e-13 of the width above it).
    fn quantile(&self, p: f64) -> Result<f64, LawError> {
        let atom = self.atom_mass();
        if atom > 0.0 && (0.0..=atom).contains(&p) {
            return Ok(0.0);
        }
        crate::law::default_quantile(self, p)
    }

    /// `G(z) = (z + σ²(λ−1) − √(z−λ₋)·√(z−λ₊)) / (2λσ²z) = 2 / (z + σ²(λ−1) + √(z−λ₋)·√(z−λ₊))`,
    /// with the **product of two principal square roots** (the principal root of the product is the wrong branch
    /// for `Re z < (λ₋+λ₊)/2`). The two algebraically equal forms are chosen to avoid cancellation. The atom at 0
    /// for `λ > 1` is included automatically.
    fn cauchy(&self, z: Complex64) -> Complex64 {
        let a = z + self.variance * (self.ratio - 1.0);
        let s = (z - self.lower).sqrt() * (z - self.upper).sqrt();
        let plus = a + s;
        let minus = a - s;
        if plus.norm() >= minus.norm() {
            2.0 / plus
        } else {
            minus / (2.0 * self.ratio * self.variance * z)
        }
    }
}

#[cfg(test)]
// The cdf's limits and the atom mass are exact constants.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    /// Cauchy values below are quoted to 4 decimals in `docs/theory.md` §1.2.
    const QUOTED_4_DECIMALS: f64 = 6e-5;

    #[test]
    fn cauchy_uses_product_of_principal_roots_not_root_of_product() {
        let mp = MarchenkoPastur::new(0.5, 1.0).unwrap();
        let z = Complex64::new(0.5, 0.1);
        let g = mp.cauchy(z);
        assert!(
            (g - Complex64::new(-0.1595, -1.7878)).norm() < QUOTED_4_DECIMALS,
            "G({z}) = {g}, expected −0.1595 − 1.7878i"
        );
        // The wrong branch, √((z−λ₋)(z−λ₊)), gives 0.2364 + 2.1724i (Im G > 0 on C⁺): pin that we are not it.
        let wrong_root = ((z - mp.lower_edge()) * (z - mp.upper_edge())).sqrt();
        let wrong = (z + mp.variance() * (mp.ratio() - 1.0) - wrong_root) / (2.0 * mp.ratio() * z);
        assert!((wrong - Complex64::new(0.2364, 2.1724)).norm() < QUOTED_4_DECIMALS);
        assert!((g - wrong).norm() > 1.0);
    }

    #[test]
    fn cauchy_at_zero_is_minus_mean_inverse_below_ratio_one() {
        // G(0) = −E[1/x] = −1/(σ²(1−λ)) for λ < 1 (Bai & Silverstein 2010, Lemma 3.1 by continuation).
        let mp = MarchenkoPastur::new(0.25, 2.0).unwrap();
        let g = mp.cauchy(Complex64::new(0.0, 0.0));
        assert!(
            (g.re + 1.0 / 1.5).abs() < 1e-15 && g.im.abs() < 1e-15,
            "G(0) = {g}"
        );
    }

    #[test]
    fn cauchy_solves_the_mp_quadratic() {
        // m = −G solves λσ² z m² + (z − σ²(1−λ)) m + 1 = 0.
        for &(lam, v) in &[(0.5, 1.0), (4.0, 2.0), (1.0, 0.3), (1e-3, 1e3)] {
            let mp = MarchenkoPastur::new(lam, v).unwrap();
            for &(re, im) in &[(0.1, 0.01), (-3.0, 1.0), (50.0, -2.0), (1.0, 1e-6)] {
                let z = Complex64::new(re * v, im * v);
                let m = -mp.cauchy(z);
                let residual = lam * v * z * m * m + (z - v * (1.0 - lam)) * m + 1.0;
                // Three terms of size ≤ |z m| + 1; 1e-12 is ~1e4 ulps of that scale.
                let scale = 1.0 + (z * m).norm() + (lam * v * z * m * m).norm();
                assert!(
                    residual.norm() < 1e-12 * scale,
                    "λ={lam} σ²={v} z={z}: residual {residual}"
                );
            }
        }
    }

    #[test]
    fn ratio_above_one_has_atom_and_companion_identity() {
        // Companion: λ·MP(λ,σ²) + (1−λ)δ₀ = MP(1/λ, λσ²); in G: G_{1/λ,λσ²}(z) = λ G_{λ,σ²}(z) + (1−λ)/z.
        let mp = MarchenkoPastur::new(0.4, 1.5).unwrap();
        let companion = MarchenkoPastur::new(2.5, 0.6).unwrap();
        assert!((companion.atom_mass() - 0.6).abs() < 1e-15);
        for &(re, im) in &[(0.3, 0.2), (2.0, -0.5), (-1.0, 0.1)] {
            let z = Complex64::new(re, im);
            let lhs = companion.cauchy(z);
            let rhs = 0.4 * mp.cauchy(z) + 0.6 / z;
            assert!(
                (lhs - rhs).norm() < 1e-13 * lhs.norm(),
                "z={z}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn moments_match_quoted_polynomials() {
        let (lam, v): (f64, f64) = (0.7, 1.3);
        let mp = MarchenkoPastur::new(lam, v).unwrap();
        let expected = [
            1.0,
            v,
            v.powi(2) * (1.0 + lam),
            v.powi(3) * (1.0 + 3.0 * lam + lam * lam),
            v.powi(4) * (1.0 + 6.0 * lam + 6.0 * lam * lam + lam.powi(3)),
        ];
        for (k, e) in expected.iter().enumerate() {
            let m = mp.moment(k as u32);
            assert!((m - e).abs() < 1e-14 * e, "m_{k} = {m}, expected {e}");
        }
    }

    #[test]
    fn cdf_limits_and_atom() {
        let mp = MarchenkoPastur::new(4.0, 1.0).unwrap();
        assert_eq!(mp.cdf(-1e-300), 0.0);
        assert_eq!(mp.cdf(0.0), 0.75);
        assert_eq!(mp.cdf(mp.lower_edge()), 0.75);
        assert_eq!(mp.cdf(mp.upper_edge()), 1.0);
        assert!(mp.cdf(f64::NAN).is_nan());
    }

    #[test]
    fn quantile_maps_probabilities_below_the_atom_to_zero() {
        let mp = MarchenkoPastur::new(4.0, 1.0).unwrap();
        assert_eq!(mp.quantile(0.0).unwrap(), 0.0);
        assert_eq!(mp.quantile(0.75).unwrap(), 0.0);
        let above = mp.quantile(0.75 + 1e-9).unwrap();
        assert!(
            above >= mp.lower_edge() && above < mp.lower_edge() + 1e-3,
            "{above}"
        );
        assert!(mp.quantile(1.5).is_err());
    }

    #[test]
    fn transforms_satisfy_their_defining_relations() {
        let mp = MarchenkoPastur::new(0.6, 1.7).unwrap();
        // G(R(w) + 1/w) = w for small w.
        let w = Complex64::new(0.05, 0.02);
        let g = mp.cauchy(mp.r_transform(w) + 1.0 / w);
        assert!((g - w).norm() < 1e-13, "G(R(w)+1/w) = {g}, w = {w}");
        // S(ψ(u)) = u'(1+ψ)/ψ with ψ(u) = (1/u)G(1/u) − 1 on the negative axis.
        let u = Complex64::new(-0.1, 0.0);
        let psi = (1.0 / u) * mp.cauchy(1.0 / u) - 1.0;
        let s = mp.s_transform(psi);
        let expected = u * (1.0 + psi) / psi;
        assert!(
            (s - expected).norm() < 1e-13 * s.norm(),
            "S(ψ) = {s}, χ(ψ)(1+ψ)/ψ = {expected}"
        );
    }
}
