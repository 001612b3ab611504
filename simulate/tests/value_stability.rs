//! Value stability: a few exact outputs of the seeded samplers, so that an upgrade of rand, rand_chacha,
//! rand_distr or faer that changes values fails here by name (rand_distr's `tests/value_stability.rs` does the
//! same for its distributions).
//!
//! The values live in `tests/golden/value_stability.json`. A deliberate change is refreshed with
//! `UPDATE_GOLDEN=1 cargo test -p landscape-simulate --test value_stability` and flagged **[values]** in
//! CHANGELOG.md.

mod golden;

use std::path::PathBuf;

use golden::Tolerance;
use landscape_simulate::ensembles::{Ensemble, Goe, Wishart};
use landscape_simulate::network::data::{self, InputScale};
use landscape_simulate::network::{Activation, Mlp, MlpConfig, Parameterization};
use landscape_simulate::rng::{derive_seed, seeded, stream, task_rng};
use rand::Rng as _;

const REFRESH: &str = "cargo test -p landscape-simulate --test value_stability";

/// A Wishart sample is a Gram matrix `XXᵀ/n` computed by faer, whose SIMD kernels (chosen at run time: AVX2,
/// AVX-512, NEON, scalar) sum the n products in different orders. Each entry then differs by at most about
/// `n·ε·Σ_k |x_ik x_jk|/n ≤ n·ε·max_i S_ii` (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002,
/// eq. (3.5)); the diagonal here is below 3 and n = 6, so 64·ε absolute bounds it with a margin of more than 3.
const GRAM_ABS_TOL: f64 = 64.0 * f64::EPSILON;

fn golden_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/value_stability.json")
}

fn upper_triangle(m: &faer::Mat<f64>) -> Vec<f64> {
    let n = m.nrows();
    (0..n)
        .flat_map(|i| (i..n).map(move |j| (i, j)))
        .map(|(i, j)| m[(i, j)])
        .collect()
}

#[test]
fn seeded_generator_words_are_stable() {
    let mut rng = seeded(42);
    let words: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
    golden::assert_u64(&golden_file(), "seeded(42).next_u64 x4", &words, REFRESH);
}

#[test]
fn task_generator_words_are_stable() {
    let mut words = Vec::new();
    for task_idx in [0, 1, stream::LANCZOS_START] {
        let mut rng = task_rng(42, task_idx);
        words.extend((0..2).map(|_| rng.next_u64()));
    }
    golden::assert_u64(
        &golden_file(),
        "task_rng(42, {0, 1, LANCZOS_START}).next_u64 x2",
        &words,
        REFRESH,
    );
}

#[test]
fn derived_seeds_are_stable() {
    let seeds: Vec<u64> = [0, 1, 2, stream::MINIBATCH]
        .iter()
        .map(|&t| derive_seed(42, t))
        .collect();
    golden::assert_u64(
        &golden_file(),
        "derive_seed(42, {0, 1, 2, MINIBATCH})",
        &seeds,
        REFRESH,
    );
}

#[test]
fn goe_sample_is_stable() {
    // (A + Aᵀ) times a square root: IEEE-exact operations on normal draws, so the bits are the same on every CPU.
    let m = Goe::new(4, 1.0).unwrap().sample(&mut seeded(7));
    golden::assert_f64(
        &golden_file(),
        "Goe(4, 1).sample(seeded(7)) upper",
        &upper_triangle(&m),
        Tolerance::Bitwise,
        REFRESH,
    );
}

#[test]
fn wishart_sample_is_stable() {
    let m = Wishart::new(3, 6, 1.0).unwrap().sample(&mut seeded(7));
    let tol = Tolerance::Close {
        rel: 0.0,
        abs: GRAM_ABS_TOL,
    };
    golden::assert_f64(
        &golden_file(),
        "Wishart(3, 6, 1).sample(seeded(7)) upper",
        &upper_triangle(&m),
        tol,
        REFRESH,
    );
}

#[test]
fn native_network_initialisations_are_stable() {
    for (label, parameterization) in [
        ("torch_default", Parameterization::TorchDefault),
        (
            "standard",
            Parameterization::Standard {
                sigma_w: 1.0,
                sigma_b: 0.5,
            },
        ),
        ("ntk", Parameterization::Ntk { bias_scale: 1.0 }),
    ] {
        let mlp = Mlp::new(MlpConfig {
            widths: vec![2, 3, 1],
            activation: Activation::Tanh,
            parameterization,
            bias: true,
        })
        .unwrap();
        // Uniform or normal draws times a scale: IEEE-exact, so bitwise.
        let params = mlp.init(&mut seeded(3));
        golden::assert_f64(
            &golden_file(),
            &format!("Mlp[2,3,1] {label} init(seeded(3))"),
            &params,
            Tolerance::Bitwise,
            REFRESH,
        );
    }
}

#[test]
fn gaussian_inputs_are_stable() {
    let x = data::gaussian_inputs(2, 3, InputScale::UnitNorm, &mut seeded(5));
    golden::assert_f64(
        &golden_file(),
        "gaussian_inputs(2, 3, UnitNorm, seeded(5))",
        &x,
        Tolerance::Bitwise,
        REFRESH,
    );
}
