//! The command-line interface: argument parsing, dispatch, JSON output and exit codes.
//!
//! Exit codes: 0 success, 1 a failure that is not the user's (a check failed, a solver did not converge),
//! 2 bad input, reported as one line on stderr naming the argument and what is valid.

mod args;
mod conjecture;
mod empirical;
mod optimize;
mod report;
mod simulate;
mod sweep;
mod theory;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What went wrong, and so which exit code to use.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: exit code 2.
    Usage(String),
    /// A failure that is not the user's: exit code 1.
    Failure(String),
    /// The command ran but some check failed: print this JSON, exit code 1.
    ChecksFailed(serde_json::Value),
}

impl CliError {
    /// Bad input.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

impl From<landscape_theory::LawError> for CliError {
    fn from(err: landscape_theory::LawError) -> Self {
        match err {
            landscape_theory::LawError::NoConvergence { .. } => CliError::Failure(err.to_string()),
            _ => CliError::Usage(err.to_string()),
        }
    }
}

impl From<landscape_theory::expr::ExprError> for CliError {
    fn from(err: landscape_theory::expr::ExprError) -> Self {
        CliError::Usage(format!("invalid --law: {err}"))
    }
}

/// The result of a command: a JSON document for stdout.
pub type CliResult = Result<serde_json::Value, CliError>;

#[derive(Debug, Parser)]
#[command(
    name = "landscape",
    version,
    about = "Checks random-matrix predictions about neural-network loss landscapes against simulations and real networks.",
    after_help = "Examples:\n  landscape theory pdf --law 'mp(ratio=0.5)' --at 0.5,1,2\n  landscape theory summary --law 'free_sum(mp(ratio=0.25), semicircle(variance=0.5))'"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate analytic laws: densities, distribution functions, summaries, spikes, Tracy–Widom, the index.
    Theory(theory::TheoryArgs),
    /// Sample ensembles and networks and measure their spectra against theory.
    Simulate(simulate::SimulateArgs),
    /// Run every check and write the PDF/SVG report, results.json and the plotted data (the main job).
    Report(report::ReportArgs),
    /// Print the backend (native or torch, the names `--backend` takes), the torch version, CUDA devices and threads.
    #[command(
        after_help = "Example:\n  landscape doctor\nOutput: {\"backend\": \"native\"|\"torch\", \"torch_version\": ..., \"cuda_available\": ..., \"cuda_device_count\": ..., \"threads\": ..., \"version\": ..., \"commit\": ...}"
    )]
    Doctor,
    /// Curvature, training and landscape experiments on trained networks (native backend; torch with --features torch).
    Empirical(empirical::EmpiricalArgs),
    /// Parameter sweeps from a TOML grid: resumable parallel runs, Slurm job arrays, merged tables.
    Sweep(sweep::SweepArgs),
    /// Tune and evaluate optimizers, curvature-adaptive ones among them, over seeds (TOML configuration).
    Optimize(optimize::OptimizeArgs),
    /// Conjectures as files: state a claim in TOML, get supported, refuted or inconclusive with its power.
    Conjecture(conjecture::ConjectureArgs),
}

/// Parses `argv` (the command line after `landscape`) without running it: the one-line error clap would print.
///
/// # Errors
/// The parser's message.
pub(crate) fn check_args(argv: &[String]) -> Result<(), String> {
    Cli::try_parse_from(std::iter::once("landscape".to_string()).chain(argv.iter().cloned()))
        .map(|_| ())
        .map_err(|e| one_line(&e))
}

/// Runs the command line `argv` (after `landscape`) in this process and returns its JSON result, as a sweep point
/// does; `report` and `sweep` are refused (they write folders, not one result).
///
/// # Errors
/// The command's one-line error.
pub(crate) fn run_value(argv: &[String]) -> Result<serde_json::Value, String> {
    let cli =
        Cli::try_parse_from(std::iter::once("landscape".to_string()).chain(argv.iter().cloned()))
            .map_err(|e| one_line(&e))?;
    let result = match cli.command {
        Command::Theory(args) => theory::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Empirical(args) => empirical::run(args),
        Command::Optimize(args) => optimize::run(args),
        Command::Conjecture(args) => conjecture::run(args),
        Command::Report(_) | Command::Sweep(_) | Command::Doctor => {
            return Err("report, sweep and doctor cannot run as a sweep point".into());
        }
    };
    match result {
        Ok(value) => Ok(value),
        // A failed check is a result (a refuted conjecture), recorded like any other.
        Err(CliError::ChecksFailed(value)) => Ok(value),
        Err(CliError::Usage(message) | CliError::Failure(message)) => Err(message),
    }
}

/// clap's message on one line (it spans several: usage, hints).
fn one_line(err: &clap::Error) -> String {
    let text = err.to_string();
    let line: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    line.join(" ").trim_start_matches("error: ").to_string()
}

/// Runs the CLI on `args` (the program name first) and returns the process exit code.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            return match err.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = err.print();
                    if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                _ => {
                    // clap's message is several lines (usage, hints); the contract is one line.
                    eprintln!("{}", one_line(&err));
                    ExitCode::from(2)
                }
            };
        }
    };
    let result = match cli.command {
        Command::Theory(args) => theory::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Report(args) => report::run_report(args),
        Command::Doctor => Ok(doctor()),
        Command::Empirical(args) => empirical::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Optimize(args) => optimize::run(args),
        Command::Conjecture(args) => conjecture::run(args),
    };
    match result {
        Ok(value) => match args::to_json_checked(&value) {
            Ok(text) => {
                use std::io::Write;
                // A closed pipe (`landscape ... | head`) is not an error worth a panic.
                let mut stdout = std::io::stdout().lock();
                match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                    Err(e) => report(CliError::Failure(format!("writing to stdout: {e}"))),
                }
            }
            Err(err) => report(err),
        },
        Err(err) => report(err),
    }
}

fn report(err: CliError) -> ExitCode {
    match err {
        CliError::ChecksFailed(value) => {
            if let Ok(text) = args::to_json_checked(&value) {
                println!("{text}");
            }
            eprintln!("error: some checks failed");
            ExitCode::from(1)
        }
        CliError::Usage(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
        CliError::Failure(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn doctor() -> serde_json::Value {
    let d = landscape_empirical::doctor();
    serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": landscape_experiments::GIT_COMMIT,
        "backend": d.backend,
        "torch_version": d.torch_version,
        "cuda_available": d.cuda_available,
        "cuda_device_count": d.cuda_device_count,
        "threads": d.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        "threads_from": if d.threads.is_some() { "libtorch intra-op threads" } else { "available parallelism" },
    })
}
