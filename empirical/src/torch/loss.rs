//! Losses as PyTorch defines them: `nn.CrossEntropyLoss` and `nn.MSELoss`, with `reduction="mean"` (the default)
//! or `"sum"`.

use super::torch_err;
use crate::EmpiricalError;
use tch::Tensor;

/// The per-sample loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// `ℓ(z, y) = −log softmax(z)_y` on logits `z` and a class label `y`.
    CrossEntropy,
    /// `ℓ(z, y) = Σ_j (z_j − y_j)²` on real targets.
    Mse,
}

/// How per-sample losses are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// PyTorch's default: cross-entropy averages over the `n` samples; MSE averages over all `n·d` output
    /// entries (so for `d > 1` it is the per-sample sum divided by `n·d`, exactly as `nn.MSELoss()`).
    Mean,
    /// The sum over samples (and output entries).
    Sum,
}

/// A loss with its reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objective {
    /// The per-sample loss.
    pub loss: Loss,
    /// Mean or sum.
    pub reduction: Reduction,
}

impl std::str::FromStr for Loss {
    type Err = EmpiricalError;

    /// `cross-entropy` (or `ce`) and `mse`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cross-entropy" | "cross_entropy" | "ce" => Ok(Self::CrossEntropy),
            "mse" => Ok(Self::Mse),
            _ => Err(EmpiricalError::invalid("loss", s, "cross-entropy or mse")),
        }
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let loss = match self.loss {
            Loss::CrossEntropy => "cross-entropy",
            Loss::Mse => "mse",
        };
        let reduction = match self.reduction {
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
        };
        write!(f, "{loss} ({reduction} over samples)")
    }
}

impl Objective {
    /// The mean-reduced loss (PyTorch's default).
    pub fn mean(loss: Loss) -> Self {
        Self {
            loss,
            reduction: Reduction::Mean,
        }
    }

    /// The scalar loss of `outputs` `[n, d]` against `targets` (`i64 [n]` labels or `f64 [n, d]` values).
    ///
    /// # Errors
    /// [`EmpiricalError::Torch`] when shapes or dtypes do not fit.
    pub fn eval(&self, outputs: &Tensor, targets: &Tensor) -> Result<Tensor, EmpiricalError> {
        let reduction = match self.reduction {
            Reduction::Mean => tch::Reduction::Mean,
            Reduction::Sum => tch::Reduction::Sum,
        };
        match self.loss {
            Loss::CrossEntropy => {
                outputs.f_cross_entropy_loss::<Tensor>(targets, None, reduction, -100, 0.0)
            }
            Loss::Mse => outputs.f_mse_loss(targets, reduction),
        }
        .map_err(torch_err)
    }
}
