//! `landscape sweep run|slurm|merge`: TOML experiment grids, resumable runs, Slurm job arrays, merged tables.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CliError, CliResult, args};
use crate::sweep::{self, OutDir, RunOptions, Shard, SweepError};

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: SweepCommand,
}

#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Run the points of CONFIG into DIR (one JSON file per point); a second run resumes.
    #[command(
        after_help = "Example config (examples/sweep.toml):\n  seed = 42\n  seeds = 3\n  [simulate.esd]\n  \
law = [\"mp(ratio=0.5)\", \"semicircle()\"]\n  n = [100, 200]\n\nExperiments: [simulate.esd] law, n, method; \
[simulate.spiked] model, n, ratio, spike, variance; [simulate.network] widths, activation, loss, samples, operator; \
[command] args = [\"empirical\", \"hessian\", ...] with [command.grid] flag = [values] (any theory, simulate, empirical, \
optimize or conjecture command; each point gets --seed, or seed_flag = \"\" for none; examples/sweep-phase2.toml).\n\
Inside a Slurm array job the shard comes from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT."
    )]
    Run {
        /// The TOML configuration.
        config: PathBuf,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Worker threads (default: the available cores). Results do not depend on it.
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only shard I of N (1 ≤ I ≤ N), e.g. 2/3.
        #[arg(long)]
        shard: Option<String>,
        /// Delete another configuration's results in DIR instead of refusing.
        #[arg(long)]
        force: bool,
    },
    /// Write an sbatch script for a job array of N shards and, with --submit, submit it.
    Slurm {
        /// The TOML configuration.
        config: PathBuf,
        /// Output folder (shared by all array tasks).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        slurm: args::SlurmFlags,
        /// Delete another configuration's results in DIR instead of refusing.
        #[arg(long)]
        force: bool,
    },
    /// Gather the results in DIR into results.csv, results.json and results.npy.
    Merge {
        /// The output folder of a sweep.
        dir: PathBuf,
        /// Merge the finished points even if some are missing.
        #[arg(long)]
        partial: bool,
    },
}

impl From<SweepError> for CliError {
    fn from(err: SweepError) -> Self {
        if err.is_usage() {
            CliError::Usage(err.to_string())
        } else {
            CliError::Failure(err.to_string())
        }
    }
}

fn to_json(value: impl serde::Serialize) -> CliResult {
    serde_json::to_value(value).map_err(|e| CliError::Failure(e.to_string()))
}

pub fn run(args: SweepArgs) -> CliResult {
    match args.command {
        SweepCommand::Run {
            config,
            out,
            jobs,
            shard,
            force,
        } => {
            let shard = match shard {
                Some(spec) => Shard::parse(&spec)?,
                None => Shard::from_slurm_env(|k| std::env::var(k).ok())?.unwrap_or(Shard::ALL),
            };
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
            let config = sweep::load(&config)?;
            let options = RunOptions {
                jobs,
                shard,
                force,
                progress: true,
            };
            to_json(sweep::run(&config, &OutDir::new(&out), &options)?)
        }
        SweepCommand::Slurm {
            config,
            out,
            slurm,
            force,
        } => {
            let config = sweep::load(&config)?;
            to_json(sweep::slurm(&config, &out, &slurm.options(force))?)
        }
        SweepCommand::Merge { dir, partial } => to_json(sweep::merge(&dir, partial)?),
    }
}
