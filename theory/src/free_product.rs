//! Free multiplicative convolution `μ₁ ⊠ μ₂` of laws on `[0, ∞)`, and the AB ↔ BA rescaling with an atom at 0.
//!
//! # Method (`docs/theory.md` §0, §1.4)
//! With `ψ_μ(z) = ∫ zx/(1 − zx) dμ = (1/z)G_μ(1/z) − 1`, `η_μ = ψ_μ/(1 + ψ_μ) = 1 − z·F_μ(1/z)` (`F = 1/G`) and
//! `h_μ(w) = η_μ(w)/w = 1/w − F_μ(1/w)`, the subordination function `ω₁(z)` is the Denjoy–Wolff fixed point of
//! `ω ↦ z·h_{μ₂}(z·h_{μ₁}(ω))` on `C \ [0, ∞)` (Belinschi–Bercovici 2007, *Math. Z.* 248, Thm 3.5), and
//! `η_{μ₁⊠μ₂}(z) = η_{μ₁}(ω₁(z))`. To get `G` at `w ∈ C⁺` take `z = 1/w̄ ∈ C⁺` (where `arg ω₁ ≥ arg z`), so
//! `G(w̄) = z/(1 − η)` and `G(w) = conj G(w̄)`. Equivalently `S_{μ₁⊠μ₂} = S_{μ₁} S_{μ₂}`.
//!
//! **Atoms** (Belinschi 2003; Bercovici–Voiculescu 1998 for the analogue in `⊞`): `(μ₁ ⊠ μ₂)({0}) =
//! max(μ₁({0}), μ₂({0}))`, and for `a, b > 0` the product has an atom at `ab` iff `μ₁({a}) + μ₂({b}) > 1`, with mass
//! `μ₁({a}) + μ₂({b}) − 1` (Belinschi, *Math. Z.* 2008 / Bercovici–Voiculescu's Thm 7.4 transported by `S`); there
//! are no others. All of them are passed to the engine as known atoms.

use std::fmt;
use std::sync::Arc;

use crate::LawError;
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support, hull};
use crate::numerical::{CauchySolver, NumericalConfig, NumericalLaw, solve_self_map};

/// Mass below which an atom is dropped (rounding of `c·m + 1 − c`).
const ATOM_FLOOR: f64 = 1e-13;

/// The multiplicative subordination fixed point; state `ω₁` (in the `z = 1/w̄` plane).
#[derive(Debug, Clone)]
pub struct FreeProductSolver {
    a: Arc<dyn SpectralLaw>,
    b: Arc<dyn SpectralLaw>,
}

/// `h_μ(w) = 1/w − F_μ(1/w)`.
fn h(law: &dyn SpectralLaw, w: Complex64) -> Complex64 {
    let inv = 1.0 / w;
    inv - 1.0 / law.cauchy(inv)
}

impl CauchySolver for FreeProductSolver {
    type State = Complex64;

    fn solve(
        &self,
        w: Complex64,
        warm: Option<&Complex64>,
    ) -> Result<(Complex64, Complex64), LawError> {
        let z = 1.0 / w.conj();
        let arg_floor = 0.5 * z.arg();
        let in_domain = |o: Complex64| o.im > 0.0 && o.arg() >= arg_floor;
        let start = match warm {
            Some(o) if in_domain(*o) => *o,
            _ => z,
        };
        let phi = |o: Complex64| z * h(self.b.as_ref(), z * h(self.a.as_ref(), o));
        let omega = solve_self_map(
            phi,
            start,
            in_domain,
            z.norm(),
            "free_product subordination",
        )?;
        // η_{μ₁}(ω) = 1 − ω F_{μ₁}(1/ω).
        let eta = 1.0 - omega / self.a.cauchy(1.0 / omega);
        let g_conj = z / (1.0 - eta);
        Ok((g_conj.conj(), omega))
    }
}

/// `μ₁ ⊠ μ₂`: the limit spectral law of `A^{1/2} U B U* A^{1/2}` with `U` Haar, `A ~ μ₁ ≥ 0`, `B ~ μ₂ ≥ 0`.
///
/// Domain: both laws on `[0, ∞)` with compact support and not `δ₀` (mean > 0). Accuracy as [`NumericalLaw`].
///
/// ```
/// use std::sync::Arc;
/// use landscape_theory::free_product::FreeProduct;
/// use landscape_theory::MarchenkoPastur;
/// use landscape_theory::SpectralLaw;
/// // MP(1,1) ⊠ MP(1,1) is the Fuss–Catalan law FC₂: moments 1, 3, 12, 55, support [0, 27/4].
/// let mp = Arc::new(MarchenkoPastur::new(1.0, 1.0).unwrap());
/// let fc2 = FreeProduct::new(mp.clone(), mp).unwrap();
/// assert!((fc2.moment(3) - 12.0).abs() < 1e-9);
/// assert!((fc2.support().upper_edge().unwrap() - 6.75).abs() < 1e-8);
/// ```
#[derive(Debug, Clone)]
pub struct FreeProduct {
    law: NumericalLaw<FreeProductSolver>,
}

impl FreeProduct {
    /// `a ⊠ b`.
    ///
    /// # Errors
    /// [`LawError::Unsupported`] if a law has support or atoms below 0, an unbounded or empty support, or is `δ₀`;
    /// [`LawError::NoConvergence`] if the tabulation fails.
    pub fn new(a: Arc<dyn SpectralLaw>, b: Arc<dyn SpectralLaw>) -> Result<Self, LawError> {
        let mut zero_mass: f64 = 0.0;
        let mut top = 1.0;
        let mut positive_atoms: [Vec<Atom>; 2] = [Vec::new(), Vec::new()];
        for (idx, law) in [&a, &b].into_iter().enumerate() {
            if !law.has_compact_support() {
                return Err(LawError::Unsupported {
                    law: "free_product",
                    reason: format!(
                        "{law} lives on the whole line; ⊠ needs laws with compact support in [0, ∞)"
                    ),
                });
            }
            let (lo, hi) = hull(law.as_ref());
            if !(lo.is_finite() && hi.is_finite()) {
                return Err(LawError::Unsupported {
                    law: "free_product",
                    reason: format!("{law} has an empty or unbounded support"),
                });
            }
            if lo < 0.0 {
                return Err(LawError::Unsupported {
                    law: "free_product",
                    reason: format!(
                        "{law} has mass below 0 (down to {lo}); ⊠ needs laws on [0, ∞)"
                    ),
                });
            }
            if law.moment(1) <= 0.0 {
                return Err(LawError::Unsupported {
                    law: "free_product",
                    reason: format!("{law} is δ₀, whose S-transform does not exist"),
                });
            }
            top *= hi;
            let m0 = law
                .atoms()
                .iter()
                .filter(|x| x.location == 0.0)
                .map(|x| x.mass)
                .sum::<f64>();
            zero_mass = zero_mass.max(m0);
            positive_atoms[idx] = law
                .atoms()
                .into_iter()
                .filter(|x| x.location > 0.0)
                .collect();
        }
        let mut atoms = Vec::new();
        if zero_mass > ATOM_FLOOR {
            atoms.push(Atom {
                location: 0.0,
                mass: zero_mass,
            });
        }
        for x in &positive_atoms[0] {
            for y in &positive_atoms[1] {
                let mass = x.mass + y.mass - 1.0;
                if mass > ATOM_FLOOR {
                    atoms.push(Atom {
                        location: x.location * y.location,
                        mass,
                    });
                }
            }
        }
        let name = format!("free_product({a}, {b})");
        let config = NumericalConfig {
            search: Interval::new(0.0, top),
            atoms,
            hard_edges: vec![0.0],
            regions: Vec::new(),
        };
        let law = NumericalLaw::from_solver(name, FreeProductSolver { a, b }, config)?;
        Ok(Self { law })
    }

    /// The tabulated law.
    pub fn numerical(&self) -> &NumericalLaw<FreeProductSolver> {
        &self.law
    }
}

impl fmt::Display for FreeProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.law, f)
    }
}

impl SpectralLaw for FreeProduct {
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
}

/// `μ' = c·μ + (1 − c)·δ₀`: the AB ↔ BA rule (`docs/theory.md` §0).
///
/// If `A` is `p×n` and `B` is `n×p`, the `n×n` matrix `BA` has the `p` eigenvalues of `AB` plus `n − p` zeros, so
/// its law is `c·μ_{AB} + (1 − c)δ₀` with `c = p/n`. Then `ψ' = cψ` and `S_{μ'}(z) = S_μ(z/c)·(1 + z)/(c + z)`.
/// `c > 1` removes mass `(c − 1)/c`-scaled from an existing atom at 0 (the reverse direction), which requires
/// `c·μ({0}) + 1 − c ≥ 0`.
///
/// `G_{μ'}(z) = c·G_μ(z) + (1 − c)/z`; pdf `c·ρ`; moments `c·m_k` for `k ≥ 1`.
///
/// ```
/// use std::sync::Arc;
/// use landscape_theory::free_product::WithZeroAtom;
/// use landscape_theory::pennington_bahri::PenningtonBahri;
/// use landscape_theory::SpectralLaw;
/// let base = Arc::new(PenningtonBahri::new(0.5, 0.01).unwrap());
/// let rescaled = WithZeroAtom::new(base, 0.25).unwrap();
/// assert!((rescaled.moment(1) - 0.25).abs() < 1e-10);
/// assert_eq!(rescaled.atoms()[0].mass, 0.75);
/// ```
#[derive(Debug, Clone)]
pub struct WithZeroAtom {
    law: Arc<dyn SpectralLaw>,
    c: f64,
    atoms: Vec<Atom>,
}

impl WithZeroAtom {
    /// `c·law + (1 − c)·δ₀` for `c > 0`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] if `c` is not finite and positive, or if `c > 1` and `law` has too little
    /// mass at 0 to remove (`c·μ({0}) + 1 − c < 0`).
    pub fn new(law: Arc<dyn SpectralLaw>, c: f64) -> Result<Self, LawError> {
        crate::error::require_positive("with_zero_atom", "c", c)?;
        let mut atoms: Vec<Atom> = law
            .atoms()
            .iter()
            .filter(|a| a.location != 0.0)
            .map(|a| Atom {
                location: a.location,
                mass: c * a.mass,
            })
            .collect();
        let m0: f64 = law
            .atoms()
            .iter()
            .filter(|a| a.location == 0.0)
            .map(|a| a.mass)
            .sum();
        let new0 = c * m0 + 1.0 - c;
        if new0 < -ATOM_FLOOR {
            return Err(LawError::invalid(
                "with_zero_atom",
                "c",
                c,
                "c ≤ 1, or c > 1 with c·μ({0}) + 1 − c ≥ 0",
            ));
        }
        if new0 > ATOM_FLOOR {
            atoms.push(Atom {
                location: 0.0,
                mass: new0,
            });
        }
        atoms.sort_by(|a, b| a.location.total_cmp(&b.location));
        Ok(Self { law, c, atoms })
    }

    /// The weight `c`.
    pub fn weight(&self) -> f64 {
        self.c
    }
}

impl fmt::Display for WithZeroAtom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "with_zero_atom({}, c={})", self.law, self.c)
    }
}

impl SpectralLaw for WithZeroAtom {
    fn pdf(&self, x: f64) -> f64 {
        self.c * self.law.pdf(x)
    }
    fn cdf(&self, x: f64) -> f64 {
        let step = if x >= 0.0 { 1.0 - self.c } else { 0.0 };
        (self.c * self.law.cdf(x) + step).clamp(0.0, 1.0)
    }
    fn support(&self) -> Support {
        self.law.support()
    }
    fn has_compact_support(&self) -> bool {
        self.law.has_compact_support()
    }
    fn atoms(&self) -> Vec<Atom> {
        self.atoms.clone()
    }
    fn moment(&self, k: u32) -> f64 {
        if k == 0 {
            1.0
        } else {
            self.c * self.law.moment(k)
        }
    }
    fn cauchy(&self, z: Complex64) -> Complex64 {
        self.c * self.law.cauchy(z) + (1.0 - self.c) / z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MarchenkoPastur, Semicircle};

    fn arc<L: SpectralLaw + 'static>(l: L) -> Arc<dyn SpectralLaw> {
        Arc::new(l)
    }

    /// FC₂ density in parametric form (Haagerup–Möller; Penson–Życzkowski 2011, `docs/theory.md` §1.4) at the point
    /// `x(φ)`, returned as `(x, ρ)`.
    fn fc_parametric(l: i32, phi: f64) -> (f64, f64) {
        let lf = f64::from(l);
        let x = ((lf + 1.0) * phi).sin().powi(l + 1) / (phi.sin() * (lf * phi).sin().powi(l));
        let rho = phi.sin().powi(2) * (lf * phi).sin().powi(l - 1)
            / (std::f64::consts::PI * ((lf + 1.0) * phi).sin().powi(l));
        (x, rho)
    }

    #[test]
    fn mp_times_mp_at_ratio_one_is_fuss_catalan_two() {
        let fc2 = FreeProduct::new(
            arc(MarchenkoPastur::new(1.0, 1.0).unwrap()),
            arc(MarchenkoPastur::new(1.0, 1.0).unwrap()),
        )
        .unwrap();
        let top = fc2.support().upper_edge().unwrap();
        assert!((top - 6.75).abs() < 1e-6, "upper edge {top}");
        let bottom = fc2.support().lower_edge().unwrap();
        assert!(bottom.abs() < 1e-6, "lower edge {bottom}");
        for (k, exact) in [(1, 1.0), (2, 3.0), (3, 12.0), (4, 55.0)] {
            let m = fc2.moment(k);
            assert!((m - exact).abs() < 1e-9 * exact, "moment {k}: {m}");
        }
        let mut worst: f64 = 0.0;
        for i in 1..30 {
            let phi = std::f64::consts::PI / 3.0 * f64::from(i) / 30.0;
            let (x, rho) = fc_parametric(2, phi);
            if x > 0.05 && x < 6.7 {
                worst = worst.max((fc2.pdf(x) - rho).abs());
            }
        }
        assert!(worst < 1e-7, "FC₂ pdf error {worst:e}");
        let half = fc2.cdf(1.0);
        assert!(half > 0.0 && half < 1.0);
    }

    #[test]
    fn mp_times_mp_moments_match_the_closed_forms() {
        let (l1, l2) = (0.3, 0.6);
        let prod = FreeProduct::new(
            arc(MarchenkoPastur::new(l1, 1.0).unwrap()),
            arc(MarchenkoPastur::new(l2, 1.0).unwrap()),
        )
        .unwrap();
        let m2 = 1.0 + l1 + l2;
        let m3 = 1.0 + 3.0 * l1 + 3.0 * l2 + l1 * l1 + 3.0 * l1 * l2 + l2 * l2;
        let m4 = 1.0
            + 6.0 * l1
            + 6.0 * l2
            + 6.0 * l1 * l1
            + 16.0 * l1 * l2
            + 6.0 * l2 * l2
            + l1.powi(3)
            + 6.0 * l1 * l1 * l2
            + 6.0 * l1 * l2 * l2
            + l2.powi(3);
        for (k, exact) in [(1, 1.0), (2, m2), (3, m3), (4, m4)] {
            let m = prod.moment(k);
            assert!(
                (m - exact).abs() < 1e-9 * exact,
                "moment {k}: {m} vs {exact}"
            );
        }
        let total = prod.numerical().continuous_mass();
        assert!((total - 1.0).abs() < 1e-8, "mass {total}");
    }

    #[test]
    fn product_with_an_atom_at_zero_keeps_the_larger_atom() {
        // MP(2) has an atom 1/2 at 0.
        let prod = FreeProduct::new(
            arc(MarchenkoPastur::new(2.0, 1.0).unwrap()),
            arc(MarchenkoPastur::new(0.5, 1.0).unwrap()),
        )
        .unwrap();
        let atoms = prod.atoms();
        assert_eq!(atoms.len(), 1);
        assert!((atoms[0].mass - 0.5).abs() < 1e-15);
        let total = prod.numerical().continuous_mass() + 0.5;
        assert!((total - 1.0).abs() < 1e-8, "mass {total}");
        // m2 of MP(λ₁)⊠MP(λ₂) is 1 + λ₁ + λ₂ whatever the atoms.
        assert!((prod.moment(2) - 3.5).abs() < 1e-9);
    }

    #[test]
    fn laws_with_negative_support_are_unsupported() {
        let err = FreeProduct::new(
            arc(Semicircle::new(1.0).unwrap()),
            arc(MarchenkoPastur::new(0.5, 1.0).unwrap()),
        )
        .unwrap_err();
        assert!(matches!(err, LawError::Unsupported { .. }), "{err}");
    }

    #[test]
    fn zero_atom_rescaling_moves_between_ab_and_ba() {
        // MP(2,1) ↔ its companion: (1/n)XᵀX has law λ·MP(λ,σ²) + (1−λ)δ₀ = MP(1/λ, λσ²).
        let mp = arc(MarchenkoPastur::new(0.5, 1.0).unwrap());
        let companion = WithZeroAtom::new(mp, 0.5).unwrap();
        let exact = MarchenkoPastur::new(2.0, 0.5).unwrap();
        for z in [Complex64::new(0.3, 0.2), Complex64::new(2.0, 1e-3)] {
            let d = (companion.cauchy(z) - exact.cauchy(z)).norm();
            assert!(d < 1e-13, "z={z}: {d:e}");
        }
        assert!((companion.atoms()[0].mass - 0.5).abs() < 1e-15);
        // And back: c = 2 removes the atom again.
        let back = WithZeroAtom::new(arc(exact), 2.0).unwrap();
        assert!(back.atoms().is_empty(), "{:?}", back.atoms());
        assert!(WithZeroAtom::new(arc(MarchenkoPastur::new(0.5, 1.0).unwrap()), 2.0).is_err());
    }
}
