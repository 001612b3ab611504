//! Pennington–Worah random-feature law: reduction to Marchenko–Pastur, closed-form moments, atoms, mass.

use std::f64::consts::PI;

use landscape_theory::random_features::RandomFeatures;
use landscape_theory::{Complex64, LawError, SpectralLaw};

/// The Marchenko–Pastur density written out here, independently of the crate:
/// `sqrt((λ₊ − x)(x − λ₋)) / (2πσ²λx)` on `[λ₋, λ₊]`, `λ± = σ²(1 ± √λ)²`.
fn mp_density(lambda: f64, sigma2: f64, x: f64) -> f64 {
    let lo = sigma2 * (1.0 - lambda.sqrt()).powi(2);
    let hi = sigma2 * (1.0 + lambda.sqrt()).powi(2);
    if x <= lo || x >= hi {
        return 0.0;
    }
    ((hi - x) * (x - lo)).sqrt() / (2.0 * PI * sigma2 * lambda * x)
}

/// Root polishing leaves ~1e-14 relative in `Q`; the density inherits it (1e-12 leaves a 100× margin).
const DENSITY_TOL: f64 = 1e-11;
/// tanh–sinh at tolerance 1e-12 on √-edged integrands: measured errors ≤ 1e-12; 1e-9 is the stated target.
const INTEGRAL_TOL: f64 = 1e-9;

#[test]
fn zeta_zero_reduces_to_marchenko_pastur() {
    for (phi, psi, eta) in [(0.5, 1.0, 1.0), (0.3, 0.6, 2.0), (1.5, 0.5, 0.7)] {
        let law = RandomFeatures::new(phi, psi, eta, 0.0).unwrap();
        let lambda = phi / psi;
        let hi = eta * (1.0 + lambda.sqrt()).powi(2);
        for i in 1..50 {
            let x = hi * 1.1 * i as f64 / 50.0;
            let (got, want) = (law.pdf(x), mp_density(lambda, eta, x));
            assert!(
                (got - want).abs() <= DENSITY_TOL * (1.0 + want),
                "phi = {phi}, psi = {psi}, eta = {eta}, x = {x}: density {got}, MP {want}"
            );
        }
        let support = law.support();
        let lo = eta * (1.0 - lambda.sqrt()).powi(2);
        assert_eq!(support.intervals.len(), 1, "{law}: {support:?}");
        assert!(
            (support.intervals[0].lo - lo).abs() < 1e-9
                && (support.intervals[0].hi - hi).abs() < 1e-9
        );
        let atom = law.atoms().first().map_or(0.0, |a| a.mass);
        assert!(
            (atom - (1.0 - 1.0 / lambda).max(0.0)).abs() < 1e-15,
            "{law}: atom {atom}"
        );
    }
}

#[test]
fn moments_match_the_closed_form() {
    let relu_eta = 0.5 - 1.0 / (2.0 * PI);
    for (phi, psi, eta, zeta) in [
        (0.5, 0.25, relu_eta, 0.25),
        (1.0, 1.0, relu_eta, 0.25),
        (2.0, 0.5, 1.0, 0.4),
        (0.3, 1.5, 1.0, 1.0),
        (0.5, 0.8, 1.0 - 2.0 / PI, 0.0),
    ] {
        let law = RandomFeatures::new(phi, psi, eta, zeta).unwrap();
        let (m0, m1, m2) = (law.moment(0), law.moment(1), law.moment(2));
        let m2_want = eta * eta * (1.0 + phi / psi) + zeta * zeta / psi;
        assert!(
            (m0 - 1.0).abs() <= INTEGRAL_TOL
                && (m1 - eta).abs() <= INTEGRAL_TOL
                && (m2 - m2_want).abs() <= INTEGRAL_TOL,
            "{law}: m0 = {m0}, m1 = {m1} (want {eta}), m2 = {m2} (want {m2_want})"
        );
        assert!(
            (law.cdf(1e9) - 1.0).abs() <= INTEGRAL_TOL,
            "{law}: total mass {}",
            law.cdf(1e9)
        );
    }
}

#[test]
fn atom_at_zero_matches_the_limit_of_the_cauchy_transform() {
    // mass{0} = lim_{y↓0} y·(−Im G(iy))·... = lim iy·G(iy); at y = 1e-7·scale the continuous part adds O(y).
    for (phi, psi, eta, zeta, want) in [
        (2.0, 0.5, 1.0, 0.4, 0.75),  // n1 > m: 1 − ψ/φ
        (0.5, 2.0, 1.0, 0.4, 0.0),   // no rank deficit
        (0.5, 0.25, 1.0, 1.0, 0.75), // linear f, n1 > n0: 1 − ψ
        (0.5, 1.5, 1.0, 1.0, 0.0),
    ] {
        let law = RandomFeatures::new(phi, psi, eta, zeta).unwrap();
        let atom = law.atoms().first().map_or(0.0, |a| a.mass);
        let y = 1e-7;
        let limit = (Complex64::new(0.0, y) * law.cauchy(Complex64::new(0.0, y))).re;
        assert!(
            (atom - want).abs() < 1e-15,
            "{law}: atom {atom}, want {want}"
        );
        assert!(
            (limit - want).abs() < 1e-5,
            "{law}: iy·G(iy) = {limit} at y = {y}, atom {want}"
        );
    }
}

#[test]
fn cauchy_transform_has_the_right_sign_and_decay() {
    let law = RandomFeatures::new(0.5, 0.25, 0.5 - 1.0 / (2.0 * PI), 0.25).unwrap();
    for (x, y) in [(0.1, 0.01), (1.0, 0.5), (3.0, 1e-3), (-2.0, 0.1)] {
        let g = law.cauchy(Complex64::new(x, y));
        assert!(g.im < 0.0, "{law}: G({x} + {y}i) = {g}");
    }
    let z = Complex64::new(0.0, 1e4);
    assert!((law.cauchy(z) * z - 1.0).norm() < 1e-4);
    // G at the centred-ReLU test point of `docs/theory.md` §1.8 is finite and in the lower half-plane.
    let g = law.cauchy(Complex64::new(1.0, 0.5));
    assert!(g.is_finite() && g.im < 0.0, "G(1 + 0.5i) = {g}");
}

#[test]
fn invalid_parameters_are_rejected_by_name() {
    let cases = [
        (0.0, 1.0, 1.0, 0.5, "phi"),
        (1.0, -1.0, 1.0, 0.5, "psi"),
        (1.0, 1.0, 0.0, 0.0, "eta"),
        (1.0, 1.0, 1.0, 2.0, "zeta"),
        (1.0, 1.0, 1.0, f64::NAN, "zeta"),
    ];
    for (phi, psi, eta, zeta, which) in cases {
        match RandomFeatures::new(phi, psi, eta, zeta) {
            Err(LawError::InvalidParameter { name, .. }) => assert_eq!(name, which),
            other => panic!(
                "({phi}, {psi}, {eta}, {zeta}): expected an error naming {which}, got {other:?}"
            ),
        }
    }
}
