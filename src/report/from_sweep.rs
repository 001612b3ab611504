//! `landscape report --from DIR`: draw the merged results of a sweep (`landscape sweep merge DIR`).

use std::collections::BTreeMap;
use std::path::Path;

use landscape_reports::{Document, Figure, Section, Table, write_atomic, write_pdf};
use landscape_simulate::scaling::{ScalingPoint, fit_power_law};

use super::{ReportRunError, prepare_output, today};
use crate::checks::fmt_num;

/// Reads `sweep_dir/results.json` and writes `out/report.pdf`, `out/figures/*.svg` and `out/data/*`.
///
/// For `simulate.esd` sweeps each (law, method) gets a finite-size scaling figure: the mean KS distance over
/// replicates against n, with one standard deviation as error bars and the weighted power-law fit. Every sweep
/// gets a table of its points.
pub fn draw_sweep(sweep_dir: &Path, out: &Path) -> Result<std::path::PathBuf, ReportRunError> {
    let path = sweep_dir.join("results.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ReportRunError::Usage(format!(
            "--from {}: cannot read results.json ({e}); run `landscape sweep merge {}` first",
            sweep_dir.display(),
            sweep_dir.display()
        ))
    })?;
    let merged: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        ReportRunError::Usage(format!(
            "--from {}: results.json is not a merged sweep: {e}",
            sweep_dir.display()
        ))
    })?;
    let (Some(experiment), Some(points)) =
        (merged["experiment"].as_str(), merged["points"].as_array())
    else {
        return Err(ReportRunError::Usage(format!(
            "--from {}: results.json is not a merged sweep (no `experiment` and `points`)",
            sweep_dir.display()
        )));
    };
    prepare_output(out)?;
    let mut figures = Vec::new();
    let mut paragraphs = vec![format!(
        "Experiment {experiment}, config hash {}, base seed {}, {} points ({} missing).",
        merged["config_hash"].as_str().unwrap_or("?"),
        merged["seed"],
        points.len(),
        merged["missing"].as_array().map_or(0, Vec::len)
    )];
    if experiment == "simulate.esd" {
        // (law, method) → n → KS over replicates.
        let mut groups: BTreeMap<(String, String), BTreeMap<u64, Vec<f64>>> = BTreeMap::new();
        for p in points {
            let coords = &p["coords"];
            let (Some(law), Some(n), Some(ks)) = (
                coords["law"].as_str(),
                coords["n"].as_u64(),
                p["result"]["ks"].as_f64(),
            ) else {
                continue;
            };
            let method = coords["method"].as_str().unwrap_or("dense").to_string();
            groups
                .entry((law.to_string(), method))
                .or_default()
                .entry(n)
                .or_default()
                .push(ks);
        }
        for ((law, method), by_n) in &groups {
            let mut n = Vec::new();
            let mut mean = Vec::new();
            let mut sd = Vec::new();
            let mut fit_points = Vec::new();
            for (&size, ks) in by_n {
                let m = ks.iter().sum::<f64>() / ks.len() as f64;
                let s = if ks.len() > 1 {
                    (ks.iter().map(|k| (k - m).powi(2)).sum::<f64>() / (ks.len() - 1) as f64).sqrt()
                } else {
                    0.0
                };
                n.push(size as f64);
                mean.push(m);
                sd.push(s);
                fit_points.push(ScalingPoint {
                    n: size as f64,
                    mean_error: m,
                    sd: s.max(m * 1e-3),
                    n_seeds: ks.len(),
                });
            }
            let fit = fit_power_law(&fit_points).ok();
            if let Some(fit) = &fit {
                paragraphs.push(format!(
                    "{law} ({method}): KS ≈ C·n^(−b) with b = {} ± {} (weighted least squares over {} sizes).",
                    fmt_num(fit.exponent),
                    fmt_num(fit.exponent_std_error),
                    n.len()
                ));
            }
            if n.len() >= 2 {
                figures.push(crate::checks::figures::scaling(
                    &format!("{law} ({method}): KS distance against n"),
                    &n,
                    &mean,
                    &sd,
                    fit.map_or((0.0, 0.0, 0.0), |f| {
                        (f.log_prefactor, -f.exponent, f.exponent_std_error)
                    }),
                ));
            }
        }
    }
    let columns: Vec<String> = merged["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let shown: Vec<String> = columns
        .iter()
        .filter(|c| !c.contains('.') && *c != "seed")
        .cloned()
        .collect();
    let rows = points
        .iter()
        .map(|p| {
            shown
                .iter()
                .map(|c| {
                    let v = if p["coords"].get(c).is_some() {
                        &p["coords"][c]
                    } else if p.get(c).is_some() {
                        &p[c]
                    } else {
                        &p["result"][c]
                    };
                    match v {
                        serde_json::Value::Number(x) => x.as_f64().map_or(x.to_string(), fmt_num),
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "—".into(),
                        other => other.to_string(),
                    }
                })
                .collect()
        })
        .collect();
    for (k, figure) in figures.iter().enumerate() {
        let stem = format!("sweep_{k}");
        let write = |f: &Figure| -> Result<(), landscape_reports::ReportError> {
            f.write_svg(&out.join("figures").join(format!("{stem}.svg")))?;
            f.write_data(&out.join("data"), &stem).map(|_| ())
        };
        write(figure).map_err(|e| ReportRunError::Failure(e.to_string()))?;
    }
    let document = Document {
        title: "landscape sweep report".into(),
        meta: vec![
            ("version".into(), env!("CARGO_PKG_VERSION").into()),
            ("commit".into(), landscape_experiments::GIT_COMMIT.into()),
            ("sweep".into(), sweep_dir.display().to_string()),
            ("experiment".into(), experiment.into()),
            ("seed".into(), merged["seed"].to_string()),
            ("date".into(), today()),
        ],
        summary: Vec::new(),
        sections: vec![Section {
            title: format!("Sweep {experiment}"),
            paragraphs,
            tables: vec![Table {
                caption: "points".into(),
                header: shown,
                rows,
            }],
            figures,
        }],
    };
    let pdf = out.join("report.pdf");
    write_pdf(&document, &pdf).map_err(|e| ReportRunError::Failure(e.to_string()))?;
    write_atomic(&out.join("sweep.json"), text.as_bytes())
        .map_err(|e| ReportRunError::Failure(e.to_string()))?;
    Ok(pdf)
}
