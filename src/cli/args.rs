//! Parsing helpers for CLI values and the final JSON check.

use super::CliError;
use crate::sweep::SlurmOptions;

/// The flags of a Slurm job array, shared by `sweep slurm` and `conjecture slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmFlags {
    /// Number of array tasks (shards).
    #[arg(long)]
    pub array: usize,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task, in Slurm's format (e.g. 01:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Worker threads per task (and --cpus-per-task).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Submit the script with sbatch.
    #[arg(long)]
    pub submit: bool,
    /// With --submit: wait for the whole array to finish (sbatch --wait).
    #[arg(long, requires = "submit")]
    pub wait: bool,
}

impl SlurmFlags {
    /// The library's options; `force` deletes another configuration's results instead of refusing.
    pub fn options(self, force: bool) -> SlurmOptions {
        SlurmOptions {
            array: self.array,
            partition: self.partition,
            time: self.time,
            jobs: self.jobs,
            submit: self.submit,
            wait: self.wait,
            force,
        }
    }
}

/// Parses a comma-separated list of finite numbers (`--at 0.5,1,2e-1`). An empty item (`1,,2`, a trailing comma)
/// is an error rather than silently dropped, so the output has one value per item the user wrote.
pub fn parse_list(flag: &str, text: &str) -> Result<Vec<f64>, CliError> {
    if text.trim().is_empty() {
        return Err(CliError::usage(format!(
            "{flag}: expected a comma-separated list of numbers, got an empty list"
        )));
    }
    text.split(',')
        .map(str::trim)
        .enumerate()
        .map(|(idx, item)| match item.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ if item.is_empty() => Err(CliError::usage(format!(
                "{flag}: item {} of `{text}` is empty; expected a comma-separated list of finite numbers",
                idx + 1
            ))),
            _ => Err(CliError::usage(format!(
                "{flag}: `{item}` is not a finite number"
            ))),
        })
        .collect()
}

/// Serializes `value`, refusing any non-finite number (serde_json would silently write `null`).
pub fn to_json_checked(value: &serde_json::Value) -> Result<String, CliError> {
    fn find_bad(value: &serde_json::Value, path: &str) -> Option<String> {
        match value {
            serde_json::Value::Number(n) if n.as_f64().is_some_and(|v| !v.is_finite()) => {
                Some(path.to_string())
            }
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find_bad(v, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map
                .iter()
                .find_map(|(k, v)| find_bad(v, &format!("{path}.{k}"))),
            _ => None,
        }
    }
    if let Some(path) = find_bad(value, "") {
        return Err(CliError::Failure(format!(
            "internal error: non-finite value at {path}"
        )));
    }
    serde_json::to_string_pretty(value).map_err(|e| CliError::Failure(e.to_string()))
}

/// A JSON number for a value that must be finite (NaN and ±∞ become an error, never `null`).
pub fn finite(name: &str, value: f64) -> Result<serde_json::Value, CliError> {
    if value.is_finite() {
        Ok(serde_json::json!(value))
    } else {
        Err(CliError::Failure(format!(
            "{name} evaluated to {value}; this is a bug, please report it"
        )))
    }
}

/// A clap value parser for a library enum chosen by name (`--method dense|slq`): clap lists the names in `--help`
/// and rejects others with exit code 2.
pub fn named<T: landscape_experiments::Named + Send + Sync>()
-> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(T::names())
        .map(|s: String| T::from_name(&s).expect("clap accepted only listed names"))
}
