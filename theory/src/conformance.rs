//! One generic checker that every [`SpectralLaw`] must pass, usable from any crate's tests.
//!
//! [`check_law`] holds a law to the consistency the trait promises, by independent quadrature of its own pdf:
//!
//! 1. the support is sorted and finite, atoms have masses in `(0, 1]`;
//! 2. the pdf is finite and `≥ 0` on a grid inside every support interval, and 0 (or at least finite and
//!    non-negative) outside;
//! 3. total mass `Σ atoms + Σ ∫ pdf = 1`;
//! 4. the cdf is monotone, 0 below and 1 above the hull of the support and atoms;
//! 5. `cdf(x) = Σ_{atoms ≤ x} mass + ∫_{−∞}^x pdf` at interior points;
//! 6. raw moments `m_1..m_k` by quadrature equal [`SpectralLaw::moment`], relative to `∫|x|^k dμ`;
//! 7. the Cauchy transform equals `Σ atoms + ∫ pdf(x)/(z − x) dx` at points off the support, has `Im G < 0` on
//!    `C⁺`, and `z G(z) → 1`;
//! 8. `quantile(cdf(x)) = x` inside the support.
//!
//! Integrals use tanh–sinh on each support interval, which converges exponentially for square-root and `x^{−a}`
//! edge singularities (Takahasi & Mori, Publ. RIMS 9 (1974) 721). Tolerances are explicit in
//! [`ConformanceTolerance`]; the rule's own tolerance is capped at [`MAX_QUADRATURE_TOL`] so that its error is
//! never reported as the law's.
//!
//! Limitation: in double precision the rule's outermost node sits ~1e-300 of the width from an end, so an
//! `x^{−a}` singularity loses mass `~(1e-300)^{1−a}/(1−a)`. That is below 1e-10 for `a ≤ 0.95` (Fuss–Catalan up to
//! depth ~16) but not for `a → 1`: measured mass errors are 2e-10 at FC₃₂ and 1.5e-5 at FC₆₄, errors of the
//! checker's quadrature, not of the law (its own cdf matches mpmath to 3e-15 there).

// Every check is written `!(error <= bound)` so that a NaN fails it.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::law::{Complex64, SpectralLaw, hull};
use crate::quadrature::tanh_sinh;

/// Loosest tanh–sinh tolerance [`check_law`] uses, whatever [`ConformanceTolerance::quadrature`] says. The rule
/// stops when two successive halvings agree to its tolerance; a loose one stops it at the first levels, whose
/// error is then reported as the law's. Measured on `MP(½) ⊞ SC(0.2)`: quadrature tolerance 1e-2 gives mass, cdf and
/// moment errors ~5e-6 and a Cauchy error 4e-5 (`MP(1) ⊠ MP(1)`: 2e-5), 1e-4 a cdf error 1e-8, and 1e-6 or tighter
/// errors ≤ 1e-11, with the same law (`MP(1) ⊠ MP(1) = FC₂`: its `G` matches the closed form to 1e-14, its cdf to
/// 3e-10). 1e-10 costs one or two more
/// levels and keeps the checker's own error far below any tolerance it is asked to check.
pub const MAX_QUADRATURE_TOL: f64 = 1e-10;

/// Tolerances of [`check_law`]. Every field is explicit so a law computed by an iterative solver can state its
/// own accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConformanceTolerance {
    /// Absolute tolerance on `Σ atoms + ∫ pdf − 1`.
    pub mass: f64,
    /// Absolute tolerance on `cdf(x) − (atoms + ∫ pdf)`, and the slack allowed in monotonicity.
    pub cdf: f64,
    /// Relative tolerance on moments, measured against `∫ |x|^k dμ`.
    pub moment: f64,
    /// Relative tolerance on the Cauchy transform against quadrature.
    pub cauchy: f64,
    /// Tolerance on `quantile(cdf(x)) − x`, relative to the width of the hull of the support.
    pub quantile: f64,
    /// Convergence tolerance handed to the tanh–sinh rule; [`check_law`] never uses one looser than
    /// [`MAX_QUADRATURE_TOL`].
    pub quadrature: f64,
    /// Highest moment checked (moments `1..=max_moment`).
    pub max_moment: u32,
    /// Grid points per support interval for the pdf and cdf checks.
    pub grid_points: usize,
}

impl ConformanceTolerance {
    /// For laws given in closed form (pdf, cdf and moments exact to rounding). The 1e-10 budget is the crate's
    /// reference-value target; tanh–sinh itself converges to ~1e-14 on these integrands, and the cdf of
    /// Marchenko–Pastur loses up to `log10(1/λ)` digits to cancellation at small ratio (1e-13 at λ = 1e-3).
    pub const CLOSED_FORM: Self = Self {
        mass: 1e-10,
        cdf: 1e-10,
        moment: 1e-10,
        cauchy: 1e-10,
        quantile: 1e-9,
        quadrature: 1e-13,
        max_moment: 4,
        grid_points: 64,
    };

    /// The same tolerance `tol` for mass, cdf, moments and the Cauchy transform, `10·tol` for the quantile round
    /// trip and a quadrature tolerance 100 times finer (at least 1e-14): a starting point for laws computed by an
    /// iterative solver, which should state why their `tol` is what it is.
    ///
    /// ```
    /// use landscape_theory::conformance::ConformanceTolerance;
    /// let t = ConformanceTolerance::uniform(1e-8);
    /// assert_eq!((t.mass, t.quantile, t.max_moment), (1e-8, 1e-7, 4));
    /// ```
    pub fn uniform(tol: f64) -> Self {
        Self {
            mass: tol,
            cdf: tol,
            moment: tol,
            cauchy: tol,
            quantile: 10.0 * tol,
            quadrature: (tol * 1e-2).max(1e-14),
            ..Self::CLOSED_FORM
        }
    }
}

impl Default for ConformanceTolerance {
    fn default() -> Self {
        Self::CLOSED_FORM
    }
}

/// What [`check_law`] measured (the largest error of each kind), for failure messages and reports.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ConformanceReport {
    /// `|Σ atoms + ∫ pdf − 1|`.
    pub mass_error: f64,
    /// Largest `|cdf(x) − (atoms + ∫ pdf)|`.
    pub cdf_error: f64,
    /// Largest relative moment error.
    pub moment_error: f64,
    /// Largest relative Cauchy-transform error.
    pub cauchy_error: f64,
    /// Largest `|quantile(cdf(x)) − x| / width`.
    pub quantile_error: f64,
    /// Number of pdf evaluations checked for finiteness and sign.
    pub pdf_points: usize,
}

/// Checks `law` against the consistency conditions listed in the module docs with tolerances `tol`.
///
/// # Errors
/// A one-line message naming the law, the failed check, the point, the measured value and the bound.
///
/// ```
/// use landscape_theory::conformance::{check_law, ConformanceTolerance};
/// use landscape_theory::MarchenkoPastur;
/// let report = check_law(&MarchenkoPastur::new(2.0, 1.0)?, &ConformanceTolerance::CLOSED_FORM).unwrap();
/// assert!(report.mass_error < 1e-12);
/// # Ok::<(), landscape_theory::LawError>(())
/// ```
pub fn check_law(
    law: &dyn SpectralLaw,
    tol: &ConformanceTolerance,
) -> Result<ConformanceReport, String> {
    let mut report = ConformanceReport::default();
    let support = law.support();
    let atoms = law.atoms();
    let fail = |check: &str, detail: String| Err(format!("{law}: {check} failed: {detail}"));

    // 1. Structure.
    for pair in support.intervals.windows(2) {
        if !(pair[0].hi <= pair[1].lo) {
            return fail(
                "support",
                format!("intervals not sorted/disjoint: {pair:?}"),
            );
        }
    }
    for interval in &support.intervals {
        if !(interval.lo.is_finite() && interval.hi.is_finite() && interval.lo <= interval.hi) {
            return fail("support", format!("bad interval {interval:?}"));
        }
    }
    for atom in &atoms {
        if !(atom.location.is_finite() && atom.mass > 0.0 && atom.mass <= 1.0) {
            return fail("atoms", format!("bad atom {atom:?}"));
        }
    }
    if support.intervals.is_empty() && atoms.is_empty() {
        return fail("support", "empty support and no atoms".to_string());
    }
    let (lo, hi) = hull(law);
    let width = hi - lo;
    let scale = lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE);
    let span = if width > 0.0 { width } else { scale };

    let quadrature = tol.quadrature.min(MAX_QUADRATURE_TOL);
    let integrate = |a: f64, b: f64, f: &dyn Fn(f64) -> f64| {
        tanh_sinh(a, b, quadrature, |x, _, _| law.pdf(x) * f(x))
    };

    // 2. pdf finite and non-negative inside, and outside the hull.
    for interval in &support.intervals {
        for i in 0..tol.grid_points {
            let x = interval.lo + interval.width() * (i as f64 + 0.5) / tol.grid_points as f64;
            let p = law.pdf(x);
            report.pdf_points += 1;
            if !(p.is_finite() && p >= 0.0) {
                return fail("pdf", format!("pdf({x}) = {p}, expected finite and ≥ 0"));
            }
        }
    }
    for x in [lo - 0.5 * span, hi + 0.5 * span] {
        let p = law.pdf(x);
        report.pdf_points += 1;
        if !(p.is_finite() && p >= 0.0) {
            return fail("pdf", format!("pdf({x}) = {p} outside the support"));
        }
    }

    // 3. Total mass.
    let interval_mass: Vec<f64> = support
        .intervals
        .iter()
        .map(|i| integrate(i.lo, i.hi, &|_| 1.0))
        .collect();
    let atom_mass: f64 = atoms.iter().map(|a| a.mass).sum();
    let total = atom_mass + interval_mass.iter().sum::<f64>();
    report.mass_error = (total - 1.0).abs();
    if !(report.mass_error <= tol.mass) {
        return fail(
            "total mass",
            format!(
                "atoms {atom_mass} + ∫pdf = {total}, |error| {:e} > {:e}",
                report.mass_error, tol.mass
            ),
        );
    }

    // 4. Monotone cdf, limits.
    let below = law.cdf(lo - 0.5 * span);
    let above = law.cdf(hi + 0.5 * span);
    if !(below.abs() <= tol.cdf && (above - 1.0).abs() <= tol.cdf) {
        return fail(
            "cdf limits",
            format!("F(below hull) = {below}, F(above hull) = {above}"),
        );
    }
    let n_mono = 4 * tol.grid_points;
    let mut previous = below;
    for i in 0..=n_mono {
        let x = lo - 0.01 * span + 1.02 * span * i as f64 / n_mono as f64;
        let f = law.cdf(x);
        if !(f >= previous - tol.cdf && (0.0..=1.0).contains(&f)) {
            return fail("cdf monotone", format!("F({x}) = {f} after {previous}"));
        }
        previous = f;
    }

    // 5. cdf against atoms + ∫ pdf.
    const FRACTIONS: [f64; 7] = [0.02, 0.15, 0.3, 0.5, 0.7, 0.85, 0.98];
    let mut mass_before = 0.0;
    for (index, interval) in support.intervals.iter().enumerate() {
        for &fraction in &FRACTIONS {
            let x = interval.lo + fraction * interval.width();
            let atoms_below: f64 = atoms
                .iter()
                .filter(|a| a.location <= x)
                .map(|a| a.mass)
                .sum();
            let expected = atoms_below + mass_before + integrate(interval.lo, x, &|_| 1.0);
            let f = law.cdf(x);
            let error = (f - expected).abs();
            report.cdf_error = report.cdf_error.max(error);
            if !(error <= tol.cdf) {
                return fail(
                    "cdf = atoms + ∫pdf",
                    format!(
                        "x = {x}: cdf {f}, quadrature {expected}, |error| {error:e} > {:e}",
                        tol.cdf
                    ),
                );
            }
        }
        mass_before += interval_mass[index];
    }

    // 6. Moments.
    for k in 1..=tol.max_moment {
        let power = |x: f64| x.powi(k as i32);
        let mut quadrature: f64 = atoms.iter().map(|a| a.mass * power(a.location)).sum();
        let mut absolute: f64 = atoms.iter().map(|a| a.mass * power(a.location).abs()).sum();
        for interval in &support.intervals {
            quadrature += integrate(interval.lo, interval.hi, &power);
            absolute += integrate(interval.lo, interval.hi, &|x| power(x).abs());
        }
        let claimed = law.moment(k);
        let error = (claimed - quadrature).abs() / absolute.max(f64::MIN_POSITIVE);
        report.moment_error = report.moment_error.max(error);
        if !(error <= tol.moment) {
            return fail(
                "moments",
                format!(
                    "m_{k}: law {claimed}, quadrature {quadrature}, relative error {error:e} > {:e}",
                    tol.moment
                ),
            );
        }
    }

    // 7. Cauchy transform off the support.
    let centre = 0.5 * (lo + hi);
    let half = 0.5 * span;
    let offsets = [
        (0.0, 1.0),
        (0.3, 0.8),
        (1.5, 0.5),
        (-1.5, 0.2),
        (2.5, 0.0),
        (-2.5, 0.0),
        (0.4, -0.7),
    ];
    for &(a, b) in &offsets {
        let z = Complex64::new(centre + half * a, half * b);
        let mut expected: Complex64 = atoms.iter().map(|at| at.mass / (z - at.location)).sum();
        for interval in &support.intervals {
            let re = integrate(interval.lo, interval.hi, &|x| (1.0 / (z - x)).re);
            let im = integrate(interval.lo, interval.hi, &|x| (1.0 / (z - x)).im);
            expected += Complex64::new(re, im);
        }
        let g = law.cauchy(z);
        let error = (g - expected).norm() / expected.norm().max(f64::MIN_POSITIVE);
        report.cauchy_error = report.cauchy_error.max(error);
        if !(error <= tol.cauchy) {
            return fail(
                "cauchy",
                format!(
                    "G({z}) = {g}, quadrature {expected}, relative error {error:e} > {:e}",
                    tol.cauchy
                ),
            );
        }
        if z.im > 0.0 && !(g.im < 0.0) {
            return fail(
                "cauchy sign",
                format!("Im G({z}) = {} on C⁺, expected < 0", g.im),
            );
        }
    }
    // G(z) = 1/z + m₁/z² + …: |zG − 1| ≤ E|x|/|z| + O(|z|⁻²) ≤ 2·scale/|z| far out.
    let far = Complex64::new(centre, 1e4 * scale.max(span));
    let deviation = (far * law.cauchy(far) - 1.0).norm();
    let bound = 2.0 * scale.max(span) / far.norm();
    if !(deviation <= bound) {
        return fail(
            "cauchy asymptote",
            format!("|zG(z) − 1| = {deviation:e} at z = {far}, bound {bound:e}"),
        );
    }

    // 8. quantile ∘ cdf = identity inside the support.
    for interval in &support.intervals {
        for &fraction in &FRACTIONS[1..6] {
            let x = interval.lo + fraction * interval.width();
            let p = law.cdf(x);
            let q = law
                .quantile(p)
                .map_err(|e| format!("{law}: quantile({p}) failed: {e}"))?;
            let error = (q - x).abs() / span;
            report.quantile_error = report.quantile_error.max(error);
            if !(error <= tol.quantile) {
                return fail(
                    "quantile(cdf(x)) = x",
                    format!(
                        "x = {x}: cdf {p}, quantile {q}, error/width {error:e} > {:e}",
                        tol.quantile
                    ),
                );
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FussCatalan, LawError, MarchenkoPastur, Semicircle, Support};
    use std::fmt;

    #[test]
    fn closed_form_laws_pass_the_checker() {
        let laws: Vec<Box<dyn SpectralLaw>> = vec![
            Box::new(MarchenkoPastur::new(0.5, 1.0).unwrap()),
            Box::new(MarchenkoPastur::new(1.0, 2.0).unwrap()),
            Box::new(MarchenkoPastur::new(3.0, 0.5).unwrap()),
            Box::new(Semicircle::new(1.0).unwrap()),
            Box::new(FussCatalan::new(1).unwrap()),
            Box::new(FussCatalan::new(3).unwrap()),
        ];
        for law in &laws {
            let report = check_law(law.as_ref(), &ConformanceTolerance::CLOSED_FORM);
            assert!(report.is_ok(), "{}", report.unwrap_err());
        }
    }

    /// MP with the seed document's bug (iv): the atom at 0 for λ > 1 dropped.
    #[derive(Debug)]
    struct MissingAtom(MarchenkoPastur);

    impl fmt::Display for MissingAtom {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "missing_atom({})", self.0)
        }
    }

    impl SpectralLaw for MissingAtom {
        fn pdf(&self, x: f64) -> f64 {
            self.0.pdf(x)
        }
        fn cdf(&self, x: f64) -> f64 {
            self.0.cdf(x)
        }
        fn support(&self) -> Support {
            self.0.support()
        }
        fn moment(&self, k: u32) -> f64 {
            self.0.moment(k)
        }
        fn cauchy(&self, z: Complex64) -> Complex64 {
            self.0.cauchy(z)
        }
        fn quantile(&self, p: f64) -> Result<f64, LawError> {
            self.0.quantile(p)
        }
    }

    #[test]
    fn checker_rejects_a_law_that_drops_its_atom() {
        let law = MissingAtom(MarchenkoPastur::new(2.0, 1.0).unwrap());
        let err = check_law(&law, &ConformanceTolerance::CLOSED_FORM).unwrap_err();
        assert!(err.contains("total mass"), "{err}");
    }

    /// MP density with bug (i): the factor λ missing from the denominator (the mass check catches it).
    #[derive(Debug)]
    struct MissingRatio(MarchenkoPastur);

    impl fmt::Display for MissingRatio {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "missing_ratio({})", self.0)
        }
    }

    impl SpectralLaw for MissingRatio {
        fn pdf(&self, x: f64) -> f64 {
            self.0.pdf(x) * self.0.ratio()
        }
        fn cdf(&self, x: f64) -> f64 {
            self.0.cdf(x)
        }
        fn support(&self) -> Support {
            self.0.support()
        }
        fn moment(&self, k: u32) -> f64 {
            self.0.moment(k)
        }
        fn cauchy(&self, z: Complex64) -> Complex64 {
            self.0.cauchy(z)
        }
    }

    #[test]
    fn checker_rejects_a_density_missing_the_ratio() {
        let law = MissingRatio(MarchenkoPastur::new(0.5, 1.0).unwrap());
        let err = check_law(&law, &ConformanceTolerance::CLOSED_FORM).unwrap_err();
        assert!(err.contains("total mass"), "{err}");
    }
}
