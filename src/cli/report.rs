//! `landscape report`: the main job.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{CliError, CliResult};
use crate::checks::{DEFAULT_SEED, Group, Scale};
use crate::report::{ReportOptions, ReportRunError, run};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ScaleArg {
    Quick,
    Full,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Runs every check of the registry (the same ones `cargo test` runs) and writes \
DIR/report.pdf, DIR/results.json, DIR/figures/*.svg and DIR/data/ (CSV, JSON and .npy for every plotted series).\n\
Exit code 0 when every check passes, 1 when one fails, 2 for usage errors.\n\nExamples:\n  \
landscape report --out report\n  landscape report --scale full --only simulation --out report-full"
)]
pub struct ReportArgs {
    /// quick (minutes on 2 cores) or full (larger sizes, more seeds).
    #[arg(long, value_enum, default_value_t = ScaleArg::Quick)]
    scale: ScaleArg,
    /// Output folder (created if missing).
    #[arg(long, default_value = "report")]
    out: PathBuf,
    /// Run only one group: theory, simulation, networks or optimizers.
    #[arg(long)]
    only: Option<String>,
    /// Base seed; every check derives its own streams from it.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Draw a merged sweep (`landscape sweep merge DIR`) instead of running the checks.
    #[arg(long)]
    from: Option<PathBuf>,
}

pub fn run_report(args: ReportArgs) -> CliResult {
    if let Some(from) = &args.from {
        let pdf = crate::report::draw_sweep(from, &args.out).map_err(|e| match e {
            ReportRunError::Usage(m) => CliError::Usage(m),
            ReportRunError::Failure(m) => CliError::Failure(m),
        })?;
        return Ok(json!({ "from": from, "out": args.out, "pdf": pdf }));
    }
    let only = match args.only.as_deref() {
        None => None,
        Some(name) => Some(
            Group::ALL
                .into_iter()
                .find(|g| g.name() == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Group::ALL.iter().map(|g| g.name()).collect();
                    CliError::usage(format!(
                        "--only: unknown group `{name}`; valid groups: {}",
                        names.join(", ")
                    ))
                })?,
        ),
    };
    let options = ReportOptions {
        scale: match args.scale {
            ScaleArg::Quick => Scale::Quick,
            ScaleArg::Full => Scale::Full,
        },
        out: args.out,
        only,
        seed: args.seed,
    };
    // A progress bar with ETA on a terminal; plain log lines (one per check) otherwise.
    let total = crate::checks::registry()
        .iter()
        .filter(|c| options.only.is_none_or(|g| c.group == g))
        .count();
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let pb = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} checks, ETA {eta}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb
    });
    let log = |line: &str| match &bar {
        Some(pb) => {
            pb.println(line);
            pb.inc(1);
        }
        None => eprintln!("{line}"),
    };
    let summary = run(&options, log);
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let summary = summary.map_err(|e| match e {
        ReportRunError::Usage(m) => CliError::Usage(m),
        ReportRunError::Failure(m) => CliError::Failure(m),
    })?;
    let failed: Vec<&str> = summary
        .records
        .iter()
        .filter(|r| r.verdict != "pass")
        .map(|r| r.id.as_str())
        .collect();
    let value = json!({
        "out": options.out,
        "pdf": summary.pdf,
        "checks": summary.records.len(),
        "passed": summary.records.len() - failed.len(),
        "failed": failed,
        "conjectures": summary.conjectures,
        "conjectures_unexpected": summary.conjectures_unexpected,
    });
    if summary.all_passed() {
        Ok(value)
    } else {
        Err(CliError::ChecksFailed(value))
    }
}
