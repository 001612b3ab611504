//! Value stability: exact outputs of the seeded parts of training and data, so that an upgrade that changes them
//! fails here by name (in the style of rand_distr's `tests/value_stability.rs`).
//!
//! The values live in `tests/golden/value_stability.json`; the comparison code is shared with the other crates
//! (`simulate/tests/golden/mod.rs`). A deliberate change is refreshed with
//! `UPDATE_GOLDEN=1 cargo test -p landscape-empirical --test value_stability` and flagged **[values]** in
//! CHANGELOG.md.

#[path = "../../simulate/tests/golden/mod.rs"]
mod golden;

use std::path::PathBuf;

use golden::Tolerance;
use landscape_empirical::data::mixture::GaussianMixture;
use landscape_empirical::train::minibatch_indices;

const REFRESH: &str = "cargo test -p landscape-empirical --test value_stability";

fn golden_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/value_stability.json")
}

#[test]
fn minibatch_indices_are_stable() {
    // Pure RNG output (Gaussian keys, then a sort): bitwise on every CPU.
    for step in [0, 1, 1000] {
        let indices: Vec<u64> = minibatch_indices(20, 5, 42, step)
            .into_iter()
            .map(|i| i as u64)
            .collect();
        golden::assert_u64(
            &golden_file(),
            &format!("minibatch_indices(20, 5, seed 42, step {step})"),
            &indices,
            REFRESH,
        );
    }
}

#[test]
fn gaussian_mixture_is_stable() {
    let data = GaussianMixture {
        n_samples: 4,
        dim: 3,
        n_classes: 2,
        separation: 2.0,
        seed: 11,
    }
    .sample()
    .unwrap();
    // Normal draws times scales plus means (square roots and quotients): correctly rounded IEEE operations, so
    // bitwise.
    golden::assert_f64(
        &golden_file(),
        "GaussianMixture(4, 3, 2 classes, separation 2, seed 11) inputs",
        data.inputs(),
        Tolerance::Bitwise,
        REFRESH,
    );
}
