//! The TOML configuration of a sweep: one experiment, a grid of parameter lists, and seeds.
//!
//! ```toml
//! seed = 42            # the configuration's seed (default 0)
//! seeds = 3            # replicates per grid point: a count (0, 1, 2) or a list of replicate ids
//!
//! [simulate.esd]       # exactly one experiment table
//! law = ["mp(ratio=0.5)", "semicircle()"]
//! n = [100, 200]
//! method = ["dense"]   # optional
//! ```
//!
//! Every parameter is a list; the grid is their Cartesian product (the first parameter of the experiment's
//! documented order outermost, replicates innermost). A point's canonical key names the experiment and every
//! coordinate in a fixed order with canonical values (laws as the theory crate prints them), and its seed is
//! `point_seed(seed, key)` ([`super::hash::point_seed`]). Unknown keys, wrong types, empty lists and invalid values
//! are errors that name the file, line, column and field.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use landscape_theory::expr::LawExpr;

use super::error::SweepError;
use super::hash::{point_seed, stable_hash};
use crate::simulation::{CurvatureKind, MAX_DENSE_N, Method, SpikeModel};
use crate::toml_config::{self, ConfigError, List, Source};

/// The experiments a sweep can run.
pub const EXPERIMENTS: &[&str] = &[
    "simulate.esd",
    "simulate.spiked",
    "simulate.network",
    "command",
];

/// The `landscape` commands a `[command]` sweep may run: those that compute and print one JSON result (not
/// `report`, which writes a folder, nor `sweep` itself).
pub const SWEEPABLE_COMMANDS: &[&str] =
    &["theory", "simulate", "empirical", "optimize", "conjecture"];

/// One coordinate value of a point.
#[derive(Debug, Clone, PartialEq)]
pub enum Coord {
    /// An integer (n, samples).
    Int(u64),
    /// A real number (ratio, spike, variance).
    Real(f64),
    /// A name or a canonical law expression.
    Text(String),
    /// A list of integers (widths).
    Ints(Vec<u64>),
}

impl Coord {
    /// The canonical text of the value, used in keys: shortest round-trip decimals for reals.
    pub fn canonical(&self) -> String {
        match self {
            Coord::Int(v) => v.to_string(),
            Coord::Real(v) => format!("{v:?}"),
            Coord::Text(s) => s.clone(),
            Coord::Ints(v) => {
                let items: Vec<String> = v.iter().map(u64::to_string).collect();
                format!("[{}]", items.join(","))
            }
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Coord::Int(v) => serde_json::json!(v),
            Coord::Real(v) => serde_json::json!(v),
            Coord::Text(s) => serde_json::json!(s),
            Coord::Ints(v) => serde_json::json!(v),
        }
    }
}

/// What one point runs.
#[derive(Debug, Clone)]
pub enum PointSpec {
    /// `simulate.esd`.
    Esd {
        /// The law (and so the ensemble).
        expr: LawExpr,
        /// Matrix side.
        n: usize,
        /// Measurement method.
        method: Method,
    },
    /// `simulate.spiked`.
    Spiked {
        /// Model.
        model: SpikeModel,
        /// Matrix side.
        n: usize,
        /// p/n (Wishart only).
        ratio: Option<f64>,
        /// Spike strength.
        spike: f64,
        /// Noise variance.
        variance: f64,
    },
    /// `simulate.network`.
    Network {
        /// Layer widths.
        widths: Vec<usize>,
        /// Activation name.
        activation: String,
        /// Loss name.
        loss: String,
        /// Number of samples.
        samples: usize,
        /// Operator.
        operator: CurvatureKind,
    },
    /// `[command]`: any `landscape` command that prints one JSON result, its grid given as `--name value` flags.
    Command {
        /// The command line after `landscape`, the point's flags included, without the seed.
        argv: Vec<String>,
        /// The flag that receives the point's seed (`--seed`), or `None` for a command without one.
        seed_flag: Option<String>,
    },
}

impl PointSpec {
    /// The full command line of a `[command]` point with `seed` (`None` for the other experiments).
    pub fn command_line(&self, seed: u64) -> Option<Vec<String>> {
        let PointSpec::Command { argv, seed_flag } = self else {
            return None;
        };
        let mut line = argv.clone();
        if let Some(flag) = seed_flag {
            line.push(flag.clone());
            line.push(seed.to_string());
        }
        Some(line)
    }
}

/// One point of the grid.
#[derive(Debug, Clone)]
pub struct Point {
    /// Position in the expanded grid (the merged table's row order).
    pub index: usize,
    /// The canonical key: experiment, coordinates in a fixed order, replicate.
    pub key: String,
    /// The point's seed, from the configuration's seed and the key only.
    pub seed: u64,
    /// Replicate id.
    pub replicate: u64,
    /// Coordinates in canonical order (without the replicate).
    pub coords: Vec<(String, Coord)>,
    /// What to run.
    pub spec: PointSpec,
}

impl Point {
    /// The result file's name: the key's stable hash, so it does not depend on the grid order.
    pub fn file_name(&self) -> String {
        format!("{:016x}.json", stable_hash(&self.key))
    }
}

/// A parsed and expanded configuration.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// The file it came from.
    pub file: PathBuf,
    /// Its text.
    pub text: String,
    /// The experiment's name, one of [`EXPERIMENTS`].
    pub experiment: &'static str,
    /// The configuration's seed.
    pub seed: u64,
    /// All points, in grid order.
    pub points: Vec<Point>,
    /// Stable hash of the experiment, seed and every point key: equal hashes mean equal results.
    pub hash: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    seed: Option<Spanned<i64>>,
    seeds: Option<Spanned<toml::Value>>,
    simulate: Option<Spanned<RawSimulate>>,
    command: Option<Spanned<RawCommand>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    args: List<String>,
    seed_flag: Option<Spanned<String>>,
    grid: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulate {
    esd: Option<Spanned<RawEsd>>,
    spiked: Option<Spanned<RawSpiked>>,
    network: Option<Spanned<RawNetwork>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEsd {
    law: List<String>,
    n: List<i64>,
    method: Option<List<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpiked {
    model: List<String>,
    n: List<i64>,
    ratio: Option<List<f64>>,
    spike: List<f64>,
    variance: Option<List<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    widths: List<Vec<i64>>,
    activation: Option<List<String>>,
    loss: Option<List<String>>,
    samples: List<i64>,
    operator: Option<List<String>>,
}

/// What an empty grid list says.
const EMPTY_GRID: &str = "empty list: a grid parameter needs at least one value";

/// A list of names parsed by `parse`, with `valid` listing the accepted names.
fn names<T>(
    src: &Source<'_>,
    list: Option<&List<String>>,
    field: &str,
    default: &str,
    valid: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<(T, String)>, SweepError> {
    let Some(list) = list else {
        let value = parse(default).ok_or_else(|| {
            SweepError::Failure(format!(
                "internal error: default {field} `{default}` is invalid"
            ))
        })?;
        return Ok(vec![(value, default.to_string())]);
    };
    Ok(src
        .non_empty(list, field, EMPTY_GRID)?
        .iter()
        .map(|item| {
            let name = item.get_ref().trim().to_ascii_lowercase();
            parse(&name).map(|v| (v, name)).ok_or_else(|| {
                src.error(
                    item.span(),
                    field,
                    format!("`{}` is not valid; expected {valid}", item.get_ref()),
                )
            })
        })
        .collect::<Result<_, _>>()?)
}

/// A non-empty list of integers in `lo..=hi`.
fn int_list(
    src: &Source<'_>,
    list: &List<i64>,
    field: &str,
    lo: u64,
    hi: u64,
) -> Result<Vec<u64>, ConfigError> {
    src.ints(src.non_empty(list, field, EMPTY_GRID)?, field, lo, hi)
}

/// A non-empty list of finite numbers > 0.
fn real_list(src: &Source<'_>, list: &List<f64>, field: &str) -> Result<Vec<f64>, ConfigError> {
    let items = src.non_empty(list, field, EMPTY_GRID)?;
    src.reals(items, field, "a finite number > 0", |v| v > 0.0)
}

/// Reads and expands the configuration at `path`.
pub fn load(path: &Path) -> Result<SweepConfig, SweepError> {
    // A configuration that cannot be read is the user's mistake (a wrong path), so exit code 2.
    let text = toml_config::read(path).map_err(SweepError::Usage)?;
    parse(path, &text)
}

/// Parses and expands a configuration; `file` is only used in error messages.
pub fn parse(file: &Path, text: &str) -> Result<SweepConfig, SweepError> {
    let src = Source::new(file, text);
    let raw: RawConfig = src.parse()?;
    let seed = match &raw.seed {
        None => 0,
        Some(s) => u64::try_from(*s.get_ref())
            .map_err(|_| src.error(s.span(), "seed", "the seed must be an integer ≥ 0"))?,
    };
    let replicates = replicates(&src, raw.seeds.as_ref())?;
    let whole = 0..text.len();
    if let Some(command) = &raw.command {
        if raw.simulate.is_some() {
            return Err(src
                .error(
                    command.span(),
                    "[command]",
                    format!(
                        "exactly one experiment table is needed; one of {}",
                        tables()
                    ),
                )
                .into());
        }
        let grid = command_grid(&src, command)?;
        return expand(&src, "command", seed, &replicates, grid);
    }
    let Some(simulate) = raw.simulate else {
        return Err(src
            .error(
                whole,
                "(top level)",
                format!("no experiment table; add one of {}", tables()),
            )
            .into());
    };
    let sim_span = simulate.span();
    let sim = simulate.into_inner();
    let count = [
        sim.esd.is_some(),
        sim.spiked.is_some(),
        sim.network.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if count != 1 {
        return Err(SweepError::from(src.error(
            sim_span,
            "[simulate]",
            format!(
                "exactly one experiment table is needed, found {count}; one of {}",
                tables()
            ),
        )));
    }
    let (experiment, grid) = if let Some(esd) = sim.esd {
        ("simulate.esd", esd_grid(&src, esd.get_ref())?)
    } else if let Some(spiked) = sim.spiked {
        ("simulate.spiked", spiked_grid(&src, &spiked)?)
    } else if let Some(network) = sim.network {
        ("simulate.network", network_grid(&src, network.get_ref())?)
    } else {
        return Err(SweepError::Failure("internal error: no experiment".into()));
    };
    expand(&src, experiment, seed, &replicates, grid)
}

/// The points of `grid` × `replicates`, keyed and seeded.
fn expand(
    src: &Source<'_>,
    experiment: &'static str,
    seed: u64,
    replicates: &[u64],
    grid: Grid,
) -> Result<SweepConfig, SweepError> {
    let (file, text) = (src.file, src.text);
    let mut points = Vec::with_capacity(grid.len() * replicates.len());
    let mut seen = BTreeSet::new();
    for (coords, spec) in grid {
        let body: Vec<String> = coords
            .iter()
            .map(|(name, value)| format!("{name}={}", value.canonical()))
            .collect();
        for &replicate in replicates {
            let key = format!("{experiment}|{}|replicate={replicate}", body.join("|"));
            // The same canonical point written twice (mp(ratio=0.5) and mp(ratio=0.50)) runs once.
            if !seen.insert(key.clone()) {
                continue;
            }
            points.push(Point {
                index: points.len(),
                seed: point_seed(seed, &key),
                key,
                replicate,
                coords: coords.clone(),
                spec: spec.clone(),
            });
        }
    }
    let mut canonical = format!("{experiment};seed={seed}");
    for p in &points {
        canonical.push('\n');
        canonical.push_str(&p.key);
    }
    Ok(SweepConfig {
        file: file.to_path_buf(),
        text: text.to_string(),
        experiment,
        seed,
        hash: stable_hash(&canonical),
        points,
    })
}

fn tables() -> String {
    EXPERIMENTS
        .iter()
        .map(|e| format!("[{e}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn replicates(
    src: &Source<'_>,
    seeds: Option<&Spanned<toml::Value>>,
) -> Result<Vec<u64>, ConfigError> {
    /// More replicates than this is a typo, not a sweep.
    const MAX_REPLICATES: i64 = 1_000_000;
    let Some(seeds) = seeds else {
        return Ok(vec![0]);
    };
    let bad = |msg: &str| src.error(seeds.span(), "seeds", msg.to_string());
    match seeds.get_ref() {
        toml::Value::Integer(count) if (1..=MAX_REPLICATES).contains(count) => {
            Ok((0..*count as u64).collect())
        }
        toml::Value::Integer(count) => Err(bad(&format!(
            "{count} is not a replicate count in 1..={MAX_REPLICATES}"
        ))),
        toml::Value::Array(items) => {
            if items.is_empty() {
                return Err(bad(
                    "empty list: give a count (seeds = 3) or replicate ids (seeds = [0, 7])",
                ));
            }
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                match item.as_integer().and_then(|v| u64::try_from(v).ok()) {
                    Some(v) if !ids.contains(&v) => ids.push(v),
                    Some(v) => return Err(bad(&format!("replicate id {v} is listed twice"))),
                    None => {
                        return Err(bad(&format!(
                            "{} is not an integer replicate id ≥ 0",
                            describe(item)
                        )));
                    }
                }
            }
            Ok(ids)
        }
        other => Err(bad(&format!(
            "{} is neither a replicate count nor a list of replicate ids",
            describe(other)
        ))),
    }
}

/// A short description of a TOML value for messages.
fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::Integer(v) => v.to_string(),
        other => format!("a {}", other.type_str()),
    }
}

type Grid = Vec<(Vec<(String, Coord)>, PointSpec)>;

/// The Cartesian product of `axes`, first axis outermost.
fn product<T: Clone>(axes: &[Vec<T>]) -> Vec<Vec<T>> {
    axes.iter().fold(vec![Vec::new()], |acc, axis| {
        acc.iter()
            .flat_map(|prefix| {
                axis.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect()
    })
}

fn esd_grid(src: &Source<'_>, raw: &RawEsd) -> Result<Grid, SweepError> {
    let mut laws = Vec::new();
    for item in src.non_empty(&raw.law, "law", EMPTY_GRID)? {
        let expr = landscape_theory::expr::parse(item.get_ref())
            .map_err(|e| src.error(item.span(), "law", e.to_string()))?;
        crate::compare::ensemble_for(&expr, 1000)
            .map_err(|e| src.error(item.span(), "law", e.to_string()))?;
        expr.build()
            .map_err(|e| src.error(item.span(), "law", e.to_string()))?;
        laws.push(expr);
    }
    let ns = int_list(src, &raw.n, "n", 2, MAX_DENSE_N as u64)?;
    let methods = names(
        src,
        raw.method.as_ref(),
        "method",
        "dense",
        "dense or slq",
        |s| s.parse::<Method>().ok(),
    )?;
    let mut grid = Vec::new();
    for expr in &laws {
        for &n in &ns {
            // The ensemble's size may depend on n (mp: samples = n / ratio).
            crate::compare::ensemble_for(expr, n as usize)
                .map_err(|e| src.error(raw.n.span(), "n", format!("with law {expr}: {e}")))?;
            for (method, method_name) in &methods {
                grid.push((
                    vec![
                        ("law".into(), Coord::Text(expr.to_string())),
                        ("method".into(), Coord::Text(method_name.clone())),
                        ("n".into(), Coord::Int(n)),
                    ],
                    PointSpec::Esd {
                        expr: expr.clone(),
                        n: n as usize,
                        method: *method,
                    },
                ));
            }
        }
    }
    Ok(grid)
}

fn spiked_grid(src: &Source<'_>, raw: &Spanned<RawSpiked>) -> Result<Grid, SweepError> {
    let table = raw.span();
    let raw = raw.get_ref();
    let models = names(
        src,
        Some(&raw.model),
        "model",
        "",
        "wishart or wigner",
        |s| s.parse::<SpikeModel>().ok(),
    )?;
    let ns = int_list(src, &raw.n, "n", 2, MAX_DENSE_N as u64)?;
    let spikes = real_list(src, &raw.spike, "spike")?;
    let variances = match &raw.variance {
        Some(list) => real_list(src, list, "variance")?,
        None => vec![1.0],
    };
    let ratios = match &raw.ratio {
        Some(list) => Some(real_list(src, list, "ratio")?),
        None => None,
    };
    let mut grid = Vec::new();
    for (model, model_name) in &models {
        let model_ratios: Vec<Option<f64>> = match (model, &ratios) {
            (SpikeModel::Wishart, Some(r)) => r.iter().copied().map(Some).collect(),
            (SpikeModel::Wishart, None) => {
                return Err(SweepError::from(src.error(
                    table.clone(),
                    "ratio",
                    "model wishart needs `ratio = [...]` (p/n > 0)",
                )));
            }
            // The ratio does not apply to the Wigner model: its points have no ratio coordinate.
            (SpikeModel::Wigner, _) => vec![None],
        };
        for &n in &ns {
            for &ratio in &model_ratios {
                for &spike in &spikes {
                    for &variance in &variances {
                        let check = match model {
                            SpikeModel::Wishart => landscape_theory::SpikedCovariance::new(
                                ratio.unwrap_or(1.0),
                                spike,
                                variance,
                            )
                            .map(|_| ()),
                            SpikeModel::Wigner => {
                                landscape_theory::SpikedWigner::new(spike, variance).map(|_| ())
                            }
                        };
                        check.map_err(|e| src.error(raw.spike.span(), "spike", e.to_string()))?;
                        let mut coords = vec![
                            ("model".into(), Coord::Text(model_name.clone())),
                            ("n".into(), Coord::Int(n)),
                        ];
                        if let Some(r) = ratio {
                            coords.push(("ratio".into(), Coord::Real(r)));
                        }
                        coords.push(("spike".into(), Coord::Real(spike)));
                        coords.push(("variance".into(), Coord::Real(variance)));
                        grid.push((
                            coords,
                            PointSpec::Spiked {
                                model: *model,
                                n: n as usize,
                                ratio,
                                spike,
                                variance,
                            },
                        ));
                    }
                }
            }
        }
    }
    Ok(grid)
}

fn network_grid(src: &Source<'_>, raw: &RawNetwork) -> Result<Grid, SweepError> {
    /// Widths beyond this are a typo: a dense layer of 10⁶ × 10⁶ does not fit in memory.
    const MAX_WIDTH: i64 = 1_000_000;
    let mut widths = Vec::new();
    for item in src.non_empty(&raw.widths, "widths", EMPTY_GRID)? {
        let w = item.get_ref();
        if w.len() < 2 || w.iter().any(|&v| !(1..=MAX_WIDTH).contains(&v)) {
            return Err(SweepError::from(src.error(
                item.span(),
                "widths",
                format!("{w:?} is not a list of at least two widths in 1..={MAX_WIDTH}, input first, e.g. [16, 32, 4]"),
            )));
        }
        widths.push(w.iter().map(|&v| v as u64).collect::<Vec<u64>>());
    }
    let activations = names(
        src,
        raw.activation.as_ref(),
        "activation",
        "tanh",
        "linear, tanh, relu, erf or gelu",
        |s| {
            s.parse::<landscape_simulate::network::Activation>()
                .ok()
                .map(|_| ())
        },
    )?;
    let losses = names(
        src,
        raw.loss.as_ref(),
        "loss",
        "cross_entropy",
        "mse or cross_entropy",
        |s| {
            s.parse::<landscape_simulate::network::LossKind>()
                .ok()
                .map(|_| ())
        },
    )?;
    let samples = int_list(src, &raw.samples, "samples", 1, 10_000_000)?;
    let operators = names(
        src,
        raw.operator.as_ref(),
        "operator",
        "hessian",
        "hessian or ggn",
        |s| s.parse::<CurvatureKind>().ok(),
    )?;
    let mut grid = Vec::new();
    for combo in product(&[
        (0..widths.len()).collect::<Vec<_>>(),
        (0..activations.len()).collect(),
        (0..losses.len()).collect(),
        (0..samples.len()).collect(),
        (0..operators.len()).collect(),
    ]) {
        let (w, a, l, s, o) = (combo[0], combo[1], combo[2], combo[3], combo[4]);
        grid.push((
            vec![
                ("activation".into(), Coord::Text(activations[a].1.clone())),
                ("loss".into(), Coord::Text(losses[l].1.clone())),
                ("operator".into(), Coord::Text(operators[o].1.clone())),
                ("samples".into(), Coord::Int(samples[s])),
                ("widths".into(), Coord::Ints(widths[w].clone())),
            ],
            PointSpec::Network {
                widths: widths[w].iter().map(|&v| v as usize).collect(),
                activation: activations[a].1.clone(),
                loss: losses[l].1.clone(),
                samples: samples[s] as usize,
                operator: operators[o].0,
            },
        ));
    }
    Ok(grid)
}

/// A `[command]` table: fixed arguments, then one `--name value` flag per grid key (keys in alphabetical order),
/// then the seed flag. Every point's command line is checked by the command-line parser before anything runs.
fn command_grid(src: &Source<'_>, raw: &Spanned<RawCommand>) -> Result<Grid, SweepError> {
    let table = raw.get_ref();
    let args: Vec<String> = src
        .non_empty(
            &table.args,
            "args",
            "empty list: give the command, e.g. [\"empirical\", \"hessian\"]",
        )?
        .iter()
        .map(|a| a.get_ref().trim().to_string())
        .collect();
    if !SWEEPABLE_COMMANDS.contains(&args[0].as_str()) {
        return Err(src
            .error(
                table.args.span(),
                "args",
                format!(
                    "`{}` cannot be swept; the first argument is one of {}",
                    args[0],
                    SWEEPABLE_COMMANDS.join(", ")
                ),
            )
            .into());
    }
    let seed_flag = match &table.seed_flag {
        None => Some("--seed".to_string()),
        Some(f) if f.get_ref().trim().is_empty() => None,
        Some(f) if f.get_ref().trim().starts_with("--") => Some(f.get_ref().trim().to_string()),
        Some(f) => {
            return Err(src
                .error(
                    f.span(),
                    "seed_flag",
                    "a flag such as \"--seed\", or \"\" for none",
                )
                .into());
        }
    };
    let mut axes: Vec<(String, Vec<Coord>)> = Vec::new();
    if let Some(grid) = &table.grid {
        for (name, value) in grid.get_ref() {
            let bad = |msg: String| SweepError::from(src.error(grid.span(), name, msg));
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(format!("`{name}` is not a flag name")));
            }
            let toml::Value::Array(items) = value else {
                return Err(bad("a grid parameter is a list of values".into()));
            };
            if items.is_empty() {
                return Err(bad(EMPTY_GRID.into()));
            }
            let values = items
                .iter()
                .map(|v| match v {
                    toml::Value::String(t) => Ok(Coord::Text(t.clone())),
                    toml::Value::Integer(i) => u64::try_from(*i)
                        .map(Coord::Int)
                        .map_err(|_| bad(format!("{i}: integers are ≥ 0"))),
                    toml::Value::Float(x) if x.is_finite() => Ok(Coord::Real(*x)),
                    other => Err(bad(format!(
                        "{} is not a string or a number",
                        describe(other)
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            axes.push((name.replace('_', "-"), values));
        }
    }
    let command = Coord::Text(args.join(" "));
    let indices: Vec<Vec<usize>> = axes.iter().map(|(_, v)| (0..v.len()).collect()).collect();
    let mut grid = Vec::new();
    for combo in product(&indices) {
        let mut argv = args.clone();
        let mut coords = vec![("command".to_string(), command.clone())];
        for ((name, values), &i) in axes.iter().zip(&combo) {
            argv.push(format!("--{name}"));
            argv.push(values[i].canonical());
            coords.push((name.clone(), values[i].clone()));
        }
        let spec = PointSpec::Command {
            argv,
            seed_flag: seed_flag.clone(),
        };
        if let Some(line) = spec.command_line(0) {
            crate::cli::check_args(&line).map_err(|e| {
                SweepError::from(src.error(
                    raw.span(),
                    "[command]",
                    format!("`landscape {}`: {e}", line.join(" ")),
                ))
            })?;
        }
        grid.push((coords, spec));
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<SweepConfig, SweepError> {
        parse(Path::new("grid.toml"), text)
    }

    fn config_error(text: &str) -> (usize, String, String) {
        match parse_str(text) {
            Err(SweepError::Config(ConfigError {
                line,
                field,
                message,
                ..
            })) => (line, field, message),
            other => panic!("expected a config error for\n{text}\ngot {other:?}"),
        }
    }

    #[test]
    fn grid_is_the_cartesian_product_times_replicates() {
        let c = parse_str(
            "seed = 7\nseeds = 2\n[simulate.esd]\nlaw = [\"mp(ratio=0.5)\", \"semicircle()\"]\nn = [10, 20, 30]\n",
        )
        .unwrap();
        assert_eq!(c.points.len(), 2 * 3 * 2);
        assert_eq!(c.experiment, "simulate.esd");
        assert_eq!(
            c.points[0].key,
            "simulate.esd|law=mp(ratio=0.5, variance=1)|method=dense|n=10|replicate=0"
        );
        let keys: BTreeSet<_> = c.points.iter().map(|p| &p.key).collect();
        assert_eq!(keys.len(), c.points.len(), "keys are unique");
        let seeds: BTreeSet<_> = c.points.iter().map(|p| p.seed).collect();
        assert_eq!(seeds.len(), c.points.len(), "seeds are distinct");
    }

    #[test]
    fn equivalent_spellings_give_the_same_point_and_hash() {
        let a = parse_str("[simulate.esd]\nlaw = [\"mp(ratio=0.5)\"]\nn = [10]\n").unwrap();
        let b = parse_str(
            "# a comment\nseed = 0\n[simulate.esd]\nn = [10]\nlaw = [\"mp( ratio = 0.50, variance = 1 )\"]\nmethod = [\"dense\"]\n",
        )
        .unwrap();
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.points[0].seed, b.points[0].seed);
    }

    #[test]
    fn unknown_parameter_names_line_and_field() {
        let (line, field, message) = config_error(
            "seed = 1\n[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [10]\nsize = [3]\n",
        );
        assert_eq!(line, 5, "{message}");
        assert_eq!(field, "size");
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn empty_grid_is_an_error_naming_the_field() {
        let (line, field, message) =
            config_error("[simulate.esd]\nlaw = [\"semicircle()\"]\nn = []\n");
        assert_eq!((line, field.as_str()), (3, "n"), "{message}");
        assert!(message.contains("empty"), "{message}");
    }

    #[test]
    fn wrong_type_and_bad_values_name_their_line() {
        let (line, field, _) =
            config_error("[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [\"ten\"]\n");
        assert_eq!((line, field.as_str()), (3, "n"));
        let (line, field, m) = config_error("[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [1]\n");
        assert_eq!((line, field.as_str()), (3, "n"), "{m}");
        let (line, field, _) = config_error("[simulate.esd]\nlaw = [\"nope(x=1)\"]\nn = [10]\n");
        assert_eq!((line, field.as_str()), (2, "law"));
        let (line, field, _) = config_error(
            "[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [10]\nmethod = [\"fast\"]\n",
        );
        assert_eq!((line, field.as_str()), (4, "method"));
        let (line, field, _) =
            config_error("seeds = 0\n[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [10]\n");
        assert_eq!((line, field.as_str()), (1, "seeds"));
        let (_, field, _) = config_error("seed = 1\n");
        assert_eq!(field, "(top level)");
    }

    #[test]
    fn wigner_points_drop_the_ratio_coordinate() {
        let c = parse_str(
            "[simulate.spiked]\nmodel = [\"wishart\", \"wigner\"]\nn = [20]\nratio = [0.5, 1.0]\nspike = [3.0]\n",
        )
        .unwrap();
        assert_eq!(c.points.len(), 3);
        assert!(c.points[2].key.contains("model=wigner") && !c.points[2].key.contains("ratio"));
        let (_, field, _) =
            config_error("[simulate.spiked]\nmodel = [\"wishart\"]\nn = [20]\nspike = [3.0]\n");
        assert_eq!(field, "ratio");
    }

    #[test]
    fn network_grid_validates_names() {
        let c = parse_str(
            "[simulate.network]\nwidths = [[4, 8, 2]]\nactivation = [\"tanh\", \"relu\"]\nsamples = [16]\noperator = [\"ggn\"]\n",
        )
        .unwrap();
        assert_eq!(c.points.len(), 2);
        let (line, field, _) = config_error(
            "[simulate.network]\nwidths = [[4, 8, 2]]\nactivation = [\"sigmoidish\"]\nsamples = [16]\n",
        );
        assert_eq!((line, field.as_str()), (3, "activation"));
    }
}
