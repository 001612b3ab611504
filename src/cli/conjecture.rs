//! `landscape conjecture check FILE.toml`: a claim written as a file, answered supported, refuted or inconclusive
//! (the engine is `landscape_experiments::conjecture`; the schema is in docs/conjectures.md).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use landscape_experiments::conjecture::{self, ConjectureError, RunOptions, Scale};

use super::{CliError, CliResult, args};
use crate::sweep::shard::Shard;
use crate::sweep::slurm as sweep_slurm;
use crate::sweep::{ArrayJob, SlurmOptions};
use landscape_experiments::Named;

#[derive(Debug, Args)]
pub struct ConjectureArgs {
    #[command(subcommand)]
    command: ConjectureCommand,
}

#[derive(Debug, Subcommand)]
enum ConjectureCommand {
    /// Read a claim, sample what it names, decide, print the verdict and its statistics as JSON.
    #[command(
        after_help = "Example:\n  landscape conjecture check conjectures/wishart_edge_limit.toml --scale quick\n\n\
The file (docs/conjectures.md has the whole schema):\n  claim = \"...\"            # one sentence\n  \
source = \"...\"           # optional citation\n  expect = \"supported\"     # optional: supported | refuted | inconclusive\n  \
[grid]                   # optional named lists; every point of their product is tested\n  ratio = [0.25, 0.5]\n  \
[measure]\n  ensemble = \"mp(ratio={ratio})\"   # a law expression's ensemble, spiked_covariance(ratio=, spike=[, variance=]),\n  \
                                   # or spiked_wigner(spike=[, variance=]); or a network instead:\n  \
# model = \"mlp:widths={n}\", data = \"digits\", loss, operator, [measure.train] (see the docs)\n  \
n = [100, 200, 400]\n  seeds = 16\n  \
statistic = \"lambda_max\"   # lambda_max, lambda_min, lambda(K), fraction_below(X), fraction_above(X), moment(K),\n  \
                           # trace, ks, w1, top_overlap, outliers_above(X)\n  [predict]\n  \
value = \"(1 + sqrt(ratio))^2\"   # or law = \"mp(ratio={ratio})\", or density = \"...\" with support = [a, b]\n  \
[decide]\n  test = \"limit\"            # equal | at_most | at_least | limit\n  tolerance = 0.02\n  alpha = 0.05\n  \
rate = \"n^(-2/3)\"         # limit only: the known finite-size rate (else rate_bounds = [lo, hi] on the exponent)\n  \
[quick]                   # optional: the sizes and seeds of --scale quick\n\n\
Output: JSON with claim, verdict, reason, points (grid, verdict, estimate, stderr, interval, prediction, p_value, \
detectable, seeds_needed), file, seed, version. Exit code 0 when the verdict equals `expect` (or none is given), 1 \
when it does not, 2 for a bad file or flag."
    )]
    Check {
        /// The conjecture file (TOML).
        file: PathBuf,
        /// Write results.json, the figure (SVG) and a PDF section here; task results in DIR/tasks make a killed
        /// run resume where it stopped.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: the available cores). Results do not depend on it.
        #[arg(long)]
        jobs: Option<usize>,
        /// quick: the file's [quick] sizes and seeds; full: its [measure] ones.
        #[arg(long, value_parser = args::named::<Scale>(), default_value_t = Scale::Full)]
        scale: Scale,
        /// The base seed; each (grid point, n, seed) task derives its own generator from it.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Run only shard I of N (1 ≤ I ≤ N, needs --out); the last shard to finish prints the verdict.
        #[arg(long)]
        shard: Option<String>,
    },
    /// Write an sbatch script for a job array whose task i runs shard i+1 of N of `check FILE --out DIR` (the
    /// sweep's Slurm machinery) and, with --submit, submit it; afterwards `check FILE --out DIR` with the same
    /// --scale and --seed prints the verdict from the stored samples.
    Slurm {
        /// The conjecture file (TOML).
        file: PathBuf,
        /// The results folder, shared by all array tasks.
        #[arg(long)]
        out: PathBuf,
        /// quick: the file's [quick] sizes and seeds; full: its [measure] ones.
        #[arg(long, value_parser = args::named::<Scale>(), default_value_t = Scale::Full)]
        scale: Scale,
        /// The base seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        slurm: args::SlurmFlags,
    },
}

impl From<ConjectureError> for CliError {
    fn from(err: ConjectureError) -> Self {
        match err {
            ConjectureError::Config(_) => CliError::Usage(err.to_string()),
            _ => CliError::Failure(err.to_string()),
        }
    }
}

pub fn run(args: ConjectureArgs) -> CliResult {
    match args.command {
        ConjectureCommand::Check {
            file,
            out,
            jobs,
            scale,
            seed,
            shard,
        } => check(file, out, jobs, scale, seed, shard),
        ConjectureCommand::Slurm {
            file,
            out,
            scale,
            seed,
            slurm: flags,
        } => slurm(&file, &out, scale, seed, &flags.options(false)),
    }
}

/// `conjecture slurm`: the job array of `conjecture check FILE --out DIR`, written (and submitted) by the sweep's
/// Slurm code.
fn slurm(
    file: &std::path::Path,
    out: &std::path::Path,
    scale: Scale,
    seed: u64,
    options: &SlurmOptions,
) -> CliResult {
    let c = conjecture::load(file).map_err(ConjectureError::from)?;
    let file = sweep_slurm::absolute_path(file)?;
    let out = sweep_slurm::absolute_path(out)?;
    sweep_slurm::check_options(options)?;
    // Refuse a folder of another claim, seed or scale now, not in N array tasks later.
    conjecture::prepare_store(
        &c,
        &RunOptions {
            seed,
            scale,
            jobs: options.jobs,
            store: Some(out.clone()),
            shard: None,
        },
    )?;
    let check_args = |jobs: Option<usize>| {
        let mut a = vec![
            "conjecture".to_string(),
            "check".into(),
            file.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--scale".into(),
            scale.name().into(),
            "--seed".into(),
            seed.to_string(),
        ];
        if let Some(j) = jobs {
            a.extend(["--jobs".into(), j.to_string()]);
        }
        a
    };
    let job = ArrayJob {
        name: "landscape-conjecture".into(),
        args: check_args(Some(options.jobs)),
        logs: out.join("slurm"),
    };
    let after: Vec<String> = std::iter::once("landscape".to_string())
        .chain(check_args(None).iter().map(|a| sweep_slurm::quote(a)))
        .collect();
    let summary =
        sweep_slurm::write_and_submit(&job, "conjecture.sbatch", options, after.join(" "))?;
    let mut value = serde_json::to_value(&summary).map_err(|e| CliError::Failure(e.to_string()))?;
    if let Some(map) = value.as_object_mut()
        && let Some(command) = map.remove("merge_command")
    {
        map.insert("verdict_command".into(), command);
    }
    Ok(value)
}

fn check(
    file: PathBuf,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    scale: Scale,
    seed: u64,
    shard: Option<String>,
) -> CliResult {
    let shard = match shard {
        Some(spec) => Some(Shard::parse(&spec).map_err(|e| CliError::Usage(e.to_string()))?),
        None => Shard::from_slurm_env(|k| std::env::var(k).ok())
            .map_err(|e| CliError::Usage(e.to_string()))?,
    };
    if shard.is_some_and(|s| s.count > 1) && out.is_none() {
        return Err(CliError::usage(
            "--shard: needs --out DIR, where the shards meet",
        ));
    }
    if jobs == Some(0) {
        return Err(CliError::usage("--jobs: 0 is not a number of threads ≥ 1"));
    }
    let options = RunOptions {
        seed,
        scale,
        jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
        store: out.clone(),
        shard: shard.map(|s| conjecture::Shard {
            index: s.index - 1,
            count: s.count,
        }),
    };
    let result = conjecture::check(&file, &options)?;
    let value = serde_json::to_value(&result).map_err(|e| CliError::Failure(e.to_string()))?;
    if let (Some(dir), Some(_)) = (&out, result.verdict) {
        write_outputs(dir, &file, &result, &value)?;
    }
    if result.verdict.is_some() && !result.as_expected() {
        return Err(CliError::ChecksFailed(value));
    }
    Ok(value)
}

/// `results.json`, `figure.svg` and `conjecture.pdf` in `dir`, each written atomically.
fn write_outputs(
    dir: &std::path::Path,
    file: &std::path::Path,
    result: &conjecture::ConjectureResult,
    value: &serde_json::Value,
) -> Result<(), CliError> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        landscape_reports::write_atomic(&path, bytes)
            .map_err(|e| CliError::Failure(format!("{}: {e}", path.display())))
    };
    write("results.json", args::to_json_checked(value)?.as_bytes())?;
    let name = file
        .file_stem()
        .map_or_else(|| "conjecture".into(), |s| s.to_string_lossy().into_owned());
    let section = conjecture::figures::section(&name, result);
    for figure in &section.figures {
        let svg = figure
            .render_svg()
            .map_err(|e| CliError::Failure(format!("figure: {e}")))?;
        write("figure.svg", svg.as_bytes())?;
    }
    let doc = landscape_reports::Document {
        title: format!("Conjecture: {name}"),
        meta: vec![
            ("version".into(), result.version.clone()),
            ("file".into(), result.file.clone()),
            ("seed".into(), result.seed.to_string()),
            ("scale".into(), format!("{:?}", result.scale).to_lowercase()),
        ],
        summary: vec![conjecture::figures::verdict_row(&name, result)],
        sections: vec![section],
    };
    let pdf =
        landscape_reports::render_pdf(&doc).map_err(|e| CliError::Failure(format!("PDF: {e}")))?;
    write("conjecture.pdf", &pdf)
}
