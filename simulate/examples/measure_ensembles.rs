//! Measurement tools behind the tolerances of the ensemble tests in `src/ensembles/`. Each tool samples one
//! ensemble many times with fixed seeds and prints the statistical floor (bias, per-draw spread, worst relative
//! error) that a tolerance there is set against; a tolerance's comment quotes the numbers. They assert nothing,
//! so they are programs rather than tests.
//!
//! ```text
//! cargo run --release -p landscape-simulate --example measure_ensembles -- TOOL
//! ```
//!
//! | TOOL | prints | quoted in |
//! |---|---|---|
//! | `goe_tracy_widom_bias` | mean of N^{2/3}(λ_max − 2) over 2000 GOE draws at N = 200, and its bias from TW₁ | `goe.rs`, `TW_FINITE_N_BIAS` |
//! | `spiked_wigner_deviations` | bias and per-draw sd of the outlier and overlap, 40 draws at N = 400, θ = 2, 3 | `spiked_wigner.rs`, `check` |
//! | `bbp_deviations` | the same for the spiked covariance, p = 200, n = 400, ℓ = 3, 5 | `spiked_covariance.rs`, `check_bbp` |
//! | `free_sum_moment_errors` | worst relative error of m1..m4 of Wishart ⊞ GOE and of m2, m4 of the arcsine sum, 10 seeds | `free_sum.rs`, `MOMENT_REL_TOL` |
//! | `random_feature_moment_errors` | worst m1, m2 errors and the mean m2 error per activation, 10 seeds | `random_features.rs`, `MOMENT_REL_TOL` |
//! | `pennington_bahri_errors` | index deviations at 4ε_c, negative eigenvalues at ε_c/2, worst m2/m3 error | `pennington_bahri.rs`, `MOMENT_REL_TOL` and the index test |
//! | `deep_linear_moment_errors` | mean (bias) and worst relative error of m1..m3 per depth and per width triple | `deep_linear.rs`, `MOMENT_REL_TOL` |
//!
//! `all` runs every tool in turn. The tools have no size arguments: the sizes and seeds are the ones the quoted
//! numbers come from. The constant of the KS bound in `src/ensembles/test_support.rs` is measured by the
//! `measure_ks_constants` example of `landscape-experiments`, which takes the limit CDFs from the theory crate
//! (this crate never depends on it).
//!
//! The closed forms below (BBP, Fuss–Catalan, ε_c, free-cumulant moments) are written out again here, as in the
//! tests, independently of the theory crate.

use std::process::ExitCode;

use faer::Mat;
use landscape_simulate::ensembles::{
    DeepLinearJacobian, Ensemble, FeatureMap, FreeSumEnsemble, GaussianMoments, Goe,
    PenningtonBahriEnsemble, RandomFeatures, SpikedCovariance, SpikedWigner, WeightLaw, Wishart,
    eigenvalues, mean_spectral_moments, squared_overlap, top_eigenpair,
};
use landscape_simulate::network::Activation;
use landscape_simulate::rng::{Rng, task_rng};

/// The tools by name, with a one-line description for the usage message.
const TOOLS: [(&str, &str, fn()); 7] = [
    (
        "goe_tracy_widom_bias",
        "finite-N bias of the GOE top eigenvalue against TW1 (2000 eigensolves)",
        goe_tracy_widom_bias,
    ),
    (
        "spiked_wigner_deviations",
        "per-draw outlier and overlap deviations of the spiked Wigner model over 40 draws",
        spiked_wigner_deviations,
    ),
    (
        "bbp_deviations",
        "per-draw outlier and overlap deviations of the spiked covariance over 40 draws",
        bbp_deviations,
    ),
    (
        "free_sum_moment_errors",
        "worst relative trace-moment error of free sums over 10 seeds",
        free_sum_moment_errors,
    ),
    (
        "random_feature_moment_errors",
        "trace-moment errors of random features over 10 seeds per activation",
        random_feature_moment_errors,
    ),
    (
        "pennington_bahri_errors",
        "index and moment floors of the Pennington–Bahri ensemble over 10 seeds",
        pennington_bahri_errors,
    ),
    (
        "deep_linear_moment_errors",
        "trace-moment bias and worst error of deep linear Jacobians over 10 seeds",
        deep_linear_moment_errors,
    ),
];

fn main() -> ExitCode {
    let name = std::env::args().nth(1).unwrap_or_default();
    if name == "all" {
        for (tool, _, run) in TOOLS {
            println!("== {tool}");
            run();
        }
        return ExitCode::SUCCESS;
    }
    if let Some((_, _, run)) = TOOLS.iter().find(|(tool, _, _)| *tool == name) {
        run();
        return ExitCode::SUCCESS;
    }
    eprintln!("usage: measure_ensembles TOOL, with TOOL one of (or `all`):");
    for (tool, what, _) in TOOLS {
        eprintln!("  {tool:<30} {what}");
    }
    ExitCode::from(2)
}

/// TW₁ mean, Tracy & Widom 1996; also Bornemann 2010 Table 4: −1.2065335745820.
const TW1_MEAN: f64 = -1.206_533_574_582;

/// Mean of `N^{2/3}(λ_max − 2)` over 2000 GOE(200, 1) draws (seed 99) and its difference from the TW₁ mean.
fn goe_tracy_widom_bias() {
    let (n, reps) = (200usize, 2000usize);
    let ens = Goe::new(n, 1.0).unwrap();
    let scale = (n as f64).powf(2.0 / 3.0);
    let mean = (0..reps)
        .map(|r| {
            let evals = eigenvalues(&ens.sample(&mut task_rng(99, r as u64))).unwrap();
            scale * (evals[n - 1] - 2.0)
        })
        .sum::<f64>()
        / reps as f64;
    println!("N {n} reps {reps}: mean {mean}, bias {}", mean - TW1_MEAN);
}

/// Bias and sample sd over 40 draws (seed 1400, N = 400, σ² = 1) of the top eigenvalue against θ + 1/θ and of the
/// squared overlap against 1 − 1/θ², at θ = 2 and 3; the sds also times √N.
fn spiked_wigner_deviations() {
    for theta in [2.0, 3.0] {
        let ens = SpikedWigner::new(400, theta, 1.0).unwrap();
        let devs: Vec<(f64, f64)> = (0..40)
            .map(|r| {
                let (l, v) = top_eigenpair(&ens.sample(&mut task_rng(1400, r))).unwrap();
                let o = squared_overlap(&v, ens.direction()).unwrap();
                (l - theta - 1.0 / theta, o - 1.0 + 1.0 / (theta * theta))
            })
            .collect();
        let mean = |f: fn(&(f64, f64)) -> f64| devs.iter().map(f).sum::<f64>() / 40.0;
        let (ml, mo) = (mean(|d| d.0), mean(|d| d.1));
        let sd_l = (devs.iter().map(|d| (d.0 - ml).powi(2)).sum::<f64>() / 39.0).sqrt();
        let sd_o = (devs.iter().map(|d| (d.1 - mo).powi(2)).sum::<f64>() / 39.0).sqrt();
        println!(
            "θ {theta}: outlier bias {ml} sd {sd_l} (·√N {}); overlap bias {mo} sd {sd_o} (·√N {})",
            sd_l * 20.0,
            sd_o * 20.0
        );
    }
}

/// BBP outlier location and squared overlap for general σ² (`docs/theory.md` §1.6).
fn bbp(spike: f64, ratio: f64, v: f64) -> (f64, f64) {
    let d = spike - v;
    let outlier = spike * (1.0 + ratio * v / d);
    let overlap = (1.0 - ratio * v * v / (d * d)) / (1.0 + ratio * v / d);
    (outlier, overlap)
}

/// Bias and sample sd over 40 draws (seed 1300, p = 200, n = 400, σ² = 1) of the top eigenvalue and the squared
/// overlap against the BBP values, at ℓ = 3 and 5; the overlap sd also times √n.
fn bbp_deviations() {
    for spike in [3.0, 5.0] {
        let ens = SpikedCovariance::new(200, 400, spike, 1.0).unwrap();
        let (wl, wo) = bbp(spike, 0.5, 1.0);
        let devs: Vec<(f64, f64)> = (0..40)
            .map(|r| {
                let (l, v) = top_eigenpair(&ens.sample(&mut task_rng(1300, r))).unwrap();
                (l - wl, squared_overlap(&v, ens.direction()).unwrap() - wo)
            })
            .collect();
        let mean = |f: fn(&(f64, f64)) -> f64| devs.iter().map(f).sum::<f64>() / 40.0;
        let (ml, mo) = (mean(|d| d.0), mean(|d| d.1));
        let sd_o = (devs.iter().map(|d| (d.1 - mo).powi(2)).sum::<f64>() / 39.0).sqrt();
        let sd_l = (devs.iter().map(|d| (d.0 - ml).powi(2)).sum::<f64>() / 39.0).sqrt();
        println!(
            "ℓ {spike}: outlier bias {ml} sd {sd_l}; overlap bias {mo} sd {sd_o} (sd·√n = {})",
            sd_o * 20.0
        );
    }
}

/// A deterministic diagonal ±1 matrix (Bernoulli spectrum): two of them are free only after the Haar rotation.
#[derive(Debug)]
struct Signs(usize);

impl Ensemble for Signs {
    fn dim(&self) -> usize {
        self.0
    }
    fn sample(&self, _rng: &mut Rng) -> Mat<f64> {
        Mat::from_fn(self.0, self.0, |i, j| match (i == j, i % 2) {
            (false, _) => 0.0,
            (true, 0) => 1.0,
            (true, _) => -1.0,
        })
    }
    fn limit_expression(&self) -> Option<String> {
        None
    }
    fn name(&self) -> &'static str {
        "signs"
    }
}

/// Worst relative error over seeds 0..10 (4 draws each, N = 300) of m1..m4 of Wishart(λ = ½) ⊞ GOE(½) against the
/// moment–cumulant values (seeds 500+), and of m2, m4 of Bernoulli ⊞ Bernoulli against the arcsine 2 and 6
/// (seeds 600+). The error is relative to max(|want|, 1).
fn free_sum_moment_errors() {
    let n = 300;
    let mut worst: f64 = 0.0;
    for seed in 0..10 {
        let ens = FreeSumEnsemble::new(
            Box::new(Wishart::new(n, 600, 1.0).unwrap()),
            Box::new(Goe::new(n, 0.5).unwrap()),
        )
        .unwrap();
        let m = mean_spectral_moments::<4>(&ens, 500 + seed, 4).unwrap();
        let (k1, k2, k3, k4) = (1.0, 1.0, 0.25, 0.125);
        let want = [
            k1,
            k2 + 1.0,
            k3 + 3.0 * k2 + 1.0,
            k4 + 4.0 * k3 + 2.0 * k2 * k2 + 6.0 * k2 + 1.0,
        ];
        let signs = FreeSumEnsemble::new(Box::new(Signs(n)), Box::new(Signs(n))).unwrap();
        let ms = mean_spectral_moments::<4>(&signs, 600 + seed, 4).unwrap();
        for k in 0..4 {
            worst = worst.max(((m[k] - want[k]) / want[k].abs().max(1.0)).abs());
        }
        worst = worst
            .max(((ms[1] - 2.0) / 2.0).abs())
            .max(((ms[3] - 6.0) / 6.0).abs());
    }
    println!("free sum: worst relative moment error over 10 seeds {worst}");
}

/// Relative errors of m1 against η and of m2 against η²(1 + φ/ψ) + ζ²/ψ (`docs/theory.md` §1.8), mean of 4 draws
/// at n0 = 200, n1 = 300, m = 400.
fn random_feature_errors(act: FeatureMap, wv: f64, dv: f64, seed: u64) -> (f64, f64) {
    let (n0, n1, m) = (200, 300, 400);
    let ens = RandomFeatures::new(n0, n1, m, act, wv, dv).unwrap();
    let GaussianMoments { eta, zeta, .. } = ens.moments();
    let (phi, psi) = (ens.phi(), ens.psi());
    let [m1, m2] = mean_spectral_moments::<2>(&ens, seed, 4).unwrap();
    let want2 = eta * eta * (1.0 + phi / psi) + zeta * zeta / psi;
    (m1 / eta - 1.0, m2 / want2 - 1.0)
}

/// Per activation (centred ReLU, tanh, centred |x| at weight variance 2), over 10 seeds: the worst |m1| and |m2|
/// relative errors and the mean m2 error (its bias).
fn random_feature_moment_errors() {
    let acts = vec![
        (
            FeatureMap::from(Activation::Relu).centred(1.0).unwrap(),
            1.0,
        ),
        (FeatureMap::from(Activation::Tanh), 1.0),
        (
            FeatureMap::new("abs", f64::abs)
                .centred(2f64.sqrt())
                .unwrap(),
            2.0,
        ),
    ];
    for (i, (act, wv)) in acts.into_iter().enumerate() {
        let errs: Vec<(f64, f64)> = (0..10)
            .map(|s| random_feature_errors(act.clone(), wv, 1.0, 900 + 10 * i as u64 + s))
            .collect();
        let w1 = errs.iter().map(|e| e.0.abs()).fold(0.0, f64::max);
        let w2 = errs.iter().map(|e| e.1.abs()).fold(0.0, f64::max);
        let b2 = errs.iter().map(|e| e.1).sum::<f64>() / 10.0;
        println!(
            "{}: worst m1 {w1}, worst m2 {w2}, mean m2 err {b2}",
            act.name()
        );
    }
}

/// ε_c(φ) of `docs/theory.md` §1.7.
fn critical_energy(phi: f64) -> f64 {
    (1.0 - 20.0 * phi - 8.0 * phi * phi + (1.0 + 8.0 * phi).powf(1.5)) / 16.0
}

/// Relative errors of m2 and m3 (mean of 4 draws, N = 300, φ = ½, ε = 0.1) against the free-cumulant values
/// κ1 = 1, κ2 = φ + 2ε, κ3 = φ²: m2 = κ2 + 1, m3 = κ3 + 3κ2 + 1.
fn pennington_bahri_moment_errors(seed: u64) -> (f64, f64) {
    let (params, data, energy) = (300, 600, 0.1);
    let ens = PenningtonBahriEnsemble::new(params, data, energy).unwrap();
    let phi = ens.phi();
    let k2 = phi + 2.0 * energy;
    let [_, m2, m3] = mean_spectral_moments::<3>(&ens, seed, 4).unwrap();
    let (w2, w3) = (k2 + 1.0, phi * phi + 3.0 * k2 + 1.0);
    (m2 / w2 - 1.0, m3 / w3 - 1.0)
}

/// At N = 400, φ = ½: the deviation of the index (mean of 4 draws) from 0.05702 at ε = 4ε_c for 10 seeds, the
/// number of negative eigenvalues over 40 draws at ε_c/2, and the worst |m2|, |m3| relative error over 10 seeds.
fn pennington_bahri_errors() {
    let phi = 0.5;
    let ec = critical_energy(phi);
    let ens = PenningtonBahriEnsemble::new(400, 800, 4.0 * ec).unwrap();
    let idx: Vec<f64> = (0..10)
        .map(|s| {
            (0..4)
                .map(|r| {
                    let ev = eigenvalues(&ens.sample(&mut task_rng(1100 + s, r))).unwrap();
                    ev.iter().filter(|x| **x < 0.0).count() as f64 / 400.0
                })
                .sum::<f64>()
                / 4.0
                - 5.702e-2
        })
        .collect();
    println!("index deviations at 4ε_c: {idx:?}");
    let low = PenningtonBahriEnsemble::new(400, 800, 0.5 * ec).unwrap();
    let neg: usize = (0..40)
        .map(|s| {
            let ev = eigenvalues(&low.sample(&mut task_rng(1200, s))).unwrap();
            ev.iter().filter(|x| **x < 0.0).count()
        })
        .sum();
    println!("negative eigenvalues at ε_c/2 over 40 draws: {neg}");
    let worst = (0..10)
        .map(|s| {
            let (a, b) = pennington_bahri_moment_errors(1500 + s);
            a.abs().max(b.abs())
        })
        .fold(0.0, f64::max);
    println!("worst m2/m3 relative error over 10 seeds: {worst}");
}

fn binomial(n: u64, k: u64) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Fuss–Catalan moment C((L+1)k, k)/(Lk+1) (`docs/theory.md` §1.4).
fn fuss_catalan(depth: u64, k: u64) -> f64 {
    binomial((depth + 1) * k, k) / (depth * k + 1) as f64
}

/// Per moment, the mean (the bias) and the largest absolute value of relative errors over seeds.
fn mean_and_worst(errs: &[[f64; 3]]) -> ([f64; 3], [f64; 3]) {
    let n = errs.len() as f64;
    let mean = [0, 1, 2].map(|k| errs.iter().map(|e| e[k]).sum::<f64>() / n);
    let worst = [0, 1, 2].map(|k| errs.iter().map(|e| e[k].abs()).fold(0.0, f64::max));
    (mean, worst)
}

/// Mean (the bias) and worst relative error of m1..m3 over 10 seeds of 8 draws each: square Gaussian Jacobians of
/// width 200 and depth 1–3 against Fuss–Catalan (seeds 700+), and three-width Jacobians against the moments of
/// MP(λ₁, 1) ⊠ MP(λ₂, 1) (seeds 800+).
fn deep_linear_moment_errors() {
    for depth in 1..=3usize {
        let ens = DeepLinearJacobian::new(&vec![200; depth + 1], WeightLaw::Gaussian, 1.0).unwrap();
        let errs: Vec<[f64; 3]> = (0..10)
            .map(|seed| {
                let m = mean_spectral_moments::<3>(&ens, 700 + seed, 8).unwrap();
                [1, 2, 3].map(|k| m[k - 1] / fuss_catalan(depth as u64, k as u64) - 1.0)
            })
            .collect();
        let (mean, worst) = mean_and_worst(&errs);
        println!("L {depth}: mean rel err (bias) {mean:?}, worst {worst:?}");
    }
    for widths in [
        [300usize, 150, 200],
        [150, 300, 200],
        [200, 400, 100],
        [300, 600, 400],
    ] {
        let ens = DeepLinearJacobian::new(&widths, WeightLaw::Gaussian, 1.0).unwrap();
        let (l1, l2) = (
            widths[2] as f64 / widths[0] as f64,
            widths[2] as f64 / widths[1] as f64,
        );
        let want = [
            1.0,
            1.0 + l1 + l2,
            1.0 + 3.0 * l1 + 3.0 * l2 + l1 * l1 + 3.0 * l1 * l2 + l2 * l2,
        ];
        let errs: Vec<[f64; 3]> = (0..10)
            .map(|seed| {
                let m = mean_spectral_moments::<3>(&ens, 800 + seed, 8).unwrap();
                [0, 1, 2].map(|k| m[k] / want[k] - 1.0)
            })
            .collect();
        let (mean, worst) = mean_and_worst(&errs);
        println!("widths {widths:?}: mean rel err (bias) {mean:?}, worst {worst:?}");
    }
}
