//! The NTK finite-size study and pooled NTK spectra on given inputs, shared by `tests/ntk.rs` (which asserts
//! the finite-size criterion and the digits bounds) and `examples/measure_ntk.rs` (which prints the same
//! quantities for other plans and inputs).

use landscape_experiments::compare::eigenvalue_distances;
use landscape_experiments::simulation::{ntk_eigenvalues, ntk_law_expr};
use landscape_simulate::scaling::{ScalingPoint, fit_power_law};
use landscape_theory::expr::{LawExpr, parse};
use landscape_theory::neural_kernels::NeuralTangentKernel;

/// The Fan–Wang NTK law (`ntk(..., weight_variance=1)`) of a network with `widths` and `activation` on `n` samples.
pub fn law_for(widths: &[usize], activation: &str, n: usize) -> NeuralTangentKernel {
    match parse(&ntk_law_expr(widths, activation, n)).unwrap() {
        LawExpr::Ntk(spec) => NeuralTangentKernel::new(spec).unwrap(),
        other => panic!("not an ntk law: {other}"),
    }
}

/// Widths `[2m, d, …, d, 1]` with hidden width `d`, depth L and `m = γ·d` samples (`γ0 = m/d0 = ½` as in
/// the fast tests of `tests/ntk.rs`); returns the widths and the sample count.
pub fn widths_for_hidden(d: usize, gamma: f64, depth: usize) -> (Vec<usize>, usize) {
    let n = (gamma * d as f64).round() as usize;
    let mut w = vec![2 * n];
    w.extend(std::iter::repeat_n(d, depth));
    w.push(1);
    (w, n)
}

/// One network of the finite-size study.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub depth: usize,
    pub gamma: f64,
    pub width: usize,
    pub seed: u64,
}

/// KS distance of each job's NTK spectrum (tanh) from its law, on `threads` worker threads (each job seeds its own
/// network from `seed`, so the result does not depend on the thread count).
pub fn ks_of_jobs(jobs: &[Job], threads: usize) -> Vec<f64> {
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

pub fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let s = values.len() as f64;
    let mean = values.iter().sum::<f64>() / s;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (s - 1.0).max(1.0)).sqrt();
    (mean, sd)
}

/// The finite-size study's plan: hidden widths of the fit (all ≤ 500), seeds per fitted width, the target width
/// and its seeds.
pub struct StudyPlan {
    pub depths: Vec<usize>,
    pub gammas: Vec<f64>,
    pub fit_widths: Vec<usize>,
    pub fit_seeds: u64,
    pub target_width: usize,
    pub target_seeds: u64,
}

/// One (depth, γ) row of the study.
#[derive(Debug)]
pub struct StudyRow {
    pub depth: usize,
    pub gamma: f64,
    pub points: Vec<ScalingPoint>,
    pub fit: landscape_simulate::scaling::ScalingFit,
    pub measured: f64,
    pub measured_se: f64,
    pub predicted: f64,
    /// `z·√(se_measured² + (predicted·se_log_predicted)²)`.
    pub allowance: f64,
}

/// One-sided normal quantile of the finite-size criterion: false-failure probability 1.3e-3 per (depth, γ) under
/// the fit's Gaussian error model (~1% over the six rows of the CI test).
pub const FINITE_SIZE_Z: f64 = 3.0;

pub fn run_study(plan: &StudyPlan, threads: usize) -> Vec<StudyRow> {
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

/// Pooled NTK spectra of `networks` Fan–Wang networks (tanh, hidden width `width`, `depth` layers) on `n`-sample
/// subsets of `inputs` (row-major, `dim` columns), each subset and each network seeded from `seed`.
pub fn pooled_ntk_on(
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
