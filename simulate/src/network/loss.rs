//! Losses of the network outputs: value, gradient and Hessian with respect to the outputs.
//!
//! Every loss here is `ℒ = c · Σ_α ℓ(f_α, y_α)` with a per-sample loss `ℓ` and a constant `c` fixed by the
//! [`Reduction`]:
//!
//! | loss | per-sample `ℓ` | [`Reduction::Mean`] (PyTorch default) | [`Reduction::Sum`] | [`Reduction::HalfMeanOverSamples`] |
//! |---|---|---|---|---|
//! | MSE | `‖f_α − y_α‖²` | `c = 1/(n k)` (`nn.MSELoss()`, mean over samples *and* outputs) | `c = 1` | `c = 1/(2n)` (`docs/theory.md` §A1.11) |
//! | cross-entropy | `logsumexp(f_α) − f_{α,y_α}` | `c = 1/n` (`nn.CrossEntropyLoss()`) | `c = 1` | not defined |
//!
//! The output Hessian of sample α is `c·2 I_k` for MSE and `c·(diag p_α − p_α p_αᵀ)` for cross-entropy, with
//! `p_α = softmax(f_α)`; the latter is PSD with rank `k − 1` (its null space is spanned by the all-ones vector).

use super::data::Targets;
use crate::SimulateError;

/// Which loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LossKind {
    /// Squared error against real targets.
    #[default]
    Mse,
    /// Softmax cross-entropy against class labels.
    CrossEntropy,
}

/// How per-sample losses are combined; see the module table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reduction {
    /// PyTorch's default `reduction='mean'`.
    #[default]
    Mean,
    /// PyTorch's `reduction='sum'`.
    Sum,
    /// `(1/2n) Σ_α ‖f_α − y_α‖²`, the convention of `docs/theory.md` §A1.11 (MSE only), for which `G = JᵀJ/n`.
    HalfMeanOverSamples,
}

impl LossKind {
    /// The CLI name: `mse` or `cross-entropy`.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Mse => "mse",
            LossKind::CrossEntropy => "cross-entropy",
        }
    }
}

impl std::fmt::Display for LossKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for LossKind {
    type Err = SimulateError;

    /// Parses `mse`, `cross-entropy` (also `ce`, `xent`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mse" => Ok(LossKind::Mse),
            "cross-entropy" | "cross_entropy" | "crossentropy" | "ce" | "xent" => {
                Ok(LossKind::CrossEntropy)
            }
            _ => Err(SimulateError::invalid(
                "loss",
                s,
                "one of mse, cross-entropy",
            )),
        }
    }
}

impl Reduction {
    /// The CLI name: `mean`, `sum` or `half-mean`.
    pub fn name(self) -> &'static str {
        match self {
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
            Reduction::HalfMeanOverSamples => "half-mean",
        }
    }
}

impl std::fmt::Display for Reduction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Reduction {
    type Err = SimulateError;

    /// Parses `mean`, `sum` or `half-mean`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            "half-mean" | "half_mean" => Ok(Reduction::HalfMeanOverSamples),
            _ => Err(SimulateError::invalid(
                "reduction",
                s,
                "one of mean, sum, half-mean",
            )),
        }
    }
}

/// A loss with its reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Loss {
    kind: LossKind,
    reduction: Reduction,
}

impl Loss {
    /// Combines a kind and a reduction; cross-entropy with [`Reduction::HalfMeanOverSamples`] is rejected.
    pub fn new(kind: LossKind, reduction: Reduction) -> Result<Self, SimulateError> {
        if kind == LossKind::CrossEntropy && reduction == Reduction::HalfMeanOverSamples {
            return Err(SimulateError::invalid(
                "reduction",
                "half-mean",
                "mean or sum for cross-entropy",
            ));
        }
        Ok(Self { kind, reduction })
    }

    /// `nn.MSELoss()`: mean over samples and outputs.
    pub fn mse() -> Self {
        Self {
            kind: LossKind::Mse,
            reduction: Reduction::Mean,
        }
    }

    /// `nn.CrossEntropyLoss()`: mean over samples.
    pub fn cross_entropy() -> Self {
        Self {
            kind: LossKind::CrossEntropy,
            reduction: Reduction::Mean,
        }
    }

    /// The kind.
    pub fn kind(&self) -> LossKind {
        self.kind
    }

    /// The reduction.
    pub fn reduction(&self) -> Reduction {
        self.reduction
    }

    /// The constant `c` in `ℒ = c Σ_α ℓ(f_α, y_α)` for `n` samples of `k` outputs.
    pub fn scale(&self, n: usize, k: usize) -> f64 {
        match (self.kind, self.reduction) {
            (_, Reduction::Sum) => 1.0,
            (LossKind::Mse, Reduction::Mean) => 1.0 / (n * k) as f64,
            (LossKind::CrossEntropy, Reduction::Mean) => 1.0 / n as f64,
            (_, Reduction::HalfMeanOverSamples) => 0.5 / n as f64,
        }
    }

    /// Evaluates the loss at row-major outputs `n × k`: value, gradient and what the output Hessian needs.
    ///
    /// Cost `O(n k)`. Errors when the targets do not fit the loss or the outputs, or the outputs are not finite.
    pub fn evaluate(
        &self,
        outputs: &[f64],
        n: usize,
        k: usize,
        targets: &Targets,
    ) -> Result<LossEvaluation, SimulateError> {
        if outputs.len() != n * k || n == 0 || k == 0 {
            return Err(SimulateError::invalid(
                "outputs.len()",
                outputs.len(),
                format!("n·k = {} with n, k ≥ 1", n * k),
            ));
        }
        if let Some(index) = outputs.iter().position(|v| !v.is_finite()) {
            return Err(SimulateError::NonFinite {
                what: "network outputs",
                index,
            });
        }
        if targets.n_samples() != n {
            return Err(SimulateError::invalid(
                "targets",
                targets.n_samples(),
                format!("{n} samples"),
            ));
        }
        let c = self.scale(n, k);
        let mut gradient = vec![0.0; n * k];
        let mut value = 0.0;
        let mut probs = Vec::new();
        match (self.kind, targets) {
            (LossKind::Mse, Targets::Values { values: y, dim: ky }) => {
                if *ky != k {
                    return Err(SimulateError::invalid(
                        "target width",
                        ky,
                        format!("{k} outputs"),
                    ));
                }
                for ((g, f), t) in gradient.iter_mut().zip(outputs).zip(y) {
                    let r = f - t;
                    value += r * r;
                    *g = 2.0 * c * r;
                }
            }
            (LossKind::CrossEntropy, Targets::Classes { labels, .. }) => {
                if k < 2 {
                    return Err(SimulateError::invalid("outputs", k, "at least 2 classes"));
                }
                probs = vec![0.0; n * k];
                for (a, &label) in labels.iter().enumerate() {
                    if label >= k {
                        return Err(SimulateError::invalid(
                            "label",
                            label,
                            format!("< {k} classes"),
                        ));
                    }
                    let f = &outputs[a * k..(a + 1) * k];
                    let p = &mut probs[a * k..(a + 1) * k];
                    // Stable log-softmax: shift by the maximum.
                    let m = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut z = 0.0;
                    for (pj, fj) in p.iter_mut().zip(f) {
                        *pj = (fj - m).exp();
                        z += *pj;
                    }
                    for pj in p.iter_mut() {
                        *pj /= z;
                    }
                    value += m + z.ln() - f[label];
                    let g = &mut gradient[a * k..(a + 1) * k];
                    for (j, gj) in g.iter_mut().enumerate() {
                        let onehot = if j == label { 1.0 } else { 0.0 };
                        *gj = c * (p[j] - onehot);
                    }
                }
            }
            (LossKind::Mse, Targets::Classes { .. }) => {
                return Err(SimulateError::invalid(
                    "targets",
                    "class labels",
                    "real targets for MSE",
                ));
            }
            (LossKind::CrossEntropy, Targets::Values { .. }) => {
                return Err(SimulateError::invalid(
                    "targets",
                    "real targets",
                    "class labels for cross-entropy",
                ));
            }
        }
        Ok(LossEvaluation {
            kind: self.kind,
            n,
            k,
            scale: c,
            value: c * value,
            gradient,
            probs,
        })
    }
}

/// A loss evaluated at fixed outputs: value, gradient and the per-sample output Hessians.
#[derive(Debug, Clone)]
pub struct LossEvaluation {
    kind: LossKind,
    n: usize,
    k: usize,
    scale: f64,
    value: f64,
    gradient: Vec<f64>,
    /// Softmax probabilities `n × k` (cross-entropy only; empty for MSE).
    probs: Vec<f64>,
}

impl LossEvaluation {
    /// `ℒ`.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// `∂ℒ/∂f`, row-major `n × k`.
    pub fn gradient(&self) -> &[f64] {
        &self.gradient
    }

    /// Writes `(∂²ℒ/∂f²) u` (block diagonal over samples) into `out`; both row-major `n × k`. Cost `O(n k)`.
    ///
    /// # Panics
    /// If `u` or `out` does not have length `n·k`.
    #[track_caller]
    pub fn hessian_apply(&self, u: &[f64], out: &mut [f64]) {
        assert_eq!(u.len(), self.n * self.k, "u has the wrong length");
        assert_eq!(out.len(), self.n * self.k, "out has the wrong length");
        let c = self.scale;
        match self.kind {
            LossKind::Mse => {
                for (o, ui) in out.iter_mut().zip(u) {
                    *o = 2.0 * c * ui;
                }
            }
            LossKind::CrossEntropy => {
                let k = self.k;
                for ((o, ui), p) in out
                    .chunks_exact_mut(k)
                    .zip(u.chunks_exact(k))
                    .zip(self.probs.chunks_exact(k))
                {
                    let pu: f64 = p.iter().zip(ui).map(|(a, b)| a * b).sum();
                    for j in 0..k {
                        o[j] = c * p[j] * (ui[j] - pu);
                    }
                }
            }
        }
    }

    /// Sample α's output Hessian `∂²ℒ/∂f_α²`, row-major `k × k`.
    ///
    /// # Panics
    /// If `sample_idx ≥ n`.
    #[track_caller]
    pub fn sample_hessian(&self, sample_idx: usize) -> Vec<f64> {
        assert!(sample_idx < self.n, "sample index out of range");
        let k = self.k;
        let c = self.scale;
        let mut h = vec![0.0; k * k];
        match self.kind {
            LossKind::Mse => {
                for j in 0..k {
                    h[j * k + j] = 2.0 * c;
                }
            }
            LossKind::CrossEntropy => {
                let p = &self.probs[sample_idx * k..(sample_idx + 1) * k];
                for i in 0..k {
                    for j in 0..k {
                        let diag = if i == j { p[i] } else { 0.0 };
                        h[i * k + j] = c * (diag - p[i] * p[j]);
                    }
                }
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences with h = 1e-5 on O(1) smooth functions: error ≲ h²|ℓ'''| + ε/h ≈ 1e-10, so 1e-8.
    const FD_STEP: f64 = 1e-5;
    const FD_TOL: f64 = 1e-8;

    fn check_derivatives(loss: Loss, outputs: &[f64], n: usize, k: usize, targets: &Targets) {
        let ev = loss.evaluate(outputs, n, k, targets).unwrap();
        for i in 0..n * k {
            let mut plus = outputs.to_vec();
            let mut minus = outputs.to_vec();
            plus[i] += FD_STEP;
            minus[i] -= FD_STEP;
            let ep = loss.evaluate(&plus, n, k, targets).unwrap();
            let em = loss.evaluate(&minus, n, k, targets).unwrap();
            let g_fd = (ep.value() - em.value()) / (2.0 * FD_STEP);
            assert!(
                (g_fd - ev.gradient()[i]).abs() < FD_TOL,
                "{loss:?} grad {i}"
            );
            let mut e_i = vec![0.0; n * k];
            e_i[i] = 1.0;
            let mut h_col = vec![0.0; n * k];
            ev.hessian_apply(&e_i, &mut h_col);
            for (j, h) in h_col.iter().enumerate() {
                let h_fd = (ep.gradient()[j] - em.gradient()[j]) / (2.0 * FD_STEP);
                assert!((h_fd - h).abs() < FD_TOL, "{loss:?} hess ({j},{i})");
            }
        }
    }

    #[test]
    fn gradients_and_output_hessians_match_finite_differences() {
        let outputs = [0.3, -1.2, 0.8, 2.0, 0.1, -0.4];
        check_derivatives(
            Loss::cross_entropy(),
            &outputs,
            2,
            3,
            &Targets::classes(vec![2, 0]),
        );
        for reduction in [
            Reduction::Mean,
            Reduction::Sum,
            Reduction::HalfMeanOverSamples,
        ] {
            let loss = Loss::new(LossKind::Mse, reduction).unwrap();
            check_derivatives(
                loss,
                &outputs,
                3,
                2,
                &Targets::Values {
                    values: vec![1.0; 6],
                    dim: 2,
                },
            );
        }
    }

    #[test]
    fn cross_entropy_is_stable_and_matches_log_softmax() {
        // Logits (1000, 0): ℓ = log(1 + e^{-1000}) ≈ e^{-1000} ≈ 0 for label 0 and 1000 for label 1.
        let ev = Loss::cross_entropy()
            .evaluate(
                &[1000.0, 0.0, 1000.0, 0.0],
                2,
                2,
                &Targets::classes(vec![0, 1]),
            )
            .unwrap();
        assert!((ev.value() - 500.0).abs() < 1e-12, "{}", ev.value());
    }

    #[test]
    fn mean_mse_averages_over_samples_and_outputs() {
        let ev = Loss::mse()
            .evaluate(
                &[1.0, 2.0, 3.0, 4.0],
                2,
                2,
                &Targets::Values {
                    values: vec![0.0; 4],
                    dim: 2,
                },
            )
            .unwrap();
        assert!((ev.value() - 30.0 / 4.0).abs() < 1e-15);
    }

    #[test]
    fn names_round_trip() {
        for kind in [LossKind::Mse, LossKind::CrossEntropy] {
            assert_eq!(kind.name().parse::<LossKind>().unwrap(), kind);
        }
        for r in [
            Reduction::Mean,
            Reduction::Sum,
            Reduction::HalfMeanOverSamples,
        ] {
            assert_eq!(r.name().parse::<Reduction>().unwrap(), r);
        }
        let err = "hinge".parse::<LossKind>().unwrap_err().to_string();
        assert!(err.contains("mse, cross-entropy"), "{err}");
    }

    #[test]
    fn mismatched_targets_are_errors() {
        assert!(
            Loss::mse()
                .evaluate(&[0.0; 4], 2, 2, &Targets::classes(vec![0, 1]))
                .is_err()
        );
        assert!(
            Loss::cross_entropy()
                .evaluate(&[0.0; 4], 2, 2, &Targets::classes(vec![0, 2]))
                .is_err()
        );
        assert!(Loss::new(LossKind::CrossEntropy, Reduction::HalfMeanOverSamples).is_err());
    }
}
