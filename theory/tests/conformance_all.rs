//! Every law type of the crate passes the generic conformance checker at tolerance 1e-7, and the measured errors
//! are printed (`cargo test -p landscape-theory --test conformance_all -- --nocapture`).
//!
//! One instance per type: the closed forms (Marchenko–Pastur, semicircle, Fuss–Catalan at depth 16), the
//! numerically tabulated laws (free sum, free product, Pennington–Bahri, random features, the Gaussian linear
//! Jacobian) and Tracy–Widom (its check is slow: ignored, run with `--ignored`).

use std::sync::Arc;

use landscape_theory::conformance::{ConformanceReport, ConformanceTolerance, check_law};
use landscape_theory::deep_jacobian::{LinearJacobian, WeightKind};
use landscape_theory::free_product::FreeProduct;
use landscape_theory::free_sum::FreeSum;
use landscape_theory::pennington_bahri::PenningtonBahri;
use landscape_theory::random_features::RandomFeatures;
use landscape_theory::tracy_widom::TracyWidom;
use landscape_theory::{FussCatalan, MarchenkoPastur, Semicircle, SpectralLaw};

/// The accuracy target of the numerically tabulated laws (pdf/cdf ≤ 1e-7 away from edges): every law must meet it
/// for mass, cdf, moments and the Cauchy transform. Measured errors are ≤ 4e-10 (see the printed report), so a
/// failure here is a regression of a law or of the checker, not noise.
const TOL: f64 = 1e-7;

fn check(law: &dyn SpectralLaw) -> ConformanceReport {
    let tol = ConformanceTolerance::uniform(TOL);
    match check_law(law, &tol) {
        Ok(report) => {
            println!(
                "{law}: mass {:.1e}, cdf {:.1e}, moment {:.1e}, cauchy {:.1e}, quantile {:.1e}",
                report.mass_error,
                report.cdf_error,
                report.moment_error,
                report.cauchy_error,
                report.quantile_error
            );
            report
        }
        Err(message) => panic!("tolerance {TOL:e}: {message}"),
    }
}

#[test]
fn closed_form_laws_pass_the_checker_at_1e_7() {
    check(&MarchenkoPastur::new(0.5, 1.0).unwrap());
    check(&MarchenkoPastur::new(2.0, 1.5).unwrap());
    check(&Semicircle::new(0.7).unwrap());
    // x^{−16/17} at 0: the deepest Fuss–Catalan the checker's tanh–sinh integrates to 1e-10 (see its docs).
    check(&FussCatalan::new(16).unwrap());
}

#[test]
fn free_sum_passes_the_checker_at_1e_7() {
    let mp = Arc::new(MarchenkoPastur::new(0.5, 1.0).unwrap());
    let sc = Arc::new(Semicircle::new(0.2).unwrap());
    check(&FreeSum::new(mp.clone(), sc).unwrap());
    // Generic subordination (no semicircle operand).
    let mp2 = Arc::new(MarchenkoPastur::new(0.3, 2.0).unwrap());
    check(&FreeSum::new(mp, mp2).unwrap());
}

#[test]
fn free_product_passes_the_checker_at_1e_7() {
    // MP(1) ⊠ MP(1) = FC₂, an x^{−2/3} hard edge at 0.
    let mp1 = Arc::new(MarchenkoPastur::new(1.0, 1.0).unwrap());
    check(&FreeProduct::new(mp1.clone(), mp1).unwrap());
    // An atom at 0 (MP(2) has mass ½ there).
    let a = Arc::new(MarchenkoPastur::new(2.0, 1.0).unwrap());
    let b = Arc::new(MarchenkoPastur::new(0.5, 1.0).unwrap());
    check(&FreeProduct::new(a, b).unwrap());
}

#[test]
fn pennington_bahri_passes_the_checker_at_1e_7() {
    check(&PenningtonBahri::new(0.3, 0.05).unwrap());
}

#[test]
fn random_features_passes_the_checker_at_1e_7() {
    let relu_eta = 0.5 - 1.0 / (2.0 * std::f64::consts::PI);
    // Atom at 0 (ψ < φ), soft edges.
    check(&RandomFeatures::new(0.5, 0.25, relu_eta, 0.25).unwrap());
    // φ = ψ: x^{−1/2} hard edge at 0.
    check(&RandomFeatures::new(0.5, 0.5, relu_eta, 0.25).unwrap());
}

#[test]
fn linear_jacobian_passes_the_checker_at_1e_7() {
    check(&LinearJacobian::new(&[1.0, 1.0, 1.0], 1.0, WeightKind::Gaussian).unwrap());
    check(&LinearJacobian::new(&[2.0, 1.5, 1.0], 1.2, WeightKind::Gaussian).unwrap());
}

/// Ignored: each pdf of Tracy–Widom is a Fredholm determinant, and the checker evaluates ~thousands (~minutes).
#[test]
#[ignore]
fn tracy_widom_passes_the_checker_at_1e_7() {
    // The quantile round trip is ill-posed in the far tails of the effective support [−12, 17]: at x = 12.65,
    // F = 1 − 1.7e-15 rounds to within an ulp of 1, so any x nearby is a valid quantile. The quantile is tested in
    // the bulk by the crate's own tests; here only mass, cdf, moments and the Cauchy transform are held to 1e-7.
    let tol = ConformanceTolerance {
        quantile: 1.0,
        ..ConformanceTolerance::uniform(TOL)
    };
    for beta in [1, 2, 4] {
        let law = TracyWidom::new(beta).unwrap();
        if let Err(message) = check_law(&law, &tol) {
            panic!("tolerance {TOL:e}: {message}");
        }
    }
}
