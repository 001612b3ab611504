//! Runs one point of a sweep on the shared simulation experiments.

use serde_json::{Value, json};

use super::config::{Point, PointSpec};
use crate::simulation::{self, NetworkConfig, SpikeModel};

/// Runs `point` with its own seed and returns the experiment's result as JSON.
///
/// The result depends only on the point (its coordinates and seed), never on which worker, shard or order runs it.
pub fn run_point(point: &Point) -> Result<Value, String> {
    let value = match &point.spec {
        PointSpec::Esd { expr, n, method } => {
            let law = expr.build().map_err(|e| e.to_string())?;
            let result = simulation::esd(expr, law.as_ref(), *n, point.seed, *method)
                .map_err(|e| e.to_string())?;
            serde_json::to_value(result).map_err(|e| e.to_string())?
        }
        PointSpec::Spiked {
            model,
            n,
            ratio,
            spike,
            variance,
        } => {
            let prediction = match model {
                SpikeModel::Wishart => {
                    landscape_theory::SpikedCovariance::new(ratio.unwrap_or(1.0), *spike, *variance)
                        .map_err(|e| e.to_string())?
                        .predict()
                }
                SpikeModel::Wigner => landscape_theory::SpikedWigner::new(*spike, *variance)
                    .map_err(|e| e.to_string())?
                    .predict(),
            };
            let measured = simulation::spiked(
                *model,
                *n,
                ratio.unwrap_or(1.0),
                *spike,
                *variance,
                point.seed,
            )
            .map_err(|e| e.to_string())?;
            json!({
                "outlier": measured.outlier,
                "overlap_sq": measured.overlap_sq,
                "predicted": {
                    "threshold": prediction.threshold,
                    "detectable": prediction.detectable,
                    "outlier": prediction.outlier,
                    "overlap_sq": prediction.overlap_sq,
                },
            })
        }
        PointSpec::Network {
            widths,
            activation,
            loss,
            samples,
            operator,
        } => {
            let config = NetworkConfig {
                widths: widths.clone(),
                activation: activation.clone(),
                loss: loss.clone(),
                samples: *samples,
                seed: point.seed,
                operator: *operator,
            };
            let result = simulation::network(&config).map_err(|e| e.to_string())?;
            serde_json::to_value(result).map_err(|e| e.to_string())?
        }
        PointSpec::Command { .. } => {
            let line = point.spec.command_line(point.seed).unwrap_or_default();
            crate::cli::run_value(&line)?
        }
    };
    if let Some(path) = non_finite(&value, "") {
        return Err(format!("the result has a non-finite value at {path}"));
    }
    Ok(value)
}

/// The path of the first non-finite number (serde_json writes NaN as `null`, so it must be caught before).
fn non_finite(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Number(n) if n.as_f64().is_some_and(|v| !v.is_finite()) => Some(path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| non_finite(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| non_finite(v, &format!("{path}.{k}"))),
        _ => None,
    }
}
