//! The Gauss–Newton spectrum of a given native network against the NTK law it predicts: the library side of
//! `landscape empirical hessian ... --compare ntk`.
//!
//! For outputs `f_α ∈ ℝᵏ` and per-sample output Hessians `H_α`, the Gauss–Newton matrix `G = Σ_α J_αᵀ H_α J_α`
//! shares its nonzero eigenvalues with `S K S`, where `K = J Jᵀ` is the `nk × nk` NTK Gram matrix and
//! `S = blockdiag(H_α^{1/2})`. The prediction (`docs/theory.md` §A1.11):
//!
//! * MSE with `ℒ = c Σ_α ‖f_α − y_α‖²`: `H_α = 2c I`, so the nonzero GN spectrum is `2c · eig(K)` (`nk` values).
//! * Cross-entropy with `ℒ = c Σ_α ℓ_CE`: at initialisation the logits are near zero, `H_α ≈ (c/C)(I − 11ᵀ/C)`,
//!   and with `K ≈ K₁ ⊗ I_C` (the cross-output blocks of the NTK vanish with width) the nonzero GN spectrum is
//!   `(c/C)·eig(K₁)`, `n(C − 1)` values.
//! * `eig(K)` (one output) follows `ntk(n, d0, widths, activation, weight_variance=σ_w²)` in the NTK
//!   parameterisation; in the standard one the law is that of `K/n` (`parameterization=standard`). PyTorch's default
//!   initialisation `U(±1/√fan_in)` is the standard one with `σ_w² = 1/3`.
//!
//! The measured values are the GN's nonzero eigenvalues divided by the predicted factor, so they are compared with
//! the law directly. Biases are not in the law: their gradients add a term of relative size O(1/n) in the NTK
//! parameterisation at `β = 0`, but random nonzero biases shift the preactivation variance, which the law does
//! not model; the JSON lists such approximations. The inputs are assumed isotropic with unit-variance entries
//! (`‖x‖² ≈ d0`); the JSON reports the measured mean `‖x‖²/d0`.

use serde_json::json;

use landscape_simulate::dense::DenseSymmetric;
use landscape_simulate::network::{Dataset, Loss, LossKind, Mlp, Parameterization, kernel_grams};
use landscape_theory::SpectralLaw;

use super::ntk::BoxError;
use crate::compare::eigenvalue_distances;

/// Eigenvalues of `S K S` at most this fraction of the largest are the GN's exact zeros (one per sample under
/// cross-entropy, from `H_α 1 = 0`): those are ~1e-16 relative, the smallest genuine ones ≥ 1e-3 relative here.
const ZERO_REL: f64 = 1e-9;
/// An eigenvalue counts as an outlier when it exceeds the predicted upper edge by more than this fraction of the
/// bulk width: a convention for the finite-n fluctuation of the top eigenvalue, which is O(n^{-2/3}) of the
/// width for a square-root edge (5% at n ≈ 100).
const OUTLIER_MARGIN: f64 = 0.05;

/// Compares the Gauss–Newton spectrum of `mlp` at `params` on `data` under `loss` with the NTK law predicted for
/// the architecture (module docs), returning a JSON object:
/// `{ "law", "parameterization", "gn_factor", "n_eigenvalues", "ks", "w1", "edge_error": {"lower", "upper"},
///    "outliers": {"predicted", "measured", "margin", "values"}, "input_norm_ratio", "approximations" }`.
///
/// Cost: the NTK Gram matrix `O(k² n² Σ d_ℓ)`, then `O((nk)³)` for the spectrum.
///
/// # Errors
/// Shapes that do not fit, a cross-entropy model with one output, law construction failures.
pub fn gauss_newton_vs_ntk(
    mlp: &Mlp,
    params: &[f64],
    data: &Dataset,
    loss: Loss,
) -> Result<serde_json::Value, BoxError> {
    let (n, k) = (data.n_samples(), mlp.n_outputs());
    let mut approximations: Vec<String> = Vec::new();
    let (parameterization, weight_variance) = match mlp.config().parameterization {
        Parameterization::Ntk { bias_scale } => {
            if mlp.config().bias && bias_scale != 0.0 {
                approximations.push(format!("biases (β = {bias_scale}) are not in the law"));
            }
            ("ntk", 1.0)
        }
        Parameterization::Standard { sigma_w, sigma_b } => {
            if mlp.config().bias && sigma_b != 0.0 {
                approximations.push(format!("biases (σ_b = {sigma_b}) are not in the law"));
            }
            ("standard", sigma_w * sigma_w)
        }
        Parameterization::TorchDefault => {
            if mlp.config().bias {
                approximations
                    .push("PyTorch's uniform biases U(±1/√fan_in) are not in the law".into());
            }
            approximations.push(
                "uniform weights U(±1/√fan_in) treated as Gaussian with variance 1/(3 fan_in)"
                    .into(),
            );
            ("standard", 1.0 / 3.0)
        }
    };
    let hidden = &mlp.widths()[1..mlp.widths().len() - 1];
    if hidden.is_empty() {
        return Err("the NTK law needs at least one hidden layer".into());
    }
    let hidden_text: Vec<String> = hidden.iter().map(|d| d.to_string()).collect();
    let law_text = format!(
        "ntk(n={n}, d0={}, widths=[{}], activation={}, parameterization={parameterization}, \
         weight_variance={weight_variance})",
        mlp.n_inputs(),
        hidden_text.join(", "),
        mlp.activation().name()
    );
    let landscape_theory::expr::LawExpr::Ntk(spec) = landscape_theory::expr::parse(&law_text)?
    else {
        return Err("internal: not an ntk law".into());
    };
    let law = landscape_theory::neural_kernels::NeuralTangentKernel::new(spec)?;

    let outputs = mlp.forward(params, data.inputs(), n)?;
    let evaluation = loss.evaluate(&outputs, n, k, data.targets())?;
    let c = loss.scale(n, k);
    let (factor, n_nonzero) = match loss.kind() {
        LossKind::Mse => (2.0 * c, n * k),
        LossKind::CrossEntropy => {
            if k < 2 {
                return Err("cross-entropy needs at least 2 outputs".into());
            }
            approximations.push(
                "cross-entropy output Hessian taken at uniform logits, NTK cross-output blocks neglected".into(),
            );
            (c / k as f64, n * (k - 1))
        }
    };
    let factor = if parameterization == "standard" {
        factor * n as f64
    } else {
        factor
    };

    // S K S with S = blockdiag(H_α^{1/2}).
    let grams = kernel_grams(mlp, params, data.inputs(), n)?;
    let rows = n * k;
    let mut roots = Vec::with_capacity(n);
    for a in 0..n {
        let h = evaluation.sample_hessian(a);
        let (values, vectors) = DenseSymmetric::from_row_major(k, &h)?.eigen()?;
        let mut root = vec![0.0; k * k];
        for (m, &lambda) in values.iter().enumerate() {
            let s = lambda.max(0.0).sqrt();
            for i in 0..k {
                for j in 0..k {
                    root[i * k + j] += s * vectors[(i, m)] * vectors[(j, m)];
                }
            }
        }
        roots.push(root);
    }
    let mut sk = vec![0.0; rows * rows];
    for a in 0..n {
        for i in 0..k {
            for col in 0..rows {
                sk[(a * k + i) * rows + col] = (0..k)
                    .map(|j| roots[a][i * k + j] * grams.ntk[(a * k + j) * rows + col])
                    .sum();
            }
        }
    }
    let mut sks = vec![0.0; rows * rows];
    for row in 0..rows {
        for b in 0..n {
            for i in 0..k {
                sks[row * rows + b * k + i] = (0..k)
                    .map(|j| sk[row * rows + b * k + j] * roots[b][j * k + i])
                    .sum();
            }
        }
    }
    let spectrum = DenseSymmetric::from_row_major(rows, &sks)?.eigenvalues()?;
    let top = spectrum.last().copied().unwrap_or(0.0).max(0.0);
    let mut values: Vec<f64> = spectrum
        .iter()
        .filter(|&&v| v > ZERO_REL * top)
        .map(|v| v / factor)
        .collect();
    // Keep the predicted number of nonzero eigenvalues (the largest ones) if rounding let more through.
    if values.len() > n_nonzero {
        values.drain(..values.len() - n_nonzero);
    }
    if values.is_empty() {
        return Err("the Gauss–Newton matrix is zero".into());
    }
    let distances = eigenvalue_distances(&values, &law)?;
    let support = law.support();
    let (lower, upper) = (
        support.lower_edge().unwrap_or(f64::NAN),
        support.upper_edge().unwrap_or(f64::NAN),
    );
    let margin = OUTLIER_MARGIN * (upper - lower);
    let outliers: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&v| v > upper + margin)
        .collect();
    let predicted_outliers = usize::from(law.spike().is_some())
        * match loss.kind() {
            LossKind::Mse => k,
            LossKind::CrossEntropy => k - 1,
        };
    let bulk_top = values[values
        .len()
        .saturating_sub(1 + predicted_outliers)
        .min(values.len() - 1)];
    let input_norm_ratio = data
        .inputs()
        .chunks_exact(data.sample_len())
        .map(|x| x.iter().map(|v| v * v).sum::<f64>() / data.sample_len() as f64)
        .sum::<f64>()
        / n as f64;
    Ok(json!({
        "law": law.to_string(),
        "parameterization": parameterization,
        "gn_factor": factor,
        "n_eigenvalues": values.len(),
        "ks": distances.ks,
        "w1": distances.w1,
        "edge_error": { "lower": values[0] - lower, "upper": bulk_top - upper },
        "outliers": {
            "predicted": predicted_outliers,
            "measured": outliers.len(),
            "margin": margin,
            "values": outliers,
        },
        "input_norm_ratio": input_norm_ratio,
        "approximations": approximations,
    }))
}
