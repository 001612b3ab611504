//! Conjectures as files: a theorist states a claim in TOML, landscape samples what it names and answers
//! supported, refuted or inconclusive, with the statistics behind the answer and the power of the run.
//!
//! - [`schema`]: reading and checking a file (`docs/conjectures.md` is the contract).
//! - [`arith`]: the small arithmetic language of predictions, thresholds, rates and densities.
//! - [`measure`]: one task, a (grid point, size, seed) sample and its statistic.
//! - [`decide`]: TOST, Clopper–Pearson bounds, the limit fit, Holm's correction.
//!
//! Every (grid point, size, seed) is an independent task with its own generator
//! `task_rng(seed, task id)`, so results do not depend on `jobs`; with a results folder each task's value is
//! written atomically as it finishes, and a rerun (or another shard) only computes what is missing.

pub mod arith;
pub mod decide;
pub mod figures;
pub mod measure;
pub mod network;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;

pub use decide::{Decision, LimitFit, Rate, SizeMean, Verdict};
pub use schema::{Conjecture, Test, load};

use crate::Named;
use schema::Reference;

/// The scale of a run: `quick` takes the file's `[quick]` sizes and seeds (seconds), `full` its `[measure]` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// `[quick]`, falling back to `[measure]`.
    Quick,
    /// `[measure]`.
    Full,
}

crate::named_enum!(Scale { Quick => "quick", Full => "full" });

/// Which tasks this process runs: shard `index` of `count` takes the tasks whose position is `index` mod `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// 0-based.
    pub index: usize,
    /// ≥ 1.
    pub count: usize,
}

/// How to run a conjecture.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The base seed.
    pub seed: u64,
    /// Quick or full.
    pub scale: Scale,
    /// Worker threads (results do not depend on it).
    pub jobs: usize,
    /// Where task results are kept for resuming and sharding (`DIR/tasks/`); `None` keeps them in memory.
    pub store: Option<PathBuf>,
    /// Run only this shard's tasks.
    pub shard: Option<Shard>,
}

/// A failure of a conjecture run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConjectureError {
    /// The file is wrong (exit code 2 at the command line).
    #[error(transparent)]
    Config(#[from] crate::toml_config::ConfigError),
    /// A task failed to sample or measure.
    #[error("grid point {grid}, n = {n}, seed {seed}: {message}")]
    Task {
        /// The grid values.
        grid: String,
        /// The size.
        n: usize,
        /// The seed index.
        seed: u64,
        /// What went wrong.
        message: String,
    },
    /// The results folder cannot be used.
    #[error("{path}: {message}", path = path.display())]
    Store {
        /// The folder or file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The verdict and statistics of one decided point.
#[derive(Debug, Clone, Serialize)]
pub struct PointResult {
    /// The grid values (with `n` for tests decided at each size).
    pub grid: serde_json::Map<String, serde_json::Value>,
    /// This point's verdict.
    pub verdict: Verdict,
    /// What `estimate` measures, in words.
    pub quantity: String,
    /// The estimate (the mean statistic, the extrapolated limit, or the violation rate for bounds).
    pub estimate: f64,
    /// Its standard error.
    pub stderr: f64,
    /// The `(1 − 2α)` interval of the estimate (for bounds: the one-sided Clopper–Pearson limits).
    pub interval: [f64; 2],
    /// The prediction (for bounds: the claimed violation rate 0; the bound itself is in `bound`).
    pub prediction: f64,
    /// The bound of an `at_most`/`at_least` test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound: Option<f64>,
    /// The p-value of refutation.
    pub p_value: f64,
    /// Whether Holm's correction across points keeps the refutation.
    pub refuted_after_holm: bool,
    /// The smallest deviation from the prediction beyond the tolerance this run refutes with probability 0.8
    /// (for bounds: the smallest violation rate).
    pub detectable: Option<f64>,
    /// When inconclusive: the seeds per size that would decide it at the observed mean and spread.
    pub seeds_needed: Option<u64>,
    /// Seeds per size used.
    pub seeds: u64,
    /// The finite-size fit of a limit test.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<LimitFit>,
    /// The mean statistic and its standard error at each size (for figures).
    pub by_size: Vec<SizeMean>,
    /// Why, when the verdict needs a word (an invalid density, a finite-size bias).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The answer to a conjecture.
#[derive(Debug, Clone, Serialize)]
pub struct ConjectureResult {
    /// The claim as written.
    pub claim: String,
    /// Its citation.
    pub source: Option<String>,
    /// The file.
    pub file: String,
    /// The base seed.
    pub seed: u64,
    /// The scale.
    pub scale: Scale,
    /// landscape's version.
    pub version: String,
    /// The fingerprint of the file's text (FNV-1a, hex).
    pub fingerprint: String,
    /// The statistic as written.
    pub statistic: String,
    /// The decision rule.
    pub test: Test,
    /// The tolerance.
    pub tolerance: f64,
    /// The level.
    pub alpha: f64,
    /// The sizes used.
    pub sizes: Vec<usize>,
    /// Seeds per (point, size).
    pub seeds: u64,
    /// The overall verdict (`None` while shards are missing).
    pub verdict: Option<Verdict>,
    /// The verdict the file expects.
    pub expect: Option<Verdict>,
    /// One sentence.
    pub reason: String,
    /// Tasks finished and in all.
    pub tasks_done: usize,
    /// All tasks.
    pub tasks_total: usize,
    /// Each decided point.
    pub points: Vec<PointResult>,
}

impl ConjectureResult {
    /// Whether the verdict equals the file's `expect` (true when nothing is expected).
    pub fn as_expected(&self) -> bool {
        self.expect.is_none() || self.verdict == self.expect
    }
}

/// One task: (grid point, size index, seed index).
#[derive(Debug, Clone, Copy)]
struct Task {
    point: usize,
    size: usize,
    seed: u64,
}

impl Task {
    /// A stable id: adding seeds or sizes at the end keeps the ids (and so the samples) of existing tasks.
    fn id(self) -> u64 {
        ((self.point as u64) << 40) | ((self.size as u64) << 24) | self.seed
    }
}

/// Reads and runs the conjecture at `path`.
///
/// # Errors
/// A bad file, a failing task or an unusable results folder.
pub fn check(path: &Path, options: &RunOptions) -> Result<ConjectureResult, ConjectureError> {
    let conjecture = load(path)?;
    run(&conjecture, &path.display().to_string(), options)
}

/// Creates `options.store`'s task folder for `c` with its manifest, or checks that an existing one belongs to this
/// file, seed and scale, so that a job array refuses a wrong folder before any task starts.
///
/// # Errors
/// No `store` in `options`, or a folder that belongs to another file, seed or scale or cannot be written.
pub fn prepare_store(c: &Conjecture, options: &RunOptions) -> Result<PathBuf, ConjectureError> {
    let Some(dir) = &options.store else {
        return Err(store_error(
            Path::new("--out"),
            "a results folder is needed",
        ));
    };
    let (sizes, seeds) = match options.scale {
        Scale::Quick => (c.quick_sizes.clone(), c.quick_seeds),
        Scale::Full => (c.sizes.clone(), c.seeds),
    };
    open_store(dir, c, options, &sizes, seeds)
}

/// Runs a loaded conjecture (`file` is only recorded in the result).
///
/// # Errors
/// A failing task or an unusable results folder.
pub fn run(
    c: &Conjecture,
    file: &str,
    options: &RunOptions,
) -> Result<ConjectureResult, ConjectureError> {
    let (sizes, seeds) = match options.scale {
        Scale::Quick => (c.quick_sizes.clone(), c.quick_seeds),
        Scale::Full => (c.sizes.clone(), c.seeds),
    };
    let mut tasks = Vec::new();
    for (p, point) in c.points.iter().enumerate() {
        if matches!(point.reference, Reference::Invalid(_)) {
            continue;
        }
        for size in 0..sizes.len() {
            for seed in 0..seeds {
                tasks.push(Task {
                    point: p,
                    size,
                    seed,
                });
            }
        }
    }
    let store = options
        .store
        .as_ref()
        .map(|dir| open_store(dir, c, options, &sizes, seeds))
        .transpose()?;
    let mine: Vec<usize> = (0..tasks.len())
        .filter(|i| options.shard.is_none_or(|s| i % s.count == s.index))
        .collect();
    let values: Vec<Mutex<Option<f64>>> = (0..tasks.len()).map(|_| Mutex::new(None)).collect();
    if let Some(dir) = &store {
        for (i, t) in tasks.iter().enumerate() {
            if let Some(v) = read_task(dir, t.id()) {
                *values[i].lock().expect("no panics while locked") = Some(v);
            }
        }
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let error: Mutex<Option<ConjectureError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    if failed.load(Ordering::Relaxed) {
                        return;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = mine.get(k) else { return };
                    if values[i].lock().expect("no panics while locked").is_some() {
                        continue;
                    }
                    let t = tasks[i];
                    let point = &c.points[t.point];
                    let n = sizes[t.size];
                    let outcome = measure::sample(point, n, options.seed, t.id())
                        .map_err(|e| e.to_string())
                        .and_then(|v| {
                            if v.is_finite() {
                                Ok(v)
                            } else {
                                Err(format!("the statistic is {v}"))
                            }
                        })
                        .map_err(|message| ConjectureError::Task {
                            grid: grid_text(c, t.point),
                            n,
                            seed: t.seed,
                            message,
                        })
                        .and_then(|v| {
                            if let Some(dir) = &store {
                                write_task(dir, t.id(), v)?;
                            }
                            Ok(v)
                        });
                    match outcome {
                        Ok(v) => *values[i].lock().expect("no panics while locked") = Some(v),
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            let mut first = error.lock().expect("no panics while locked");
                            if first.is_none() {
                                *first = Some(e);
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().expect("no panics while locked") {
        return Err(e);
    }
    let values: Vec<Option<f64>> = values
        .into_iter()
        .map(|m| m.into_inner().expect("no panics while locked"))
        .collect();
    let done = values.iter().filter(|v| v.is_some()).count();
    let mut result = ConjectureResult {
        claim: c.claim.clone(),
        source: c.source.clone(),
        file: file.to_string(),
        seed: options.seed,
        scale: options.scale,
        version: env!("CARGO_PKG_VERSION").to_string(),
        fingerprint: format!("{:016x}", c.fingerprint),
        statistic: c.statistic_text.clone(),
        test: c.test,
        tolerance: c.tolerance,
        alpha: c.alpha,
        sizes: sizes.clone(),
        seeds,
        verdict: None,
        expect: c.expect,
        reason: String::new(),
        tasks_done: done,
        tasks_total: tasks.len(),
        points: Vec::new(),
    };
    if done < tasks.len() {
        result.reason = format!(
            "{done} of {} tasks are done; run the remaining shards with the same --out to decide",
            tasks.len()
        );
        return Ok(result);
    }
    // samples[point][size] = the statistic over seeds.
    let mut samples = vec![vec![Vec::with_capacity(seeds as usize); sizes.len()]; c.points.len()];
    for (t, v) in tasks.iter().zip(&values) {
        samples[t.point][t.size].push(v.expect("every task is done"));
    }
    decide_all(c, &sizes, seeds, &samples, &mut result)?;
    Ok(result)
}

/// The grid values of point `p` as `name=value, …`.
fn grid_text(c: &Conjecture, p: usize) -> String {
    let text: Vec<String> = c
        .grid_names
        .iter()
        .zip(&c.points[p].values)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if text.is_empty() {
        "(no grid)".into()
    } else {
        text.join(", ")
    }
}

fn grid_map(
    c: &Conjecture,
    p: usize,
    n: Option<usize>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut m: serde_json::Map<String, serde_json::Value> = c
        .grid_names
        .iter()
        .zip(&c.points[p].values)
        .map(|(k, v)| (k.clone(), serde_json::json!(v)))
        .collect();
    if let Some(n) = n {
        m.insert("n".into(), serde_json::json!(n));
    }
    m
}

fn size_means(sizes: &[usize], deviations: &[Vec<f64>]) -> Vec<SizeMean> {
    sizes
        .iter()
        .zip(deviations)
        .map(|(&n, xs)| {
            let (mean, sd) = decide::mean_sd(xs);
            SizeMean {
                n: n as f64,
                mean,
                stderr: sd / (xs.len() as f64).sqrt(),
                seeds: xs.len() as u64,
            }
        })
        .collect()
}

/// Decides every point, then the claim (Holm across points).
fn decide_all(
    c: &Conjecture,
    sizes: &[usize],
    seeds: u64,
    samples: &[Vec<Vec<f64>>],
    result: &mut ConjectureResult,
) -> Result<(), ConjectureError> {
    let (tol, alpha) = (c.tolerance, c.alpha);
    let stat = &c.statistic_text;
    for (p, point) in c.points.iter().enumerate() {
        if let Reference::Invalid(why) = &point.reference {
            result.points.push(PointResult {
                grid: grid_map(c, p, None),
                verdict: Verdict::Refuted,
                quantity: format!("{stat}: the predicted density itself"),
                estimate: f64::NAN,
                stderr: 0.0,
                interval: [f64::NAN, f64::NAN],
                prediction: f64::NAN,
                bound: None,
                p_value: 0.0,
                refuted_after_holm: false,
                detectable: None,
                seeds_needed: None,
                seeds: 0,
                fit: None,
                by_size: Vec::new(),
                note: Some(why.clone()),
            });
            continue;
        }
        let predict = |n: usize| {
            measure::prediction(point, n).ok_or_else(|| ConjectureError::Task {
                grid: grid_text(c, p),
                n,
                seed: 0,
                message: "the prediction is not a finite number here".into(),
            })
        };
        let by_size = size_means(sizes, &samples[p]);
        if c.test == Test::Limit {
            let mut deviations = Vec::new();
            for (s, &n) in sizes.iter().enumerate() {
                let pred = predict(n)?;
                deviations.push(samples[p][s].iter().map(|v| v - pred).collect::<Vec<_>>());
            }
            let means = size_means(sizes, &deviations);
            let (d, fit) = decide::limit(&means, c.rate, tol, alpha);
            let largest = sizes.iter().copied().max().unwrap_or(0);
            let pred = predict(largest)?;
            let last = means
                .iter()
                .max_by(|a, b| a.n.total_cmp(&b.n))
                .expect("a size");
            let note = format!(
                "at the largest size n = {largest} the deviation is {:.4} ± {:.4}; the fit b + c·n^(-a) \
                 (a = {:.3}, compatible {:.3}–{:.3}) extrapolates it to b = {:.4} ± {:.4} as n → ∞{}",
                last.mean,
                last.stderr,
                fit.exponent,
                fit.exponent_range[0],
                fit.exponent_range[1],
                fit.limit,
                fit.limit_stderr,
                if d.verdict == Verdict::Supported && last.mean.abs() > tol {
                    ": the finite-size deviation is a bias that vanishes, not a wrong prediction"
                } else {
                    ""
                }
            );
            result.points.push(PointResult {
                grid: grid_map(c, p, None),
                verdict: d.verdict,
                quantity: format!("{stat} extrapolated to n → ∞"),
                estimate: pred + d.estimate,
                stderr: d.stderr,
                interval: [pred + d.interval[0], pred + d.interval[1]],
                prediction: pred,
                bound: None,
                p_value: d.p_value,
                refuted_after_holm: false,
                detectable: d.detectable,
                seeds_needed: d.seeds_needed,
                seeds,
                fit: Some(fit),
                by_size,
                note: Some(note),
            });
            continue;
        }
        for (s, &n) in sizes.iter().enumerate() {
            let pred = predict(n)?;
            let xs = &samples[p][s];
            let by_size = vec![by_size[s]];
            let point_result = match c.test {
                Test::Equal => {
                    let dev: Vec<f64> = xs.iter().map(|v| v - pred).collect();
                    let d = decide::equivalence(&dev, tol, alpha);
                    PointResult {
                        grid: grid_map(c, p, Some(n)),
                        verdict: d.verdict,
                        quantity: format!("mean of {stat}"),
                        estimate: pred + d.estimate,
                        stderr: d.stderr,
                        interval: [pred + d.interval[0], pred + d.interval[1]],
                        prediction: pred,
                        bound: None,
                        p_value: d.p_value,
                        refuted_after_holm: false,
                        detectable: d.detectable,
                        seeds_needed: d.seeds_needed,
                        seeds,
                        fit: None,
                        by_size,
                        note: None,
                    }
                }
                _ => {
                    let at_most = c.test == Test::AtMost;
                    let violations = xs
                        .iter()
                        .filter(|v| {
                            if at_most {
                                **v > pred + tol
                            } else {
                                **v < pred - tol
                            }
                        })
                        .count() as u64;
                    let d = decide::bound(violations, xs.len() as u64, alpha);
                    PointResult {
                        grid: grid_map(c, p, Some(n)),
                        verdict: d.verdict,
                        quantity: format!(
                            "rate of samples with {stat} {} the bound",
                            if at_most { "above" } else { "below" }
                        ),
                        estimate: d.estimate,
                        stderr: d.stderr,
                        interval: d.interval,
                        prediction: 0.0,
                        bound: Some(pred),
                        p_value: d.p_value,
                        refuted_after_holm: false,
                        detectable: d.detectable,
                        seeds_needed: d.seeds_needed,
                        seeds,
                        fit: None,
                        by_size,
                        note: None,
                    }
                }
            };
            result.points.push(point_result);
        }
    }
    let p_values: Vec<f64> = result.points.iter().map(|p| p.p_value).collect();
    for (point, rejected) in result.points.iter_mut().zip(decide::holm(&p_values, alpha)) {
        point.refuted_after_holm = rejected && point.verdict == Verdict::Refuted;
    }
    let m = result.points.len();
    let refuted: Vec<&PointResult> = result
        .points
        .iter()
        .filter(|p| p.refuted_after_holm)
        .collect();
    let supported = result
        .points
        .iter()
        .filter(|p| p.verdict == Verdict::Supported)
        .count();
    let describe = |p: &PointResult| {
        let grid: Vec<String> = p.grid.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let at = if grid.is_empty() {
            String::new()
        } else {
            format!(" at {}", grid.join(", "))
        };
        match &p.note {
            Some(note) if p.estimate.is_nan() => format!("{at}: {note}"),
            _ => format!(
                "{at}: {} = {:.4} (interval {:.4} to {:.4}) against the prediction {:.4} ± {tol} (p = {:.2e})",
                p.quantity, p.estimate, p.interval[0], p.interval[1], p.prediction, p.p_value
            ),
        }
    };
    let (verdict, reason) = if let Some(worst) = refuted.first() {
        let hint = if c.test == Test::Equal {
            " If the prediction is a limit as n → ∞, this can be finite-size bias: test = \"limit\" over \
             several sizes asks that question."
        } else {
            ""
        };
        (
            Verdict::Refuted,
            format!(
                "Refuted at {} of {m} points after Holm's correction, e.g.{}.{hint}",
                refuted.len(),
                describe(worst)
            ),
        )
    } else if supported == m {
        let how = if c.test == Test::Limit {
            format!(
                "the extrapolated deviation (fit b + c·n^(-a) over n = {sizes:?}) lies within ±{tol} at every one \
                 of the {m} points, so the finite-size deviations are biases that vanish"
            )
        } else {
            format!(
                "the {:.0}% interval lies within the tolerance at every one of the {m} points",
                100.0 * (1.0 - 2.0 * alpha)
            )
        };
        (Verdict::Supported, format!("Supported: {how}."))
    } else {
        let most = result.points.iter().filter_map(|p| p.seeds_needed).max();
        let need = most.map_or_else(
            || " more sizes or a different tolerance are needed".to_string(),
            |s| format!(" about {s} seeds per size would decide the hardest point at the observed spread"),
        );
        (
            Verdict::Inconclusive,
            format!(
                "Inconclusive: {} of {m} points are neither supported nor refuted after Holm's correction;{need}.",
                m - supported
            ),
        )
    };
    result.verdict = Some(verdict);
    result.reason = reason;
    Ok(())
}

/// The manifest that ties a results folder to one file, seed and scale.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq)]
struct Manifest {
    fingerprint: String,
    seed: u64,
    scale: String,
    sizes: Vec<usize>,
    seeds: u64,
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> ConjectureError {
    ConjectureError::Store {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// `DIR/tasks`, created with its manifest, or checked against it when resuming.
fn open_store(
    dir: &Path,
    c: &Conjecture,
    options: &RunOptions,
    sizes: &[usize],
    seeds: u64,
) -> Result<PathBuf, ConjectureError> {
    let tasks = dir.join("tasks");
    std::fs::create_dir_all(&tasks).map_err(|e| store_error(&tasks, e))?;
    let manifest = Manifest {
        fingerprint: format!("{:016x}", c.fingerprint),
        seed: options.seed,
        scale: options.scale.name().into(),
        sizes: sizes.to_vec(),
        seeds,
    };
    let path = tasks.join("manifest.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let old: Manifest = serde_json::from_str(&text).map_err(|e| store_error(&path, e))?;
            if old != manifest {
                return Err(store_error(
                    &path,
                    "these results belong to another file, seed or scale; use another --out or delete it",
                ));
            }
        }
        Err(_) => {
            let text =
                serde_json::to_string_pretty(&manifest).map_err(|e| store_error(&path, e))?;
            landscape_reports::write_atomic(&path, text.as_bytes())
                .map_err(|e| store_error(&path, e))?;
        }
    }
    Ok(tasks)
}

fn task_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.json"))
}

fn read_task(dir: &Path, id: u64) -> Option<f64> {
    let text = std::fs::read_to_string(task_path(dir, id)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("value")?.as_f64()
}

fn write_task(dir: &Path, id: u64, value: f64) -> Result<(), ConjectureError> {
    let path = task_path(dir, id);
    // serde_json writes the shortest representation that reads back to the same f64.
    let text = serde_json::json!({ "value": value }).to_string();
    landscape_reports::write_atomic(&path, text.as_bytes()).map_err(|e| store_error(&path, e))
}
