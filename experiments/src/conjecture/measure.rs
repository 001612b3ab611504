//! One task of a conjecture: sample the named ensemble at one size with one seed and compute the statistic.

use landscape_simulate::SimulateError;
use landscape_simulate::dense;
use landscape_simulate::distance::WeightedSpectrum;
use landscape_simulate::ensembles::{Ensemble, SpikedCovariance, SpikedWigner, squared_overlap};
use landscape_simulate::rng;

use super::network::{self, Need};
use super::schema::{EnsembleSpec, GridPoint, Reference, Statistic};
use crate::compare;
use crate::simulation::ntk_eigenvalues;

/// `[d0·n, width·n, 1]`, the layer widths of the Fan–Wang network at n samples.
///
/// # Errors
/// A ratio giving a width below 1 or above 1e5.
pub fn fan_wang_widths(n: usize, d0: f64, width: f64) -> Result<Vec<usize>, SimulateError> {
    let size = |name: &'static str, r: f64| {
        let d = (r * n as f64).round();
        if (1.0..=1e5).contains(&d) {
            Ok(d as usize)
        } else {
            Err(SimulateError::invalid(
                name,
                r,
                format!("a ratio giving a width in 1..=1e5 at n = {n}"),
            ))
        }
    };
    Ok(vec![size("d0", d0)?, size("width", width)?, 1])
}

/// An ensemble and, for spiked models, its planted direction.
pub type PlantedEnsemble = (Box<dyn Ensemble>, Option<Vec<f64>>);

/// The ensemble of `spec` at matrix side `n`, with its planted direction for spiked models.
///
/// # Errors
/// Parameters the ensemble rejects at this size (the file reader calls this for every size before sampling).
pub fn build(spec: &EnsembleSpec, n: usize) -> Result<PlantedEnsemble, SimulateError> {
    Ok(match spec {
        EnsembleSpec::FanWangNtk { .. } | EnsembleSpec::Network(_) => {
            return Err(SimulateError::invalid(
                "ensemble",
                "fan_wang_ntk or a network",
                "a matrix ensemble (internal)",
            ));
        }
        EnsembleSpec::Law(expr) => (compare::ensemble_for(expr, n)?, None),
        EnsembleSpec::SpikedCovariance {
            ratio,
            spike,
            variance,
        } => {
            if !(ratio.is_finite() && *ratio > 0.0) {
                return Err(SimulateError::invalid(
                    "ratio",
                    ratio,
                    "a finite number > 0",
                ));
            }
            let samples = (n as f64 / ratio).round();
            if !(2.0..=1e7).contains(&samples) {
                return Err(SimulateError::invalid(
                    "ratio",
                    ratio,
                    format!("a ratio for which n/ratio = {samples} samples is between 2 and 1e7"),
                ));
            }
            let e = SpikedCovariance::new(n, samples as usize, *spike, *variance)?;
            let u = e.direction().to_vec();
            (Box::new(e) as Box<dyn Ensemble>, Some(u))
        }
        EnsembleSpec::SpikedWigner { spike, variance } => {
            let e = SpikedWigner::new(n, *spike, *variance)?;
            let u = e.direction().to_vec();
            (Box::new(e) as Box<dyn Ensemble>, Some(u))
        }
    })
}

/// Samples `point`'s ensemble at size `n` with the generator of task `task` of a run seeded with `seed`, and
/// returns the statistic. Cost: one dense symmetric
/// eigendecomposition, O(n³).
///
/// # Errors
/// The ensemble's or the eigensolver's errors, or a threshold that is not a finite number at this point.
pub fn sample(point: &GridPoint, n: usize, seed: u64, task: u64) -> Result<f64, SimulateError> {
    let mut args = point.values.clone();
    args.push(n as f64);
    let threshold = |t: &super::arith::Arith| {
        let v = t.eval(&args);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(SimulateError::invalid(
                "statistic threshold",
                t,
                "an expression finite at every grid point",
            ))
        }
    };
    let mut rng = rng::task_rng(seed, task);
    let (values, matrix_and_direction) = match &point.ensemble {
        EnsembleSpec::FanWangNtk {
            d0,
            width,
            activation,
        } => {
            let widths = fan_wang_widths(n, *d0, *width)?;
            let values = ntk_eigenvalues(&widths, activation, n, rng::derive_seed(seed, task))?;
            (Some(values), None)
        }
        EnsembleSpec::Network(net) => {
            let need = network::need(&point.statistic);
            let values = net.spectrum(n, rng::derive_seed(seed, task), need)?;
            match need {
                Need::Top(k) => return Ok(values[k - 1]),
                Need::Bottom => return Ok(values[0]),
                Need::All => (Some(values), None),
            }
        }
        spec => {
            let (ensemble, direction) = build(spec, n)?;
            (None, Some((ensemble.sample(&mut rng), direction)))
        }
    };
    if point.statistic == Statistic::TopOverlap {
        let Some((matrix, direction)) = matrix_and_direction else {
            return Err(SimulateError::invalid(
                "statistic",
                "top_overlap",
                "a spiked ensemble",
            ));
        };
        let (values, vectors) = dense::eigen(&matrix)?;
        let top: Vec<f64> = vectors.col(values.len() - 1).iter().copied().collect();
        let u = direction.ok_or_else(|| {
            SimulateError::invalid("statistic", "top_overlap", "a spiked ensemble")
        })?;
        return squared_overlap(&top, &u);
    }
    let values = match (values, matrix_and_direction) {
        (Some(values), _) => values,
        (None, Some((matrix, _))) => dense::eigenvalues(&matrix)?,
        (None, None) => unreachable!("one of the two is sampled"),
    };
    let len = values.len() as f64;
    Ok(match &point.statistic {
        Statistic::LambdaMax => values[values.len() - 1],
        Statistic::LambdaMin => values[0],
        Statistic::Lambda(k) => {
            if *k > values.len() {
                return Err(SimulateError::invalid(
                    "lambda(K)",
                    k,
                    format!("K ≤ n = {}", values.len()),
                ));
            }
            values[values.len() - k]
        }
        Statistic::FractionBelow(t) => {
            let t = threshold(t)?;
            values.iter().filter(|v| **v < t).count() as f64 / len
        }
        Statistic::FractionAbove(t) => {
            let t = threshold(t)?;
            values.iter().filter(|v| **v > t).count() as f64 / len
        }
        Statistic::OutliersAbove(t) => {
            let t = threshold(t)?;
            values.iter().filter(|v| **v > t).count() as f64
        }
        Statistic::Moment(k) => values.iter().map(|v| v.powi(*k as i32)).sum::<f64>() / len,
        Statistic::Trace => values.iter().sum(),
        Statistic::Ks | Statistic::W1 => {
            let spectrum = WeightedSpectrum::from_eigenvalues(&values)?;
            match &point.reference {
                Reference::Law(law) => {
                    let d = compare::distances(&spectrum, law.as_ref())?;
                    if point.statistic == Statistic::Ks {
                        d.ks
                    } else {
                        d.w1
                    }
                }
                Reference::Density(density) => {
                    let cdf = |x: f64| density.cdf(x);
                    if point.statistic == Statistic::Ks {
                        landscape_simulate::distance::ks_distance(&spectrum, &cdf, &[])?
                    } else {
                        let lo = density.lo.min(values[0]);
                        let hi = density.hi.max(values[values.len() - 1]);
                        landscape_simulate::distance::wasserstein1(&spectrum, &cdf, &[], (lo, hi))?
                    }
                }
                Reference::None | Reference::Invalid(_) => {
                    return Err(SimulateError::invalid(
                        "statistic",
                        "ks/w1",
                        "a law or a valid density",
                    ));
                }
            }
        }
        Statistic::TopOverlap => unreachable!("handled above with the eigenvectors"),
    })
}

/// The prediction for `point` at size `n`: the file's value, or what the law says of the statistic, or 0 for
/// distances. `None` if the expression is not a finite number here.
pub fn prediction(point: &GridPoint, n: usize) -> Option<f64> {
    if point.statistic.is_distance() {
        return Some(0.0);
    }
    let mut args = point.values.clone();
    args.push(n as f64);
    let v = match (&point.value, &point.reference) {
        (Some(v), _) => v.eval(&args),
        (None, Reference::Law(law)) => match &point.statistic {
            Statistic::FractionBelow(t) => law.cdf(t.eval(&args)),
            Statistic::FractionAbove(t) => 1.0 - law.cdf(t.eval(&args)),
            Statistic::LambdaMax => law.support().upper_edge()?,
            Statistic::LambdaMin => law.support().lower_edge()?,
            Statistic::Moment(k) => law.moment(*k),
            _ => return None,
        },
        _ => return None,
    };
    v.is_finite().then_some(v)
}
