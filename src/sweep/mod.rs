//! Parameter sweeps: a TOML grid of an experiment, run in parallel into a folder of one file per point, resumable
//! after a crash, split into deterministic shards (Slurm job arrays), and merged into one table.
//!
//! Invariants:
//! * a point's seed is a stable hash of the configuration's seed and the point's canonical key
//!   ([`hash::point_seed`]), so results do not depend on sharding, the number of jobs or the order;
//! * a result file exists only when complete ([`store::write_atomic`]); a killed run resumes by redoing exactly the
//!   points without a complete file;
//! * an output folder belongs to one configuration (its hash is in `manifest.json`).

pub mod config;
pub mod error;
pub mod experiment;
pub mod hash;
pub mod merge;
pub mod runner;
pub mod shard;
pub mod slurm;
pub mod store;

pub use config::{SweepConfig, load};
pub use error::SweepError;
pub use merge::{MergeSummary, merge};
pub use runner::{RunOptions, RunSummary, run};
pub use shard::Shard;
pub use slurm::{ArrayJob, SlurmOptions, SlurmSummary, slurm};
pub use store::OutDir;
