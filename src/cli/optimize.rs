//! `landscape optimize --config FILE.toml`: tune and evaluate optimizers (see `crate::optimize`).

use std::path::PathBuf;

use clap::Args;

use super::{CliError, CliResult};
use crate::optimize::{self, OptimizeError};

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  landscape optimize --config examples/optimize.toml --out optimize.json\n\nThe configuration \
lists tasks (digits, mixture, PATH.npz), a model (hidden/activation for the native MLP, or model = \"cnn\", \
\"resnet:depth=2,width=8\" or \"PATH.pt\" with the torch feature), optimizers with tuning grids ([optimizers.sgd] \
lr = [...], momentum, adam, adam_warmup, sophia, adahessian with lr = [...]; inverse_sharpness, inverse_trace, \
gn_diagonal, polyak with c = [...]), seeds, and optionally [architecture] and [stability] (largest stable step \
predicted from the curvature at initialization against the observed one); see examples/optimize.toml. Output: JSON \
with the version, configuration, seeds, per-task tuning and evaluation runs, means with 95% intervals, the verdict \
of the comparison with its power, the geometry against width and depth, and the stability map."
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
