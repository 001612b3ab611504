//! Setup shared by the checks: the error conversion and the small networks and data sets they train.

use landscape_empirical::native::NativeMlp;
use landscape_simulate::network::{
    Activation, Dataset, Loss, LossKind, Mlp, MlpConfig, Parameterization, Targets, data,
};
use landscape_simulate::rng::task_rng;

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
        && let Targets::Classes(labels) = &dataset.targets
    {
        let mut y = vec![0.0; labels.len() * 4];
        for (i, &c) in labels.iter().enumerate() {
            y[i * 4 + c] = 1.0;
        }
        dataset = Dataset::new(
            dataset.x.clone(),
            dataset.n,
            dataset.dim,
            Targets::Real(y, 4),
        )
        .map_err(err)?;
    }
    let params = mlp.init(&mut task_rng(seed, streams + 1 + init));
    Ok((NativeMlp::new(mlp, params, loss).map_err(err)?, dataset))
}
