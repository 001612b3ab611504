//! Regression tests at the edges of the laws' domains: tiny and huge ratios and scales, near-double roots, atoms
//! away from 0, nested products inside sums. Each test is named after the claim it pins; reference values come
//! from the mpmath scripts in `tests/reference/` or from closed forms named in the test.

// Checks are written `!(error <= bound)` so that a NaN fails them.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use std::sync::Arc;

use landscape_theory::free_product::FreeProduct;
use landscape_theory::free_sum::FreeSum;
use landscape_theory::numerical::MASS_TOLERANCE;
use landscape_theory::pennington_bahri::index;
use landscape_theory::tracy_widom::TracyWidom;
use landscape_theory::{FussCatalan, LawError, MarchenkoPastur, Semicircle, SpectralLaw};

#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
mod reference {
    include!("reference/pennington_bahri_extremes_values.rs");
}
use reference::PENNINGTON_BAHRI_EXTREMES;

/// The engine's cdf is good to ~1e-9 away from edges (see `numerical`); the index is `F(0)` with 0 inside the
/// support, and the mpmath quadrature is good to 1e-20.
const INDEX_TOL: f64 = 1e-8;

#[test]
fn pennington_bahri_index_matches_mpmath_at_tiny_energies_and_huge_ratios() {
    let mut failures = Vec::new();
    for &(phi, energy, alpha) in PENNINGTON_BAHRI_EXTREMES {
        match index(phi, energy) {
            Ok(got) if (got - alpha).abs() <= INDEX_TOL => {}
            Ok(got) => failures.push(format!(
                "φ = {phi}, ε = {energy}: α = {got}, mpmath {alpha}, error {:e}",
                (got - alpha).abs()
            )),
            Err(e) => failures.push(format!("φ = {phi}, ε = {energy}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pennington_bahri_index_is_zero_at_zero_energy() {
    // ε = 0: H = MP(φ, 1) is positive semi-definite.
    for phi in [0.5, 1.5, 10.0] {
        assert_eq!(index(phi, 0.0).unwrap().to_bits(), 0.0_f64.to_bits());
    }
    assert!(matches!(
        index(1.5, -1e-9),
        Err(LawError::InvalidParameter { name: "energy", .. })
    ));
}

/// The engine's cdf and pdf are good to ~1e-9 away from edges; two independent tabulations of the same law then
/// agree to twice that, and 1e-8 leaves a margin for the √ edges the grid points come close to.
const SAME_LAW_TOL: f64 = 1e-8;

/// `max |F_a − F_b|` and `max |f_a − f_b|` on 41 points across `[lo, hi]`.
fn distance(a: &dyn SpectralLaw, b: &dyn SpectralLaw, lo: f64, hi: f64) -> (f64, f64) {
    let (mut cdf, mut pdf): (f64, f64) = (0.0, 0.0);
    for i in 0..=40 {
        let x = lo + (hi - lo) * f64::from(i) / 40.0;
        cdf = cdf.max((a.cdf(x) - b.cdf(x)).abs());
        pdf = pdf.max((a.pdf(x) - b.pdf(x)).abs());
    }
    (cdf, pdf)
}

fn mp(ratio: f64, variance: f64) -> Arc<dyn SpectralLaw> {
    Arc::new(MarchenkoPastur::new(ratio, variance).unwrap())
}

fn sc(variance: f64) -> Arc<dyn SpectralLaw> {
    Arc::new(Semicircle::new(variance).unwrap())
}

fn fc(depth: u32) -> Arc<dyn SpectralLaw> {
    Arc::new(FussCatalan::new(depth).unwrap())
}

#[test]
fn fuss_catalan_cauchy_is_finite_at_the_near_double_root_by_the_top_edge() {
    // FC₁ = MP(1, 1): the same Cauchy transform in closed form. Next to the top edge 4 the root of
    // w² − z(w − 1) is nearly double and determined only to ~√ε relative, hence 1e-6.
    const NEAR_DOUBLE_ROOT_REL: f64 = 1e-6;
    let (fc1, mp1) = (fc(1), mp(1.0, 1.0));
    for (re, im) in [
        (4.0, 1e-13),
        (3.999_999, 1e-10),
        (4.000_001, 1e-12),
        (3.99, 1e-14),
    ] {
        let z = landscape_theory::Complex64::new(re, im);
        let (g, want) = (fc1.cauchy(z), mp1.cauchy(z));
        assert!(
            (g - want).norm() <= NEAR_DOUBLE_ROOT_REL * want.norm(),
            "z = {z}: FC₁ gives {g}, MP(1) gives {want}"
        );
    }
}

#[test]
fn free_sum_with_fuss_catalan_equals_the_same_sum_with_marchenko_pastur() {
    let with_fc = FreeSum::new(fc(1), sc(0.01)).unwrap_or_else(|e| panic!("{e}"));
    let with_mp = FreeSum::new(mp(1.0, 1.0), sc(0.01)).unwrap();
    let (cdf, pdf) = distance(&with_fc, &with_mp, -0.3, 4.5);
    assert!(
        cdf <= SAME_LAW_TOL && pdf <= 10.0 * SAME_LAW_TOL,
        "cdf distance {cdf:e}, pdf distance {pdf:e}"
    );
}

#[test]
fn free_sums_of_marchenko_pastur_laws_hold_at_scales_1e_minus_6_and_1e6() {
    // Free Poisson laws with the same jump λσ² add their rates: MP(½, 2s) ⊞ MP(½, 2s) = MP(¼, 4s).
    for scale in [1e-6, 1.0, 1e6] {
        let sum = FreeSum::new(mp(0.5, 2.0 * scale), mp(0.5, 2.0 * scale))
            .unwrap_or_else(|e| panic!("scale {scale}: {e}"));
        let exact = MarchenkoPastur::new(0.25, 4.0 * scale).unwrap();
        let (cdf, pdf) = distance(&sum, &exact, exact.lower_edge(), exact.upper_edge());
        // The pdf scales like 1/scale.
        assert!(
            cdf <= SAME_LAW_TOL && pdf * scale <= 10.0 * SAME_LAW_TOL,
            "scale {scale}: cdf distance {cdf:e}, pdf distance × scale {:e}",
            pdf * scale
        );
    }
    // And a semicircle a million times narrower than the MP bulk it is added to.
    let narrow = FreeSum::new(mp(3.0, 1.0), sc(1e-6)).unwrap_or_else(|e| panic!("{e}"));
    assert!((narrow.moment(2) - (1.0 + 3.0 + 1e-6)).abs() < 1e-8);
}

#[test]
fn free_sum_and_product_reject_laws_on_the_whole_line() {
    let tw: Arc<dyn SpectralLaw> = Arc::new(TracyWidom::new(1).unwrap());
    assert!(matches!(
        FreeSum::new(tw.clone(), sc(1.0)),
        Err(LawError::Unsupported {
            law: "free_sum",
            ..
        })
    ));
    assert!(matches!(
        FreeProduct::new(mp(0.5, 1.0), tw),
        Err(LawError::Unsupported {
            law: "free_product",
            ..
        })
    ));
}

/// `FC_a ⊠ FC_b = FC_{a+b}` (S-transforms `(1 + z)^{−L}` multiply), through the numerical subordination engine
/// (the expression builder uses the closed form). FC₆ has an `x^{−6/7}` edge at 0 holding most of the mass within
/// 1e-8 of it; there the table is good to its mass tolerance [`MASS_TOLERANCE`] (1e-7; measured cdf distance
/// 8.8e-8), not the 1e-9 of soft edges. About 6 s in the test profile, hence ignored in the default suite.
#[test]
#[ignore = "slow: a numerical product of two Fuss–Catalan laws (~6 s)"]
fn free_product_of_fuss_catalan_laws_is_fuss_catalan_of_the_summed_depth() {
    let product = FreeProduct::new(fc(3), fc(3)).unwrap_or_else(|e| panic!("{e}"));
    let exact = FussCatalan::new(6).unwrap();
    let (cdf, _) = distance(&product, &exact, 0.0, exact.upper_edge());
    assert!(cdf <= MASS_TOLERANCE, "cdf distance {cdf:e}");
    // m_k(FC_L) = C((L+1)k, k)/(Lk + 1): 1, 91/13 = 7, 1330/19 = 70 for L = 6.
    for (k, m) in [(1, 1.0), (2, 7.0), (3, 70.0)] {
        let got = product.moment(k);
        assert!((got - m).abs() <= 1e-9 * m, "m_{k} = {got}, exact {m}");
    }
}

/// Deeper products (`x^{−7/8}` … `x^{−9/10}` edges) lose ~1e-6 of mass in the numerical table and must say so in
/// one line, never return a law whose masses do not add up.
#[test]
#[ignore = "slow: three numerical products that end in a mass-balance error (~15 s each)"]
fn free_products_beyond_fuss_catalan_six_report_their_mass_balance() {
    for (a, b, depth) in [
        (fc(4), fc(4), 8),
        (mp(1.0, 1.0), fc(6), 7),
        (fc(4), fc(5), 9),
    ] {
        match FreeProduct::new(a, b) {
            Ok(product) => {
                let exact = FussCatalan::new(depth).unwrap();
                let (cdf, _) = distance(&product, &exact, 0.0, exact.upper_edge());
                assert!(cdf <= MASS_TOLERANCE, "FC{depth}: cdf distance {cdf:e}");
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains("mass balance") && !text.contains('\n'),
                    "FC{depth}: {text}"
                );
            }
        }
    }
}

#[test]
fn random_features_are_homogeneous_in_eta_down_to_1e_minus_300() {
    use landscape_theory::random_features::RandomFeatures;
    // ζ = 0 is MP(φ/ψ, η) (Pennington–Worah 2017); the case that used to fail was φ = ψ = 1, η = 1e-300.
    assert!(RandomFeatures::new(1.0, 1.0, 1e-300, 0.0).is_ok());
    for eta in [1e-300, 1.0, 1e200] {
        let rf =
            RandomFeatures::new(0.5, 1.0, eta, 0.0).unwrap_or_else(|e| panic!("η = {eta}: {e}"));
        let exact = MarchenkoPastur::new(0.5, eta).unwrap();
        let (cdf, pdf) = distance(&rf, &exact, exact.lower_edge(), exact.upper_edge());
        assert!(
            cdf <= SAME_LAW_TOL && pdf * eta <= 10.0 * SAME_LAW_TOL,
            "η = {eta}: cdf distance {cdf:e}, pdf distance × η {:e}",
            pdf * eta
        );
    }
}
