//! `landscape optimize --config FILE.toml`: tune and evaluate optimizers (see `crate::optimize`).

use std::path::PathBuf;

use clap::Args;

use super::{CliError, CliResult};
use crate::optimize::{self, OptimizeError};

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  landscape optimize --config examples/optimize.toml --out optimize.json\n\nThe configuration \
lists tasks (digits, mixture, PATH.npz), a model, optimizers with tuning grids ([optimizers.sgd] lr = [...], \
momentum, adam, inverse_sharpness, inverse_trace, gn_diagonal with c = [...]) and seeds; see examples/optimize.toml. \
Output: JSON with the version, configuration, seeds, per-task tuning and evaluation runs, means with 95% \
intervals, the verdict of the comparison, and the geometry against width and depth."
)]
pub struct OptimizeArgs {
    /// The TOML configuration.
    #[arg(long)]
    config: PathBuf,
    /// Also write the JSON to this file (atomically).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl From<OptimizeError> for CliError {
    fn from(err: OptimizeError) -> Self {
        if err.is_usage() {
            CliError::Usage(err.to_string())
        } else {
            CliError::Failure(err.to_string())
        }
    }
}

pub fn run(args: OptimizeArgs) -> CliResult {
    let config = optimize::load(&args.config)?;
    let report = optimize::evaluate(&config)?;
    let value = serde_json::to_value(&report).map_err(|e| CliError::Failure(e.to_string()))?;
    if let Some(out) = &args.out {
        let text =
            serde_json::to_string_pretty(&value).map_err(|e| CliError::Failure(e.to_string()))?;
        landscape_reports::write_atomic(out, text.as_bytes())
            .map_err(|e| CliError::Failure(format!("{}: {e}", out.display())))?;
    }
    Ok(value)
}
