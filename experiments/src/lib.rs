//! The experiment layer of landscape: the one place where theory meets measurement.
//!
//! - [`compare`]: a sampled spectrum against a law (KS, W1), and the ensemble whose limit a law expression names.
//! - [`simulation`]: experiments on ensembles and native networks (empirical spectral densities, spiked models,
//!   finite-size scaling, network curvature spectra, the NTK of wide networks against its law).
//! - [`conjecture`]: conjectures as files (a claim in TOML → supported, refuted or inconclusive, with its power).
//! - [`optimize`]: optimizer evaluation (tuned baselines against curvature-adaptive steps, over seeds).
//! - [`checks`]: the registry of checks that `cargo test` and `landscape report` both run.
//! - [`toml_config`]: what every TOML configuration shares (errors located at `file:line:column`).
//!
//! This crate knows nothing of the command line: it takes library types and returns typed results, so the CLI,
//! the report, sweeps and other front ends (Python) share one engine.

mod named;

pub mod checks;
pub mod compare;
pub mod conjecture;
pub mod optimize;
pub mod simulation;
pub mod toml_config;

pub use named::{Named, UnknownName};

/// The git commit this build was made from (`unknown` outside a git checkout), recorded in every output.
pub const GIT_COMMIT: &str = env!("LANDSCAPE_GIT_COMMIT");
