//! Gathers a sweep's point results into one table: `results.csv`, `results.json` and `results.npy`.
//!
//! Rows follow the grid order of the configuration stored in the manifest, so the table does not depend on
//! sharding, the number of jobs or the order points finished in. Columns: `index`, `replicate`, `seed`, the
//! coordinates, then every scalar of the result flattened with dots (`predicted.outlier`), and numeric arrays of
//! at most [`MAX_FLAT_ARRAY`] entries as `name.0`, `name.1`, …; longer arrays (spectra, densities) are only in
//! `results.json`. `results.npy` is a `(rows, columns)` float64 array (the reports crate's writer) of the columns
//! whose values are all numbers exactly representable as f64, named in order by `npy_columns` in `results.json`
//! (missing values are NaN).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::config;
use super::error::SweepError;
use super::store::{OutDir, PointRecord, write_atomic};

/// Longest numeric array flattened into table columns.
pub const MAX_FLAT_ARRAY: usize = 10;

/// Largest integer every f64 holds exactly (2⁵³).
const F64_EXACT_INT: u64 = 1 << 53;

/// What a merge wrote.
#[derive(Debug, Clone, Serialize)]
pub struct MergeSummary {
    /// The output folder.
    pub out: String,
    /// Rows written.
    pub rows: usize,
    /// Points of the sweep.
    pub total_points: usize,
    /// Points without a result (only with `partial`).
    pub missing: usize,
    /// Table columns (CSV).
    pub columns: Vec<String>,
    /// Columns in the `.npy` file.
    pub npy_columns: Vec<String>,
    /// Files written.
    pub files: Vec<String>,
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, v, out);
            }
        }
        Value::Array(items) => {
            if items.len() <= MAX_FLAT_ARRAY && items.iter().all(Value::is_number) {
                for (i, v) in items.iter().enumerate() {
                    out.push((format!("{prefix}.{i}"), v.clone()));
                }
            }
        }
        Value::Null => {}
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn csv_field(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.clone()
            }
        }
        Some(v) => v.to_string(),
    }
}

fn exact_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                (u <= F64_EXACT_INT).then_some(u as f64)
            } else if let Some(i) = n.as_i64() {
                (i.unsigned_abs() <= F64_EXACT_INT).then_some(i as f64)
            } else {
                n.as_f64()
            }
        }
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Merges the results in `dir` into `results.{csv,json,npy}` there.
///
/// Missing points are an error (exit code 1) naming how many and the first, unless `partial`.
pub fn merge(dir: &Path, partial: bool) -> Result<MergeSummary, SweepError> {
    let out = OutDir::new(dir);
    let manifest = out.read_manifest()?.ok_or_else(|| {
        SweepError::Usage(format!(
            "{}: no manifest.json; not a sweep output folder (run `landscape sweep run CONFIG --out {}` first)",
            dir.display(),
            dir.display()
        ))
    })?;
    let config_path = Path::new(&manifest.config_file);
    let config = config::parse(config_path, &manifest.config_text)?;
    let hash = format!("{:016x}", config.hash);
    if hash != manifest.config_hash {
        return Err(SweepError::Failure(format!(
            "{}: the stored configuration hashes to {hash}, the manifest says {}; written by another version?",
            dir.display(),
            manifest.config_hash
        )));
    }
    let mut records: Vec<(usize, PointRecord)> = Vec::new();
    let mut missing = Vec::new();
    for point in &config.points {
        match out.finished(point, &hash) {
            Some(r) => records.push((point.index, r)),
            None => missing.push(point.key.clone()),
        }
    }
    if !missing.is_empty() && !partial {
        return Err(SweepError::Failure(format!(
            "{} of {} points have no result (first: {}); finish the sweep (rerun `landscape sweep run`) or pass --partial",
            missing.len(),
            config.points.len(),
            missing[0]
        )));
    }
    // Columns, in first-seen order over the rows (grid order), so the layout is deterministic.
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<BTreeMap<String, Value>> = Vec::new();
    for (index, r) in &records {
        let mut cells = vec![
            ("index".to_string(), json!(index)),
            ("replicate".to_string(), json!(r.replicate)),
            ("seed".to_string(), json!(r.seed)),
        ];
        for (k, v) in &r.coords {
            match v {
                Value::Array(_) => cells.push((k.clone(), Value::String(v.to_string()))),
                other => cells.push((k.clone(), other.clone())),
            }
        }
        let mut result_cells = Vec::new();
        flatten("", &r.result, &mut result_cells);
        for (name, value) in result_cells {
            // A result echoing a coordinate (`n`, `seed`) keeps both, the result's under `result.`.
            if cells.iter().any(|(c, _)| *c == name) {
                cells.push((format!("result.{name}"), value));
            } else {
                cells.push((name, value));
            }
        }
        for (name, _) in &cells {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
        rows.push(cells.into_iter().collect());
    }
    let mut csv = columns
        .iter()
        .map(|c| csv_field(Some(&Value::String(c.clone()))))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for row in &rows {
        let line: Vec<String> = columns.iter().map(|c| csv_field(row.get(c))).collect();
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    let npy_columns: Vec<String> = columns
        .iter()
        .filter(|c| {
            rows.iter()
                .all(|r| r.get(*c).is_none_or(|v| exact_f64(v).is_some()))
        })
        .cloned()
        .collect();
    let npy_rows: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            npy_columns
                .iter()
                .map(|c| r.get(c).and_then(exact_f64).unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let points: Vec<Value> = records
        .iter()
        .map(|(index, r)| {
            let mut m = Map::new();
            m.insert("index".into(), json!(index));
            m.insert("key".into(), json!(r.key));
            m.insert("seed".into(), json!(r.seed));
            m.insert("replicate".into(), json!(r.replicate));
            m.insert("coords".into(), Value::Object(r.coords.clone()));
            m.insert("result".into(), r.result.clone());
            Value::Object(m)
        })
        .collect();
    let document = json!({
        "experiment": config.experiment,
        "config_hash": hash,
        "seed": config.seed,
        "total_points": config.points.len(),
        "missing": missing,
        "columns": columns,
        "npy_columns": npy_columns,
        "points": points,
    });
    let json_text =
        serde_json::to_string_pretty(&document).map_err(|e| SweepError::Failure(e.to_string()))?;
    let files = [
        ("results.csv", csv.into_bytes()),
        ("results.json", json_text.into_bytes()),
        (
            "results.npy",
            landscape_reports::data::npy_f64(
                &[npy_rows.len(), npy_columns.len()],
                &npy_rows.concat(),
            ),
        ),
    ];
    let mut written = Vec::new();
    for (name, bytes) in &files {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        written.push(path.display().to_string());
    }
    Ok(MergeSummary {
        out: dir.display().to_string(),
        rows: rows.len(),
        total_points: config.points.len(),
        missing: missing.len(),
        columns,
        npy_columns,
        files: written,
    })
}
