//! The report's `conjectures` group: every file in `conjectures/` run at quick scale, with its figure, its section
//! and its row of the verdict table (the material comes from `landscape_experiments::conjecture::figures`, the
//! same code as `landscape conjecture check --out`).

use std::path::{Path, PathBuf};

use landscape_experiments::conjecture::{self, RunOptions, Scale, figures};
use landscape_reports::{Section, VerdictRow};

/// The group's material: rows for the verdict table, one section per conjecture, and the results for
/// `results.json`.
#[derive(Debug, Default)]
pub struct ConjectureGroup {
    /// Rows of the verdict table.
    pub rows: Vec<VerdictRow>,
    /// One section per conjecture.
    pub sections: Vec<Section>,
    /// Each file's result (or error) as JSON.
    pub results: Vec<serde_json::Value>,
    /// The files whose verdict is not their `expect`, or that failed: these fail the report.
    pub unexpected: Vec<String>,
}

/// The folder of shipped conjectures: `./conjectures` when run from a checkout, else the one beside the sources.
pub fn folder() -> PathBuf {
    let here = Path::new("conjectures");
    if here.is_dir() {
        here.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("conjectures")
    }
}

/// Runs every `*.toml` in `dir` at quick scale with `seed`; `log` receives one line per file.
pub fn run(dir: &Path, seed: u64, mut log: impl FnMut(&str)) -> ConjectureGroup {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let options = RunOptions {
        seed,
        scale: Scale::Quick,
        jobs: std::thread::available_parallelism().map_or(1, usize::from),
        store: None,
        shard: None,
    };
    let mut group = ConjectureGroup::default();
    for file in files {
        let name = file
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        match conjecture::check(&file, &options) {
            Ok(result) => {
                let verdict = result
                    .verdict
                    .map_or("incomplete", conjecture::Verdict::name);
                log(&format!("conjecture {name:<38} {verdict}"));
                if !result.as_expected() {
                    group.unexpected.push(name.clone());
                }
                group.rows.push(figures::verdict_row(&name, &result));
                group.sections.push(figures::section(&name, &result));
                group
                    .results
                    .push(serde_json::to_value(&result).unwrap_or(serde_json::Value::Null));
            }
            Err(e) => {
                log(&format!("conjecture {name:<38} ERROR: {e}"));
                group.unexpected.push(name.clone());
                group.rows.push(VerdictRow {
                    group: "conjectures".into(),
                    check: name.clone(),
                    prediction: "—".into(),
                    measurement: "—".into(),
                    control: e.to_string(),
                    verdict: landscape_reports::Verdict::Skipped,
                });
                group
                    .results
                    .push(serde_json::json!({ "file": file.display().to_string(), "error": e.to_string() }));
            }
        }
    }
    group
}
