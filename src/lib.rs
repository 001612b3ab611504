//! landscape: checks what random-matrix theory predicts about the geometry of neural-network loss landscapes
//! against finite-size simulations and real networks.
//!
//! The root package is the command-line interface ([`cli`]), sweeps ([`sweep`]) and the assembly of the report
//! ([`report`]). The experiment layer (comparisons, experiments, optimizer evaluation, the checks registry) is the
//! library crate `landscape-experiments`, re-exported here under its old paths.

pub mod cli;
pub mod report;
pub mod sweep;

pub use landscape_experiments::{checks, compare, conjecture, optimize, simulation, toml_config};
