//! Limits and non-asymptotic bounds for extreme eigenvalues and singular values of Gaussian-type matrices.
//!
//! * Bai–Yin: almost-sure limits of the extreme eigenvalues of `(1/n) X Xᵀ`.
//! * Davidson–Szarek: expectation and Gaussian-concentration tail bounds for `s_max`, `s_min` of an `N × n`
//!   standard Gaussian matrix.
//! * Edelman: the limit law of the smallest singular value of a square Gaussian matrix.
//!
//! Formulas: `docs/theory.md` §1.10.

use crate::LawError;
use crate::error::{require_non_negative, require_positive};

/// Almost-sure limits of the extreme eigenvalues of `S = (1/n) X Xᵀ`, `X` `p × n` with iid entries of mean 0,
/// variance `σ²` and finite fourth moment, `p/n → γ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtremeEigenvalueLimits {
    /// `λ_min(S) → σ²(1 − √γ)²` for `γ ≤ 1`; for `γ > 1`, `S` is singular and `λ_min = 0`.
    pub lambda_min: f64,
    /// The smallest non-zero eigenvalue's limit, `σ²(1 − √γ)²` for every `γ` (Bai–Yin applied to `XᵀX/n`).
    pub smallest_nonzero: f64,
    /// `λ_max(S) → σ²(1 + √γ)²`.
    pub lambda_max: f64,
}

/// Bai–Yin limits of the extreme eigenvalues of `(1/n) X Xᵀ` with `γ = ratio = p/n` and entry variance `variance`.
///
/// `λ_max → σ²(1+√γ)²` (Yin, Bai & Krishnaiah, PTRF 78 (1988) 509; a finite fourth moment is necessary) and
/// `λ_min → σ²(1−√γ)²` for `γ ≤ 1` (Bai & Yin, Ann. Probab. 21 (1993) 1275).
///
/// # Errors
/// [`LawError::InvalidParameter`] unless both arguments are finite and `> 0`.
///
/// ```
/// use landscape_theory::bounds::bai_yin_limits;
/// let l = bai_yin_limits(0.25, 1.0)?;
/// assert_eq!((l.lambda_min, l.lambda_max), (0.25, 2.25));
/// assert_eq!(bai_yin_limits(4.0, 1.0)?.lambda_min, 0.0);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn bai_yin_limits(ratio: f64, variance: f64) -> Result<ExtremeEigenvalueLimits, LawError> {
    let ratio = require_positive("bai_yin", "ratio", ratio)?;
    let variance = require_positive("bai_yin", "variance", variance)?;
    let root = ratio.sqrt();
    let smallest_nonzero = variance * (1.0 - root) * (1.0 - root);
    Ok(ExtremeEigenvalueLimits {
        lambda_min: if ratio > 1.0 { 0.0 } else { smallest_nonzero },
        smallest_nonzero,
        lambda_max: variance * (1.0 + root) * (1.0 + root),
    })
}

/// Davidson–Szarek expectation bounds for an `N × n` matrix (`N ≥ n ≥ 1`) with iid `N(0, 1)` entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingularValueBounds {
    /// `E s_min ≥ √N − √n`.
    pub s_min_lower: f64,
    /// `E s_max ≤ √N + √n`.
    pub s_max_upper: f64,
}

fn check_shape(rows: usize, cols: usize) -> Result<(f64, f64), LawError> {
    if cols == 0 {
        return Err(LawError::invalid("davidson_szarek", "cols", 0.0, "n ≥ 1"));
    }
    if rows < cols {
        return Err(LawError::invalid(
            "davidson_szarek",
            "rows",
            rows as f64,
            "N ≥ n (transpose the matrix)",
        ));
    }
    Ok(((rows as f64).sqrt(), (cols as f64).sqrt()))
}

/// `√N − √n ≤ E s_min ≤ E s_max ≤ √N + √n` for `A` `N × n` (`rows = N ≥ cols = n ≥ 1`) with iid `N(0,1)` entries.
///
/// Reference: Davidson & Szarek, *Handbook of the Geometry of Banach Spaces* I (2001), Thm II.13; Vershynin,
/// *Introduction to the non-asymptotic analysis of random matrices* (2012), Thm 5.32.
///
/// # Errors
/// [`LawError::InvalidParameter`] if `cols = 0` or `rows < cols`.
///
/// ```
/// use landscape_theory::bounds::davidson_szarek_expectation;
/// let b = davidson_szarek_expectation(400, 100)?;
/// assert_eq!((b.s_min_lower, b.s_max_upper), (10.0, 30.0));
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn davidson_szarek_expectation(
    rows: usize,
    cols: usize,
) -> Result<SingularValueBounds, LawError> {
    let (big, small) = check_shape(rows, cols)?;
    Ok(SingularValueBounds {
        s_min_lower: big - small,
        s_max_upper: big + small,
    })
}

/// The Gaussian-concentration tail bound `e^{−t²/2}` shared by both extremes:
/// `P(s_max ≥ √N + √n + t) ≤ e^{−t²/2}` and `P(s_min ≤ √N − √n − t) ≤ e^{−t²/2}` for `t ≥ 0`.
///
/// `s_max` and `s_min` are 1-Lipschitz in the entries (Frobenius norm), so Gaussian concentration applies.
/// Reference: Vershynin (2012), Cor. 5.35.
///
/// # Errors
/// [`LawError::InvalidParameter`] unless `t` is finite and `≥ 0`.
///
/// ```
/// use landscape_theory::bounds::davidson_szarek_tail;
/// assert!((davidson_szarek_tail(2.0)? - (-2.0f64).exp()).abs() < 1e-16);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn davidson_szarek_tail(t: f64) -> Result<f64, LawError> {
    let t = require_non_negative("davidson_szarek", "t", t)?;
    Ok((-0.5 * t * t).exp())
}

/// The deviation `t = √(2 ln(1/δ))` at which [`davidson_szarek_tail`] equals `δ ∈ (0, 1]`.
///
/// So with probability at least `1 − δ`, `s_max < √N + √n + t` (and separately `s_min > √N − √n − t`).
///
/// # Errors
/// [`LawError::InvalidParameter`] unless `0 < δ ≤ 1`.
///
/// ```
/// use landscape_theory::bounds::{davidson_szarek_tail, deviation_for_failure_probability};
/// let t = deviation_for_failure_probability(1e-6)?;
/// assert!((davidson_szarek_tail(t)? - 1e-6).abs() < 1e-20);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn deviation_for_failure_probability(delta: f64) -> Result<f64, LawError> {
    if !(delta > 0.0 && delta <= 1.0) {
        return Err(LawError::invalid(
            "davidson_szarek",
            "delta",
            delta,
            "a probability in (0, 1]",
        ));
    }
    Ok((-2.0 * delta.ln()).max(0.0).sqrt())
}

/// Edelman's limit law of the smallest singular value of an `n × n` real Gaussian matrix (entries `N(0,1)`):
/// `P(n·s_min² ≤ x) → 1 − exp(−x/2 − √x)` for `x ≥ 0`.
///
/// Reference: Edelman, SIAM J. Matrix Anal. Appl. 9 (1988) 543, Cor. 3.1.
///
/// # Errors
/// [`LawError::InvalidParameter`] unless `x` is finite and `≥ 0`.
///
/// ```
/// use landscape_theory::bounds::edelman_smallest_singular_cdf;
/// let p = edelman_smallest_singular_cdf(1.0)?;
/// assert!((p - (1.0 - (-1.5f64).exp())).abs() < 1e-16);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn edelman_smallest_singular_cdf(x: f64) -> Result<f64, LawError> {
    let x = require_non_negative("edelman", "x", x)?;
    Ok(-(-0.5 * x - x.sqrt()).exp_m1())
}

/// Inverse of [`edelman_smallest_singular_cdf`]: the `x` with `1 − exp(−x/2 − √x) = p`, namely
/// `x = (√(1 + 2q) − 1)²` with `q = −ln(1 − p)`, for `p ∈ [0, 1)`.
///
/// # Errors
/// [`LawError::InvalidParameter`] unless `0 ≤ p < 1`.
///
/// ```
/// use landscape_theory::bounds::{edelman_smallest_singular_cdf, edelman_smallest_singular_quantile};
/// let x = edelman_smallest_singular_quantile(0.5)?;
/// assert!((edelman_smallest_singular_cdf(x)? - 0.5).abs() < 1e-15);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn edelman_smallest_singular_quantile(p: f64) -> Result<f64, LawError> {
    if !(0.0..1.0).contains(&p) {
        return Err(LawError::invalid(
            "edelman",
            "p",
            p,
            "a probability in [0, 1)",
        ));
    }
    let q = -(-p).ln_1p();
    // s = √x solves s²/2 + s − q = 0; s = 2q/(1 + √(1+2q)) avoids cancellation at small q.
    let s = 2.0 * q / (1.0 + (1.0 + 2.0 * q).sqrt());
    Ok(s * s)
}

/// The complex analogue: for `n × n` complex Gaussian matrices `n·s_min² ⇒ Exp(1)`, `P(n·s_min² ≤ x) → 1 − e^{−x}`.
///
/// Reference: Edelman (1988), Cor. 3.3.
///
/// # Errors
/// [`LawError::InvalidParameter`] unless `x` is finite and `≥ 0`.
///
/// ```
/// use landscape_theory::bounds::edelman_smallest_singular_cdf_complex;
/// assert!((edelman_smallest_singular_cdf_complex(1.0)? - (1.0 - (-1.0f64).exp())).abs() < 1e-16);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn edelman_smallest_singular_cdf_complex(x: f64) -> Result<f64, LawError> {
    let x = require_non_negative("edelman", "x", x)?;
    Ok(-(-x).exp_m1())
}

#[cfg(test)]
// Bai–Yin edges at perfect-square ratios and the δ = 1 deviation are exact in floating point.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn bai_yin_limits_are_mp_edges() {
        let l = bai_yin_limits(0.5, 2.0).unwrap();
        let mp = crate::MarchenkoPastur::new(0.5, 2.0).unwrap();
        assert_eq!(l.lambda_min, mp.lower_edge());
        assert_eq!(l.lambda_max, mp.upper_edge());
        let wide = bai_yin_limits(9.0, 1.0).unwrap();
        assert_eq!(
            (wide.lambda_min, wide.smallest_nonzero, wide.lambda_max),
            (0.0, 4.0, 16.0)
        );
    }

    #[test]
    fn davidson_szarek_rejects_bad_shapes() {
        assert!(davidson_szarek_expectation(3, 4).is_err());
        assert!(davidson_szarek_expectation(3, 0).is_err());
        assert!(davidson_szarek_tail(-1.0).is_err());
        assert!(deviation_for_failure_probability(0.0).is_err());
        assert!(deviation_for_failure_probability(1.5).is_err());
        assert_eq!(deviation_for_failure_probability(1.0).unwrap(), 0.0);
    }

    #[test]
    fn edelman_matches_notes_values() {
        // `docs/theory.md` §1.10: the limit gives 0.777 at x = 1 and 0.911 at x = 2 (3 decimals).
        assert!((edelman_smallest_singular_cdf(1.0).unwrap() - 0.777).abs() < 5e-4);
        assert!((edelman_smallest_singular_cdf(2.0).unwrap() - 0.911).abs() < 5e-4);
        for &p in &[1e-12, 0.1, 0.5, 0.99] {
            let x = edelman_smallest_singular_quantile(p).unwrap();
            let back = edelman_smallest_singular_cdf(x).unwrap();
            assert!(
                (back - p).abs() < 1e-14 * p.max(1e-3),
                "p={p}: x={x}, F(x)={back}"
            );
        }
        assert!(edelman_smallest_singular_quantile(1.0).is_err());
    }
}
