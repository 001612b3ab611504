//! Johnstone / Johansson / Ma centering and scaling: formula checks against hand-computed values.

use landscape_theory::wishart_edge::{EdgeScaling, Field, WishartEdge};
use landscape_theory::{LawError, SpectralLaw};

/// Pure arithmetic: a few ulps of the inputs.
const FORMULA_TOL: f64 = 1e-12;

fn mu_sigma(n: f64, p: f64) -> (f64, f64) {
    // μ = (√n + √p)², σ = (√n + √p)(1/√n + 1/√p)^{1/3}, written out independently of the module.
    let a = n.sqrt() + p.sqrt();
    (a.powi(2), a * (n.powf(-0.5) + p.powf(-0.5)).cbrt())
}

#[test]
fn centering_and_scaling_follow_johnstone_johansson_and_ma() {
    let (n, p) = (400_usize, 200_usize);
    let cases = [
        (
            Field::Real,
            EdgeScaling::Johnstone,
            mu_sigma(399.0, 200.0),
            1,
        ),
        (
            Field::Complex,
            EdgeScaling::Johnstone,
            mu_sigma(400.0, 200.0),
            2,
        ),
        (Field::Real, EdgeScaling::Ma, mu_sigma(399.5, 199.5), 1),
    ];
    for (field, scaling, (mu, sigma), beta) in cases {
        let edge = WishartEdge::new(n, p, field, scaling).unwrap();
        assert!(
            (edge.center() - mu).abs() <= FORMULA_TOL * mu
                && (edge.scale() - sigma).abs() <= FORMULA_TOL * sigma,
            "{edge}: center {} vs {mu}, scale {} vs {sigma}",
            edge.center(),
            edge.scale()
        );
        assert_eq!(edge.beta(), beta);
        let cov = edge.normalised();
        assert!(
            (cov.center() - mu / 400.0).abs() <= FORMULA_TOL
                && (cov.scale() - sigma / 400.0).abs() <= FORMULA_TOL
        );
        // The statistic is affine and inverts the threshold.
        let threshold = cov.threshold(0.01).unwrap();
        let q = cov.limit_law().quantile(0.99).unwrap();
        assert!(
            (cov.statistic(threshold) - q).abs() <= 1e-12,
            "{cov}: statistic(threshold) vs quantile {q}"
        );
    }
}

#[test]
fn normalised_centre_tends_to_the_marchenko_pastur_edge() {
    // μ/n → (1 + √γ)² and σ/n = O(n^{−2/3}).
    for n in [1_000_usize, 100_000] {
        let edge = WishartEdge::new(n, n / 4, Field::Real, EdgeScaling::Johnstone)
            .unwrap()
            .normalised();
        let edge_mp = (1.0 + 0.5_f64).powi(2);
        let nf = n as f64;
        assert!(
            (edge.center() - edge_mp).abs() < 5.0 / nf,
            "n = {n}: center {}",
            edge.center()
        );
        // σ/n · n^{2/3} → (1 + √γ)(1 + 1/√γ)^{1/3} with γ = 1/4, within 1%.
        let rate = edge.scale() * nf.powf(2.0 / 3.0);
        let limit = (1.0 + 0.5) * (1.0 + 2.0_f64).cbrt();
        assert!(
            (rate / limit - 1.0).abs() < 0.01,
            "n = {n}: σ·n^{{2/3}} = {rate}, limit {limit}"
        );
    }
}

#[test]
fn invalid_dimensions_and_levels_are_rejected() {
    assert!(matches!(
        WishartEdge::new(1, 5, Field::Real, EdgeScaling::Johnstone),
        Err(LawError::InvalidParameter { name: "n", .. })
    ));
    assert!(matches!(
        WishartEdge::new(5, 0, Field::Real, EdgeScaling::Ma),
        Err(LawError::InvalidParameter { name: "p", .. })
    ));
    assert!(matches!(
        WishartEdge::new(5, 5, Field::Complex, EdgeScaling::Ma),
        Err(LawError::Unsupported { .. })
    ));
    let edge = WishartEdge::new(50, 20, Field::Real, EdgeScaling::Ma).unwrap();
    for alpha in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(
            edge.threshold(alpha),
            Err(LawError::InvalidParameter { name: "alpha", .. })
        ));
    }
}
