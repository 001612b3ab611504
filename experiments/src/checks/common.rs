//! Setup shared by the checks: the error conversion and the small networks and data sets they train.

use landscape_empirical::native::NativeMlp;
use landscape_simulate::network::{
    Activation, Dataset, Loss, LossKind, Mlp, MlpConfig, Parameterization, Targets, data,
};
use landscape_simulate::rng::task_rng;
use landscape_theory::SpectralLaw;

use crate::compare::eigenvalue_distances;

use super::CheckError;

/// Any error as a check's error message.
pub(super) fn err(e: impl std::fmt::Display) -> CheckError {
    e.to_string()
}

/// A tanh MLP with layer widths `widths` (input first), biases and PyTorch's default initialization.
pub(super) fn tanh_mlp(widths: Vec<usize>) -> Result<Mlp, CheckError> {
    Mlp::new(MlpConfig {
        widths,
        activation: Activation::Tanh,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })
    .map_err(err)
}

/// A 16-32-4 tanh MLP on a 4-class Gaussian mixture (16 dimensions, 400 samples, separation 0.7) with `loss`; MSE
/// regresses one-hot targets. The data are drawn from stream `streams` of `seed`, the initial parameters from
/// stream `streams + 1 + init` (so `init` = 0, 1, … give independent initializations on the same data).
pub(super) fn mixture_problem(
    seed: u64,
    streams: u64,
    init: u64,
    loss: Loss,
) -> Result<(NativeMlp, Dataset), CheckError> {
    let mlp = tanh_mlp(vec![16, 32, 4])?;
    let mut dataset =
        data::gaussian_mixture(4, 16, 400, 0.7, &mut task_rng(seed, streams)).map_err(err)?;
    if matches!(loss.kind(), LossKind::Mse)
        && let Targets::Classes { labels, .. } = dataset.targets()
    {
        let mut y = vec![0.0; labels.len() * 4];
        for (i, &c) in labels.iter().enumerate() {
            y[i * 4 + c] = 1.0;
        }
        dataset = dataset
            .with_targets(Targets::Values { values: y, dim: 4 })
            .map_err(err)?;
    }
    let params = mlp.init(&mut task_rng(seed, streams + 1 + init));
    Ok((NativeMlp::new(mlp, params, loss).map_err(err)?, dataset))
}

/// The KS distance of `values` from `law` with its scale moved, λ ↦ `factor`·λ (the law of `factor`·X): the
/// KS distance of `values / factor` from `law`. The negative control of the spectral-law checks.
pub(super) fn ks_against_scaled(
    values: &[f64],
    law: &dyn SpectralLaw,
    factor: f64,
) -> Result<f64, CheckError> {
    let scaled: Vec<f64> = values.iter().map(|v| v / factor).collect();
    Ok(eigenvalue_distances(&scaled, law).map_err(err)?.ks)
}

/// The Kolmogorov–Smirnov statistic `sup |F_m − F|` of `sample` against the cdf `cdf`.
pub(super) fn ks_statistic(sample: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let m = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / m).max((i + 1) as f64 / m - f)
        })
        .fold(0.0, f64::max)
}

/// The critical value of the one-sample KS test at level `alpha` for `m` samples from the
/// Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant, `P(sup|F_m − F| > ε) ≤ 2e^{−2mε²}`:
/// `ε = √(ln(2/α)/(2m))`. Valid at every `m`, and conservative (the asymptotic Kolmogorov value is smaller by
/// about 1%).
pub(super) fn dkw_critical_value(m: usize, alpha: f64) -> f64 {
    ((2.0 / alpha).ln() / (2.0 * m as f64)).sqrt()
}
