//! Free additive convolution `μ₁ ⊞ μ₂` of any two laws.
//!
//! # Method (`docs/theory.md` §1.3)
//! * **Subordination** (Belinschi–Bercovici 2007, *Math. Z.* 248). With `F_μ = 1/G_μ` and `h_μ(w) = F_μ(w) − w`,
//!   the subordination function `ω₁(z)` is the Denjoy–Wolff fixed point of the self-map of `C⁺`
//!   `ω ↦ z + h_{μ₂}(z + h_{μ₁}(ω))`, and `G_{μ₁⊞μ₂}(z) = G_{μ₁}(ω₁(z))`.
//! * **Pastur fast path** when one operand is a semicircle `SC(v)`: `G(z) = G_μ(z − vG(z))`, solved as the fixed
//!   point `ω = z − v G_μ(ω)`, `G = G_μ(ω)` (one operand evaluation per step instead of two).
//!
//! Both fixed points are found by damped Newton with warm starts ([`crate::numerical::solve_self_map`]); the law
//! is then tabulated by [`NumericalLaw`].
//!
//! **Atoms** (Bercovici–Voiculescu 1998, *Pacific J. Math.* 153, Thm 7.4): `μ₁ ⊞ μ₂` has an atom at `a + b` iff
//! `μ₁({a}) + μ₂({b}) > 1`, with mass `μ₁({a}) + μ₂({b}) − 1`; these are passed to the engine as known atoms.

use std::fmt;
use std::sync::Arc;

use crate::LawError;
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support, hull};
use crate::numerical::{CauchySolver, NumericalConfig, NumericalLaw, solve_self_map};

/// How [`FreeSum`] solves for `G`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FreeSumMethod {
    /// The Pastur equation when one operand is recognised as a semicircle (its `Display` starts with
    /// `semicircle(`, its mean is 0, and its Cauchy transform matches `SC(m₂)` at `z = 2i√m₂` to 1e-12),
    /// subordination otherwise.
    #[default]
    Auto,
    /// Always Belinschi–Bercovici subordination.
    Subordination,
}

/// Largest deviation of an operand's Cauchy transform from the semicircle formula for it to be treated as one.
const SEMICIRCLE_CHECK_TOL: f64 = 1e-12;

/// The fixed-point equation used by [`FreeSum`], with the operands' length scale (for convergence tests).
#[derive(Debug, Clone)]
pub struct FreeSumSolver {
    /// Which equation.
    pub kind: FreeSumKind,
    /// `max |x|` over both operands' hulls: residuals are measured relative to this.
    pub scale: f64,
}

/// The two fixed-point equations of [`FreeSumSolver`].
#[derive(Debug, Clone)]
pub enum FreeSumKind {
    /// Belinschi–Bercovici subordination; state `ω₁`.
    Subordination {
        /// μ₁.
        a: Arc<dyn SpectralLaw>,
        /// μ₂.
        b: Arc<dyn SpectralLaw>,
    },
    /// Pastur: `μ ⊞ SC(variance)`; state `ω = z − vG`.
    Pastur {
        /// The non-semicircle operand.
        mu: Arc<dyn SpectralLaw>,
        /// Variance `v` of the semicircle operand.
        variance: f64,
    },
}

///
/// `Im h(w) ≥ 0` on `C⁺` (the reciprocal Cauchy transform satisfies `Im F(w) ≥ Im w`), which keeps the
/// subordination map inside the half-plane `Im ω ≥ Im z`. Next to the real axis (`Im w` ~1e-13 of the scale, at
/// tiny or huge scales of one operand) rounding can break that inequality by a few ulps of `|F(w)|` and walk the
/// iteration out of its domain, so the sign is enforced.
fn h(law: &dyn SpectralLaw, w: Complex64) -> Complex64 {
    let v = 1.0 / law.cauchy(w) - w;
    Complex64::new(v.re, v.im.max(0.0))
}

/// `G_μ(w)` with `Im G ≤ 0`, which holds exactly on `C⁺` and which rounding can break by ulps next to the real
/// axis (see [`h`]); the Pastur map `ω ↦ z − v G(ω)` then stays in `Im ω ≥ Im z`.
fn nevanlinna_cauchy(law: &dyn SpectralLaw, w: Complex64) -> Complex64 {
    let g = law.cauchy(w);
    Complex64::new(g.re, g.im.min(0.0))
}

impl CauchySolver for FreeSumSolver {
    type State = Complex64;

    fn solve(
        &self,
        z: Complex64,
        warm: Option<&Complex64>,
    ) -> Result<(Complex64, Complex64), LawError> {
        let floor = 0.5 * z.im;
        let start = match warm {
            Some(w) if w.im.is_finite() && w.re.is_finite() => Complex64::new(w.re, w.im.max(z.im)),
            _ => z,
        };
        let in_domain = |w: Complex64| w.im >= floor;
        let scale = self.scale + z.norm();
        match &self.kind {
            FreeSumKind::Subordination { a, b } => {
                let phi = |w: Complex64| z + h(b.as_ref(), z + h(a.as_ref(), w));
                let omega = solve_self_map(phi, start, in_domain, scale, "free_sum subordination")?;
                Ok((a.cauchy(omega), omega))
            }
            FreeSumKind::Pastur { mu, variance } => {
                let phi = |w: Complex64| z - *variance * nevanlinna_cauchy(mu.as_ref(), w);
                let omega =
                    solve_self_map(phi, start, in_domain, scale, "free_sum Pastur equation")?;
                Ok((mu.cauchy(omega), omega))
            }
        }
    }
}

/// `μ₁ ⊞ μ₂`: the limit spectral law of `A + UBU*` with `U` Haar, `A ~ μ₁`, `B ~ μ₂`.
///
/// Domain: any two laws with compact support (finite hulls). Accuracy: pdf and cdf to ~1e-9 away from edges,
/// edges to ~1e-12 relative to the scale (see the tests).
///
/// ```
/// use std::sync::Arc;
/// use landscape_theory::free_sum::FreeSum;
/// use landscape_theory::MarchenkoPastur;
/// use landscape_theory::{Complex64, SpectralLaw};
/// // MP(½,1) ⊞ MP(½,1) = MP(¼,2) (free Poisson rates add), so G(1 + 0.5i) = −0.4 − 0.8i exactly.
/// let half = Arc::new(MarchenkoPastur::new(0.5, 1.0).unwrap());
/// let sum = FreeSum::new(half.clone(), half).unwrap();
/// let g = sum.cauchy(Complex64::new(1.0, 0.5));
/// assert!((g - Complex64::new(-0.4, -0.8)).norm() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct FreeSum {
    a: Arc<dyn SpectralLaw>,
    b: Arc<dyn SpectralLaw>,
    law: NumericalLaw<FreeSumSolver>,
}

impl FreeSum {
    /// `a ⊞ b`, using the Pastur fast path when one operand is a semicircle ([`FreeSumMethod::Auto`]).
    ///
    /// # Errors
    /// [`LawError::Unsupported`] if an operand has no support and no atoms; [`LawError::NoConvergence`] if the
    /// numerical tabulation fails.
    pub fn new(a: Arc<dyn SpectralLaw>, b: Arc<dyn SpectralLaw>) -> Result<Self, LawError> {
        Self::with_method(a, b, FreeSumMethod::Auto)
    }

    /// `a ⊞ b` with an explicit choice of method.
    ///
    /// # Errors
    /// As [`FreeSum::new`].
    pub fn with_method(
        a: Arc<dyn SpectralLaw>,
        b: Arc<dyn SpectralLaw>,
        method: FreeSumMethod,
    ) -> Result<Self, LawError> {
        for law in [&a, &b] {
            if !law.has_compact_support() {
                return Err(LawError::Unsupported {
                    law: "free_sum",
                    reason: format!(
                        "{law} lives on the whole line; ⊞ here needs laws with compact support"
                    ),
                });
            }
        }
        let (alo, ahi) = hull(a.as_ref());
        let (blo, bhi) = hull(b.as_ref());
        if !(alo.is_finite() && ahi.is_finite() && blo.is_finite() && bhi.is_finite()) {
            return Err(LawError::Unsupported {
                law: "free_sum",
                reason: format!(
                    "an operand has an empty or unbounded support: {a} on [{alo}, {ahi}], {b} on [{blo}, {bhi}]"
                ),
            });
        }
        let mut atoms = Vec::new();
        for x in a.atoms() {
            for y in b.atoms() {
                if x.mass + y.mass > 1.0 {
                    atoms.push(Atom {
                        location: x.location + y.location,
                        mass: x.mass + y.mass - 1.0,
                    });
                }
            }
        }
        let solver = match method {
            FreeSumMethod::Auto => {
                if let Some(v) = semicircle_variance(b.as_ref()) {
                    FreeSumKind::Pastur {
                        mu: a.clone(),
                        variance: v,
                    }
                } else if let Some(v) = semicircle_variance(a.as_ref()) {
                    FreeSumKind::Pastur {
                        mu: b.clone(),
                        variance: v,
                    }
                } else {
                    FreeSumKind::Subordination {
                        a: a.clone(),
                        b: b.clone(),
                    }
                }
            }
            FreeSumMethod::Subordination => FreeSumKind::Subordination {
                a: a.clone(),
                b: b.clone(),
            },
        };
        let solver = FreeSumSolver {
            kind: solver,
            scale: alo.abs().max(ahi.abs()).max(blo.abs()).max(bhi.abs()),
        };
        // An operand's atom at `a` spreads over about `a + hull(other)`; when the other operand is narrow, that
        // component can be far narrower than the scan of the whole support resolves, so it is scanned on its own.
        let mut regions = Vec::new();
        for (atoms_of, (lo, hi)) in [(a.atoms(), (blo, bhi)), (b.atoms(), (alo, ahi))] {
            let half = 0.5 * (hi - lo);
            for atom in atoms_of {
                let centre = atom.location + 0.5 * (lo + hi);
                regions.push(Interval::new(centre - 1.5 * half, centre + 1.5 * half));
            }
        }
        let config = NumericalConfig {
            search: Interval::new(alo + blo, ahi + bhi),
            atoms,
            hard_edges: Vec::new(),
            regions,
        };
        let law = NumericalLaw::from_solver(format!("free_sum({a}, {b})"), solver, config)?;
        Ok(Self { a, b, law })
    }

    /// The first operand.
    pub fn first(&self) -> &Arc<dyn SpectralLaw> {
        &self.a
    }

    /// The second operand.
    pub fn second(&self) -> &Arc<dyn SpectralLaw> {
        &self.b
    }

    /// Whether the Pastur fast path is in use.
    pub fn is_pastur(&self) -> bool {
        matches!(self.law.solver().kind, FreeSumKind::Pastur { .. })
    }

    /// The tabulated law.
    pub fn numerical(&self) -> &NumericalLaw<FreeSumSolver> {
        &self.law
    }
}

/// `Some(v)` if `law` is recognised as the semicircle `SC(v)` (see [`FreeSumMethod::Auto`]).
fn semicircle_variance(law: &dyn SpectralLaw) -> Option<f64> {
    if !law.to_string().starts_with("semicircle(") || law.moment(1).abs() > 1e-14 {
        return None;
    }
    let v = law.moment(2);
    if !(v.is_finite() && v > 0.0 && law.atoms().is_empty()) {
        return None;
    }
    let r = 2.0 * v.sqrt();
    let z = Complex64::new(0.3 * r, r);
    let expected = (z - (z - r).sqrt() * (z + r).sqrt()) / (2.0 * v);
    ((law.cauchy(z) - expected).norm() <= SEMICIRCLE_CHECK_TOL * expected.norm()).then_some(v)
}

impl fmt::Display for FreeSum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.law, f)
    }
}

impl SpectralLaw for FreeSum {
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
    /// Moments by the contour integral of the engine (exact in principle: `κ_n(μ₁⊞μ₂) = κ_n(μ₁) + κ_n(μ₂)`).
    fn moment(&self, k: u32) -> f64 {
        self.law.moment(k)
    }
    fn cauchy(&self, z: Complex64) -> Complex64 {
        self.law.cauchy(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MarchenkoPastur, Semicircle};

    /// Target accuracy of the free convolutions away from edges (issue: ≤ 1e-7 on pdf and cdf).
    const PDF_CDF_TOL: f64 = 1e-7;
    /// Target accuracy of support edges (issue: ≤ 1e-6).
    const EDGE_TOL: f64 = 1e-6;

    fn arc<L: SpectralLaw + 'static>(l: L) -> Arc<dyn SpectralLaw> {
        Arc::new(l)
    }

    #[test]
    fn semicircle_plus_semicircle_is_semicircle_with_summed_variance() {
        for method in [FreeSumMethod::Auto, FreeSumMethod::Subordination] {
            let sum = FreeSum::with_method(
                arc(Semicircle::new(1.0).unwrap()),
                arc(Semicircle::new(0.5).unwrap()),
                method,
            )
            .unwrap();
            let exact = Semicircle::new(1.5).unwrap();
            let r = 2.0 * 1.5_f64.sqrt();
            let s = sum.support();
            assert_eq!(s.intervals.len(), 1, "{method:?}: {s:?}");
            assert!(
                (s.intervals[0].lo + r).abs() < EDGE_TOL,
                "{method:?}: {s:?}"
            );
            assert!(
                (s.intervals[0].hi - r).abs() < EDGE_TOL,
                "{method:?}: {s:?}"
            );
            let mut worst_pdf: f64 = 0.0;
            let mut worst_cdf: f64 = 0.0;
            for i in 1..40 {
                let x = -r + 2.0 * r * f64::from(i) / 40.0;
                worst_pdf = worst_pdf.max((sum.pdf(x) - exact.pdf(x)).abs());
                worst_cdf = worst_cdf.max((sum.cdf(x) - exact.cdf(x)).abs());
            }
            assert!(
                worst_pdf < PDF_CDF_TOL,
                "{method:?}: pdf error {worst_pdf:e}"
            );
            assert!(
                worst_cdf < PDF_CDF_TOL,
                "{method:?}: cdf error {worst_cdf:e}"
            );
            for k in 0..=6 {
                let err = (sum.moment(k) - exact.moment(k)).abs();
                assert!(err < 1e-10, "{method:?}: moment {k} error {err:e}");
            }
        }
    }

    #[test]
    fn free_poisson_rates_add_mp_half_plus_mp_half_is_mp_quarter_variance_two() {
        let sum = FreeSum::new(
            arc(MarchenkoPastur::new(0.5, 1.0).unwrap()),
            arc(MarchenkoPastur::new(0.5, 1.0).unwrap()),
        )
        .unwrap();
        assert!(!sum.is_pastur());
        let g = sum.cauchy(Complex64::new(1.0, 0.5));
        assert!(
            (g - Complex64::new(-0.4, -0.8)).norm() < 1e-12,
            "G(1+0.5i) = {g}"
        );
        let exact = MarchenkoPastur::new(0.25, 2.0).unwrap();
        let (lo, hi) = (2.0 * 0.25, 2.0 * 2.25);
        let s = sum.support();
        assert_eq!(s.intervals.len(), 1, "{s:?}");
        assert!((s.intervals[0].lo - lo).abs() < EDGE_TOL, "{s:?}");
        assert!((s.intervals[0].hi - hi).abs() < EDGE_TOL, "{s:?}");
        let mut worst: f64 = 0.0;
        for i in 1..50 {
            let x = lo + (hi - lo) * f64::from(i) / 50.0;
            worst = worst.max((sum.pdf(x) - exact.pdf(x)).abs());
        }
        assert!(worst < PDF_CDF_TOL, "pdf error {worst:e}");
        assert!(sum.atoms().is_empty());
        for k in 1..=5 {
            let err = (sum.moment(k) - exact.moment(k)).abs() / exact.moment(k);
            assert!(err < 1e-10, "moment {k} relative error {err:e}");
        }
    }

    #[test]
    fn pastur_equation_agrees_with_subordination() {
        let mp = arc(MarchenkoPastur::new(0.3, 1.0).unwrap());
        let sc = arc(Semicircle::new(0.05).unwrap());
        let fast = FreeSum::new(mp.clone(), sc.clone()).unwrap();
        let slow = FreeSum::with_method(mp, sc, FreeSumMethod::Subordination).unwrap();
        assert!(fast.is_pastur() && !slow.is_pastur());
        let (fs, ss) = (fast.support(), slow.support());
        for (a, b) in fs.intervals.iter().zip(&ss.intervals) {
            assert!(
                (a.lo - b.lo).abs() < 1e-9 && (a.hi - b.hi).abs() < 1e-9,
                "{fs:?} vs {ss:?}"
            );
        }
        for i in 0..60 {
            let x = -0.5 + 3.0 * f64::from(i) / 60.0;
            let (p, q) = (fast.pdf(x), slow.pdf(x));
            assert!((p - q).abs() < 1e-9, "pdf at {x}: {p} vs {q}");
            let (p, q) = (fast.cdf(x), slow.cdf(x));
            assert!((p - q).abs() < 1e-9, "cdf at {x}: {p} vs {q}");
        }
        assert_eq!(
            fast.to_string(),
            "free_sum(mp(ratio=0.3, variance=1), semicircle(variance=0.05))"
        );
    }

    #[test]
    fn atoms_add_when_their_masses_exceed_one() {
        // MP(4,1) has an atom 3/4 at 0: MP(4) ⊞ MP(4) has an atom 1/2 at 0.
        let sum = FreeSum::new(
            arc(MarchenkoPastur::new(4.0, 1.0).unwrap()),
            arc(MarchenkoPastur::new(4.0, 1.0).unwrap()),
        )
        .unwrap();
        let atoms = sum.atoms();
        assert_eq!(atoms.len(), 1, "{atoms:?}");
        assert!((atoms[0].mass - 0.5).abs() < 1e-15);
        // Total mass balance: table + atom = 1.
        let total = sum.numerical().continuous_mass() + 0.5;
        assert!((total - 1.0).abs() < 1e-8, "total mass {total}");
        // MP(4,1) is free Poisson with rate 1/4 and jump 4; rates add to 1/2, so the sum is MP(2, 2).
        let exact = MarchenkoPastur::new(2.0, 2.0).unwrap();
        for x in [1.0, 5.0, 10.0, 20.0] {
            assert!(
                (sum.pdf(x) - exact.pdf(x)).abs() < PDF_CDF_TOL,
                "pdf at {x}"
            );
        }
    }

    /// `½δ₋ₐ + ½δₐ`, atoms only (test-only operand).
    #[derive(Debug)]
    struct TwoAtoms(f64);

    impl fmt::Display for TwoAtoms {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "two_atoms({})", self.0)
        }
    }

    impl SpectralLaw for TwoAtoms {
        fn pdf(&self, _x: f64) -> f64 {
            0.0
        }
        fn cdf(&self, x: f64) -> f64 {
            0.5 * (f64::from(u8::from(x >= -self.0)) + f64::from(u8::from(x >= self.0)))
        }
        fn support(&self) -> Support {
            Support::default()
        }
        fn atoms(&self) -> Vec<Atom> {
            vec![
                Atom {
                    location: -self.0,
                    mass: 0.5,
                },
                Atom {
                    location: self.0,
                    mass: 0.5,
                },
            ]
        }
        fn moment(&self, k: u32) -> f64 {
            if k % 2 == 1 {
                0.0
            } else {
                self.0.powi(k as i32)
            }
        }
        fn cauchy(&self, z: Complex64) -> Complex64 {
            0.5 / (z - self.0) + 0.5 / (z + self.0)
        }
    }

    #[test]
    fn two_atoms_plus_semicircle_has_two_intervals_and_solves_its_cubic() {
        // G = G_μ(z − vG) with μ = ½δ₋ₐ + ½δₐ gives v²G³ − 2zvG² + (z² − a² + v)G − z = 0.
        let (a, v) = (2.0, 0.25);
        let sum = FreeSum::new(arc(TwoAtoms(a)), arc(Semicircle::new(v).unwrap())).unwrap();
        assert!(sum.is_pastur());
        let s = sum.support();
        assert_eq!(s.intervals.len(), 2, "{s:?}");
        // Symmetry: the intervals mirror each other and hold mass ½ each.
        assert!(
            (s.intervals[0].lo + s.intervals[1].hi).abs() < EDGE_TOL,
            "{s:?}"
        );
        assert!(
            (s.intervals[0].hi + s.intervals[1].lo).abs() < EDGE_TOL,
            "{s:?}"
        );
        assert!(
            (sum.cdf(0.0) - 0.5).abs() < PDF_CDF_TOL,
            "F(0) = {}",
            sum.cdf(0.0)
        );
        assert!(sum.pdf(0.0).abs() < 1e-300 && sum.atoms().is_empty());
        for x in [-3.0, -2.0, -1.2, 1.5, 2.0, 2.7] {
            let z = Complex64::new(x, 1e-9);
            let g = sum.cauchy(z);
            let res = v * v * g * g * g - 2.0 * z * v * g * g + (z * z - a * a + v) * g - z;
            assert!(res.norm() < 1e-9, "x={x}: residual {:e}", res.norm());
        }
        // Moments: free cumulants add, so m2 = a² + v and m4 = κ4(μ) + … ; check m2 and the odd ones.
        assert!((sum.moment(2) - (a * a + v)).abs() < 1e-10);
        assert!(sum.moment(3).abs() < 1e-10);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]
        #[test]
        fn moments_of_mp_free_sums_are_sums_of_free_cumulants(l1 in 0.1f64..3.0, l2 in 0.1f64..3.0, s2 in 0.5f64..2.0) {
            // κ_n(MP(λ, σ²)) = σ^{2n} λ^{n−1}; m2 = κ2 + κ1², m3 = κ3 + 3κ1κ2 + κ1³.
            let sum = FreeSum::new(arc(MarchenkoPastur::new(l1, 1.0).unwrap()), arc(MarchenkoPastur::new(l2, s2).unwrap())).unwrap();
            let k = |n: i32| l1.powi(n - 1) + s2.powi(n) * l2.powi(n - 1);
            let m2 = k(2) + k(1).powi(2);
            let m3 = k(3) + 3.0 * k(1) * k(2) + k(1).powi(3);
            proptest::prop_assert!((sum.moment(2) - m2).abs() < 1e-9 * m2, "m2 {} vs {m2}", sum.moment(2));
            proptest::prop_assert!((sum.moment(3) - m3).abs() < 1e-9 * m3, "m3 {} vs {m3}", sum.moment(3));
            let total: f64 = sum.numerical().continuous_mass() + sum.atoms().iter().map(|a| a.mass).sum::<f64>();
            proptest::prop_assert!((total - 1.0).abs() < 1e-7, "mass {total}");
        }
    }
}
