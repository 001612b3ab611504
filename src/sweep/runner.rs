//! Runs the points of a sweep: skips finished ones, runs the rest on `jobs` threads, writes each atomically.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::config::{Point, SweepConfig};
use super::error::SweepError;
use super::experiment::run_point;
use super::shard::Shard;
use super::store::{FORMAT_VERSION, OutDir, PointRecord};

/// Settings of [`run`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads (≥ 1). Results do not depend on it.
    pub jobs: usize,
    /// The subset of points to run.
    pub shard: Shard,
    /// Delete another configuration's results in the output folder instead of refusing.
    pub force: bool,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The output folder.
    pub out: String,
    /// The experiment.
    pub experiment: String,
    /// The configuration's hash.
    pub config_hash: String,
    /// The shard, `I/N`.
    pub shard: String,
    /// Points in the whole sweep.
    pub total_points: usize,
    /// Points of this shard.
    pub shard_points: usize,
    /// Points of this shard already finished before this run (skipped).
    pub skipped: usize,
    /// Points run now.
    pub ran: usize,
    /// Points that failed.
    pub failed: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Progress reporting: a bar with ETA on a terminal, plain lines otherwise.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines { total: usize, done: AtomicUsize },
}

impl Progress {
    fn new(total: usize, bar: bool) -> Self {
        if bar && std::io::stderr().is_terminal() {
            let pb = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} points, ETA {eta} {msg}",
            ) {
                pb.set_style(style.progress_chars("=> "));
            }
            Progress::Bar(pb)
        } else {
            Progress::Lines {
                total,
                done: AtomicUsize::new(0),
            }
        }
    }

    fn point_done(&self, point: &Point, seconds: f64, error: Option<&str>) {
        match self {
            Progress::Bar(pb) => {
                if let Some(e) = error {
                    pb.println(format!("failed: {}: {e}", point.key));
                }
                pb.inc(1);
            }
            Progress::Lines { total, done } => {
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                match error {
                    None => eprintln!("[{k}/{total}] {} ({seconds:.2} s)", point.key),
                    Some(e) => eprintln!("[{k}/{total}] failed: {}: {e}", point.key),
                }
            }
        }
    }

    fn finish(&self) {
        if let Progress::Bar(pb) = self {
            pb.finish();
        }
    }
}

/// Runs the points of `config` owned by `options.shard` into `out`, resuming a previous run.
///
/// Finished points (a complete result file of this configuration) are skipped; every other point of the shard
/// is run, including those a killed run had started. Results are independent of `jobs`, the shard and the order.
pub fn run(
    config: &SweepConfig,
    out: &OutDir,
    options: &RunOptions,
) -> Result<RunSummary, SweepError> {
    if options.jobs == 0 {
        return Err(SweepError::Usage("--jobs: must be at least 1".into()));
    }
    let start = Instant::now();
    out.prepare(config, options.force)?;
    let hash = format!("{:016x}", config.hash);
    let mine: Vec<&Point> = config
        .points
        .iter()
        .filter(|p| options.shard.owns(p.index))
        .collect();
    let todo: Vec<&Point> = mine
        .iter()
        .copied()
        .filter(|p| out.finished(p, &hash).is_none())
        .collect();
    for p in &todo {
        out.remove_stale_temporaries(p);
    }
    let skipped = mine.len() - todo.len();
    if skipped > 0 {
        eprintln!(
            "resuming: {skipped} of {} points of shard {} already finished",
            mine.len(),
            options.shard
        );
    }
    let progress = Progress::new(todo.len(), options.progress);
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let write_error: Mutex<Option<SweepError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.min(todo.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(point) = todo.get(i) else { break };
                    let t0 = Instant::now();
                    match run_point(point) {
                        Ok(result) => {
                            let record = PointRecord {
                                format: FORMAT_VERSION,
                                config_hash: hash.clone(),
                                key: point.key.clone(),
                                seed: point.seed,
                                replicate: point.replicate,
                                coords: point
                                    .coords
                                    .iter()
                                    .map(|(k, v)| ((*k).to_string(), v.to_json()))
                                    .collect(),
                                result,
                            };
                            if let Err(e) = out.write_point(point, &record) {
                                // A full disk or a vanished folder stops the whole run.
                                let mut slot =
                                    write_error.lock().unwrap_or_else(|p| p.into_inner());
                                slot.get_or_insert(e);
                                next.store(todo.len(), Ordering::Relaxed);
                                break;
                            }
                            progress.point_done(point, t0.elapsed().as_secs_f64(), None);
                        }
                        Err(e) => {
                            progress.point_done(point, t0.elapsed().as_secs_f64(), Some(&e));
                            failures
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(format!("{}: {e}", point.key));
                        }
                    }
                }
            });
        }
    });
    progress.finish();
    if let Some(e) = write_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(first) = failures.first() {
        return Err(SweepError::PointsFailed {
            failed: failures.len(),
            total: todo.len(),
            first: first.clone(),
        });
    }
    Ok(RunSummary {
        out: out.root().display().to_string(),
        experiment: config.experiment.to_string(),
        config_hash: hash,
        shard: options.shard.to_string(),
        total_points: config.points.len(),
        shard_points: mine.len(),
        skipped,
        ran: todo.len(),
        failed: 0,
        seconds: start.elapsed().as_secs_f64(),
    })
}
