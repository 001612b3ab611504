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

mod ntk_study;

use landscape_experiments::compare::eigenvalue_distances;
use landscape_experiments::simulation::ntk_eigenvalues;
use landscape_theory::SpectralLaw;
use ntk_study::{StudyPlan, law_for, pooled_ntk_on, run_study};

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

/// The finite-size criterion of `docs/theory.md` §3: fit `KS(d) ≈ a·d^{−b}` on hidden widths 63–500 (mean and standard error over seeds per
/// width), extrapolate to hidden width 2000 (`n = γ·2000` samples, `d0 = 2n`, proportional), and require the KS
/// measured there to be at most the prediction plus [`ntk_study::FINITE_SIZE_Z`] combined standard errors (the measured
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
