//! Native networks against the CK/NTK theory: the empirical NTK `K = JJᵀ` of the Fan–Wang network (NTK
//! parameterisation, no bias, N(0,1) inputs, raw odd activation) against `ntk(..., weight_variance=1)`, the law
//! with the per-layer constants of `docs/theory.md` §A1.10.
//!
//! Error model for the moments: the normalised moments `m_k = (1/n) tr K^k` of one network fluctuate from seed to
//! seed mostly through global factors (`‖w‖²/d_L` and the per-layer backward norms, relative size ~`√(2/d)`,
//! `docs/theory.md` §A3.4), so seeds are the unit of replication: with S seeds, the mean `m̄_k` has standard error
//! `sd_k/√S`, and the test asks `|m̄_k − m_k(law)| ≤ T·sd_k/√S` with `T` = [`MOMENT_T`] (Student t with S − 1 = 5
//! degrees of freedom; two-sided false-failure probability 5e-4 per comparison, ~2.5% over the 48 comparisons
//! of the sweep, for the fixed seeds below a deterministic outcome). The finite-width bias of the moments is
//! O(1/d), below the seed-to-seed spread at these sizes.

use landscape_experiments::compare::eigenvalue_distances;
use landscape_experiments::simulation::{ntk_eigenvalues, ntk_law_expr};
use landscape_simulate::scaling::{ScalingPoint, fit_power_law};
use landscape_theory::SpectralLaw;
use landscape_theory::expr::{LawExpr, parse};
use landscape_theory::neural_kernels::NeuralTangentKernel;

/// Seeds per configuration.
const SEEDS: u64 = 6;
/// Student-t critical value, 5 dof, two-sided 5e-4.
const MOMENT_T: f64 = 6.9;
/// Samples n of the fast moment sweep (P up to 77k parameters). At n = 50 (hidden width 13 at γ = 4) the
/// finite-width bias is no longer below the seed spread: m2 at depth 2, γ = 4 is off by 7.8 standard errors
/// (1.22 simulated vs 1.85 predicted); at n = 80 (width 20) every moment passes.
const N_MOMENTS: usize = 80;
/// Samples n of the fast KS test (P up to 77k parameters, J up to 50 MB).
const N_FAST: usize = 80;

fn law_for(widths: &[usize], activation: &str, n: usize) -> NeuralTangentKernel {
    match parse(&ntk_law_expr(widths, activation, n)).unwrap() {
        LawExpr::Ntk(spec) => NeuralTangentKernel::new(spec).unwrap(),
        other => panic!("not an ntk law: {other}"),
    }
}

/// Network widths `[2n, d, …, d, 1]` with depth L and hidden `d = n/γ`. The input dimension is kept at `2n`
/// (γ0 = ½): for `d0 < n` the limit law has an atom or hard edge at `r` from the null space of `X_0ᵀX_0`, which
/// the finite network smears by the Hadamard remainder of size ~`γ0/√n` (0.4 at n = 100, γ0 = 4; `docs/theory.md` §A1.5),
/// too slow a convergence for a fast test.
fn widths_for(n: usize, gamma: f64, depth: usize) -> Vec<usize> {
    let d = (n as f64 / gamma).round() as usize;
    let mut w = vec![2 * n];
    w.extend(std::iter::repeat_n(d, depth));
    w.push(1);
    w
}

struct Measured {
    moments: Vec<[f64; 4]>,
    pooled: Vec<f64>,
    ks_per_seed: Vec<f64>,
}

fn measure(
    widths: &[usize],
    activation: &str,
    n: usize,
    seeds: u64,
    law: &dyn SpectralLaw,
) -> Measured {
    let mut out = Measured {
        moments: Vec::new(),
        pooled: Vec::new(),
        ks_per_seed: Vec::new(),
    };
    for seed in 0..seeds {
        let values = ntk_eigenvalues(widths, activation, n, 1000 + seed).unwrap();
        let m = |k: i32| values.iter().map(|v| v.powi(k)).sum::<f64>() / values.len() as f64;
        out.moments.push([m(1), m(2), m(3), m(4)]);
        out.ks_per_seed
            .push(eigenvalue_distances(&values, law).unwrap().ks);
        out.pooled.extend(values);
    }
    out
}

#[test]
fn ntk_moments_match_the_law_within_sampling_error_for_depth_one_to_three() {
    for activation in ["tanh"] {
        for depth in 1..=3 {
            for gamma in [0.5, 1.0, 2.0, 4.0] {
                let widths = widths_for(N_MOMENTS, gamma, depth);
                let law = law_for(&widths, activation, N_MOMENTS);
                let m = measure(&widths, activation, N_MOMENTS, SEEDS, &law);
                let s = m.moments.len() as f64;
                for k in 0..4 {
                    let mean = m.moments.iter().map(|v| v[k]).sum::<f64>() / s;
                    let sd = (m.moments.iter().map(|v| (v[k] - mean).powi(2)).sum::<f64>()
                        / (s - 1.0))
                        .sqrt();
                    let want = law.moment(k as u32 + 1);
                    let bound = MOMENT_T * sd / s.sqrt();
                    assert!(
                        (mean - want).abs() <= bound,
                        "{law}: seeds 1000..{}, n {N_MOMENTS}, m{} simulated {mean} ± {} (sd/√S), law {want}, \
                         |diff| {} > bound {bound}",
                        1000 + SEEDS,
                        k + 1,
                        sd / s.sqrt(),
                        (mean - want).abs()
                    );
                }
            }
        }
    }
}

/// Pooled KS bound of the fast sweep at n = 80 and hidden widths ≥ n: the NTK converges slowly (`docs/theory.md` §A1: KS
/// 0.05–0.15 at depth 3 and n = 1000–2000, shrinking like n^-0.45, dominated by per-network global factors).
/// Measured here: see `KS_MEASURED` in the test's failure message and the report; 0.15 is above every measured
/// value, while a law with the centred-normalised constants instead of the raw per-layer ones is off by much
/// more (the raw tanh NTK is ~0.4 times smaller).
const KS_FAST_BOUND: f64 = 0.15;

#[test]
fn pooled_ntk_spectrum_is_close_to_the_law_in_ks() {
    for depth in 1..=3 {
        for gamma in [0.5, 1.0] {
            let widths = widths_for(N_FAST, gamma, depth);
            let law = law_for(&widths, "erf", N_FAST);
            let m = measure(&widths, "erf", N_FAST, 4, &law);
            let ks = eigenvalue_distances(&m.pooled, &law).unwrap().ks;
            eprintln!(
                "KS_MEASURED depth {depth} gamma {gamma}: pooled {ks}, per seed {:?}",
                m.ks_per_seed
            );
            assert!(
                ks < KS_FAST_BOUND,
                "{law}: seeds 1000..1004 pooled, n {N_FAST}, KS {ks} ≥ bound {KS_FAST_BOUND}"
            );
        }
    }
}

/// Widths `[2m, d, …, d, 1]` with hidden width `d`, depth L and `m = γ·d` samples (`γ0 = m/d0 = ½` as in
/// [`widths_for`]); returns the widths and the sample count.
fn widths_for_hidden(d: usize, gamma: f64, depth: usize) -> (Vec<usize>, usize) {
    let n = (gamma * d as f64).round() as usize;
    let mut w = vec![2 * n];
    w.extend(std::iter::repeat_n(d, depth));
    w.push(1);
    (w, n)
}

/// One network of the finite-size study.
#[derive(Debug, Clone, Copy)]
struct Job {
    depth: usize,
    gamma: f64,
    width: usize,
    seed: u64,
}

/// KS distance of each job's NTK spectrum (tanh) from its law, on `threads` worker threads (each job seeds its own
/// network from `seed`, so the result does not depend on the thread count).
fn ks_of_jobs(jobs: &[Job], threads: usize) -> Vec<f64> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![f64::NAN; jobs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    let idx = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(idx) else { break };
                    let (widths, n) = widths_for_hidden(job.width, job.gamma, job.depth);
                    let law = law_for(&widths, "tanh", n);
                    let values = ntk_eigenvalues(&widths, "tanh", n, job.seed).unwrap();
                    let ks = eigenvalue_distances(&values, &law).unwrap().ks;
                    results.lock().unwrap()[idx] = ks;
                }
            });
        }
    });
    results.into_inner().unwrap()
}

fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let s = values.len() as f64;
    let mean = values.iter().sum::<f64>() / s;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (s - 1.0).max(1.0)).sqrt();
    (mean, sd)
}

/// The finite-size study's plan: hidden widths of the fit (all ≤ 500), seeds per fitted width, the target width
/// and its seeds.
struct StudyPlan {
    depths: Vec<usize>,
    gammas: Vec<f64>,
    fit_widths: Vec<usize>,
    fit_seeds: u64,
    target_width: usize,
    target_seeds: u64,
}

/// One (depth, γ) row of the study.
#[derive(Debug)]
struct StudyRow {
    depth: usize,
    gamma: f64,
    points: Vec<ScalingPoint>,
    fit: landscape_simulate::scaling::ScalingFit,
    measured: f64,
    measured_se: f64,
    predicted: f64,
    /// `z·√(se_measured² + (predicted·se_log_predicted)²)`.
    allowance: f64,
}

/// One-sided normal quantile of the finite-size criterion: false-failure probability 1.3e-3 per (depth, γ) under
/// the fit's Gaussian error model (~1% over the six rows of the CI test).
const FINITE_SIZE_Z: f64 = 3.0;

fn run_study(plan: &StudyPlan, threads: usize) -> Vec<StudyRow> {
    let mut jobs = Vec::new();
    for &depth in &plan.depths {
        for &gamma in &plan.gammas {
            // Largest networks first, so that the two workers finish together.
            for seed in 0..plan.target_seeds {
                jobs.push(Job {
                    depth,
                    gamma,
                    width: plan.target_width,
                    seed: 2000 + seed,
                });
            }
            for &width in plan.fit_widths.iter().rev() {
                for seed in 0..plan.fit_seeds {
                    jobs.push(Job {
                        depth,
                        gamma,
                        width,
                        seed: 1000 + seed,
                    });
                }
            }
        }
    }
    let ks = ks_of_jobs(&jobs, threads);
    let mut rows = Vec::new();
    for &depth in &plan.depths {
        for &gamma in &plan.gammas {
            let select = |width: usize| -> Vec<f64> {
                jobs.iter()
                    .zip(&ks)
                    .filter(|(j, _)| // Same configuration: the very γ pushed above, so bitwise equality.
                        j.depth == depth && j.gamma.to_bits() == gamma.to_bits() && j.width == width)
                    .map(|(_, k)| *k)
                    .collect()
            };
            let points: Vec<ScalingPoint> = plan
                .fit_widths
                .iter()
                .map(|&width| {
                    let values = select(width);
                    let (mean, sd) = mean_and_sd(&values);
                    ScalingPoint {
                        n: width as f64,
                        mean_error: mean,
                        sd,
                        n_seeds: values.len(),
                    }
                })
                .collect();
            let fit = fit_power_law(&points).unwrap();
            let target = select(plan.target_width);
            let (measured, sd) = mean_and_sd(&target);
            let measured_se = sd / (target.len() as f64).sqrt();
            let t = plan.target_width as f64;
            let predicted = fit.predict(t);
            let allowance =
                FINITE_SIZE_Z * measured_se.hypot(predicted * fit.predict_log_std_error(t));
            eprintln!(
                "FINITE_SIZE depth {depth} gamma {gamma}: {}; fit KS ≈ {:.3}·d^-{:.3} (± {:.3}, χ²/dof {:.2}); width {}: \
                 KS per seed {target:?}, mean {measured:.4} ± {measured_se:.4} vs predicted {predicted:.4} \
                 (allowance {allowance:.4})",
                points
                    .iter()
                    .map(|p| format!(
                        "d {} KS {:.4} ± {:.4}",
                        p.n,
                        p.mean_error,
                        p.sd / (p.n_seeds as f64).sqrt()
                    ))
                    .collect::<Vec<_>>()
                    .join(", "),
                fit.log_prefactor.exp(),
                fit.exponent,
                fit.exponent_std_error,
                fit.chi_squared / fit.dof.max(1) as f64,
                plan.target_width,
            );
            rows.push(StudyRow {
                depth,
                gamma,
                points,
                fit,
                measured,
                measured_se,
                predicted,
                allowance,
            });
        }
    }
    rows
}

/// The finite-size criterion of `docs/theory.md` §3: fit `KS(d) ≈ a·d^{−b}` on hidden widths 63–500 (mean and standard error over seeds per
/// width), extrapolate to hidden width 2000 (`n = γ·2000` samples, `d0 = 2n`, proportional), and require the KS
/// measured there to be at most the prediction plus [`FINITE_SIZE_Z`] combined standard errors (the measured
/// mean's over seeds and the fit's prediction error, both Gaussian to first order), for depths 1–3 and γ = ½, 1.
/// The allowance is statistical only; a systematic slowdown of the decay beyond the fitted range fails the test.
///
/// Runtime: ~1–2 minutes on 2 cores in the test profile (the width-2000 networks dominate: ~6 s each at depth 3
/// and γ = 1), so it carries `#[ignore]`; CI runs it with the ignored tests.
///
/// Measured (tanh, fit seeds 1000–1007, width-2000 seeds 2000–2002; KS mean ± standard error):
///
/// | depth | γ | KS at d = 63 | 500 | fitted exponent | KS at 2000 | predicted | allowance |
/// |---|---|---|---|---|---|---|---|
/// | 1 | ½ | 0.081 | 0.027 | 0.53 ± 0.10 | 0.018 ± 0.005 | 0.012 | 0.019 |
/// | 1 | 1 | 0.050 | 0.015 | 0.50 ± 0.16 | 0.007 ± 0.002 | 0.009 | 0.016 |
/// | 2 | ½ | 0.109 | 0.023 | 0.77 ± 0.08 | 0.011 ± 0.003 | 0.008 | 0.009 |
/// | 2 | 1 | 0.113 | 0.029 | 0.55 ± 0.13 | 0.018 ± 0.007 | 0.013 | 0.024 |
/// | 3 | ½ | 0.125 | 0.032 | 0.66 ± 0.10 | 0.020 ± 0.010 | 0.013 | 0.031 |
/// | 3 | 1 | 0.115 | 0.050 | 0.37 ± 0.12 | 0.019 ± 0.007 | 0.029 | 0.034 |
///
/// All six rows meet the criterion; four sit above the central prediction, within the allowance. The per-seed KS
/// at width 2000 ranges over 0.003–0.037: the spread is the per-network global factors (`docs/theory.md` §A3.4), which shrink
/// like d^(−1/2), the rate the fits find. The earlier study through the Jacobian (n ≤ 400, three seeds) saw the KS
/// stall between n = 200 and 400; with eight seeds per width and the sweep to 2000 that stall was seed noise.
#[test]
#[ignore = "slow: ~1–2 minutes on 2 cores (NTKs of width 2000); CI runs it with --ignored"]
fn ntk_ks_at_width_2000_is_below_the_finite_size_fit_for_depth_one_to_three() {
    let plan = StudyPlan {
        depths: vec![1, 2, 3],
        gammas: vec![0.5, 1.0],
        fit_widths: vec![63, 125, 250, 500],
        fit_seeds: 8,
        target_width: 2000,
        target_seeds: 3,
    };
    let rows = run_study(&plan, 2);
    for row in &rows {
        assert!(
            row.measured <= row.predicted + row.allowance,
            "depth {}, γ {}: seeds 2000..{}, hidden width {}: KS {} ± {} > predicted {} + allowance {} \
             (fit {:?}, points {:?})",
            row.depth,
            row.gamma,
            2000 + plan.target_seeds,
            plan.target_width,
            row.measured,
            row.measured_se,
            row.predicted,
            row.allowance,
            row.fit,
            row.points
        );
    }
}

/// The same study with the plan from the environment, for exploring (`NTK_STUDY_DEPTHS=1,2`, `NTK_STUDY_GAMMAS`,
/// `NTK_STUDY_WIDTHS=63,125,250,500`, `NTK_STUDY_SEEDS`, `NTK_STUDY_TARGET=2000`, `NTK_STUDY_TARGET_SEEDS`,
/// `NTK_STUDY_THREADS`); reports, asserts nothing. Run with
/// `cargo test --test ntk -- --ignored --nocapture measure_`.
#[test]
#[ignore = "measurement tool (minutes of CPU); CI skips measure_*"]
fn measure_ntk_ks_finite_size_study() {
    fn env<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
        std::env::var(name)
            .unwrap_or_else(|_| default.into())
            .split(',')
            .map(|v| v.trim().parse().ok().expect(name))
            .collect()
    }
    let plan = StudyPlan {
        depths: env("NTK_STUDY_DEPTHS", "1,2,3"),
        gammas: env("NTK_STUDY_GAMMAS", "0.5,1"),
        fit_widths: env("NTK_STUDY_WIDTHS", "63,125,250,500"),
        fit_seeds: env("NTK_STUDY_SEEDS", "8")[0],
        target_width: env("NTK_STUDY_TARGET", "2000")[0],
        target_seeds: env("NTK_STUDY_TARGET_SEEDS", "3")[0],
    };
    let rows = run_study(&plan, env("NTK_STUDY_THREADS", "2")[0]);
    for row in rows {
        eprintln!(
            "STUDY depth {} gamma {}: exponent {:.3} ± {:.3}, measured {:.4} ± {:.4}, predicted {:.4} + {:.4}: {}",
            row.depth,
            row.gamma,
            row.fit.exponent,
            row.fit.exponent_std_error,
            row.measured,
            row.measured_se,
            row.predicted,
            row.allowance,
            if row.measured <= row.predicted + row.allowance {
                "met"
            } else {
                "NOT met"
            }
        );
    }
}

/// Training study (measurement tool): `NTK_TRAIN_DEPTH`, `NTK_TRAIN_WIDTHS`, `NTK_TRAIN_SEEDS`, `NTK_TRAIN_STEPS`,
/// `NTK_TRAIN_ETA`, `NTK_TRAIN_HESSIAN=1`, `NTK_TRAIN_SAMPLES` (fixed n) or `NTK_TRAIN_GAMMA` (n = γ d).
///
/// Measured (depth 2, tanh, η = 0.5, 20 GD steps, 4 seeds; fitted exponents b of distance ≈ a·d^(−b)):
///
/// | regime | widths | W1 drift (trained vs initial) | KS GN vs init law | KS Hessian vs init law |
/// |---|---|---|---|---|
/// | n = d/2 | 50–400 | 0.05 ± 0.09 (W1 ≈ 0.34–0.39) | 0.09 ± 0.07 (KS ≈ 0.18–0.26) | — |
/// | n = 30 | 30–480 | 0.73 ± 0.07 | 0.28 ± 0.06 | 0.38 ± 0.07 |
/// | n = 20 | 25–400 | 1.06 ± 0.14 | 0.41 ± 0.04 | 0.41 ± 0.04 |
///
/// In the linear-width regime training moves the NTK spectrum by O(1) at every width (the kernel changes by
/// O(1/√d) per entry, coherently over n ∝ d samples); at fixed n the drift shrinks like ~1/d, the rate of the
/// kernel's mean change in the NTK parameterisation (Dyer & Gur-Ari 2019), and the KS distances from the
/// initialisation law shrink more slowly because the init law's own finite-n distance (~0.1 at n = 20) is a
/// floor. After 200 steps (loss ≈ 0) the Hessian equals the Gauss–Newton matrix (residuals vanish).
#[test]
#[ignore = "measurement tool (minutes of CPU); CI skips measure_*"]
fn measure_ntk_after_training() {
    use landscape_experiments::simulation::{NtkTrainingConfig, SampleCount, ntk_after_training};
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let config = NtkTrainingConfig {
        depth: var("NTK_TRAIN_DEPTH", "2").parse().unwrap(),
        // `NTK_TRAIN_SAMPLES=50` fixes n; otherwise n = γ d with `NTK_TRAIN_GAMMA`.
        samples: match std::env::var("NTK_TRAIN_SAMPLES") {
            Ok(n) => SampleCount::Fixed(n.parse().unwrap()),
            Err(_) => SampleCount::Proportional(var("NTK_TRAIN_GAMMA", "0.5").parse().unwrap()),
        },
        widths: var("NTK_TRAIN_WIDTHS", "50,100,200,400")
            .split(',')
            .map(|w| w.trim().parse().unwrap())
            .collect(),
        seeds: var("NTK_TRAIN_SEEDS", "4").parse().unwrap(),
        activation: "tanh".into(),
        relative_learning_rate: var("NTK_TRAIN_ETA", "0.5").parse().unwrap(),
        steps: var("NTK_TRAIN_STEPS", "200").parse().unwrap(),
        hessian: var("NTK_TRAIN_HESSIAN", "1") == "1",
        seed: 7,
    };
    let result = ntk_after_training(&config).unwrap();
    for p in &result.points {
        eprintln!(
            "TRAIN width {} n {} P {} lr {:.3}: loss {:.4} -> {:.4}; KS init {:.4}, GN {:.4}, Hessian {:.4}; drift W1 {:.4}",
            p.width,
            p.samples,
            p.n_params,
            p.learning_rate,
            p.loss_initial,
            p.loss_final,
            p.ks_initial.iter().sum::<f64>() / p.ks_initial.len() as f64,
            p.ks_gauss_newton.iter().sum::<f64>() / p.ks_gauss_newton.len() as f64,
            p.ks_hessian.iter().sum::<f64>() / p.ks_hessian.len().max(1) as f64,
            p.w1_drift.iter().sum::<f64>() / p.w1_drift.len() as f64,
        );
    }
    for f in &result.fits {
        eprintln!(
            "TRAIN fit {}: d^-{:.3} ± {:.3}",
            f.quantity, f.exponent, f.exponent_stderr
        );
    }
}

/// Pooled NTK spectra of `networks` Fan–Wang networks (tanh, hidden width `width`, `depth` layers) on `n`-sample
/// subsets of `inputs` (row-major, `dim` columns), each subset and each network seeded from `seed`.
fn pooled_ntk_on(
    inputs: &[f64],
    dim: usize,
    n: usize,
    width: usize,
    depth: usize,
    networks: u64,
    seed: u64,
) -> Vec<f64> {
    use landscape_simulate::network::{
        Activation, Dataset, Mlp, MlpConfig, Parameterization, Targets,
    };
    let total = inputs.len() / dim;
    let mut widths = vec![dim];
    widths.extend(std::iter::repeat_n(width, depth));
    widths.push(1);
    let mlp = Mlp::new(MlpConfig {
        widths,
        activation: Activation::Tanh,
        parameterization: Parameterization::Ntk { bias_scale: 0.0 },
        bias: false,
    })
    .unwrap();
    let mut pooled = Vec::new();
    for t in 0..networks {
        let rows = landscape_empirical::train::minibatch_indices(total, n, seed, t as usize);
        let x: Vec<f64> = rows
            .iter()
            .flat_map(|&r| inputs[r * dim..(r + 1) * dim].iter().copied())
            .collect();
        let data = Dataset::from_rows(
            x,
            n,
            dim,
            Targets::Values {
                values: vec![0.0; n],
                dim: 1,
            },
        )
        .unwrap();
        let params = mlp.init(&mut landscape_simulate::rng::task_rng(seed, t));
        pooled
            .extend(landscape_experiments::simulation::ntk_spectrum(&mlp, &params, &data).unwrap());
    }
    pooled
}

/// Whitened digits with each sample rescaled to `‖z‖² = d0` (Fan–Wang's `‖x‖ ≈ 1`), as NTK inputs.
fn normed_whitened_digits() -> (Vec<f64>, usize) {
    let digits = landscape_empirical::data::digits::digits().unwrap();
    let (white, map) = landscape_empirical::data::whiten::pca_whiten(&digits).unwrap();
    let r = map.rank();
    let x: Vec<f64> = white
        .inputs()
        .chunks_exact(r)
        .flat_map(|z| {
            let s = (r as f64 / z.iter().map(|&v| v * v).sum::<f64>()).sqrt();
            z.iter().map(move |&v| v * s)
        })
        .collect();
    (x, r)
}

/// Relative error allowed on the mean eigenvalue on the digits: measured 0.9% (depth 1) and 0.6% (depth 2) with
/// 20 networks of n = 30 (seed spread of the mean ~1%), against 7–8% for the whitened digits without the norm step
/// (their norms vary from sample to sample, and tanh is nonlinear in ‖x‖).
const DIGITS_MEAN_REL: f64 = 0.025;
/// Pooled KS bound on the digits: measured 0.060 (depth 1) and 0.070 (depth 2) against 0.032 and 0.039 for Gaussian
/// inputs of the same shape: the digits are whitened but not isotropic beyond second moments (clusters), an excess
/// the Gaussian-data law does not model. Without the norm step the KS is 0.13.
const DIGITS_KS_BOUND: f64 = 0.1;

#[test]
fn ntk_on_whitened_digits_follows_the_law_once_sample_norms_are_fixed() {
    let (x, r) = normed_whitened_digits();
    let (n, width, networks, seed) = (30, 60, 20, 11);
    for depth in [1, 2] {
        let mut widths = vec![r];
        widths.extend(std::iter::repeat_n(width, depth));
        widths.push(1);
        let law = law_for(&widths, "tanh", n);
        let pooled = pooled_ntk_on(&x, r, n, width, depth, networks, seed);
        let ks = eigenvalue_distances(&pooled, &law).unwrap().ks;
        let mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
        let rel = (mean / law.moment(1) - 1.0).abs();
        assert!(
            rel <= DIGITS_MEAN_REL && ks <= DIGITS_KS_BOUND,
            "{law}: whitened digits (rank {r}), seed {seed}, {networks} networks of n {n}: mean eigenvalue {mean} \
             vs {} (rel {rel} > {DIGITS_MEAN_REL}?), pooled KS {ks} (> {DIGITS_KS_BOUND}?)",
            law.moment(1)
        );
    }
}

#[test]
#[ignore = "measurement tool"]
fn measure_ntk_on_whitened_digits() {
    let digits = landscape_empirical::data::digits::digits().unwrap();
    let (white, map) = landscape_empirical::data::whiten::pca_whiten(&digits).unwrap();
    let r = map.rank();
    let x: Vec<f64> = white.inputs().to_vec();
    let gauss = landscape_simulate::network::data::gaussian_inputs(
        x.len() / r,
        r,
        landscape_simulate::network::InputScale::UnitVariance,
        &mut landscape_simulate::rng::seeded(5),
    );
    let normed: Vec<f64> = x
        .chunks_exact(r)
        .flat_map(|z| {
            let s = (r as f64 / z.iter().map(|v| v * v).sum::<f64>()).sqrt();
            z.iter().map(move |v| v * s)
        })
        .collect();
    for (n, width, depth) in [
        (30, 60, 1),
        (30, 60, 2),
        (30, 30, 2),
        (60, 60, 1),
        (60, 120, 2),
        (120, 120, 2),
    ] {
        let mut widths = vec![r];
        widths.extend(std::iter::repeat_n(width, depth));
        widths.push(1);
        let law = law_for(&widths, "tanh", n);
        for (name, inputs) in [("digits", &x), ("normed", &normed), ("gauss", &gauss)] {
            let pooled = pooled_ntk_on(inputs, r, n, width, depth, 20, 11);
            let d = eigenvalue_distances(&pooled, &law).unwrap();
            let m = |k: i32| pooled.iter().map(|v| v.powi(k)).sum::<f64>() / pooled.len() as f64;
            eprintln!(
                "DIGITS r {r} n {n} width {width} depth {depth} {name}: KS {:.4} W1 {:.4} m1 {:.4} ({:.4}) m2 {:.4} ({:.4})",
                d.ks,
                d.w1,
                m(1),
                law.moment(1),
                m(2),
                law.moment(2)
            );
        }
    }
}

/// Rounding of two routes to the same eigenvalues (`K` directly, and `S K S/(2c)` with `S = √(2c) I`): ~1e-14
/// relative; the KS is 1-Lipschitz in the eigenvalues over the law's density, so 1e-9 is far above the floor.
const ROUTE_AGREEMENT: f64 = 1e-9;
/// Single-network KS bound for the Gauss–Newton comparison at n = 80 (MSE) and n·(C − 1) = 120 (cross-entropy):
/// measured values in the failure message and the report; the pooled fast test at n = 80 uses 0.15 for four
/// networks, and a single network's KS carries its global-factor fluctuation (~√(2/d)), hence 0.2.
const GN_KS_BOUND: f64 = 0.2;

#[test]
fn gauss_newton_vs_ntk_reproduces_the_ntk_comparison_and_handles_losses_and_parameterisations() {
    use landscape_experiments::simulation::{compare_ntk, gauss_newton_vs_ntk};
    use landscape_simulate::network::{
        Activation, InputScale, Loss, Mlp, MlpConfig, Parameterization, data,
    };
    use landscape_simulate::rng::seeded;
    let (n, seed) = (80, 31);
    let widths = vec![2 * n, n, 1];
    // MSE, NTK parameterisation: the same network and data as `compare_ntk`.
    let mlp = Mlp::new(MlpConfig {
        widths: widths.clone(),
        activation: Activation::Tanh,
        parameterization: Parameterization::Ntk { bias_scale: 0.0 },
        bias: false,
    })
    .unwrap();
    let mut rng = seeded(seed);
    let params = mlp.init(&mut rng);
    let ds = data::isotropic_regression(n, 2 * n, 1, InputScale::UnitVariance, &mut rng).unwrap();
    let got = gauss_newton_vs_ntk(&mlp, &params, &ds, Loss::mse()).unwrap();
    let want = compare_ntk(&widths, "tanh", n, seed).unwrap();
    let ks = got["ks"].as_f64().unwrap();
    assert!(
        (ks - want.ks).abs() <= ROUTE_AGREEMENT,
        "seed {seed}, n {n}: GN route KS {ks} vs NTK route {}",
        want.ks
    );
    assert_eq!(got["n_eigenvalues"], n);
    eprintln!("GN_VS_NTK mse/ntk: {got}");
    // Cross-entropy with 3 classes, and the standard parameterisation under MSE.
    let cases: [(Parameterization, usize, Loss); 2] = [
        (
            Parameterization::Ntk { bias_scale: 0.0 },
            3,
            Loss::cross_entropy(),
        ),
        (
            Parameterization::Standard {
                sigma_w: 1.0,
                sigma_b: 0.0,
            },
            1,
            Loss::mse(),
        ),
    ];
    for (parameterization, k, loss) in cases {
        let n = if k > 1 { 60 } else { n };
        let mlp = Mlp::new(MlpConfig {
            widths: vec![2 * n, n, k],
            activation: Activation::Tanh,
            parameterization,
            bias: false,
        })
        .unwrap();
        let mut rng = seeded(seed);
        let params = mlp.init(&mut rng);
        let ds = if k > 1 {
            data::isotropic_classification(n, 2 * n, k, InputScale::UnitVariance, &mut rng)
        } else {
            data::isotropic_regression(n, 2 * n, k, InputScale::UnitVariance, &mut rng)
        }
        .unwrap();
        let got = gauss_newton_vs_ntk(&mlp, &params, &ds, loss).unwrap();
        eprintln!("GN_VS_NTK {parameterization:?} k {k}: {got}");
        let ks = got["ks"].as_f64().unwrap();
        assert_eq!(got["n_eigenvalues"], n * k.saturating_sub(1).max(1));
        assert!(
            ks <= GN_KS_BOUND,
            "{parameterization:?}, {k} outputs, seed {seed}, n {n}: KS {ks} > {GN_KS_BOUND} ({got})"
        );
    }
}

#[test]
fn ntk_after_training_rejects_unstable_steps_and_too_few_widths() {
    use landscape_experiments::simulation::{NtkTrainingConfig, SampleCount, ntk_after_training};
    let base = NtkTrainingConfig {
        depth: 1,
        samples: SampleCount::Fixed(10),
        widths: vec![10, 20, 40],
        seeds: 2,
        activation: "tanh".into(),
        relative_learning_rate: 0.5,
        steps: 2,
        hessian: false,
        seed: 1,
    };
    let unstable = NtkTrainingConfig {
        relative_learning_rate: 2.5,
        ..base.clone()
    };
    assert!(ntk_after_training(&unstable).is_err());
    let short = NtkTrainingConfig {
        widths: vec![10, 20],
        ..base.clone()
    };
    assert!(ntk_after_training(&short).is_err());
    let zero_n = NtkTrainingConfig {
        samples: SampleCount::Fixed(1),
        ..base.clone()
    };
    assert!(ntk_after_training(&zero_n).is_err());
    // The valid base runs, and two GD steps at η = 0.5 lower the loss at every width.
    let result = ntk_after_training(&base).unwrap();
    for p in &result.points {
        assert!(
            p.loss_final < p.loss_initial,
            "width {}: loss {} → {} did not decrease",
            p.width,
            p.loss_initial,
            p.loss_final
        );
    }
}
