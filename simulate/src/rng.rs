//! The one seeded, portable random-number generator of the project.
//!
//! ChaCha8 is specified bit for bit, so a seed gives the same stream on every platform. Parallel work never shares
//! a generator: each task derives its own from `(seed, task index)` with [`task_rng`], so results do not depend
//! on the thread count or on scheduling.

use rand::SeedableRng;
pub use rand_chacha::ChaCha8Rng as Rng;

/// The generator for a top-level `seed`.
pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// An independent generator for task `task_idx` of a run seeded with `seed`.
///
/// The stream is selected with ChaCha's 64-bit stream id, so tasks never overlap.
pub fn task_rng(seed: u64, task_idx: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    rng.set_stream(task_idx.wrapping_add(1));
    rng
}

/// A child seed for task `task_idx` of a run seeded with `seed`, for APIs that take a plain `u64` seed.
///
/// SplitMix64 (Steele, Lea & Flood 2014) of `seed` and the task index: a fixed, portable bijection-based mix, so
/// nearby tasks get unrelated seeds.
pub fn derive_seed(seed: u64, task_idx: u64) -> u64 {
    let mut z = seed ^ task_idx.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The named stream ids of the project: every fixed `task_idx` (or base of a range of them) passed to
/// [`task_rng`] or [`derive_seed`] outside tests, in one table, so that two uses cannot pick the same stream by
/// accident and a reader can see which random numbers a seed drives.
///
/// | name | value | `task_rng`/`derive_seed` index | used by |
/// |---|---|---|---|
/// | [`CHECK_ESD`](stream::CHECK_ESD) | 1 | the sample | `experiments/src/checks/simulation.rs`, spectral-distribution checks |
/// | [`CHECK_PB_INDEX`](stream::CHECK_PB_INDEX) | 100 | `+ repeat` | Pennington–Bahri index check |
/// | [`CHECK_BBP_WISHART`](stream::CHECK_BBP_WISHART) | 200 | `+ repeat` (`derive_seed`) | BBP outlier check |
/// | [`CHECK_BBP_WIGNER`](stream::CHECK_BBP_WIGNER) | 300 | `+ repeat` (`derive_seed`) | spiked-Wigner overlap check |
/// | [`CHECK_TW_GOE`](stream::CHECK_TW_GOE) | 400 | `+ repeat` | Tracy–Widom GOE edge check |
/// | [`CHECK_LANCZOS_MATRIX`](stream::CHECK_LANCZOS_MATRIX) | 500 | the matrix | Lanczos extremes check |
/// | [`CHECK_LANCZOS_START`](stream::CHECK_LANCZOS_START) | 501 | the start vector | Lanczos extremes check |
/// | [`CHECK_NETWORK_PROBLEM`](stream::CHECK_NETWORK_PROBLEM) | 600 | data; `+ 1 + k` model k | `experiments/src/checks/networks.rs` |
/// | [`CHECK_OPTIMIZER_PROBLEM`](stream::CHECK_OPTIMIZER_PROBLEM) | 900 | data; `+ 1 + k` model k | `experiments/src/checks/optimizers.rs` |
/// | [`CHECK_OPTIMIZER_DATA`](stream::CHECK_OPTIMIZER_DATA) | 910 | data | optimizer check on a fresh mixture |
/// | [`CHECK_OPTIMIZER_INIT`](stream::CHECK_OPTIMIZER_INIT) | 911 | initial parameters | optimizer check on a fresh mixture |
/// | [`SWEEP_REPEATS`](stream::SWEEP_REPEATS) | 1000 | `SWEEP_REPEATS·size_idx + repeat` | `experiments/src/simulation.rs`, size sweeps |
/// | [`OPTIMIZE_DATA`](stream::OPTIMIZE_DATA) | 7000 | data; `+ 1` split keys | `experiments/src/optimize/eval.rs` |
/// | [`OPTIMIZE_TUNING`](stream::OPTIMIZE_TUNING) | 7001 | tuning seed (`derive_seed`) | `landscape optimize` |
/// | [`OPTIMIZE_EVAL`](stream::OPTIMIZE_EVAL) | 7100 | `+ i`, evaluation seed i (`derive_seed`) | `landscape optimize` |
/// | [`OPTIMIZE_NOISE`](stream::OPTIMIZE_NOISE) | 7500 | `+ 2d`, `+ 2d + 1`, robustness level d | `landscape optimize` |
/// | [`OPTIMIZE_LABEL_NOISE`](stream::OPTIMIZE_LABEL_NOISE) | 7600 | the label flips of evaluation seed `s` (`task_rng(s, ·)`) | `landscape optimize` |
/// | [`OPTIMIZE_STABILITY`](stream::OPTIMIZE_STABILITY) | 8000 | `+ i`, initialization seed i (`derive_seed`) | `experiments/src/optimize/stability.rs` |
/// | [`CLI_INIT`](stream::CLI_INIT) | `0x1A17` | `+ k`, model k | `src/cli/empirical.rs` |
/// | [`CLI_DATA`](stream::CLI_DATA) | `0xDA7A` | data | `src/cli/empirical.rs` |
/// | [`MINIBATCH`](stream::MINIBATCH) | 2⁴⁰ | `+ step` | `empirical/src/train.rs` |
/// | [`CURVATURE`](stream::CURVATURE) | 2⁴⁰ + 2³⁹ | `+ step` (`derive_seed`) | `empirical/src/adaptive.rs` |
/// | [`LANCZOS_START`](stream::LANCZOS_START) | `u64::MAX` | the start vector | `experiments/src/simulation.rs` |
///
/// `task_rng` and `derive_seed` are different maps, so `OPTIMIZE_DATA + 1` (a `task_rng` stream) and
/// `OPTIMIZE_TUNING` (a `derive_seed` index) do not share random numbers although the integers agree. The
/// repeat ranges of the checks are disjoint at quick scale (at most 8, 60 or 100 repeats); at full scale the
/// Tracy–Widom check's 200 repeats reach 500–599, so two different checks then draw from some of the same
/// streams, which correlates those checks with each other but biases neither. The values are part of every
/// golden output: changing one is a **[values]** change.
pub mod stream {
    /// Spectral-distribution checks: the one sampled matrix.
    pub const CHECK_ESD: u64 = 1;
    /// Pennington–Bahri index check: repeat r uses `CHECK_PB_INDEX + r`.
    pub const CHECK_PB_INDEX: u64 = 100;
    /// BBP outlier check: repeat r uses `derive_seed(seed, CHECK_BBP_WISHART + r)`.
    pub const CHECK_BBP_WISHART: u64 = 200;
    /// Spiked-Wigner overlap check: repeat r uses `derive_seed(seed, CHECK_BBP_WIGNER + r)`.
    pub const CHECK_BBP_WIGNER: u64 = 300;
    /// Tracy–Widom GOE edge check: repeat r uses `CHECK_TW_GOE + r`.
    pub const CHECK_TW_GOE: u64 = 400;
    /// Lanczos extremes check: the matrix.
    pub const CHECK_LANCZOS_MATRIX: u64 = 500;
    /// Lanczos extremes check: the start vector.
    pub const CHECK_LANCZOS_START: u64 = 501;
    /// Network checks' mixture problem: the data, then `+ 1 + k` for the initialisation of model k.
    pub const CHECK_NETWORK_PROBLEM: u64 = 600;
    /// Optimizer checks' mixture problem: the data, then `+ 1 + k` for the initialisation of model k.
    pub const CHECK_OPTIMIZER_PROBLEM: u64 = 900;
    /// Optimizer check on a fresh mixture: the data.
    pub const CHECK_OPTIMIZER_DATA: u64 = 910;
    /// Optimizer check on a fresh mixture: the initial parameters.
    pub const CHECK_OPTIMIZER_INIT: u64 = 911;
    /// Size sweeps: size i, repeat j use `SWEEP_REPEATS·i + j` (at most `SWEEP_REPEATS` repeats per size).
    pub const SWEEP_REPEATS: u64 = 1000;
    /// `landscape optimize`: the data set, and `+ 1` for the keys of the train/validation split.
    pub const OPTIMIZE_DATA: u64 = 7_000;
    /// `landscape optimize`: the seed of the tuning runs (`derive_seed`).
    pub const OPTIMIZE_TUNING: u64 = 7_001;
    /// `landscape optimize`: evaluation seed i is `derive_seed(seed, OPTIMIZE_EVAL + i)`.
    pub const OPTIMIZE_EVAL: u64 = 7_100;
    /// `landscape optimize`: the robustness draws (input noise, weight noise) of level d use `+ 2d` and `+ 2d + 1`.
    pub const OPTIMIZE_NOISE: u64 = 7_500;
    /// `landscape optimize`: the label flips of the label-noise run (`task_rng(evaluation seed, OPTIMIZE_LABEL_NOISE)`).
    pub const OPTIMIZE_LABEL_NOISE: u64 = 7_600;
    /// `landscape optimize`, the stability map: initialization seed i is `derive_seed(seed, OPTIMIZE_STABILITY + i)`.
    pub const OPTIMIZE_STABILITY: u64 = 8_000;
    /// Empirical commands of the CLI: the initialisation of model k is `CLI_INIT + k`.
    pub const CLI_INIT: u64 = 0x1A17;
    /// Empirical commands of the CLI: the data (synthetic sets and subsampling).
    pub const CLI_DATA: u64 = 0xDA7A;
    /// Training: the minibatch of step t is drawn from `MINIBATCH + t`.
    pub const MINIBATCH: u64 = 1 << 40;
    /// Curvature-adaptive training: the curvature estimate of step t uses `derive_seed(seed, CURVATURE + t)`;
    /// 2³⁹ steps above [`MINIBATCH`], so the two ranges never meet.
    pub const CURVATURE: u64 = MINIBATCH + (1 << 39);
    /// Lanczos start vectors of the simulation experiments: the last stream, far from every range above.
    pub const LANCZOS_START: u64 = u64::MAX;
}
