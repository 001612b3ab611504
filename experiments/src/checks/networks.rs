//! Networks against theory: the edge of stability and mode connectivity on trained MLPs (native backend).

use serde_json::json;

use landscape_empirical::experiments::connect::{ConnectConfig, connect};
use landscape_empirical::experiments::sharpness::{SharpnessConfig, sharpness};
use landscape_empirical::model::CurvatureKind;
use landscape_empirical::train::{Optimizer, TrainConfig};
use landscape_reports::{Curve, Figure, Legend, Marker, PathFigure, TrajectoryFigure};
use landscape_simulate::network::Loss;

use super::common::{err, mixture_problem};
use super::{Check, CheckError, Comparison, Context, Group, Measurement, Outcome};

pub fn checks() -> Vec<Check> {
    vec![
        Check {
            id: "networks.edge_of_stability.gd",
            group: Group::Networks,
            claim: "Full-batch gradient descent with step η drives the sharpness λ_max up to 2/η and keeps it \
                    there (Cohen et al. 2021): the late-phase ratio λ_max·η/2 is in [0.9, 1.2].",
            run: |ctx| edge_of_stability(ctx, Optimizer::GradientDescent, 2.0),
        },
        Check {
            id: "networks.edge_of_stability.momentum",
            group: Group::Networks,
            claim: "With heavy-ball momentum β the sharpness settles at (2 + 2β)/η instead: the late-phase ratio \
                    λ_max·η/(2 + 2β) is in [0.9, 1.2].",
            run: |ctx| edge_of_stability(ctx, Optimizer::HeavyBall { beta: 0.5 }, 2.0),
        },
        Check {
            id: "networks.ntk.fan_wang",
            group: Group::Networks,
            claim: "The NTK Gram matrix of a depth-2 erf network at initialization (NTK parameterisation, width = \
                    samples) follows the Fan–Wang law, and its mean eigenvalue equals Σ_j a^j (theory notes A1.5).",
            run: ntk_fan_wang,
        },
        Check {
            id: "networks.ntk.width_scaling",
            group: Group::Networks,
            claim: "At depths 1–3 the KS distance between the NTK spectrum of a tanh network at initialisation and \
                    the Fan–Wang law shrinks with the width d (n = d/2 samples, d0 = 2n): the fitted exponent b of \
                    KS ≈ a·d^(−b) is at least two standard errors above zero at every depth.",
            run: ntk_width_scaling,
        },
        Check {
            id: "networks.ntk.after_training",
            group: Group::Networks,
            claim: "At a fixed number of samples, gradient descent on MSE moves the curvature spectrum of a wider \
                    tanh network less: the W1 distance between the trained and initial Gauss–Newton (NTK) \
                    spectra, and the KS distances of the trained Gauss–Newton and Hessian spectra from the \
                    initialization prediction, all shrink with the width d, each fitted exponent at least two \
                    standard errors above zero.",
            run: ntk_after_training,
        },
        Check {
            id: "networks.mode_connectivity.bezier",
            group: Group::Networks,
            claim: "Two independently trained minima are joined by a quadratic Bézier curve whose loss barrier is \
                    well below the straight line's (Garipov et al. 2018; Draxler et al. 2018).",
            run: mode_connectivity,
        },
    ]
}

/// Streams of this group's [`mixture_problem`]: the data from 600, initializations from 601 on.
const PROBLEM_STREAMS: u64 = 600;

/// Cohen et al. report λ_max "hovering right at, or just above" 2/η; the band [0.9, 1.2] (centre 1.05, half-width
/// 0.15) is the acceptance band of the theory notes §4. Measured here: 1.03 (GD, η = 2) and 1.01 (momentum β = ½, η = 2).
const EOS_CENTRE: f64 = 1.05;
const EOS_HALF_WIDTH: f64 = 0.15;

fn edge_of_stability(ctx: &Context, optimizer: Optimizer, lr: f64) -> Result<Outcome, CheckError> {
    let (mut model, dataset) = mixture_problem(ctx.seed, PROBLEM_STREAMS, 0, Loss::mse())?;
    let steps = ctx.scale.pick(1500, 3000);
    let config = SharpnessConfig {
        train: TrainConfig {
            optimizer,
            learning_rate: lr,
            steps,
            batch_size: None,
            seed: ctx.seed,
        },
        every: 50,
        lanczos_steps: 30,
        operator: CurvatureKind::Hessian,
    };
    let result = sharpness(&mut model, &dataset, &config, None).map_err(err)?;
    let threshold = result
        .threshold
        .ok_or("gradient descent and momentum have a stability threshold")?;
    let late = result
        .late_ratio()
        .ok_or("no sharpness measurement was made")?;
    let steps_x: Vec<f64> = result.points.iter().map(|p| p.step as f64).collect();
    let lambda: Vec<f64> = result.points.iter().map(|p| p.lambda_max).collect();
    let figure = Figure::Trajectory(TrajectoryFigure {
        title: format!("Sharpness under {} (η = {lr})", optimizer_name(optimizer)),
        x_label: "step".into(),
        y_label: "λ_max of the training-loss Hessian".into(),
        series: vec![Curve {
            label: "λ_max (Lanczos)".into(),
            x: steps_x.clone(),
            y: lambda.clone(),
        }],
        hlines: vec![Marker {
            label: "stability threshold".into(),
            value: threshold,
        }],
        log_y: false,
        legend: Legend::Auto,
    });
    Ok(Outcome {
        measurement: Measurement {
            value: late,
            stderr: None,
            method: format!(
                "mean λ_max/threshold over the last quarter of {} Lanczos measurements (every 50 of {steps} steps)",
                result.points.len()
            ),
        },
        comparison: Comparison::Within {
            prediction: EOS_CENTRE,
            tolerance: EOS_HALF_WIDTH,
        },
        tolerance_reason: "the edge-of-stability band [0.9, 1.2] of Cohen et al. (theory notes §4)"
            .into(),
        details: json!({ "threshold": threshold, "steps": steps_x, "lambda_max": lambda,
                         "diverged_at": result.outcome.diverged_at }),
        figures: vec![figure],
    })
}

fn optimizer_name(optimizer: Optimizer) -> String {
    match optimizer {
        Optimizer::GradientDescent => "gradient descent".into(),
        Optimizer::HeavyBall { beta } => format!("heavy-ball momentum β = {beta}"),
        Optimizer::Adam { .. } => "Adam".into(),
    }
}

/// The claim is qualitative ("well below"); we require the curve's barrier to be at most half the line's. Measured
/// on this problem: 0.037 against 0.095 (ratio 0.39).
const BARRIER_RATIO_BOUND: f64 = 0.5;

fn mode_connectivity(ctx: &Context) -> Result<Outcome, CheckError> {
    let (mut a, dataset) = mixture_problem(ctx.seed, PROBLEM_STREAMS, 0, Loss::cross_entropy())?;
    let (mut b, _) = mixture_problem(ctx.seed, PROBLEM_STREAMS, 1, Loss::cross_entropy())?;
    let config = ConnectConfig {
        train: TrainConfig {
            optimizer: Optimizer::HeavyBall { beta: 0.9 },
            learning_rate: 0.1,
            steps: ctx.scale.pick(500, 1000),
            batch_size: None,
            seed: ctx.seed,
        },
        curve_steps: ctx.scale.pick(1000, 2000),
        curve_learning_rate: 0.5,
        lambda_max_steps: None,
    };
    let result = connect(&mut a, &mut b, &dataset, &config).map_err(err)?;
    let bezier = result.bezier.as_ref().ok_or("the curve was trained")?;
    let ratio = bezier.barrier / result.linear.barrier.max(f64::MIN_POSITIVE);
    let figure = Figure::Path(PathFigure {
        title: "Loss between two independently trained minima".into(),
        x_label: "t (0 and 1 are the minima)".into(),
        y_label: "training loss".into(),
        paths: vec![
            Curve {
                label: "straight line".into(),
                x: result.linear.t.clone(),
                y: result.linear.loss.clone(),
            },
            Curve {
                label: "trained Bézier curve".into(),
                x: bezier.t.clone(),
                y: bezier.loss.clone(),
            },
        ],
        legend: Legend::Auto,
    });
    Ok(Outcome {
        measurement: Measurement {
            value: ratio,
            stderr: None,
            method: format!(
                "barrier (max loss − mean endpoint loss, 51 points): Bézier {:.4} / line {:.4}",
                bezier.barrier, result.linear.barrier
            ),
        },
        comparison: Comparison::AtMost {
            bound: BARRIER_RATIO_BOUND,
        },
        tolerance_reason:
            "a qualitative claim made quantitative: the curve must halve the barrier at least"
                .into(),
        details: json!({ "linear_barrier": result.linear.barrier, "bezier_barrier": bezier.barrier,
                         "distance": result.distance }),
        figures: vec![figure],
    })
}

/// The notes (appendix A, A3.4) report finite-width NTK distances of 0.05–0.15 at depth 2–3 for widths 1000–2000,
/// shrinking like n^(−0.45), mostly from per-sample gradient-norm fluctuations; at n = width = 200 we measured
/// 0.13 (seed 1) and 0.11 (tanh, n = 150). 0.25 bounds that level with a 2× margin; the bound is loose, and the
/// moment and KS tests in `tests/ntk.rs` are the sharper checks of this law.
const NTK_KS_BOUND: f64 = 0.25;

fn ntk_fan_wang(ctx: &Context) -> Result<Outcome, CheckError> {
    let n = ctx.scale.pick(200, 600);
    let widths = [n, n, n, 1];
    let comparison = crate::simulation::compare_ntk(&widths, "erf", n, ctx.seed).map_err(err)?;
    let values = crate::simulation::ntk_eigenvalues(&widths, "erf", n, ctx.seed).map_err(err)?;
    let expr = landscape_theory::expr::parse(&comparison.law).map_err(err)?;
    let law = expr.build().map_err(err)?;
    let figure = super::figures::spectrum_vs_law(
        &format!("NTK of a depth-2 erf network, n = width = {n}"),
        &values,
        law.as_ref(),
        50,
        &[],
    );
    Ok(Outcome {
        measurement: Measurement {
            value: comparison.ks,
            stderr: None,
            method: format!(
                "KS distance of the {n} eigenvalues of K = JJᵀ (from features and sensitivities); mean eigenvalue {} \
                 vs predicted {}",
                comparison.moments_simulated[0], comparison.moments_predicted[0]
            ),
        },
        comparison: Comparison::AtMost { bound: NTK_KS_BOUND },
        tolerance_reason: "finite-width NTK distances converge slowly (≈ n^(−0.45)); 0.25 is twice the measured \
                           0.11–0.13 at n = 150–200 (a loose bound; tests/ntk.rs checks moments within sampling error)"
            .into(),
        details: serde_json::to_value(&comparison).map_err(err)?,
        figures: vec![figure],
    })
}

/// Two standard errors: if the KS did not shrink (true b = 0), the fitted b/se would exceed 2 with probability
/// ≈ 2.3% per depth under the fit's Gaussian error model, so passing is evidence of a decay.
const NTK_DECAY_T: f64 = 2.0;

fn ntk_width_scaling(ctx: &Context) -> Result<Outcome, CheckError> {
    use crate::simulation::{NtkScalingConfig, ntk_width_scaling};
    let config = NtkScalingConfig {
        depths: vec![1, 2, 3],
        // γ = ½ (n = d/2): at depth 3 and n = d ≤ 50 the spectra are still far from the limit (KS up to 0.33,
        // seed spread as large as the mean), which blurs a quick fit; with n = d/2 the quick sizes stay cheap
        // while the widths reach 400.
        gamma: 0.5,
        widths: ctx
            .scale
            .pick(vec![50, 100, 200, 400], vec![63, 125, 250, 500, 1000, 2000]),
        seeds: ctx.scale.pick(6, 6),
        activation: "tanh".into(),
        seed: ctx.seed,
    };
    let rows = ntk_width_scaling(&config).map_err(err)?;
    let mut figures = Vec::new();
    for row in &rows {
        let n: Vec<f64> = row.points.iter().map(|p| p.width as f64).collect();
        let ks: Vec<f64> = row.points.iter().map(|p| p.ks_mean).collect();
        let se: Vec<f64> = row
            .points
            .iter()
            .map(|p| p.ks_sd / (p.ks_per_seed.len() as f64).sqrt())
            .collect();
        let mut figure = super::figures::scaling(
            &format!(
                "NTK of a depth-{} tanh network against the Fan–Wang law: KS against width",
                row.depth
            ),
            &n,
            &ks,
            &se,
            (row.log_prefactor, -row.exponent, row.exponent_stderr),
        );
        if let Figure::Scaling(f) = &mut figure {
            f.x_label = "hidden width d (n = d/2 samples, d0 = 2n)".into();
        }
        figures.push(figure);
    }
    for row in &rows {
        let expr = landscape_theory::expr::parse(&row.law).map_err(err)?;
        let law = expr.build().map_err(err)?;
        let width = row.points.last().map_or(0, |p| p.width);
        figures.push(super::figures::spectrum_vs_law(
            &format!(
                "NTK spectrum of one depth-{} tanh network, width {width}",
                row.depth
            ),
            &row.largest_spectrum,
            law.as_ref(),
            40,
            &[],
        ));
    }
    let worst = rows
        .iter()
        .min_by(|a, b| {
            (a.exponent / a.exponent_stderr).total_cmp(&(b.exponent / b.exponent_stderr))
        })
        .ok_or("no depth was swept")?;
    let summary: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "depth {}: b = {:.2} ± {:.2}",
                r.depth, r.exponent, r.exponent_stderr
            )
        })
        .collect();
    Ok(Outcome {
        measurement: Measurement {
            value: worst.exponent / worst.exponent_stderr,
            stderr: None,
            method: format!(
                "smallest b/se(b) over depths of the weighted fit of log mean KS on log d, widths {:?}, {} seeds \
                 per width ({})",
                config.widths,
                config.seeds,
                summary.join("; ")
            ),
        },
        comparison: Comparison::AtLeast { bound: NTK_DECAY_T },
        tolerance_reason:
            "b/se ≥ 2: a KS that did not shrink would pass with probability ≈ 2.3% per depth; the \
                           width-2000 extrapolation test in tests/ntk.rs checks the rate itself"
                .into(),
        details: json!({ "config": config, "rows": rows }),
        figures,
    })
}

/// One per-seed column of an [`crate::simulation::NtkTrainingPoint`].
type Column = fn(&crate::simulation::NtkTrainingPoint) -> &Vec<f64>;

fn ntk_after_training(ctx: &Context) -> Result<Outcome, CheckError> {
    use crate::simulation::{NtkTrainingConfig, SampleCount, ntk_after_training};
    let config = NtkTrainingConfig {
        depth: 2,
        samples: SampleCount::Fixed(ctx.scale.pick(20, 50)),
        widths: ctx
            .scale
            .pick(vec![25, 50, 100, 200], vec![50, 100, 200, 400, 800]),
        seeds: ctx.scale.pick(5, 6),
        activation: "tanh".into(),
        relative_learning_rate: 0.5,
        steps: 20,
        hessian: true,
        seed: ctx.seed,
    };
    let result = ntk_after_training(&config).map_err(err)?;
    let widths: Vec<f64> = result.points.iter().map(|p| p.width as f64).collect();
    let mut figures = Vec::new();
    let quantities: [(&str, &str, Column); 3] = [
        (
            "w1_drift",
            "W1(trained, initial) of the GN/NTK spectrum",
            |p| &p.w1_drift,
        ),
        (
            "ks_gauss_newton",
            "KS of the trained GN spectrum from the init law",
            |p| &p.ks_gauss_newton,
        ),
        (
            "ks_hessian",
            "KS of the trained Hessian (top n) from the init law",
            |p| &p.ks_hessian,
        ),
    ];
    let mut worst = f64::INFINITY;
    let mut summary = Vec::new();
    for (quantity, label, column) in quantities {
        let fit = result
            .fit(quantity)
            .ok_or_else(|| format!("no fit of {quantity}"))?;
        let (mean, se): (Vec<f64>, Vec<f64>) = result
            .points
            .iter()
            .map(|p| {
                let v = column(p);
                let m = v.iter().sum::<f64>() / v.len() as f64;
                let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0))
                    .sqrt();
                (m, sd / (v.len() as f64).sqrt())
            })
            .unzip();
        let mut figure = super::figures::scaling(
            &format!(
                "After training (n = {} samples): {label} against width",
                result.points[0].samples
            ),
            &widths,
            &mean,
            &se,
            (fit.log_prefactor, -fit.exponent, fit.exponent_stderr),
        );
        if let Figure::Scaling(f) = &mut figure {
            f.x_label = "hidden width d".into();
            f.y_label = label.into();
        }
        figures.push(figure);
        worst = worst.min(fit.exponent / fit.exponent_stderr);
        summary.push(format!(
            "{quantity}: b = {:.2} ± {:.2}",
            fit.exponent, fit.exponent_stderr
        ));
    }
    Ok(Outcome {
        measurement: Measurement {
            value: worst,
            stderr: None,
            method: format!(
                "smallest b/se(b) of the fits distance ≈ a·d^(−b) over widths {:?}, {} seeds each, depth 2, \
                 {} GD steps at lr·λ₊(G) = 0.5 ({})",
                config.widths,
                config.seeds,
                config.steps,
                summary.join("; ")
            ),
        },
        comparison: Comparison::AtLeast { bound: NTK_DECAY_T },
        tolerance_reason: "b/se ≥ 2: a distance that did not shrink would pass with probability ≈ 2.3% per \
                           quantity; the exponents themselves are the finding (kernel-regime theory: the NTK \
                           moves by O(1/√d) per entry, O(1/d) in its mean change)"
            .into(),
        details: serde_json::to_value(&result).map_err(err)?,
        figures,
    })
}
