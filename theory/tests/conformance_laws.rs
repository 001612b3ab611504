//! Every closed-form law passes the generic conformance checker over wide parameter ranges (issue: ratio
//! 1e-3…1e3 log-uniform, variance 1e-6…1e6, depth 1…6), plus the identities between the laws.

use landscape_theory::conformance::{ConformanceTolerance, check_law};
use landscape_theory::{Complex64, FussCatalan, MarchenkoPastur, Semicircle, SpectralLaw};
use proptest::prelude::*;

/// 32 cases per law keep the whole file well under a few seconds in the test profile; the seeds are proptest's
/// (a failure prints the minimal parameters).
const CASES: u32 = 32;

fn log_uniform(lo_exp: f64, hi_exp: f64) -> impl Strategy<Value = f64> {
    (lo_exp..hi_exp).prop_map(|e| 10f64.powf(e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn marchenko_pastur_conforms_over_wide_ranges(ratio in log_uniform(-3.0, 3.0), variance in log_uniform(-6.0, 6.0)) {
        let law = MarchenkoPastur::new(ratio, variance).unwrap();
        let report = check_law(&law, &ConformanceTolerance::CLOSED_FORM);
        prop_assert!(report.is_ok(), "{}", report.unwrap_err());
    }

    #[test]
    fn semicircle_conforms_over_wide_ranges(variance in log_uniform(-6.0, 6.0)) {
        let law = Semicircle::new(variance).unwrap();
        let report = check_law(&law, &ConformanceTolerance::CLOSED_FORM);
        prop_assert!(report.is_ok(), "{}", report.unwrap_err());
    }

    #[test]
    fn marchenko_pastur_companion_identity(ratio in log_uniform(-3.0, 3.0), variance in log_uniform(-6.0, 6.0),
                                           re in -2.0f64..3.0, im in 0.01f64..2.0) {
        // (1/n)XᵀX has law λ·MP(λ,σ²) + (1−λ)δ₀ = MP(1/λ, λσ²): G_{1/λ,λσ²}(z) = λG_{λ,σ²}(z) + (1−λ)/z.
        let mp = MarchenkoPastur::new(ratio, variance).unwrap();
        let companion = MarchenkoPastur::new(1.0 / ratio, ratio * variance).unwrap();
        let scale = mp.upper_edge();
        let z = Complex64::new(re * scale, im * scale);
        let lhs = companion.cauchy(z);
        let rhs = ratio * mp.cauchy(z) + (1.0 - ratio) / z;
        // Both sides are O(1/|z|); 1e-11 covers the cancellation in λG + (1−λ)/z at λ = 1e3 (three digits).
        let bound = 1e-11 * (lhs.norm() + ratio * mp.cauchy(z).norm() + ((1.0 - ratio) / z).norm());
        prop_assert!((lhs - rhs).norm() <= bound, "λ={} σ²={} z={}: {} vs {}", ratio, variance, z, lhs, rhs);
    }

    #[test]
    fn marchenko_pastur_mean_and_variance(ratio in log_uniform(-3.0, 3.0), variance in log_uniform(-6.0, 6.0)) {
        // Mean σ², variance λσ⁴ (`docs/theory.md` §1.2).
        let mp = MarchenkoPastur::new(ratio, variance).unwrap();
        let (m1, m2) = (mp.moment(1), mp.moment(2));
        prop_assert!((m1 - variance).abs() <= 1e-15 * variance);
        let var = m2 - m1 * m1;
        prop_assert!((var - ratio * variance * variance).abs() <= 1e-12 * m2, "var {} vs {}", var, ratio * variance * variance);
    }
}

proptest! {
    // Depth has only six values; 12 cases cover them with repeats and keep the file fast.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn fuss_catalan_conforms_for_depths_one_to_six(depth in 1u32..=6) {
        let law = FussCatalan::new(depth).unwrap();
        let report = check_law(&law, &ConformanceTolerance::CLOSED_FORM);
        prop_assert!(report.is_ok(), "{}", report.unwrap_err());
    }
}

#[test]
fn semicircle_sum_rule_is_free_convolution_of_semicircles() {
    // SC(a) ⊞ SC(b) = SC(a+b): R-transforms add, so G_{a+b}(R_a(w) + R_b(w) + 1/w) = w.
    let (a, b) = (Semicircle::new(0.7).unwrap(), Semicircle::new(1.9).unwrap());
    let sum = Semicircle::new(2.6).unwrap();
    for &w in &[Complex64::new(0.1, -0.05), Complex64::new(-0.2, -0.1)] {
        let g = sum.cauchy(a.r_transform(w) + b.r_transform(w) + 1.0 / w);
        assert!((g - w).norm() < 1e-14, "w={w}: G = {g}");
    }
}

#[test]
fn free_poisson_rates_add() {
    // MP(½,1) ⊞ MP(½,1) = MP(¼, 2) and G(1 + 0.5i) = −0.4 − 0.8i exactly (`docs/theory.md` §1.3).
    let mp = MarchenkoPastur::new(0.25, 2.0).unwrap();
    let g = mp.cauchy(Complex64::new(1.0, 0.5));
    assert!((g - Complex64::new(-0.4, -0.8)).norm() < 1e-15, "G = {g}");
    let half = MarchenkoPastur::new(0.5, 1.0).unwrap();
    let w = Complex64::new(0.05, -0.02);
    let r_sum = 2.0 * half.r_transform(w);
    assert!((r_sum - mp.r_transform(w)).norm() < 1e-15);
}

#[test]
fn fuss_catalan_s_transform_is_product_of_mp_s_transforms() {
    // S_{FC_L}(z) = (1+z)^{−L} = S_{MP(1,1)}(z)^L: check through moments, ψ(u) = Σ m_k u^k, χ = ψ⁻¹,
    // S(ψ(u)) = u(1+ψ(u))/ψ(u), at a small u where the series converges fast.
    let mp = MarchenkoPastur::new(1.0, 1.0).unwrap();
    for depth in 1..=5u32 {
        let fc = FussCatalan::new(depth).unwrap();
        let u = 0.2 / fc.upper_edge();
        let psi: f64 = (1..80).map(|k| fc.moment(k) * u.powi(k as i32)).sum();
        let s = u * (1.0 + psi) / psi;
        let expected = mp.s_transform(Complex64::from(psi)).re.powi(depth as i32);
        assert!(
            (s - expected).abs() < 1e-13 * expected,
            "L={depth}: S(ψ) = {s}, (1+ψ)^−L = {expected}"
        );
    }
}

/// Stieltjes inversion `ρ(x) = −(1/π) lim Im G(x + iη)`: at `η = 1e-9·scale` the smoothing error is
/// `O(η·|ρ''|/ρ)`, far below this bound at points a fifth of the support width from the edges.
const INVERSION_REL: f64 = 1e-5;

fn assert_inversion(law: &dyn SpectralLaw, x: f64, eta: f64) -> Result<(), TestCaseError> {
    let g = law.cauchy(Complex64::new(x, eta));
    let density = -g.im / std::f64::consts::PI;
    let pdf = law.pdf(x);
    prop_assert!(
        (density - pdf).abs() <= INVERSION_REL * pdf,
        "{}: x={} η={}: −Im G/π = {}, pdf = {}",
        law,
        x,
        eta,
        density,
        pdf
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn cauchy_boundary_values_recover_the_pdf(ratio in log_uniform(-3.0, 3.0), variance in log_uniform(-6.0, 6.0),
                                              depth in 1u32..=6, fraction in 0.2f64..0.8) {
        // This pins the branch of every Cauchy transform near the support, where a wrong root is most likely.
        let mp = MarchenkoPastur::new(ratio, variance).unwrap();
        let x = mp.lower_edge() + fraction * (mp.upper_edge() - mp.lower_edge());
        assert_inversion(&mp, x, 1e-9 * (mp.upper_edge() - mp.lower_edge()))?;
        let sc = Semicircle::new(variance).unwrap();
        let x = sc.radius() * (2.0 * fraction - 1.0);
        assert_inversion(&sc, x, 1e-9 * sc.radius())?;
        let fc = FussCatalan::new(depth).unwrap();
        assert_inversion(&fc, fraction * fc.upper_edge(), 1e-9 * fc.upper_edge())?;
    }

    #[test]
    fn display_round_trips_through_the_expression_parser(ratio in log_uniform(-3.0, 3.0),
                                                          variance in log_uniform(-6.0, 6.0), depth in 1u32..=64) {
        use landscape_theory::expr::{parse, LawExpr};
        let mp = MarchenkoPastur::new(ratio, variance).unwrap().to_string();
        prop_assert_eq!(parse(&mp).unwrap(), LawExpr::MarchenkoPastur { ratio, variance });
        let sc = Semicircle::new(variance).unwrap().to_string();
        prop_assert_eq!(parse(&sc).unwrap(), LawExpr::Semicircle { variance });
        let fc = FussCatalan::new(depth).unwrap().to_string();
        prop_assert_eq!(parse(&fc).unwrap(), LawExpr::FussCatalan { depth });
    }
}

/// Measured agreement 1e-12 relative between the two independent computations (subordination against the
/// parametric closed form); 1e-9 leaves room for the solver's stopping tolerance.
const FREE_PRODUCT_REL: f64 = 1e-9;

#[test]
fn free_product_of_two_mp_one_one_is_fuss_catalan_two() {
    // FC₂ = MP(1,1) ⊠ MP(1,1) (`docs/theory.md` §1.4): the subordination solver against the parametric density.
    use landscape_theory::free_product::FreeProduct;
    use std::sync::Arc;
    let mp = Arc::new(MarchenkoPastur::new(1.0, 1.0).unwrap());
    let product = FreeProduct::new(mp.clone(), mp).unwrap();
    let fc = FussCatalan::new(2).unwrap();
    for &x in &[0.01, 1.0, 3.0, 6.0] {
        let (a, b) = (product.pdf(x), fc.pdf(x));
        assert!(
            (a - b).abs() <= FREE_PRODUCT_REL * b,
            "x={x}: free product {a}, FC₂ {b}"
        );
    }
}
