//! Tracy–Widom laws against an independent mpmath computation, the literature moments, the tail asymptotics and
//! their own internal consistency.

use landscape_theory::quadrature::gauss_legendre;
use landscape_theory::tracy_widom::TracyWidom;
use landscape_theory::{LawError, SpectralLaw};

#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
mod reference {
    include!("reference/tracy_widom_values.rs");
    include!("reference/tracy_widom_left_tail_values.rs");
}
use reference::{TRACY_WIDOM_LEFT_TAIL, TRACY_WIDOM_REFERENCE};

/// Absolute tolerance on `F_β` and `f_β` against mpmath. The Nyström error at 64 nodes is below 1e-16; what is left
/// is rounding in the Airy values (~1e-15 relative) and the LU (~m·ε); measured maximum 4e-15.
const REFERENCE_ABS_TOL: f64 = 2e-14;
/// Literature moments are quoted to 13 significant digits (Bornemann 2010); our measured errors are ≤ 5e-13.
const MOMENT_TOL: f64 = 2e-12;

/// Mean and variance of F_β, β = 1, 2, 4, from F. Bornemann, Markov Processes Relat. Fields 16 (2010) 803–866
/// (table of Tracy–Widom moments), also in Tracy–Widom (2000) and Prähofer–Spohn (2000, β = 2).
const LITERATURE_MOMENTS: [(u8, f64, f64); 3] = [
    (1, -1.206_533_574_582_0, 1.607_781_034_581_0),
    (2, -1.771_086_807_411_6, 0.813_194_792_832_9),
    (4, -2.306_884_893_241_0, 0.517_723_720_772_6),
];

fn law(beta: u8) -> TracyWidom {
    TracyWidom::new(beta).expect("valid beta")
}

#[test]
fn cdf_and_density_match_the_mpmath_nystrom_reference() {
    let mut worst = 0.0_f64;
    for &(beta, s, cdf_ref, pdf_ref) in TRACY_WIDOM_REFERENCE {
        let (cdf, pdf) = law(beta).cdf_and_pdf(s);
        let err = (cdf - cdf_ref).abs().max((pdf - pdf_ref).abs());
        worst = worst.max(err);
        assert!(
            err <= REFERENCE_ABS_TOL,
            "beta = {beta}, s = {s}: F = {cdf:e} (mpmath {cdf_ref:e}), f = {pdf:e} (mpmath {pdf_ref:e}), \
             error {err:e} > {REFERENCE_ABS_TOL:e}"
        );
    }
    eprintln!("worst absolute error against mpmath: {worst:e}");
}

#[test]
fn mean_and_variance_match_the_literature() {
    for (beta, mean_ref, var_ref) in LITERATURE_MOMENTS {
        let tw = law(beta);
        let (mean, var) = (tw.mean(), tw.variance());
        eprintln!("beta = {beta}: mean {mean:.15}, variance {var:.15}");
        assert!(
            (mean - mean_ref).abs() <= MOMENT_TOL && (var - var_ref).abs() <= MOMENT_TOL,
            "beta = {beta}: mean {mean} (literature {mean_ref}), variance {var} (literature {var_ref}), \
             tolerance {MOMENT_TOL:e}"
        );
        // The density integrates to one over the effective support (mass outside < 1e-20).
        let mass = tw.moment(0);
        assert!(
            (mass - 1.0).abs() < 1e-13,
            "beta = {beta}: total mass {mass}"
        );
    }
}

#[test]
fn results_are_stable_when_the_nystrom_nodes_double() {
    // Exponential convergence: 48 and 96 nodes agree to rounding on the whole effective support.
    const NODE_STABILITY_TOL: f64 = 1e-14;
    for beta in [1, 2, 4] {
        let coarse = TracyWidom::with_nodes(beta, 48).unwrap();
        let fine = TracyWidom::with_nodes(beta, 96).unwrap();
        for s in [-10.0, -7.5, -5.0, -3.3, -1.7, 0.0, 1.1, 2.5, 5.0, 9.0, 15.0] {
            let (a, da) = coarse.cdf_and_pdf(s);
            let (b, db) = fine.cdf_and_pdf(s);
            let err = (a - b).abs().max((da - db).abs());
            assert!(
                err <= NODE_STABILITY_TOL,
                "beta = {beta}, s = {s}: 48 nodes ({a:e}, {da:e}) vs 96 nodes ({b:e}, {db:e}), diff {err:e}"
            );
        }
    }
}

#[test]
fn density_is_the_derivative_of_the_cdf() {
    // Fourth-order central difference with h = 1e-2: truncation h⁴|F⁽⁵⁾|/30 ≲ 1e-9, rounding 1e-16/h ≈ 1e-14.
    const FD_TOL: f64 = 1e-8;
    let h = 1e-2;
    for beta in [1, 2, 4] {
        let tw = law(beta);
        for s in [-4.5, -2.0, -0.3, 1.4, 3.0] {
            let f = |x: f64| tw.cdf(x);
            let fd =
                (f(s - 2.0 * h) - 8.0 * f(s - h) + 8.0 * f(s + h) - f(s + 2.0 * h)) / (12.0 * h);
            let pdf = tw.pdf(s);
            assert!(
                (fd - pdf).abs() <= FD_TOL,
                "beta = {beta}, s = {s}: finite difference {fd}, pdf {pdf}"
            );
        }
    }
}

#[test]
fn quantile_inverts_the_cdf() {
    for beta in [1, 2, 4] {
        let tw = law(beta);
        for p in [1e-6, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0 - 1e-6] {
            let x = tw.quantile(p).unwrap();
            let back = tw.cdf(x);
            // Newton to 1e-14 in x; |F(x) − p| ≤ f_max·1e-14 + the 1e-15 accuracy of F.
            assert!(
                (back - p).abs() <= 1e-13,
                "beta = {beta}: quantile({p}) = {x}, cdf there {back}"
            );
        }
    }
    // Johnstone (2001), Table 1 (F₁ percentiles, 2-digit): 0.95 → 0.98, 0.99 → 2.02.
    let tw1 = law(1);
    assert!((tw1.quantile(0.95).unwrap() - 0.98).abs() < 0.01);
    assert!((tw1.quantile(0.99).unwrap() - 2.02).abs() < 0.01);
}

#[test]
fn quantile_rejects_probabilities_outside_the_unit_interval() {
    let tw = law(2);
    for p in [-0.1, 1.5, f64::NAN] {
        assert!(
            matches!(
                tw.quantile(p),
                Err(LawError::InvalidParameter { name: "p", .. })
            ),
            "p = {p}"
        );
    }
}

#[test]
fn tails_follow_their_leading_asymptotics() {
    // Relative corrections are O(|s|^{−3/2}); the constant is measured ≤ 1.5 on these points, so 3|s|^{−3/2}.
    for beta in [1, 2, 4] {
        let tw = law(beta);
        for s in [-5.0, -6.0, -7.0] {
            let exact = tw.cdf(s);
            let asym = tw.left_tail_asymptotic(s);
            let bound = 3.0 * (-s).powf(-1.5);
            assert!(
                (asym / exact - 1.0).abs() <= bound,
                "beta = {beta}, s = {s}: F = {exact:e}, asymptotic {asym:e}, bound {bound}"
            );
        }
    }
    for beta in [1, 2] {
        let tw = law(beta);
        for s in [4.0, 5.0, 6.0] {
            let exact = 1.0 - tw.cdf(s);
            let asym = tw.right_tail_asymptotic(s).unwrap();
            let bound = 3.0 * s.powf(-1.5);
            assert!(
                (asym / exact - 1.0).abs() <= bound,
                "beta = {beta}, s = {s}: 1 − F = {exact:e}, asymptotic {asym:e}, bound {bound}"
            );
        }
    }
}

#[test]
fn mass_outside_the_effective_support_is_below_1e_minus_20() {
    for beta in [1, 2, 4] {
        let tw = law(beta);
        let support = tw.support();
        let (lo, hi) = (support.lower_edge().unwrap(), support.upper_edge().unwrap());
        // Left: F(lo) bounded by the asymptotic (checked against the determinant above), with a factor 2 margin.
        let left = 2.0 * tw.left_tail_asymptotic(lo);
        // Right: ∫_hi^{hi+20} f. Every term of the determinant's derivative is tiny there, so the density is
        // accurate far below 1e-20 in absolute terms; beyond hi + 20 the density is below 1e-60.
        let right = gauss_legendre(40)
            .on_interval(hi, hi + 20.0)
            .integrate(|x| tw.pdf(x));
        assert!(
            left < 1e-20 && right < 1e-20,
            "beta = {beta}: left mass {left:e}, right mass {right:e}"
        );
    }
}

#[test]
fn invalid_beta_is_rejected_by_name() {
    for beta in [0, 3, 5, 8] {
        assert!(
            matches!(
                TracyWidom::new(beta),
                Err(LawError::InvalidParameter { name: "beta", .. })
            ),
            "beta = {beta}"
        );
    }
    assert_eq!(law(1).to_string(), "tracy_widom(beta=1)");
}

#[test]
fn cauchy_transform_matches_its_large_z_expansion() {
    // G(z) = Σ_k m_k/z^{k+1}; at |z| = 200, stopping after m3 leaves ≲ m4/|z|⁵ ≈ 20/3.2e11 ≈ 6e-11.
    let tw = law(2);
    let z = landscape_theory::Complex64::new(0.0, 200.0);
    let (m1, m2, m3) = (tw.moment(1), tw.moment(2), tw.moment(3));
    let expansion = 1.0 / z + m1 / (z * z) + m2 / (z * z * z) + m3 / (z * z * z * z);
    assert!(
        (tw.cauchy(z) - expansion).norm() < 1e-10,
        "G = {}, expansion {expansion}",
        tw.cauchy(z)
    );
}

/// Relative tolerance of the left-tail values against mpmath: the expansion's first neglected term is
/// `O(|s|^{−9/2})` (β = 1, 4; measured 3.5e-6 relative at s = −8 for β = 1, 9e-7 for β = 4) or `O(|s|^{−9})`
/// (β = 2, 6e-8). The double-precision determinant is 4.5e-5 off at s = −8 for β = 4, which is why the
/// expansion takes over there.
const LEFT_TAIL_REL: f64 = 1e-5;

#[test]
fn far_left_tail_keeps_relative_accuracy_against_mpmath() {
    let mut worst = 0.0_f64;
    for &(beta, s, cdf_ref, pdf_ref) in TRACY_WIDOM_LEFT_TAIL {
        let tw = law(beta);
        for (what, (cdf, pdf)) in [
            ("cdf_and_pdf", tw.cdf_and_pdf(s)),
            ("left_tail_expansion", tw.left_tail_expansion(s)),
        ] {
            // The expansion is only claimed below the cutoff at −8; at −6 it is still within 2e-5.
            let tol = if s < -7.0 {
                LEFT_TAIL_REL
            } else {
                3.0 * LEFT_TAIL_REL
            };
            let err = (cdf / cdf_ref - 1.0).abs().max((pdf / pdf_ref - 1.0).abs());
            if what == "cdf_and_pdf" {
                worst = worst.max(err);
            }
            assert!(
                err <= tol,
                "{what}: beta = {beta}, s = {s}: F = {cdf:e} (mpmath {cdf_ref:e}), f = {pdf:e} \
                 (mpmath {pdf_ref:e}), relative error {err:e} > {tol:e}"
            );
        }
    }
    eprintln!("worst relative error in the left tail: {worst:e}");
}

#[test]
fn far_left_tail_is_monotone_tiny_and_never_nan() {
    // The fixed 64-node rule used to give F₂(−100) = 1, f₁(−1000) = 7e45 and F₄(−40) = 0.04.
    for beta in [1, 2, 4] {
        let tw = law(beta);
        let mut previous = (0.0, 0.0);
        // From −1000 to −5 in steps that shrink towards the cutoff at −8, so that any jump there shows.
        let mut points: Vec<f64> = (0..=60).map(|k| -1000.0 * 0.9_f64.powi(k)).collect();
        points.extend((0..=300).map(|k| -9.0 + 0.01 * f64::from(k)));
        points.retain(|&s| s <= -5.0);
        points.sort_by(f64::total_cmp);
        for s in points {
            let (cdf, pdf) = tw.cdf_and_pdf(s);
            assert!(
                cdf.is_finite() && pdf.is_finite() && cdf >= 0.0 && pdf >= 0.0,
                "beta = {beta}, s = {s}: F = {cdf:e}, f = {pdf:e}"
            );
            assert!(
                cdf >= previous.0,
                "beta = {beta}: F({s}) = {cdf:e} < F at the previous point {:e} = {:e}",
                previous.1,
                previous.0
            );
            previous = (cdf, s);
        }
        for s in [-40.0, -100.0, -1000.0] {
            let (cdf, pdf) = tw.cdf_and_pdf(s);
            // Below s = −30 every F_β is below e^{−1000}: exactly 0 in double precision.
            assert!(
                cdf == 0.0 && pdf == 0.0,
                "beta = {beta}, s = {s}: F = {cdf:e}, f = {pdf:e}"
            );
        }
    }
}
