//! The Wigner semicircle law SC(σ²): mean 0, variance σ², support `[−2σ, 2σ]`.
//!
//! It is the limit spectral distribution of a Wigner matrix whose off-diagonal entries have variance `σ²/N`
//! (Wigner, Ann. Math. 67 (1958) 325; Anderson, Guionnet & Zeitouni, *An Introduction to Random Matrices*
//! (2010), Thm 2.1.1). Formulas: `docs/theory.md` §1.1.

use std::f64::consts::PI;
use std::fmt;

use crate::LawError;
use crate::error::require_positive;
use crate::law::{Complex64, SpectralLaw, Support};

/// Below this β = 2·acos(|x|/r) the tail mass (β − sin β)/(2π) is summed as a series, which avoids cancellation;
/// the series is truncated after β⁹, whose relative error at β = 0.1 is below 1e-16.
const TAIL_SERIES_BELOW: f64 = 0.1;

/// The Wigner semicircle law SC(σ²) with `σ² = variance`: `ρ(x) = √(4σ² − x²) / (2πσ²)` on `|x| ≤ 2σ`.
///
/// Domain: `variance > 0`, finite. Reference: Anderson, Guionnet & Zeitouni (2010), §2.1.
///
/// ```
/// use landscape_theory::{Semicircle, SpectralLaw};
/// let sc = Semicircle::new(1.0)?;
/// assert!((sc.pdf(0.0) - 1.0 / std::f64::consts::PI).abs() < 1e-15);
/// assert_eq!(sc.cdf(0.0), 0.5);
/// assert!((sc.moment(4) - 2.0).abs() < 1e-15); // Catalan C₂
/// assert_eq!(sc.to_string(), "semicircle(variance=1)");
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Semicircle {
    variance: f64,
    radius: f64,
}

impl Semicircle {
    /// SC(σ²) with `σ² = variance > 0`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] unless `variance` is a finite number `> 0`.
    ///
    /// ```
    /// # use landscape_theory::Semicircle;
    /// assert!(Semicircle::new(2.0).is_ok());
    /// assert!(Semicircle::new(-1.0).is_err());
    /// ```
    pub fn new(variance: f64) -> Result<Self, LawError> {
        let variance = require_positive("semicircle", "variance", variance)?;
        Ok(Self {
            variance,
            radius: 2.0 * variance.sqrt(),
        })
    }

    /// `σ²`.
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// The radius `2σ` of the support.
    ///
    /// ```
    /// # use landscape_theory::Semicircle;
    /// assert_eq!(Semicircle::new(4.0)?.radius(), 4.0);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// R-transform `R(w) = σ² w` (free cumulants `κ₂ = σ²`, all others 0).
    ///
    /// ```
    /// use landscape_theory::{Complex64, Semicircle};
    /// let r = Semicircle::new(3.0)?.r_transform(Complex64::new(0.5, 0.0));
    /// assert_eq!(r.re, 1.5);
    /// # Ok::<(), landscape_theory::LawError>(())
    /// ```
    pub fn r_transform(&self, w: Complex64) -> Complex64 {
        self.variance * w
    }

    /// Mass below `−|x|`, `(β − sin β)/(2π)` with `β = 2·acos(|x|/r)`, computed without cancellation.
    fn lower_tail(&self, abs_x: f64) -> f64 {
        let r = self.radius;
        let half_chord = ((r - abs_x) * (r + abs_x)).max(0.0).sqrt();
        let beta = 2.0 * half_chord.atan2(abs_x);
        if beta < TAIL_SERIES_BELOW {
            // β − sin β = β³/3! − β⁵/5! + β⁷/7! − β⁹/9!.
            let b2 = beta * beta;
            beta * b2 * (1.0 / 6.0 - b2 * (1.0 / 120.0 - b2 * (1.0 / 5040.0 - b2 / 362_880.0)))
                / (2.0 * PI)
        } else {
            (beta - beta.sin()) / (2.0 * PI)
        }
    }
}

impl fmt::Display for Semicircle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "semicircle(variance={})", self.variance)
    }
}

impl SpectralLaw for Semicircle {
    /// `ρ(x) = √((2σ − x)(2σ + x)) / (2πσ²)` for `|x| < 2σ`, else 0.
    fn pdf(&self, x: f64) -> f64 {
        let r = self.radius;
        if x.is_nan() || x.abs() >= r {
            return 0.0;
        }
        ((r - x) * (r + x)).sqrt() / (2.0 * PI * self.variance)
    }

    /// `F(x) = 1/2 + x√(4σ² − x²)/(4πσ²) + arcsin(x/(2σ))/π`, evaluated as `(β − sin β)/(2π)` with
    /// `β = 2 acos(|x|/2σ)` for the tail so that small probabilities keep their relative precision.
    fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        if x <= -self.radius {
            return 0.0;
        }
        if x >= self.radius {
            return 1.0;
        }
        if x <= 0.0 {
            self.lower_tail(-x)
        } else {
            1.0 - self.lower_tail(x)
        }
    }

    fn support(&self) -> Support {
        Support::interval(-self.radius, self.radius)
    }

    /// `m_{2k} = C_k σ^{2k}` (Catalan numbers), odd moments 0.
    fn moment(&self, k: u32) -> f64 {
        if k % 2 == 1 {
            return 0.0;
        }
        let half = k / 2;
        // C_{j+1} = C_j · 2(2j+1)/(j+2).
        let mut catalan = 1.0;
        for j in 0..half {
            let jf = f64::from(j);
            catalan *= 2.0 * (2.0 * jf + 1.0) / (jf + 2.0);
        }
        catalan * self.variance.powi(half as i32)
    }

    /// `G(z) = (z − √(z−2σ)·√(z+2σ)) / (2σ²) = 2 / (z + √(z−2σ)·√(z+2σ))`, product of principal roots (right
    /// branch on all of `C \ [−2σ, 2σ]`); the second form has no cancellation at large `|z|`.
    fn cauchy(&self, z: Complex64) -> Complex64 {
        let s = (z - self.radius).sqrt() * (z + self.radius).sqrt();
        2.0 / (z + s)
    }
}

#[cfg(test)]
// Catalan numbers and symmetric limits are exact in floating point.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn catalan_moments() {
        let sc = Semicircle::new(1.0).unwrap();
        let catalan = [1.0, 1.0, 2.0, 5.0, 14.0, 42.0, 132.0, 429.0, 1430.0, 4862.0];
        for (k, c) in catalan.iter().enumerate() {
            assert_eq!(sc.moment(2 * k as u32), *c, "m_{}", 2 * k);
            assert_eq!(sc.moment(2 * k as u32 + 1), 0.0);
        }
    }

    #[test]
    fn cdf_tail_keeps_relative_precision() {
        // F(−2 + ε) ≈ (2/(3π)) ε^{3/2} for SC(1) (expand (β − sin β)/(2π) with β ≈ 2√ε).
        let sc = Semicircle::new(1.0).unwrap();
        let eps: f64 = 1e-12;
        let expected = 2.0 / (3.0 * PI) * eps.powf(1.5);
        let f = sc.cdf(-2.0 + eps);
        // Next term of the expansion is O(ε) relative; ε = 1e-12 plus rounding of −2 + ε (~1e-4 relative).
        assert!(
            (f - expected).abs() < 1e-3 * expected,
            "F = {f:e}, expected {expected:e}"
        );
    }

    #[test]
    fn cdf_is_symmetric() {
        let sc = Semicircle::new(2.5).unwrap();
        for &x in &[0.1, 0.7, 1.9, 3.0, 3.16] {
            let sum = sc.cdf(x) + sc.cdf(-x);
            assert!((sum - 1.0).abs() < 1e-15, "F({x}) + F(−{x}) = {sum}");
        }
    }

    #[test]
    fn square_of_semicircle_is_mp_one_one() {
        // If X ~ SC(1), X² ~ MP(1,1): G_{X²}(z) = G_SC(√z)/√z.
        let sc = Semicircle::new(1.0).unwrap();
        let mp = crate::MarchenkoPastur::new(1.0, 1.0).unwrap();
        for &(re, im) in &[(1.0, 0.5), (5.0, -1.0), (-2.0, 0.3)] {
            let z = Complex64::new(re, im);
            let root = z.sqrt();
            let lhs = sc.cauchy(root) / root;
            let rhs = mp.cauchy(z);
            assert!(
                (lhs - rhs).norm() < 1e-14 * rhs.norm(),
                "z={z}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn cauchy_solves_semicircle_quadratic() {
        // σ² G² − z G + 1 = 0.
        let sc = Semicircle::new(0.3).unwrap();
        for &(re, im) in &[(0.0, 0.01), (-1.0, 0.5), (30.0, -2.0), (1.0, 1e-8)] {
            let z = Complex64::new(re, im);
            let g = sc.cauchy(z);
            let residual = 0.3 * g * g - z * g + 1.0;
            assert!(
                residual.norm() < 1e-13 * (1.0 + (z * g).norm()),
                "z={z}: {residual}"
            );
            if im > 0.0 {
                assert!(g.im < 0.0);
            }
        }
    }
}
