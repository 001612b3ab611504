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
