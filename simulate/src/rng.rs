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
