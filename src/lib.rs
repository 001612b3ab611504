//! landscape: checks what random-matrix theory predicts about the geometry of neural-network loss landscapes
//! against finite-size simulations and real networks.
//!
//! The root package holds the command-line interface ([`cli`]), the bridge from law expressions to theory laws
//! ([`laws`]), and (later) the registry of checks shared by `cargo test` and the report.

pub mod checks;
pub mod cli;
pub mod compare;
pub mod laws;
pub mod optimize;
pub mod report;
pub mod simulation;
pub mod sweep;
pub mod toml_config;
