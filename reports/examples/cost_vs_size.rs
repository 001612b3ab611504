//! Draws the cost of the curvature estimators against the number of parameters from the JSON that
//! `benches/cost_vs_size.py --json` writes: seconds per Hessian-vector product, seconds of the top-k eigenvalues
//! and peak resident memory, each on log–log axes with one point per model, the least-squares power law fitted to
//! the models with at least `MIN_FIT_PARAMS` parameters (below that, fixed per-operation costs dominate) and a
//! dashed line of slope 1 (cost proportional to P) through the data.
//!
//! ```text
//! cargo run -p landscape-reports --example cost_vs_size -- docs/figures/cost_vs_size.json docs/figures
//! ```
//!
//! Writes `cost_vs_size.svg` (top-k seconds), `cost_vs_size_product.svg` and `cost_vs_size_memory.svg`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use landscape_reports::figure::{Figure, Legend, PowerLawFit, ScalingFigure};
use serde::Deserialize;

/// Models below this many parameters are drawn but left out of the fit: their products take about a millisecond,
/// most of it libtorch's per-operation overhead, which does not grow with P.
const MIN_FIT_PARAMS: f64 = 1e5;

#[derive(Deserialize)]
struct Row {
    n_params: f64,
    cpu_s_per_product: f64,
    top_cpu_s: f64,
    peak_rss_bytes: f64,
}

#[derive(Deserialize)]
struct Measurements {
    samples: usize,
    threads: usize,
    top_k: usize,
    rows: Vec<Row>,
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(input), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: cost_vs_size MEASUREMENTS.json OUTPUT_DIR");
        return ExitCode::from(2);
    };
    match run(&input, &dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Least squares of ln y on ln x with the standard error of the slope; `None` for fewer than three points.
fn power_law(points: &[(f64, f64)]) -> Option<PowerLawFit> {
    if points.len() < 3 {
        return None;
    }
    let k = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0.ln()).sum::<f64>() / k;
    let mean_y = points.iter().map(|p| p.1.ln()).sum::<f64>() / k;
    let sxx: f64 = points.iter().map(|p| (p.0.ln() - mean_x).powi(2)).sum();
    let sxy: f64 = points
        .iter()
        .map(|p| (p.0.ln() - mean_x) * (p.1.ln() - mean_y))
        .sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let sse: f64 = points
        .iter()
        .map(|p| (p.1.ln() - intercept - slope * p.0.ln()).powi(2))
        .sum();
    let slope_se = (sse / (k - 2.0) / sxx).sqrt();
    Some(PowerLawFit {
        intercept,
        slope,
        slope_se,
    })
}

fn figure(title: String, y_label: &str, points: &[(f64, f64)]) -> Figure {
    // Only positive values can be drawn on a log axis: an estimator's time over the base run can come out at or
    // below zero for the smallest models, where it is within the start-up noise.
    let drawn: Vec<(f64, f64)> = points.iter().copied().filter(|p| p.1 > 0.0).collect();
    let fitted: Vec<(f64, f64)> = drawn
        .iter()
        .copied()
        .filter(|p| p.0 >= MIN_FIT_PARAMS)
        .collect();
    Figure::Scaling(ScalingFigure {
        title,
        x_label: "parameters P".to_string(),
        y_label: y_label.to_string(),
        n: drawn.iter().map(|p| p.0).collect(),
        error: drawn.iter().map(|p| p.1).collect(),
        error_bar: None,
        fit: power_law(&fitted),
        predicted_slope: Some(1.0),
        identity: false,
        legend: Legend::UpperLeft,
    })
}

fn run(input: &Path, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(input)
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let m: Measurements =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", input.display()))?;
    let setting = format!("{} samples, f32, {} thread(s)", m.samples, m.threads);
    let pick = |f: fn(&Row) -> f64| {
        m.rows
            .iter()
            .map(|r| (r.n_params, f(r)))
            .collect::<Vec<_>>()
    };
    let figures = [
        (
            "cost_vs_size.svg",
            figure(
                format!(
                    "Top-{} eigenvalues (Lanczos): CPU seconds, {setting}",
                    m.top_k
                ),
                "seconds",
                &pick(|r| r.top_cpu_s),
            ),
        ),
        (
            "cost_vs_size_product.svg",
            figure(
                format!("One Hessian-vector product: CPU seconds, {setting}"),
                "seconds per product",
                &pick(|r| r.cpu_s_per_product),
            ),
        ),
        (
            "cost_vs_size_memory.svg",
            figure(
                format!("Peak resident memory, {setting}"),
                "bytes",
                &pick(|r| r.peak_rss_bytes),
            ),
        ),
    ];
    for (name, figure) in figures {
        let path = dir.join(name);
        figure.write_svg(&path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
