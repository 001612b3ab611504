//! `landscape report`: run the checks, write `results.json`, figures, data and the PDF.
//!
//! Layout of the output folder:
//!
//! ```text
//! DIR/report.pdf          the document (written atomically: a killed run never leaves half a PDF)
//! DIR/results.json        every check with its numbers and verdict (schema below)
//! DIR/figures/*.svg       one file per figure, named after its check
//! DIR/data/*              each figure's data as JSON, CSV and .npy
//! ```
//!
//! `results.json` schema (version [`SCHEMA_VERSION`]; a change that removes or renames a field bumps it):
//!
//! ```text
//! { "schema_version": 1, "landscape_version": "0.1.0", "commit": "…", "seed": u64, "scale": "quick"|"full",
//!   "machine": {"os", "arch", "threads"}, "date": "YYYY-MM-DD",
//!   "summary": {"passed": n, "failed": n, "errors": n},
//!   "checks": [{"id", "group", "claim", "verdict": "pass"|"fail"|"error", "seconds",
//!               "measurement": {"value", "stderr", "method"}, "comparison": {"kind", …}, "tolerance_reason",
//!               "negative_control": {"prediction", "measurement", "comparison": {"kind", …}, "rejected"},
//!               "details": {…}, "figures": ["figures/ID_0.svg", …], "error": "…"}] }
//! ```
//!
//! `comparison.kind` is `within` (`prediction`, `tolerance`), `at_most` or `at_least` (`bound`) or `between`
//! (`low`, `high`). `negative_control` is a nearby wrong prediction judged by the check's own criterion: the
//! check has power against that error when `rejected` is true (every check's test requires it).
//!
//! ```text
//! ```

mod conjectures;
mod from_sweep;

pub use from_sweep::draw_sweep;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use landscape_reports::{Document, Section, Table, Verdict, VerdictRow, write_atomic, write_pdf};

use crate::checks::{Check, Context, Group, Outcome, Scale, fmt_num, registry};

/// Version of the `results.json` layout.
pub const SCHEMA_VERSION: u64 = 1;

/// What `landscape report` was asked to do.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Problem sizes.
    pub scale: Scale,
    /// Output folder.
    pub out: PathBuf,
    /// Only this group, if given.
    pub only: Option<Group>,
    /// Base seed.
    pub seed: u64,
}

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportRunError {
    /// Bad input (unwritable folder, incompatible results): exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Anything else: exit code 1.
    #[error("{0}")]
    Failure(String),
}

/// One check's entry in `results.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRecord {
    /// Check id.
    pub id: String,
    /// Group name.
    pub group: Group,
    /// The claim.
    pub claim: String,
    /// `pass`, `fail` or `error` (could not run).
    pub verdict: &'static str,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The outcome, when the check ran.
    #[serde(flatten)]
    pub outcome: Option<Outcome>,
    /// Figure files, relative to the output folder.
    pub figures: Vec<String>,
    /// Why the check could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of a report run.
#[derive(Debug)]
pub struct ReportSummary {
    /// Every check's record.
    pub records: Vec<CheckRecord>,
    /// Where the PDF is.
    pub pdf: PathBuf,
    /// How many conjecture files the report ran.
    pub conjectures: usize,
    /// The conjecture files whose verdict is not their `expect` (or that failed).
    pub conjectures_unexpected: Vec<String>,
}

impl ReportSummary {
    /// Whether every check passed and every conjecture got its expected verdict.
    pub fn all_passed(&self) -> bool {
        self.records.iter().all(|r| r.verdict == "pass") && self.conjectures_unexpected.is_empty()
    }
}

fn io_usage(what: &str, path: &Path, e: impl std::fmt::Display) -> ReportRunError {
    ReportRunError::Usage(format!("--out {}: cannot {what}: {e}", path.display()))
}

/// Checks that `dir` can hold a report: creatable, writable, and not holding results of an incompatible version.
pub fn prepare_output(dir: &Path) -> Result<(), ReportRunError> {
    if dir.exists() && !dir.is_dir() {
        return Err(ReportRunError::Usage(format!(
            "--out {}: exists and is not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir.join("figures"))
        .map_err(|e| io_usage("create the folder", dir, e))?;
    std::fs::create_dir_all(dir.join("data")).map_err(|e| io_usage("create the folder", dir, e))?;
    let probe = dir.join(".landscape-write-test");
    std::fs::write(&probe, b"ok").map_err(|e| io_usage("write", dir, e))?;
    let _ = std::fs::remove_file(&probe);
    let results = dir.join("results.json");
    if results.exists() {
        let text =
            std::fs::read_to_string(&results).map_err(|e| io_usage("read results.json", dir, e))?;
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("schema_version").and_then(|s| s.as_u64()));
        if version != Some(SCHEMA_VERSION) {
            return Err(ReportRunError::Usage(format!(
                "--out {}: holds results.json of an incompatible version (schema {}; this is {SCHEMA_VERSION}); \
                 choose another folder or remove it",
                dir.display(),
                version.map_or("unknown".to_string(), |v| v.to_string())
            )));
        }
    }
    Ok(())
}

/// Runs the selected checks and writes the report. `log` receives one line per check.
pub fn run(
    options: &ReportOptions,
    mut log: impl FnMut(&str),
) -> Result<ReportSummary, ReportRunError> {
    prepare_output(&options.out)?;
    let checks: Vec<Check> = registry()
        .into_iter()
        .filter(|c| options.only.is_none_or(|g| c.group == g))
        .collect();
    let ctx = Context {
        scale: options.scale,
        seed: options.seed,
    };
    let total = checks.len();
    let mut records = Vec::with_capacity(total);
    let mut figures_by_check = Vec::with_capacity(total);
    for (idx, check) in checks.iter().enumerate() {
        let start = Instant::now();
        // A check that panics is a bug; record it as an error rather than losing the whole report.
        let result = std::panic::catch_unwind(|| (check.run)(&ctx))
            .unwrap_or_else(|_| Err("the check panicked (a bug: please report it)".to_string()));
        let seconds = start.elapsed().as_secs_f64();
        let (verdict, outcome, error) = match result {
            Ok(outcome) => (
                if outcome.passed() { "pass" } else { "fail" },
                Some(outcome),
                None,
            ),
            Err(e) => ("error", None, Some(e)),
        };
        log(&format!(
            "[{}/{total}] {:<45} {:>5}  ({seconds:.1} s)",
            idx + 1,
            check.id,
            verdict.to_uppercase()
        ));
        let mut figure_files = Vec::new();
        let mut figures = Vec::new();
        if let Some(outcome) = &outcome {
            for (k, figure) in outcome.figures.iter().enumerate() {
                let stem = format!("{}_{k}", check.id.replace('.', "_"));
                let svg = options.out.join("figures").join(format!("{stem}.svg"));
                figure
                    .write_svg(&svg)
                    .map_err(|e| ReportRunError::Failure(e.to_string()))?;
                figure
                    .write_data(&options.out.join("data"), &stem)
                    .map_err(|e| ReportRunError::Failure(e.to_string()))?;
                figure_files.push(format!("figures/{stem}.svg"));
                figures.push(figure.clone());
            }
        }
        figures_by_check.push(figures);
        records.push(CheckRecord {
            id: check.id.to_string(),
            group: check.group,
            claim: check.claim.split_whitespace().collect::<Vec<_>>().join(" "),
            verdict,
            seconds,
            outcome,
            figures: figure_files,
            error,
        });
    }
    // The conjectures group (every file in conjectures/, quick scale) runs with the whole report, not with --only.
    let conjectures = if options.only.is_none() {
        conjectures::run(&conjectures::folder(), options.seed, &mut log)
    } else {
        conjectures::ConjectureGroup::default()
    };
    let date = today();
    let n_conjectures = conjectures.results.len();
    let results = json!({
        "schema_version": SCHEMA_VERSION,
        "landscape_version": env!("CARGO_PKG_VERSION"),
        "commit": landscape_experiments::GIT_COMMIT,
        "seed": options.seed,
        "scale": options.scale,
        "only": options.only.map(|g| g.name()),
        "machine": machine(),
        "date": date,
        "summary": {
            "passed": records.iter().filter(|r| r.verdict == "pass").count(),
            "failed": records.iter().filter(|r| r.verdict == "fail").count(),
            "errors": records.iter().filter(|r| r.verdict == "error").count(),
        },
        "checks": records,
        "conjectures": conjectures.results,
        "conjectures_unexpected": &conjectures.unexpected,
    });
    let text = serde_json::to_string_pretty(&results)
        .map_err(|e| ReportRunError::Failure(e.to_string()))?;
    write_atomic(&options.out.join("results.json"), text.as_bytes())
        .map_err(|e| ReportRunError::Failure(e.to_string()))?;
    let mut document = document(options, &records, &figures_by_check, &date);
    document.summary.extend(conjectures.rows);
    document.sections.extend(conjectures.sections);
    let pdf = options.out.join("report.pdf");
    write_pdf(&document, &pdf).map_err(|e| ReportRunError::Failure(e.to_string()))?;
    Ok(ReportSummary {
        records,
        pdf,
        conjectures: n_conjectures,
        conjectures_unexpected: conjectures.unexpected,
    })
}

fn machine() -> serde_json::Value {
    json!({
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    })
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, Hinnant's algorithm).
pub(crate) fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn verdict_of(record: &CheckRecord) -> Verdict {
    match record.verdict {
        "pass" => Verdict::Pass,
        "fail" => Verdict::Fail,
        _ => Verdict::Inconclusive,
    }
}

/// The control column: the statistic against the wrong prediction and whether it was rejected.
fn control_text(outcome: &Outcome) -> String {
    let control = &outcome.negative_control;
    format!(
        "{}: {}",
        short_num(control.measurement),
        if control.rejected {
            "rejected"
        } else {
            "NOT rejected"
        }
    )
}

/// A number with 3 significant digits, for the one-line summary.
fn short_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.2e}")
    }
}

fn measured_text(outcome: &Outcome) -> String {
    match outcome.measurement.stderr {
        Some(se) => format!("{} ± {}", fmt_num(outcome.measurement.value), fmt_num(se)),
        None => fmt_num(outcome.measurement.value),
    }
}

fn document(
    options: &ReportOptions,
    records: &[CheckRecord],
    figures: &[Vec<landscape_reports::Figure>],
    date: &str,
) -> Document {
    let m = machine();
    let meta = vec![
        ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        (
            "commit".to_string(),
            landscape_experiments::GIT_COMMIT.to_string(),
        ),
        ("seed".to_string(), options.seed.to_string()),
        (
            "scale".to_string(),
            format!("{:?}", options.scale).to_lowercase(),
        ),
        (
            "machine".to_string(),
            format!("{} {}, {} threads", m["os"], m["arch"], m["threads"]).replace('"', ""),
        ),
        ("date".to_string(), date.to_string()),
    ];
    let summary = records
        .iter()
        .map(|r| VerdictRow {
            group: r.group.name().to_string(),
            check: r.id.clone(),
            prediction: r
                .outcome
                .as_ref()
                .map_or("—".into(), |o| o.comparison.describe()),
            measurement: r.outcome.as_ref().map_or("—".into(), measured_text),
            control: r.outcome.as_ref().map_or("—".into(), control_text),
            verdict: verdict_of(r),
        })
        .collect();
    let mut sections = Vec::new();
    for group in Group::ALL {
        let members: Vec<usize> = (0..records.len())
            .filter(|&i| records[i].group == group)
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut paragraphs = Vec::new();
        let mut rows = Vec::new();
        let mut section_figures = Vec::new();
        for &i in &members {
            let r = &records[i];
            match &r.outcome {
                Some(o) => {
                    let control = &o.negative_control;
                    paragraphs.push(format!(
                        "{} — {}. Measured {} ({}); required {}. Tolerance: {}. Negative control: {}; measured {}, \
                         required {}: {}. Verdict: {}.",
                        r.id,
                        r.claim.trim_end_matches('.'),
                        measured_text(o),
                        o.measurement.method,
                        o.comparison.describe(),
                        o.tolerance_reason,
                        control.prediction,
                        fmt_num(control.measurement),
                        control.comparison.describe(),
                        if control.rejected {
                            "rejected"
                        } else {
                            "NOT rejected (the check has no power against it)"
                        },
                        r.verdict.to_uppercase()
                    ));
                    rows.push(vec![
                        r.id.clone(),
                        measured_text(o),
                        o.comparison.describe(),
                        control_text(o),
                        r.verdict.to_uppercase(),
                    ]);
                }
                None => {
                    paragraphs.push(format!(
                        "{} — {}. Could not run: {}.",
                        r.id,
                        r.claim,
                        r.error.clone().unwrap_or_default()
                    ));
                    rows.push(vec![
                        r.id.clone(),
                        "—".into(),
                        "—".into(),
                        "—".into(),
                        "ERROR".into(),
                    ]);
                }
            }
            section_figures.extend(figures[i].iter().cloned());
        }
        sections.push(Section {
            title: group.title().to_string(),
            paragraphs,
            tables: vec![Table {
                caption: format!("{} checks", group.name()),
                header: vec![
                    "check".into(),
                    "measured".into(),
                    "required".into(),
                    "control".into(),
                    "verdict".into(),
                ],
                rows,
            }],
            figures: section_figures,
        });
    }
    Document {
        title: "landscape verification report".to_string(),
        meta,
        summary,
        sections,
    }
}
