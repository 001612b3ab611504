//! Optimizers from landscape geometry: the quadratic model, curvature-adaptive steps, Adam's preconditioned edge
//! of stability, the participation-ratio estimator, and the tuned comparison as a finding.

use serde_json::json;

use landscape_empirical::adaptive::{AdaptiveConfig, StepRule, train_adaptive};
use landscape_empirical::experiments::eigenpairs::{End, extreme_eigenpairs};
use landscape_empirical::geometry::{
    adam_preconditioner, adam_stability_threshold, participation_ratio, preconditioned_sharpness,
    prediction_error_slope,
};
use landscape_empirical::model::{CurvatureKind, CurvatureModel};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::train::{Optimizer, StepRecord, TrainConfig, train};
use landscape_reports::{
    Curve, Figure, Legend, Marker, PowerLawFit, ScalingFigure, TrajectoryFigure,
};
use landscape_simulate::dense::DenseSymmetric;
use landscape_simulate::network::{Activation, CurvaturePoint, Dataset, Loss, data};
use landscape_simulate::rng::{stream, task_rng};

use super::common::{err, mixture_problem, tanh_mlp};
use super::{Check, CheckError, Comparison, Context, Group, Measurement, NegativeControl, Outcome};
use crate::optimize::config::{MethodKind, MethodSpec, OptimizeConfig, TaskSpec};
use crate::optimize::eval::{architecture_study, evaluate, load_task};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            id: "optimizers.quadratic_model.cubic_error",
            group: Group::Optimizers,
            claim: "The quadratic model's one-step prediction −η gᵀd + ½η² dᵀHd of the loss change misses the \
                    realized change by O(η³) (Taylor): the log–log slope of the error against η is 3.",
            run: cubic_error,
        },
        Check {
            id: "optimizers.inverse_sharpness.stable",
            group: Group::Optimizers,
            claim: "The step η_t = 1/λ_max(t), refreshed every 10 steps by warm-started Lanczos, keeps gradient \
                    descent on a network below its stability threshold between refreshes: the independently \
                    measured η_t·λ_max(θ_t) stays below 2 and training does not diverge.",
            run: inverse_sharpness_stable,
        },
        Check {
            id: "optimizers.adam.preconditioned_edge",
            group: Group::Optimizers,
            claim: "Full-batch Adam (β₁ = 0.9, β₂ = 0.99, MSE) drives its preconditioned sharpness λ_max(P⁻¹H), \
                    P = diag(√v̂) + ε, to the stability threshold (2 + 2β₁)/((1 − β₁)η) = 38/η and keeps it there \
                    (Cohen et al. 2022).",
            run: adam_edge,
        },
        Check {
            id: "optimizers.stability.max_step",
            group: Group::Optimizers,
            claim: "The curvature at initialization predicts the largest stable step of full-batch gradient descent \
                    on MSE: over MLPs of several widths and depths on the digits, the largest step that still lowers \
                    the loss in 100 steps (found by bisection) is 2/λ_max(H(θ₀)) times a factor in [1, F], F = 3.5 \
                    (geometric mean over architectures and seeds; F measured, see the tolerance).",
            run: stability_max_step,
        },
        Check {
            id: "optimizers.participation_ratio.estimator",
            group: Group::Optimizers,
            claim: "The paired-probe estimate of the effective dimension (tr G)²/tr(G²) of a network's \
                    Gauss–Newton matrix agrees with the exact value within four of its delta-method standard errors.",
            run: participation_ratio_check,
        },
        Check {
            id: "optimizers.architecture.effective_dimension",
            group: Group::Optimizers,
            claim: "Training concentrates the curvature: for MLPs of several widths and depths on the digits, the \
                    Gauss–Newton effective dimension (tr G)²/tr(G²) after training is below its value at \
                    initialization (a measured regularity, reported with λ_max and accuracy as architecture \
                    guidance).",
            run: architecture,
        },
        Check {
            id: "optimizers.comparison.finding",
            group: Group::Optimizers,
            claim: "Tuned on a validation split from a separate seed, every optimizer (SGD, momentum, Adam and the \
                    curvature-adaptive rules) classifies the held-out Gaussian-mixture test set with mean accuracy \
                    ≥ 0.9; whether an adaptive rule beats the best baseline is reported as a finding.",
            run: comparison,
        },
    ]
}

/// The band of the stability check, on the geometric mean of observed/predicted over architectures and seeds.
/// Below (theory): the quadratic model is stable for η < 2/λ_max(θ₀), so the observed largest step is at least the
/// prediction, less the bisection's resolution (2^(1/16) = 1.04 after 4 bisections) and Lanczos' error: 0.95.
/// Above (measured): gradient descent survives steps beyond 2/λ₀ by lowering the sharpness in its first steps (the
/// catapult phase; Lewkowycz et al. 2020 predict up to 4/λ₀, a ratio of 2, for wide networks). The geometric means
/// measured here were 2.73 and 2.38 (quick scale, seeds 20261128 and 7) and 2.07 (full scale); single networks
/// reach 5.1 (width 16, depth 1: narrow networks catapult furthest), so F = 3.5 bounds the mean, not every network.
const STABILITY_BAND: (f64, f64) = (0.95, 3.5);

fn stability_max_step(ctx: &Context) -> Result<Outcome, CheckError> {
    use crate::optimize::stability::{
        MapLoss, MapParameterization, StabilityConfig, stability_map,
    };
    let config = StabilityConfig {
        task: TaskSpec::Digits,
        samples: ctx.scale.pick(128, 256),
        steps: 100,
        seeds: ctx.scale.pick(2, 3),
        bisections: 4,
        loss: MapLoss::Mse,
        optimizers: vec![Optimizer::GradientDescent],
        activation: Activation::Tanh,
        widths: ctx.scale.pick(vec![16, 64], vec![16, 64, 256]),
        depth: 1,
        depths: ctx.scale.pick(vec![1, 2], vec![1, 2, 4]),
        width: 16,
        parameterizations: ctx.scale.pick(
            vec![MapParameterization::Standard],
            vec![MapParameterization::Standard, MapParameterization::Ntk],
        ),
        torch_models: Vec::new(),
        best_factors: vec![1.0],
    };
    let map = stability_map(&config, ctx.seed).map_err(err)?;
    let seeds: Vec<(&str, f64, f64, Option<f64>)> = map
        .points
        .iter()
        .flat_map(|p| {
            p.seeds.iter().map(|s| {
                (
                    p.architecture.as_str(),
                    s.predicted_max_lr,
                    s.observed_max_lr.value(),
                    (!s.observed_max_lr.is_censored())
                        .then(|| {
                            s.observed_max_lr
                                .hi
                                .map(|hi| (hi - s.observed_max_lr.lo) / 2.0)
                        })
                        .flatten(),
                )
            })
        })
        .collect();
    let censored = seeds.iter().filter(|s| s.3.is_none()).count();
    let ratios: Vec<f64> = seeds.iter().map(|s| s.2 / s.1).collect();
    let gm = |r: &[f64]| (r.iter().map(|v| v.ln()).sum::<f64>() / r.len() as f64).exp();
    // A censored point (still stable at 4096 × the prediction) is a failure of the prediction: +∞.
    let measured = if censored > 0 {
        f64::INFINITY
    } else {
        gm(&ratios)
    };
    // The descent lemma's step 1/λ_max (the prediction halved) is the nearby wrong claim: every ratio doubles.
    let control_ratios: Vec<f64> = ratios.iter().map(|r| 2.0 * r).collect();
    // Censored points have no finite bracket; the figure draws the others (a censored run fails the check).
    let drawn: Vec<_> = seeds.iter().filter(|s| s.3.is_some()).collect();
    let figure = Figure::Scaling(ScalingFigure {
        title: "Largest stable step of full-batch GD (MSE): observed against 2/λ_max(θ₀)".into(),
        x_label: "predicted 2/λ_max(θ₀)".into(),
        y_label: "observed largest stable step".into(),
        n: drawn.iter().map(|s| s.1).collect(),
        error: drawn.iter().map(|s| s.2).collect(),
        error_bar: Some(drawn.iter().map(|s| s.3.unwrap_or(0.0)).collect()),
        fit: None,
        predicted_slope: None,
        identity: true,
        legend: Legend::Auto,
    });
    let (low, high) = STABILITY_BAND;
    Ok(Outcome {
        measurement: Measurement {
            value: measured,
            stderr: None,
            method: format!(
                "geometric mean of observed/predicted over {} (architecture, seed) pairs, {} censored; ratios {:.3}–{:.3}; \
                 {}",
                ratios.len(),
                censored,
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
                map.protocol
            ),
        },
        comparison: Comparison::Between { low, high },
        tolerance_reason: "below: the quadratic model's threshold 2/λ₀ less the bisection resolution 1.04 and \
                           Lanczos' error; above: F = 3.5 over the geometric means 2.07–2.73 measured at both scales \
                           and two seeds (catapult dynamics, Lewkowycz et al. 2020; single networks reach 5.1)"
            .into(),
        negative_control: NegativeControl::judge(
            "the largest stable step is the descent lemma's 1/λ_max(θ₀) (the prediction halved: every ratio doubles)",
            gm(&control_ratios),
            Comparison::Between { low, high },
        ),
        details: json!({
            "points": map.points.iter().map(|p| json!({
                "architecture": p.architecture,
                "n_params": p.n_params,
                "predicted_max_lr": p.predicted_max_lr,
                "observed_max_lr": p.observed_max_lr,
                "observed_interval": p.observed_interval,
                "ratio": p.ratio,
            })).collect::<Vec<_>>(),
            "summary": map.summary,
            "transfer": map.transfer,
        }),
        figures: vec![figure],
    })
}

/// The 16-32-4 tanh MLP on the 4-class mixture ([`mixture_problem`]) with cross-entropy: data from stream 900,
/// initialization from 901 + `init`.
fn problem(ctx: &Context, init: u64) -> Result<(NativeMlp, Dataset), CheckError> {
    mixture_problem(ctx.seed, PROBLEM_STREAMS, init, Loss::cross_entropy())
}

/// Streams of this group's [`mixture_problem`]: the data from 900, initializations from 901 on.
const PROBLEM_STREAMS: u64 = landscape_simulate::rng::stream::CHECK_OPTIMIZER_PROBLEM;

/// Taylor's remainder is c₃η³ + c₄η⁴ + …; over η ∈ [0.05, 0.8] along −g the O(η) correction to the slope is
/// small. Measured: 3.0003 at initialization on this problem (errors 1.1e-8 at η = 0.05 to 4.7e-5 at η = 0.8).
/// ±0.3 separates 3 from the 2 a wrong quadratic term would give.
const SLOPE_TOLERANCE: f64 = 0.3;

/// The control's relative error in the curvature term of the quadratic model.
const CUBIC_CONTROL_CURVATURE: f64 = 0.1;

/// The least-squares slope of `y` on `x` (NaN for fewer than two distinct `x`).
fn least_squares_slope(x: &[f64], y: &[f64]) -> f64 {
    crate::optimize::stability::fit_slope(x, y).map_or(f64::NAN, |s| s.value)
}

fn cubic_error(ctx: &Context) -> Result<Outcome, CheckError> {
    let (mut model, dataset) = problem(ctx, 0)?;
    let (_, g) = model.loss_and_gradient(&dataset).map_err(err)?;
    let etas = [0.05, 0.1, 0.2, 0.4, 0.8];
    let (slope, steps) = prediction_error_slope(&mut model, &dataset, &g, &etas).map_err(err)?;
    let errors: Vec<f64> = steps.iter().map(|s| s.error().abs()).collect();
    let n = etas.len() as f64;
    let lx: Vec<f64> = etas.iter().map(|e| e.ln()).collect();
    let ly: Vec<f64> = errors.iter().map(|e| e.ln()).collect();
    let intercept = (ly.iter().sum::<f64>() - slope * lx.iter().sum::<f64>()) / n;
    // The control: the same realized changes against a model whose curvature term ½η²dᵀHd is 10% too large. With
    // d = g the linear term is −η|g|², so the quadratic term of each prediction is predicted + η|g|².
    let g_sq: f64 = g.iter().map(|v| v * v).sum();
    let control_ly: Vec<f64> = steps
        .iter()
        .zip(&etas)
        .map(|(s, &eta)| {
            let quadratic = s.predicted + eta * g_sq;
            (s.realized - s.predicted - CUBIC_CONTROL_CURVATURE * quadratic)
                .abs()
                .ln()
        })
        .collect();
    let control_slope = least_squares_slope(&lx, &control_ly);
    let negative_control = NegativeControl::judge(
        format!(
            "the quadratic model with its curvature term moved by {}% (a wrong Hessian) also errs at O(η³)",
            CUBIC_CONTROL_CURVATURE * 100.0
        ),
        control_slope,
        Comparison::Within {
            prediction: 3.0,
            tolerance: SLOPE_TOLERANCE,
        },
    );
    let figure = Figure::Scaling(ScalingFigure {
        title: "Quadratic model: one-step prediction error against step size".into(),
        x_label: "step size η (along −g)".into(),
        y_label: "|realized − predicted| loss change".into(),
        n: etas.to_vec(),
        error: errors.clone(),
        error_bar: None,
        fit: Some(PowerLawFit {
            intercept,
            slope,
            slope_se: 0.0,
        }),
        predicted_slope: Some(3.0),
        identity: false,
        legend: Legend::Auto,
    });
    Ok(Outcome {
        measurement: Measurement {
            value: slope,
            stderr: None,
            method: format!(
                "least-squares slope of log|error| on log η, η ∈ {etas:?}, 16-32-4 tanh MLP at initialization, \
                 d = g (full batch)"
            ),
        },
        comparison: Comparison::Within {
            prediction: 3.0,
            tolerance: SLOPE_TOLERANCE,
        },
        tolerance_reason:
            "the O(η⁴) Taylor term bends the slope slightly over a 16× range; ±0.3 excludes the \
                           slope 2 of a wrong second-order term"
                .into(),
        negative_control,
        details: json!({
            "etas": etas,
            "predicted": steps.iter().map(|s| s.predicted).collect::<Vec<_>>(),
            "realized": steps.iter().map(|s| s.realized).collect::<Vec<_>>(),
            "errors": errors,
        }),
        figures: vec![figure],
    })
}

/// Gradient descent is stable on the local quadratic iff η λ_max < 2. Measured (300 steps, c = 1, refresh every
/// 10): the product is 1.48 at step 5 (λ_max grows by half in the first steps from initialization) and 0.98–1.006
/// afterwards; the loss falls from 1.35 to 0.17 without divergence. The contrast runs refute the tempting
/// companion claim "a fixed η above 2/λ_max(θ₀) diverges": k = 2.5 ends at loss 0.008 (better than the adaptive
/// rule: gradient descent self-stabilizes at the edge of stability), k = 5 at 0.24, and k = 10 at 6.1 (worse than
/// the start, but finite), so it is reported, not claimed.
const GD_THRESHOLD: f64 = 2.0;

/// The scale c of the rule η_t = c/λ_max(t).
const INVERSE_SHARPNESS_SCALE: f64 = 1.0;

fn inverse_sharpness_stable(ctx: &Context) -> Result<Outcome, CheckError> {
    let (mut model, dataset) = problem(ctx, 1)?;
    let steps = ctx.scale.pick(300, 1000);
    let every = 10;
    let config = AdaptiveConfig {
        rule: StepRule::InverseSharpness { lanczos_steps: 20 },
        scale: INVERSE_SHARPNESS_SCALE,
        operator: CurvatureKind::Hessian,
        every,
        steps,
        batch_size: None,
        seed: ctx.seed,
    };
    // λ_max measured independently (cold-started Lanczos, another seed) halfway between refreshes.
    let mut probes: Vec<(usize, f64)> = Vec::new();
    let mut observe = |r: &StepRecord,
                       m: &NativeMlp|
     -> Result<(), landscape_empirical::EmpiricalError> {
        if r.step % every == every / 2 {
            let op = m.curvature_operator(&dataset, CurvatureKind::Hessian)?;
            let top = extreme_eigenpairs(op.as_ref(), 1, End::Top, 30, None, ctx.seed ^ 0x5eed)?;
            probes.push((r.step, top.values[0]));
        }
        Ok(())
    };
    let result = train_adaptive(&mut model, &dataset, &config, None, &mut observe).map_err(err)?;
    let eta_at = |step: usize| {
        result
            .measurements
            .iter()
            .rev()
            .find(|m| m.0 <= step)
            .map_or(f64::NAN, |m| m.2)
    };
    let products: Vec<f64> = probes.iter().map(|&(s, l)| eta_at(s) * l).collect();
    let worst = if result.outcome.diverged_at.is_some() {
        f64::INFINITY
    } else {
        products.iter().copied().fold(0.0, f64::max)
    };
    let losses = &result.outcome.losses;
    // For contrast (reported, not judged): fixed steps above 2/λ_max(θ₀). Gradient descent can survive them by
    // self-stabilization (catapult, edge of stability), so divergence is not claimed.
    let lambda0 = result.measurements.first().map_or(f64::NAN, |m| m.1);
    let mut fixed = Vec::new();
    for factor in [2.5, 5.0, 10.0] {
        let (mut m, _) = problem(ctx, 1)?;
        let config = TrainConfig {
            optimizer: Optimizer::GradientDescent,
            learning_rate: factor / lambda0,
            steps,
            batch_size: None,
            seed: ctx.seed,
        };
        let out = train(&mut m, &dataset, &config, None, &mut |_, _| Ok(())).map_err(err)?;
        fixed.push(json!({
            "eta_times_lambda0": factor,
            "diverged_at": out.diverged_at,
            "final_loss": out.losses.last(),
        }));
    }
    let figure = Figure::Trajectory(TrajectoryFigure {
        title: "η_t = 1/λ_max(t): stability product between refreshes".into(),
        x_label: "step".into(),
        y_label: "η_t · λ_max(θ_t)".into(),
        series: vec![Curve {
            label: "independent Lanczos, mid-interval".into(),
            x: probes.iter().map(|p| p.0 as f64).collect(),
            y: products.clone(),
        }],
        hlines: vec![
            Marker {
                label: "GD threshold 2".into(),
                value: GD_THRESHOLD,
            },
            Marker {
                label: "c = 1".into(),
                value: 1.0,
            },
        ],
        log_y: false,
        legend: Legend::Auto,
    });
    Ok(Outcome {
        measurement: Measurement {
            value: worst,
            stderr: None,
            method: format!(
                "max of η_t·λ_max(θ_t) over {} mid-interval measurements in {steps} full-batch steps; loss {:.4} → {:.4}. \
                 For contrast, fixed η = k/λ_max(θ₀), k = 2.5, 5, 10: {}",
                products.len(),
                losses.first().copied().unwrap_or(f64::NAN),
                losses.last().copied().unwrap_or(f64::NAN),
                fixed
                    .iter()
                    .map(|f| format!(
                        "k = {}: {}",
                        f["eta_times_lambda0"],
                        if f["diverged_at"].is_null() {
                            format!(
                                "final loss {:.4}",
                                f["final_loss"].as_f64().unwrap_or(f64::NAN)
                            )
                        } else {
                            format!("diverged at step {}", f["diverged_at"])
                        }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        comparison: Comparison::AtMost {
            bound: GD_THRESHOLD,
        },
        tolerance_reason:
            "the stability threshold of gradient descent on the local quadratic (η λ_max < 2); a \
                           divergence counts as +∞"
                .into(),
        negative_control: NegativeControl::judge(
            "the refresh holds η_t·λ_max at c = 1 between refreshes (the threshold moved from 2 to c = 1: the \
             sharpness never grows between refreshes)",
            worst,
            Comparison::AtMost {
                bound: INVERSE_SHARPNESS_SCALE,
            },
        ),
        details: json!({
            "probe_steps": probes.iter().map(|p| p.0).collect::<Vec<_>>(),
            "lambda_max": probes.iter().map(|p| p.1).collect::<Vec<_>>(),
            "products": products,
            "step_sizes": result.measurements.iter().map(|m| (m.0, m.2)).collect::<Vec<_>>(),
            "diverged_at": result.outcome.diverged_at,
            "final_loss": losses.last(),
            "lambda_max_at_init": lambda0,
            "fixed_steps_for_contrast": fixed,
        }),
        figures: vec![figure],
    })
}

/// Cohen et al. (2022, Fig. 1) show the preconditioned sharpness hovering at or just above 38/η; the band of the
/// gradient-descent check (ratio in [0.9, 1.2]) is used. Measured on this problem (MSE, β₂ = 0.99): the ratio rises
/// from 0.05 to 1.05 by step 325 and then hovers in 0.9–1.09; late means 0.98 (η = 0.01, 1000 and 2000 steps) and
/// 0.99 (η = 0.003). Not every setting reaches the edge: with cross-entropy the ratio peaks at 0.19 and decays
/// (the loss flattens as margins grow), and with β₂ = 0.999 it overshoots to 1.11 and falls back to 0.7–0.86 within
/// 1000 steps, so the claim is checked where the paper makes it, on a sharpening loss with a responsive v̂.
const ADAM_CENTRE: f64 = 1.05;
const ADAM_HALF_WIDTH: f64 = 0.15;

/// The control's β₁ (moved by 0.05 from 0.9): the threshold falls from 38/η to 24.7/η.
const ADAM_CONTROL_BETA1: f64 = 0.85;

fn adam_edge(ctx: &Context) -> Result<Outcome, CheckError> {
    // MSE on one-hot targets sharpens progressively (as in the gradient-descent check); β₂ = 0.99 lets v̂ follow
    // the gradients within ~100 steps.
    let (mut model, dataset) = mixture_problem(ctx.seed, PROBLEM_STREAMS, 2, Loss::mse())?;
    let (beta1, beta2, epsilon) = (0.9, 0.99, 1e-7);
    let lr = 0.01;
    let steps = ctx.scale.pick(1000, 2000);
    let every = 25;
    let threshold = adam_stability_threshold(lr, beta1);
    let config = TrainConfig {
        optimizer: Optimizer::Adam {
            beta1,
            beta2,
            epsilon,
        },
        learning_rate: lr,
        steps,
        batch_size: None,
        seed: ctx.seed,
    };
    // Adam's second moment, replicated from the full-batch gradients the optimizer sees.
    let mut second = vec![0.0; model.n_params()];
    let mut warm: Option<Vec<f64>> = None;
    let mut points: Vec<(usize, f64)> = Vec::new();
    let mut observe =
        |r: &StepRecord, m: &NativeMlp| -> Result<(), landscape_empirical::EmpiricalError> {
            let (_, g) = m.loss_and_gradient(&dataset)?;
            for (s, g) in second.iter_mut().zip(&g) {
                *s = beta2 * *s + (1.0 - beta2) * g * g;
            }
            if r.step.is_multiple_of(every) || r.step + 1 == steps {
                let p = adam_preconditioner(&second, r.step + 1, beta2, epsilon);
                let op = m.curvature_operator(&dataset, CurvatureKind::Hessian)?;
                let (top, v) =
                    preconditioned_sharpness(op.as_ref(), &p, 20, warm.as_deref(), ctx.seed)?;
                warm = Some(v);
                points.push((r.step, top.value));
            }
            Ok(())
        };
    let outcome = train(&mut model, &dataset, &config, None, &mut observe).map_err(err)?;
    let ratios: Vec<f64> = points.iter().map(|p| p.1 / threshold).collect();
    let moved_threshold = adam_stability_threshold(lr, ADAM_CONTROL_BETA1);
    let tail = &ratios[ratios.len() - ratios.len().div_ceil(4)..];
    let late = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
    let figure = Figure::Trajectory(TrajectoryFigure {
        title: format!("Adam's preconditioned sharpness (η = {lr}, β₁ = {beta1})"),
        x_label: "step".into(),
        y_label: "λ_max(P⁻¹H)".into(),
        series: vec![Curve {
            label: "preconditioned sharpness (Lanczos)".into(),
            x: points.iter().map(|p| p.0 as f64).collect(),
            y: points.iter().map(|p| p.1).collect(),
        }],
        hlines: vec![Marker {
            label: "38/η".into(),
            value: threshold,
        }],
        log_y: true,
        legend: Legend::Auto,
    });
    Ok(Outcome {
        measurement: Measurement {
            value: if outcome.diverged_at.is_some() {
                f64::NAN
            } else {
                late
            },
            stderr: None,
            method: format!(
                "mean λ_max(P⁻¹H)/(38/η) over the last quarter of {} measurements (every {every} of {steps} \
                 full-batch Adam steps)",
                points.len()
            ),
        },
        comparison: Comparison::Within {
            prediction: ADAM_CENTRE,
            tolerance: ADAM_HALF_WIDTH,
        },
        tolerance_reason:
            "the edge-of-stability band [0.9, 1.2] used for gradient descent (Cohen et al.)".into(),
        negative_control: NegativeControl::judge(
            format!(
                "the threshold (2 + 2β₁)/((1 − β₁)η) with β₁ moved from {beta1} to {ADAM_CONTROL_BETA1}: {:.1}",
                moved_threshold
            ),
            late * threshold / moved_threshold,
            Comparison::Within {
                prediction: ADAM_CENTRE,
                tolerance: ADAM_HALF_WIDTH,
            },
        ),
        details: json!({
            "threshold": threshold,
            "steps": points.iter().map(|p| p.0).collect::<Vec<_>>(),
            "preconditioned_sharpness": points.iter().map(|p| p.1).collect::<Vec<_>>(),
            "diverged_at": outcome.diverged_at,
        }),
        figures: vec![figure],
    })
}

/// Four standard errors: a false failure has probability ≈ 6e-5 under the normal approximation of the ratio.
/// Measured: 5.002 ± 0.215 against the exact 5.045 (z = 0.20).
const PR_Z_BOUND: f64 = 4.0;

/// The control moves the exact value by this fraction.
const PR_CONTROL_SHIFT: f64 = 0.25;

fn participation_ratio_check(ctx: &Context) -> Result<Outcome, CheckError> {
    let dataset = data::gaussian_mixture(
        3,
        8,
        100,
        1.0,
        &mut task_rng(ctx.seed, stream::CHECK_OPTIMIZER_DATA),
    )
    .map_err(err)?;
    let mlp = tanh_mlp(vec![8, 12, 3])?;
    let params = mlp.init(&mut task_rng(ctx.seed, stream::CHECK_OPTIMIZER_INIT));
    let p = mlp.n_params();
    let point = CurvaturePoint::new(&mlp, &params, &dataset, Loss::cross_entropy()).map_err(err)?;
    let dense = DenseSymmetric::from_row_major(p, &point.gauss_newton_dense()).map_err(err)?;
    let eig = dense.eigenvalues().map_err(err)?;
    let exact = eig.iter().sum::<f64>().powi(2) / eig.iter().map(|l| l * l).sum::<f64>();
    let probes = ctx.scale.pick(100, 400);
    let est = participation_ratio(&dense, probes, ctx.seed).map_err(err)?;
    let z = (est.ratio.value - exact) / est.ratio.stderr;
    let moved = exact * (1.0 + PR_CONTROL_SHIFT);
    let negative_control = NegativeControl::judge(
        format!(
            "the exact effective dimension is {:.0}% larger ({moved:.4})",
            PR_CONTROL_SHIFT * 100.0
        ),
        ((est.ratio.value - moved) / est.ratio.stderr).abs(),
        Comparison::AtMost { bound: PR_Z_BOUND },
    );
    Ok(Outcome {
        measurement: Measurement {
            value: z.abs(),
            stderr: None,
            method: format!(
                "|estimate − exact|/stderr: {:.4} ± {:.4} ({probes} Rademacher probes) against {exact:.4} from the \
                 dense eigenvalues of the {p}×{p} Gauss–Newton matrix (8-12-3 tanh MLP, 100 samples)",
                est.ratio.value, est.ratio.stderr
            ),
        },
        comparison: Comparison::AtMost { bound: PR_Z_BOUND },
        tolerance_reason: "four delta-method standard errors (false-failure probability ≈ 6e-5)"
            .into(),
        negative_control,
        details: json!({
            "estimate": est.ratio.value, "stderr": est.ratio.stderr, "exact": exact,
            "trace": est.trace.value, "trace_of_square": est.trace_of_square.value,
        }),
        figures: vec![],
    })
}

/// Four classes at separation 1 are easy: a tuned optimizer that learned anything exceeds 0.9 held-out accuracy
/// (chance 0.25; measured 0.987–0.992 for every method at the default seed). A method below it failed to train.
const ACCURACY_BOUND: f64 = 0.9;

/// The accuracy control: a perfect classifier.
const PERFECT_ACCURACY: f64 = 1.0;

fn comparison(ctx: &Context) -> Result<Outcome, CheckError> {
    let steps = ctx.scale.pick(100, 300);
    let seeds = ctx.scale.pick(3, 5);
    let method = |name: &'static str, kind: MethodKind, grid: &[f64]| MethodSpec {
        name,
        kind,
        grid: grid.to_vec(),
    };
    let adaptive = |rule| MethodKind::Adaptive {
        rule,
        every: 10,
        operator: CurvatureKind::GaussNewton,
    };
    let config = OptimizeConfig {
        file: "(check optimizers.comparison.finding)".into(),
        text: String::new(),
        seed: ctx.seed,
        seeds,
        steps,
        batch_size: Some(32),
        eval_every: 5,
        loss_target: 0.15,
        input_noise: 0.5,
        weight_noise: 0.1,
        perturbation_draws: 3,
        label_noise: 0.0,
        tasks: vec![TaskSpec::Mixture {
            classes: 4,
            dim: 16,
            samples: 400,
            separation: 1.0,
        }],
        model: None,
        hidden: vec![16],
        activation: Activation::Tanh,
        methods: vec![
            method("sgd", MethodKind::Sgd, &[0.1, 0.3, 1.0, 3.0]),
            method(
                "momentum",
                MethodKind::Momentum { beta: 0.9 },
                &[0.03, 0.1, 0.3],
            ),
            method(
                "adam",
                MethodKind::Adam {
                    beta1: 0.9,
                    beta2: 0.999,
                    epsilon: 1e-8,
                    warmup: 0,
                },
                &[0.003, 0.01, 0.03, 0.1],
            ),
            method(
                "inverse_sharpness",
                adaptive(StepRule::InverseSharpness { lanczos_steps: 10 }),
                &[0.5, 1.0, 1.9],
            ),
            method(
                "inverse_trace",
                adaptive(StepRule::InverseTrace { probes: 4 }),
                &[1.0, 1.9],
            ),
            method(
                "gn_diagonal",
                adaptive(StepRule::GaussNewtonDiagonal {
                    probes: 8,
                    damping: 0.01,
                }),
                &[0.01, 0.03, 0.1],
            ),
        ],
        architectures: Vec::new(),
        stability: None,
    };
    let report = evaluate(&config).map_err(err)?;
    let task = report.tasks.first().ok_or("one task")?;
    let worst = task
        .methods
        .iter()
        .map(|m| m.summary.test_accuracy.map_or(0.0, |a| a.mean))
        .fold(f64::INFINITY, f64::min);
    let series = task
        .methods
        .iter()
        .filter(|m| !m.runs.is_empty())
        .map(|m| {
            let len = m.runs.iter().map(|r| r.curve.len()).min().unwrap_or(0);
            let x: Vec<f64> = (0..len).map(|i| m.runs[0].curve[i].0 as f64).collect();
            let y: Vec<f64> = (0..len)
                .map(|i| m.runs.iter().map(|r| r.curve[i].1).sum::<f64>() / m.runs.len() as f64)
                .collect();
            Curve {
                label: format!(
                    "{} ({} = {})",
                    m.name,
                    m.parameter,
                    m.chosen.unwrap_or(f64::NAN)
                ),
                x,
                y,
            }
        })
        .collect();
    let figure = Figure::Trajectory(TrajectoryFigure {
        title: format!("Tuned optimizers on a Gaussian mixture (mean over {seeds} seeds)"),
        x_label: "step".into(),
        y_label: "training loss".into(),
        series,
        hlines: vec![Marker {
            label: "loss target".into(),
            value: config.loss_target,
        }],
        log_y: true,
        legend: Legend::Auto,
    });
    let table: Vec<String> = task
        .methods
        .iter()
        .map(|m| {
            let f = |v: Option<crate::optimize::stats::MeanCi>| {
                v.map_or("—".into(), |v| format!("{:.3} ± {:.3}", v.mean, v.ci95.unwrap_or(f64::NAN)))
            };
            format!(
                "{} ({} = {}): accuracy {}, noisy {}, perturbed {}, steps to loss 0.15 {}, diverged {}/{}",
                m.name,
                m.parameter,
                m.chosen.map_or("—".into(), |c| c.to_string()),
                f(m.summary.test_accuracy),
                f(m.summary.noisy_accuracy),
                f(m.summary.perturbed_accuracy),
                f(m.summary.steps_to_target),
                m.summary.diverged,
                m.summary.runs
            )
        })
        .collect();
    Ok(Outcome {
        measurement: Measurement {
            value: worst,
            stderr: None,
            method: format!(
                "lowest mean held-out accuracy among the tuned optimizers ({seeds} seeds, {steps} steps, batch 32). \
                 Finding: {}. Per optimizer (mean ± 95% t-interval): {}",
                task.finding,
                table.join("; ")
            ),
        },
        comparison: Comparison::AtLeast {
            bound: ACCURACY_BOUND,
        },
        tolerance_reason:
            "an easy task (chance 0.25): every tuned optimizer that trains at all exceeds 0.9"
                .into(),
        negative_control: NegativeControl::judge(
            format!(
                "every tuned optimizer classifies the mixture without error (accuracy ≥ {PERFECT_ACCURACY}); the \
                 classes overlap at separation 1, so the Bayes error is above zero"
            ),
            worst,
            Comparison::AtLeast {
                bound: PERFECT_ACCURACY,
            },
        ),
        details: serde_json::to_value(task).map_err(err)?,
        figures: vec![figure],
    })
}

/// The claim is a decrease (ratio < 1). Measured at the default seed (SGD η = 1, 200 steps, batch 64): ratios
/// 0.38 ([16]: 114 → 43), 0.25 ([64]: 151 → 37) and 0.30 ([32, 32]: 96 → 29); the largest ratio is 0.39 and 0.38
/// at seeds 1 and 2. On the 4-class mixture of the example configuration the drop is smaller (ratios 0.6–0.85,
/// d_eff ≈ 5–8 there), so the claim is made for the digits only.
const CONCENTRATION_BOUND: f64 = 1.0;

/// The relative error of the 20-probe effective-dimension estimate.
const ESTIMATOR_RELATIVE_ERROR: f64 = 0.1;

fn architecture(ctx: &Context) -> Result<Outcome, CheckError> {
    let hidden: Vec<Vec<usize>> = ctx.scale.pick(
        vec![vec![16], vec![64], vec![32, 32]],
        vec![
            vec![16],
            vec![32],
            vec![64],
            vec![128],
            vec![32, 32],
            vec![32, 32, 32],
        ],
    );
    let config = OptimizeConfig {
        file: "(check optimizers.architecture.effective_dimension)".into(),
        text: String::new(),
        seed: ctx.seed,
        seeds: 1,
        steps: 200,
        batch_size: Some(64),
        eval_every: 200,
        loss_target: 0.1,
        input_noise: 0.0,
        weight_noise: 0.0,
        perturbation_draws: 1,
        label_noise: 0.0,
        tasks: vec![TaskSpec::Digits],
        model: None,
        hidden: vec![32],
        activation: Activation::Tanh,
        methods: vec![],
        architectures: hidden,
        stability: None,
    };
    let task = load_task(&TaskSpec::Digits, ctx.seed).map_err(err)?;
    let sgd = MethodSpec {
        name: "sgd",
        kind: MethodKind::Sgd,
        grid: vec![1.0],
    };
    let points = architecture_study(&config, &task, &sgd, 1.0, ctx.seed).map_err(err)?;
    let value = |v: &serde_json::Value, key: &str| v[key].as_f64().unwrap_or(f64::NAN);
    let mut ratios = Vec::new();
    let mut lines = Vec::new();
    for p in &points {
        let trained = p.trained.as_ref();
        let ratio = trained.map_or(f64::INFINITY, |t| {
            value(t, "effective_dimension") / value(&p.init, "effective_dimension")
        });
        ratios.push(ratio);
        lines.push(format!(
            "{:?} (P = {}): d_eff {:.1} → {}, λ_max {:.3} → {}, accuracy {}",
            p.hidden,
            p.n_params,
            value(&p.init, "effective_dimension"),
            trained.map_or("diverged".into(), |t| format!(
                "{:.1}",
                value(t, "effective_dimension")
            )),
            value(&p.init, "lambda_max"),
            trained.map_or("—".into(), |t| format!("{:.3}", value(t, "lambda_max"))),
            p.test_accuracy.map_or("—".into(), |a| format!("{a:.3}")),
        ));
    }
    let worst = ratios.iter().copied().fold(0.0, f64::max);
    let label = |p: &crate::optimize::eval::ArchitecturePoint| format!("{:?}", p.hidden);
    let series = |key: &'static str, at_init: bool| Curve {
        label: format!(
            "{} {}",
            if key == "effective_dimension" {
                "d_eff"
            } else {
                "λ_max"
            },
            if at_init {
                "at initialization"
            } else {
                "after training"
            }
        ),
        x: (0..points.len()).map(|i| i as f64).collect(),
        y: points
            .iter()
            .map(|p| {
                if at_init {
                    value(&p.init, key)
                } else {
                    p.trained.as_ref().map_or(f64::NAN, |t| value(t, key))
                }
            })
            .collect(),
    };
    let figure = Figure::Trajectory(TrajectoryFigure {
        title: format!(
            "Gauss–Newton effective dimension by architecture (digits; {})",
            points.iter().map(label).collect::<Vec<_>>().join(", ")
        ),
        x_label: "architecture index (order of the title)".into(),
        y_label: "(tr G)² / tr(G²)".into(),
        series: vec![
            series("effective_dimension", true),
            series("effective_dimension", false),
        ],
        hlines: vec![],
        log_y: true,
        legend: Legend::Auto,
    });
    Ok(Outcome {
        measurement: Measurement {
            value: worst,
            stderr: None,
            method: format!(
                "largest ratio d_eff(trained)/d_eff(init) over the architectures (SGD η = 1, 200 steps, batch 64, \
                 Gauss–Newton on 256 training samples, 20 paired probes): {}",
                lines.join("; ")
            ),
        },
        comparison: Comparison::AtMost {
            bound: CONCENTRATION_BOUND,
        },
        tolerance_reason:
            "the claim is a decrease; the estimator's relative error (20 probes) is about 10 %, \
                           far below the measured drops"
                .into(),
        negative_control: NegativeControl::judge(
            "training leaves the effective dimension of the least-concentrated architecture unchanged within the \
             estimator's 10% (ratio 1 ± 0.1)",
            worst,
            Comparison::Within {
                prediction: 1.0,
                tolerance: ESTIMATOR_RELATIVE_ERROR,
            },
        ),
        details: serde_json::to_value(&points).map_err(err)?,
        figures: vec![figure],
    })
}
