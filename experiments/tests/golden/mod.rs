//! Every registered check's measurement at the default seed and quick scale, against
//! `tests/golden/checks.json`.
//!
//! A check can pass with a different number: its tolerance is statistical. The golden copy catches what the
//! verdict cannot, an upgrade of rand, rand_distr, faer or ChaCha (or a change of a stream id) that moves every
//! value. Each check test calls [`assert_measurement_is_golden`] once, so the golden comparison costs no extra
//! run. Refresh deliberately with `UPDATE_GOLDEN=1 cargo test -p landscape-experiments --test checks` and flag
//! **[values]** in CHANGELOG.md.

#[path = "../../../simulate/tests/golden/mod.rs"]
mod format;

use std::path::PathBuf;

use format::Tolerance;
use landscape_experiments::checks::Outcome;

/// Relative tolerance of a measurement against its golden copy. Measurements go through faer's eigensolvers
/// and products, whose SIMD paths are chosen per CPU at run time and sum in different orders: a dense
/// eigenvalue moves by about `n·ε‖A‖` (≈ 1e-13 relative at n ≤ 2000), and the checks that train networks iterate
/// such differences over a few hundred steps, which can amplify them (edge-of-stability dynamics are not
/// contracting). 1e-6 leaves six orders of magnitude above the single-solve level and still fails on any change
/// of the random streams, which moves a statistic by its sampling error (≥ 1e-3 relative at these sizes). Not yet
/// measured across CPUs: the recorded values come from one x86-64 machine with AVX2 and FMA.
const CHECK_GOLDEN_REL: f64 = 1e-6;
/// Absolute floor: some measurements are themselves rounding errors (Lanczos against a dense solve, identities
/// of closed forms, ≈ 1e-13 or below), which differ across CPUs in every digit; 1e-9 is far above them and far
/// below every statistical measurement.
const CHECK_GOLDEN_ABS: f64 = 1e-9;

const REFRESH: &str = "cargo test -p landscape-experiments --test checks";

/// Compares the measurement of check `id` with its golden copy (or records it under `UPDATE_GOLDEN=1`).
///
/// # Panics
/// When the measurement differs beyond [`CHECK_GOLDEN_REL`]/[`CHECK_GOLDEN_ABS`] or has no golden copy; the
/// message says how to refresh.
#[track_caller]
pub fn assert_measurement_is_golden(id: &str, outcome: &Outcome) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/checks.json");
    let tolerance = Tolerance::Close {
        rel: CHECK_GOLDEN_REL,
        abs: CHECK_GOLDEN_ABS,
    };
    format::assert_f64(&file, id, &[outcome.measurement.value], tolerance, REFRESH);
}
