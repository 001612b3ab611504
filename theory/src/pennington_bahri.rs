//! The Pennington–Bahri (2017) Hessian model `H = H0 + H1`: Wishart ⊞ Wigner, its index and critical energy.
//!
//! Reference: J. Pennington and Y. Bahri, "Geometry of neural network loss surfaces via random matrix theory",
//! ICML 2017, PMLR 70:2798–2806. The normalisation below is the one reconstructed in `docs/theory.md` §1.7 (the paper
//! text was not available), under which the published critical-energy formula holds exactly:
//!
//! * `H0 ~ MP(φ, 1)`, the Gauss–Newton term with `φ = n/(k·m)` (parameters over outputs × data points),
//!   `R_{H0}(w) = 1/(1 − φw)`;
//! * `H1 ~ SC(2ε)`, the residual term, a Wigner law with variance `2ε` where `ε` is the loss ("energy"),
//!   `R_{H1}(w) = 2εw`;
//! * `H ~ MP(φ,1) ⊞ SC(2ε)`, whose Cauchy transform solves the cubic
//!   `2εφ G³ − (2ε + zφ) G² + (z − 1 + φ) G − 1 = 0`, equivalently the Pastur equation `G = G_MP(z − 2εG)`.
//!
//! The law is evaluated by the Pastur equation (Newton with warm starts) and tabulated by
//! [`NumericalLaw`]; the tests check it against the cubic.

use std::fmt;

use crate::LawError;
use crate::error::{require_finite, require_positive};
use crate::law::{Atom, Complex64, Interval, SpectralLaw, Support};
use crate::numerical::{CauchySolver, NumericalConfig, NumericalLaw, solve_self_map};

/// Cauchy transform of MP(φ, 1) (`docs/theory.md` §1.2), product of principal roots:
/// `G(z) = (z + φ − 1 − √(z−λ₋)·√(z−λ₊)) / (2φz) = 2/(z + φ − 1 + √(z−λ₋)·√(z−λ₊))`, `λ± = (1 ± √φ)²`.
fn mp_cauchy(phi: f64, z: Complex64) -> Complex64 {
    let s = phi.sqrt();
    let (lo, hi) = ((1.0 - s).powi(2), (1.0 + s).powi(2));
    let root = (z - lo).sqrt() * (z - hi).sqrt();
    // (z + φ − 1 − root)(z + φ − 1 + root) = 4φz, so G = 2/(z + φ − 1 + root): take whichever form has no
    // cancellation (the quotient by z loses every digit near z = 0).
    let (minus, plus) = (z + phi - 1.0 - root, z + phi - 1.0 + root);
    if plus.norm() >= minus.norm() {
        2.0 / plus
    } else {
        minus / (2.0 * phi * z)
    }
}

/// The upper MP edge `(1 + √φ)²`, the length scale of the model.
fn phi_scale(phi: f64) -> f64 {
    (1.0 + phi.sqrt()).powi(2)
}

/// The Pastur fixed point `ω = z − 2ε G_MP(ω)`, `G = G_MP(ω)`; state `ω`.
#[derive(Debug, Clone, Copy)]
pub struct PenningtonBahriSolver {
    phi: f64,
    energy: f64,
}

impl CauchySolver for PenningtonBahriSolver {
    type State = Complex64;

    fn solve(
        &self,
        z: Complex64,
        warm: Option<&Complex64>,
    ) -> Result<(Complex64, Complex64), LawError> {
        let start = match warm {
            Some(w) if w.re.is_finite() && w.im.is_finite() => Complex64::new(w.re, w.im.max(z.im)),
            _ => z,
        };
        let v = 2.0 * self.energy;
        let omega = solve_self_map(
            // Im G ≤ 0 on C⁺ exactly; rounding breaks it by ulps next to the axis at tiny ε or huge φ, and the
            // map would then leave Im ω ≥ Im z/2 ("map left its domain").
            |w| {
                let g = mp_cauchy(self.phi, w);
                z - v * Complex64::new(g.re, g.im.min(0.0))
            },
            start,
            |w| w.im >= 0.5 * z.im,
            (1.0 + phi_scale(self.phi)) + z.norm(),
            "pennington_bahri Pastur equation",
        )?;
        Ok((mp_cauchy(self.phi, omega), omega))
    }
}

/// The Pennington–Bahri Hessian law `MP(φ, 1) ⊞ SC(2ε)` (see the module docs).
///
/// Domain: `φ > 0`, `ε > 0` (at `ε = 0` the law is MP(φ, 1)). For `φ ≥ 1` the atom `1 − 1/φ` of `H0` is smeared
/// by `H1`, so the law has no atom and any `ε > 0` gives a positive index.
///
/// ```
/// use landscape_theory::pennington_bahri::PenningtonBahri;
/// use landscape_theory::SpectralLaw;
/// let pb = PenningtonBahri::new(0.5, 0.01).unwrap();
/// assert_eq!(pb.to_string(), "pennington_bahri(phi=0.5, energy=0.01)");
/// // Mean = m1(MP) = 1, variance = φ + 2ε (free cumulants add).
/// assert!((pb.moment(1) - 1.0).abs() < 1e-10);
/// assert!((pb.moment(2) - 1.0 - 0.5 - 0.02).abs() < 1e-10);
/// ```
#[derive(Debug, Clone)]
pub struct PenningtonBahri {
    phi: f64,
    energy: f64,
    law: NumericalLaw<PenningtonBahriSolver>,
}

impl PenningtonBahri {
    /// The law for ratio `phi = φ > 0` and energy `energy = ε > 0`.
    ///
    /// # Errors
    /// [`LawError::InvalidParameter`] for `φ` or `ε` not finite and positive; [`LawError::NoConvergence`] if the
    /// tabulation fails.
    pub fn new(phi: f64, energy: f64) -> Result<Self, LawError> {
        require_positive("pennington_bahri", "phi", phi)?;
        require_positive("pennington_bahri", "energy", energy)?;
        let s = phi.sqrt();
        let r = 2.0 * (2.0 * energy).sqrt();
        let mp_lo = if phi >= 1.0 { 0.0 } else { (1.0 - s).powi(2) };
        // For φ > 1 the atom 1 − 1/φ of H0 at 0 becomes a component of width ~4√(2ε) around 0, which at tiny ε
        // or huge φ is far narrower than the scan of the whole support resolves: scan around 0 on its own.
        let regions = if phi > 1.0 {
            vec![Interval::new(-1.5 * r, 1.5 * r)]
        } else {
            Vec::new()
        };
        let config = NumericalConfig {
            search: Interval::new(mp_lo - r, (1.0 + s).powi(2) + r),
            atoms: Vec::new(),
            hard_edges: Vec::new(),
            regions,
        };
        let law = NumericalLaw::from_solver(
            format!("pennington_bahri(phi={phi}, energy={energy})"),
            PenningtonBahriSolver { phi, energy },
            config,
        )?;
        Ok(Self { phi, energy, law })
    }

    /// φ.
    pub fn phi(&self) -> f64 {
        self.phi
    }

    /// ε.
    pub fn energy(&self) -> f64 {
        self.energy
    }

    /// The index `α(ε, φ) = μ((−∞, 0))`, the fraction of negative eigenvalues (there are no atoms, so this is
    /// `F(0)`).
    pub fn index(&self) -> f64 {
        self.law.cdf(0.0)
    }

    /// The lowest edge of the support.
    pub fn lower_edge(&self) -> f64 {
        self.law.support().lower_edge().unwrap_or(f64::NAN)
    }

    /// The cubic `2εφ G³ − (2ε + zφ) G² + (z − 1 + φ) G − 1` at `(z, G)`; zero at `G = G(z)`.
    pub fn cubic_residual(&self, z: Complex64, g: Complex64) -> Complex64 {
        let (phi, e2) = (self.phi, 2.0 * self.energy);
        e2 * phi * g * g * g - (e2 + z * phi) * g * g + (z - 1.0 + phi) * g - 1.0
    }
}

/// The index `α(ε, φ)` for `φ > 0` and `ε ≥ 0`: [`PenningtonBahri::index`] for `ε > 0`, and exactly 0 at `ε = 0`,
/// where `H = H0 ~ MP(φ, 1)` is positive semi-definite (its atom `1 − 1/φ` for `φ > 1` sits at 0, which is not
/// negative).
///
/// # Errors
/// [`LawError::InvalidParameter`] for `φ` not finite and positive or `ε` not finite and non-negative; as
/// [`PenningtonBahri::new`] otherwise.
///
/// ```
/// use landscape_theory::pennington_bahri::index;
/// assert_eq!(index(1.5, 0.0).unwrap(), 0.0);
/// assert!(index(1.5, 0.1).unwrap() > 0.0);
/// assert!(index(1.5, -0.1).is_err());
/// ```
pub fn index(phi: f64, energy: f64) -> Result<f64, LawError> {
    require_positive("pennington_bahri", "phi", phi)?;
    if crate::error::require_non_negative("pennington_bahri", "energy", energy)? == 0.0 {
        return Ok(0.0);
    }
    Ok(PenningtonBahri::new(phi, energy)?.index())
}

/// The critical energy `ε_c(φ) = (1 − 20φ − 8φ² + (1 + 8φ)^{3/2}) / 16` below which the Pennington–Bahri Hessian
/// has no negative eigenvalues, for `0 ≤ φ ≤ 1`; it is 0 for `φ ≥ 1` (where any `ε > 0` gives `α > 0`).
///
/// Pennington & Bahri 2017, eq. for ε_c; under the normalisation of `docs/theory.md` §1.7 it equals the energy at
/// which the lower edge of `MP(φ,1) ⊞ SC(2ε)` reaches 0 (checked to 1e-10 in the tests).
///
/// # Errors
/// [`LawError::InvalidParameter`] for `φ` negative or not finite.
///
/// ```
/// use landscape_theory::pennington_bahri::critical_energy;
/// assert!((critical_energy(0.0).unwrap() - 0.125).abs() < 1e-15);
/// assert_eq!(critical_energy(1.5).unwrap(), 0.0);
/// ```
pub fn critical_energy(phi: f64) -> Result<f64, LawError> {
    require_finite("critical_energy", "phi", phi)?;
    if phi < 0.0 {
        return Err(LawError::invalid(
            "critical_energy",
            "phi",
            phi,
            "a finite number ≥ 0",
        ));
    }
    if phi >= 1.0 {
        return Ok(0.0);
    }
    Ok((1.0 - 20.0 * phi - 8.0 * phi * phi + (1.0 + 8.0 * phi).powf(1.5)) / 16.0)
}

impl fmt::Display for PenningtonBahri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.law, f)
    }
}

impl SpectralLaw for PenningtonBahri {
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
        Vec::new()
    }
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

    /// The edge of `MP(φ,1) ⊞ SC(2ε)` at 0 as a critical point of `z(G) = 1/(1−φG) + 2εG + 1/G` (the inverse
    /// of G): `z(G) = 0` and `z'(G) = 0` eliminate ε, leaving
    /// `f(G) = φ/(1−φG)² − (1/(1−φG) + 1/G)/G − 1/G² = 0` for `G < 0`; then `2ε = −(1/(1−φG) + 1/G)/G`.
    /// Solved by bisection — independent of the closed form and of the numerical engine.
    fn critical_energy_by_critical_point(phi: f64) -> f64 {
        let f = |g: f64| {
            phi / (1.0 - phi * g).powi(2) - (1.0 / (1.0 - phi * g) + 1.0 / g) / g - 1.0 / (g * g)
        };
        // Bracket by scanning G from −0.01 to −100 on a log grid.
        let mut prev = -0.01;
        let mut bracket = None;
        for i in 1..=400 {
            let g = -0.01 * 10f64.powf(f64::from(i) / 100.0);
            if f(prev).signum() != f(g).signum() {
                bracket = Some((prev, g));
                break;
            }
            prev = g;
        }
        let (mut a, mut b) = bracket.expect("critical point bracket");
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if f(a).signum() == f(m).signum() {
                a = m;
            } else {
                b = m;
            }
        }
        let g = 0.5 * (a + b);
        -(1.0 / (1.0 - phi * g) + 1.0 / g) / g / 2.0
    }

    #[test]
    fn critical_energy_is_where_the_lower_edge_reaches_zero() {
        for phi in [0.1, 0.25, 0.5, 0.75, 0.9] {
            let closed = critical_energy(phi).unwrap();
            let crit = critical_energy_by_critical_point(phi);
            assert!((closed - crit).abs() < 1e-10, "φ={phi}: {closed} vs {crit}");
        }
        // And the engine agrees on the sign of the lower edge on either side of ε_c.
        let phi = 0.5;
        let ec = critical_energy(phi).unwrap();
        let below = PenningtonBahri::new(phi, ec * 0.99).unwrap();
        let above = PenningtonBahri::new(phi, ec * 1.01).unwrap();
        assert!(below.lower_edge() > 0.0, "{}", below.lower_edge());
        assert!(above.lower_edge() < 0.0, "{}", above.lower_edge());
        assert!(
            below.index().abs() < 1e-15,
            "index below ε_c: {}",
            below.index()
        );
    }

    #[test]
    fn critical_energy_endpoints() {
        assert!((critical_energy(0.0).unwrap() - 0.125).abs() < 1e-15);
        assert!(critical_energy(1.0).unwrap().abs() < 1e-15);
        assert!(critical_energy(-0.1).is_err());
        assert!(critical_energy(f64::NAN).is_err());
    }

    #[test]
    fn pastur_solution_solves_the_cubic() {
        let pb = PenningtonBahri::new(0.5, 0.02).unwrap();
        for z in [
            Complex64::new(0.5, 0.1),
            Complex64::new(-0.3, 1e-6),
            Complex64::new(2.0, 1e-10),
            Complex64::new(4.0, 2.0),
        ] {
            let g = pb.cauchy(z);
            let res = pb.cubic_residual(z, g).norm();
            assert!(res < 1e-12, "z={z}: G={g}, cubic residual {res:e}");
            assert!(g.im < 0.0, "z={z}: G={g} on the wrong branch");
        }
    }

    #[test]
    fn index_follows_the_three_halves_power_law_near_critical_energy() {
        // α/((ε−ε_c)/ε_c)^{3/2} → α₀(φ); `docs/theory.md` §1.7 give α₀(0.5) ≈ 0.0334 from ε/ε_c = 1.004–1.01.
        let phi = 0.5;
        let ec = critical_energy(phi).unwrap();
        let ratio = |t: f64| {
            let pb = PenningtonBahri::new(phi, ec * (1.0 + t)).unwrap();
            pb.index() / t.powf(1.5)
        };
        let (r1, r2) = (ratio(0.002), ratio(0.004));
        assert!((r1 - 0.0334).abs() < 5e-4, "α₀ estimate {r1}");
        // The prefactor converges: doubling the distance changes it by well under 1%.
        assert!((r1 / r2 - 1.0).abs() < 0.01, "{r1} vs {r2}");
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(PenningtonBahri::new(0.0, 0.1).is_err());
        assert!(PenningtonBahri::new(0.5, -0.1).is_err());
        assert!(PenningtonBahri::new(f64::INFINITY, 0.1).is_err());
    }
}
