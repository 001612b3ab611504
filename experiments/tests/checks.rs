//! `cargo test` runs every check of the registry at quick scale: the same code that draws the report.
//!
//! One test per check, named after it, so a failure names the claim. A tidy test keeps this list and the
//! registry in step. Each test also compares the check's measurement with its golden copy (`golden/mod.rs`), so
//! a change of values fails by name even when the verdict still passes.

mod golden;

use landscape_experiments::checks::{Context, Scale, assert_passes, registry};

/// The seed the report uses by default; tests use the same so a figure and a test cannot disagree.
const SEED: u64 = landscape_experiments::checks::DEFAULT_SEED;

macro_rules! check_tests {
    ($($name:ident => $id:literal,)*) => {
        $(
            #[test]
            fn $name() {
                let ctx = Context { scale: Scale::Quick, seed: SEED };
                match assert_passes($id, &ctx) {
                    Ok(outcome) => golden::assert_measurement_is_golden($id, &outcome),
                    Err(message) => panic!("{message}"),
                }
            }
        )*

        const TESTED: &[&str] = &[$($id),*];
    };
}

check_tests! {
    theory_closed_forms_are_self_consistent => "theory.closed_forms.conformance",
    theory_numerical_laws_are_self_consistent => "theory.free_laws.conformance",
    theory_free_poisson_identity_holds => "theory.free_poisson.identity",
    theory_pennington_bahri_edge_touches_zero_at_critical_energy => "theory.pennington_bahri.critical_energy",
    theory_tracy_widom_moments_match_literature => "theory.tracy_widom.moments",
    wishart_spectrum_follows_marchenko_pastur => "simulation.wishart.ks",
    wishart_above_ratio_one_fills_the_atom => "simulation.wishart_atom.ks",
    goe_spectrum_follows_semicircle => "simulation.goe.ks",
    rotated_sum_follows_free_sum => "simulation.free_sum.ks",
    rotated_product_follows_free_product => "simulation.free_product.ks",
    deep_linear_jacobian_follows_fuss_catalan => "simulation.fuss_catalan.ks",
    pennington_bahri_ensemble_follows_its_law => "simulation.pennington_bahri.ks",
    pennington_bahri_index_matches_negative_fraction => "simulation.pennington_bahri.index",
    semicircle_ks_decays_faster_than_iid => "simulation.semicircle.scaling",
    bbp_outlier_matches_prediction_above_threshold => "simulation.bbp.wishart_outlier",
    bbp_overlap_matches_prediction_above_threshold => "simulation.bbp.wigner_overlap",
    goe_edge_follows_tracy_widom => "simulation.tracy_widom.goe_edge",
    lanczos_matches_dense_extremes => "simulation.lanczos.extremes",
    hutch_plus_plus_is_within_its_standard_error => "simulation.hutchpp.trace",
    ggn_rank_is_at_most_samples_times_classes_minus_one => "simulation.network.ggn_rank",
    gradient_descent_sits_at_the_edge_of_stability => "networks.edge_of_stability.gd",
    momentum_sits_at_its_own_edge_of_stability => "networks.edge_of_stability.momentum",
    ntk_spectrum_follows_fan_wang_law => "networks.ntk.fan_wang",
    ntk_ks_shrinks_with_width_at_depth_one_to_three => "networks.ntk.width_scaling",
    training_moves_wider_networks_spectra_less => "networks.ntk.after_training",
    bezier_curve_lowers_the_barrier_between_minima => "networks.mode_connectivity.bezier",
    optimizers_quadratic_model_error_is_cubic_in_the_step => "optimizers.quadratic_model.cubic_error",
    optimizers_inverse_sharpness_step_stays_below_the_threshold => "optimizers.inverse_sharpness.stable",
    optimizers_adam_sits_at_its_preconditioned_edge_of_stability => "optimizers.adam.preconditioned_edge",
    optimizers_curvature_at_init_predicts_the_largest_stable_step => "optimizers.stability.max_step",
    optimizers_participation_ratio_estimate_matches_dense => "optimizers.participation_ratio.estimator",
    optimizers_training_lowers_the_effective_dimension => "optimizers.architecture.effective_dimension",
    optimizers_tuned_comparison_generalizes => "optimizers.comparison.finding",
}

#[test]
fn every_registered_check_has_a_test() {
    let missing: Vec<&str> = registry()
        .iter()
        .map(|c| c.id)
        .filter(|id| !TESTED.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "checks without a test in experiments/tests/checks.rs: {missing:?}"
    );
    let unknown: Vec<&&str> = TESTED
        .iter()
        .filter(|id| registry().iter().all(|c| c.id != **id))
        .collect();
    assert!(
        unknown.is_empty(),
        "tests naming unknown checks: {unknown:?}"
    );
}
