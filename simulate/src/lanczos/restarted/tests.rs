use faer::Mat;
use proptest::prelude::*;
use rand_distr::{Distribution, StandardNormal};

use super::*;
use crate::dense::DenseSymmetric;
use crate::rng;

/// Agreement of converged extreme Ritz values with dense eigenvalues, relative to ‖A‖. A pair with residual
/// `r ≤ tol ‖A‖` has its value within `r` of an eigenvalue (Parlett, Thm 4.5.1); the dense solver adds
/// ~n ε ‖A‖ ≈ 1e-13 at these sizes. With `tol = 1e-10` the sum stays below `1.01e-10`.
const RITZ_VS_DENSE_REL_TOL: f64 = 1.01e-10;

/// The tolerance the tests run with: the accuracy the estimators promise.
const TOL: f64 = 1e-10;

fn config(k: usize, which: Which) -> LanczosConfig {
    LanczosConfig {
        k,
        which,
        tol: TOL,
        ..LanczosConfig::default()
    }
}

/// A GOE-like matrix `(G + Gᵀ)/(2√n)`, semicircle on about [−√2, √2].
fn random_symmetric(n: usize, seed: u64) -> DenseSymmetric {
    let mut r = rng::seeded(seed);
    let g: Vec<f64> = (0..n * n).map(|_| StandardNormal.sample(&mut r)).collect();
    let scale = 1.0 / (2.0 * (n as f64).sqrt());
    let sym: Vec<f64> = (0..n * n)
        .map(|idx| {
            let (i, j) = (idx / n, idx % n);
            (g[i * n + j] + g[j * n + i]) * scale
        })
        .collect();
    DenseSymmetric::from_row_major(n, &sym).unwrap()
}

/// `Q diag(d) Qᵀ` with `Q` the eigenvectors of a seeded GOE matrix (Haar-distributed up to signs), so the
/// spectrum is exactly `d` up to round-off.
fn with_spectrum(d: &[f64], seed: u64) -> DenseSymmetric {
    let n = d.len();
    let (_, q) = random_symmetric(n, seed).eigen().unwrap();
    let mut a = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in 0..n {
            a[(i, j)] = (0..n).map(|l| q[(i, l)] * d[l] * q[(j, l)]).sum();
        }
    }
    let sym = Mat::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]));
    DenseSymmetric::new(sym).unwrap()
}

/// The wanted exact eigenvalues, ascending, as [`select`] orders Ritz values.
fn expected(exact: &[f64], k: usize, which: Which) -> Vec<f64> {
    let n = exact.len();
    select(n, which, k).into_iter().map(|i| exact[i]).collect()
}

fn max_rel_error(got: &[f64], want: &[f64], norm_a: f64) -> f64 {
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / norm_a)
        .fold(0.0, f64::max)
}

#[test]
fn extremes_match_dense_eigenvalues_to_1e_10_and_stop_early() {
    let (n, seed, k) = (300, 2024, 5);
    let a = random_symmetric(n, seed);
    let exact = a.eigenvalues().unwrap();
    let norm_a = exact[0].abs().max(exact[n - 1].abs());
    let cfg = config(k, Which::Both);
    let result = lanczos(&a, &cfg, &mut rng::seeded(seed)).unwrap();
    assert_eq!(
        result.stopped,
        Stopped::Converged,
        "seed {seed} n {n}: residuals {:?}",
        result.residuals()
    );
    assert!(result.all_converged());
    let err = max_rel_error(&result.values(), &expected(&exact, k, Which::Both), norm_a);
    assert!(
        err <= RITZ_VS_DENSE_REL_TOL,
        "seed {seed} n {n}: rel err {err:e}"
    );
    for p in &result.pairs {
        assert!((norm(&p.vector) - 1.0).abs() < 1e-12);
    }
    // Converging means stopping: far fewer products than the cap, and never more vectors than the bound.
    assert!(result.n_matvecs < n, "{} products", result.n_matvecs);
    assert!(result.peak_basis <= cfg.basis_bound(n));
}

#[test]
fn basis_never_exceeds_its_bound_on_a_clustered_spectrum() {
    // A Wishart-like spectrum with a clustered top edge forces many restarts with a 14-vector basis.
    let (n, seed, k, bound) = (200, 11, 3, 14);
    let d: Vec<f64> = (0..n)
        .map(|i| {
            let x = i as f64 / n as f64;
            x * x
        })
        .collect();
    let a = with_spectrum(&d, seed);
    let cfg = LanczosConfig {
        max_basis: Some(bound),
        ..config(k, Which::Top)
    };
    let result = lanczos(&a, &cfg, &mut rng::seeded(seed)).unwrap();
    assert_eq!(result.stopped, Stopped::Converged, "{result:?}");
    assert!(
        result.n_restarts >= 2,
        "seed {seed}: {} restarts",
        result.n_restarts
    );
    assert!(
        result.peak_basis <= bound,
        "seed {seed}: peak basis {} > {bound}",
        result.peak_basis
    );
    let err = max_rel_error(&result.values(), &expected(&d, k, Which::Top), 1.0);
    assert!(err <= RITZ_VS_DENSE_REL_TOL, "seed {seed}: rel err {err:e}");
}

#[test]
fn reaching_the_cap_is_reported_not_hidden() {
    let (n, seed) = (200, 5);
    let a = random_symmetric(n, seed);
    let cfg = LanczosConfig {
        max_matvecs: 12,
        ..config(3, Which::Both)
    };
    let result = lanczos(&a, &cfg, &mut rng::seeded(seed)).unwrap();
    assert_eq!(result.stopped, Stopped::MaxMatvecs);
    assert!(!result.all_converged());
    // The cap plus one explicit residual per returned pair.
    assert_eq!(result.n_matvecs, 12 + 6);
}

/// A diagonal operator `diag(c₀, …, c_{r−1}, 0, …, 0)`: a generic start's Krylov space has dimension r + 1
/// (the null-space component included), so Lanczos breaks down after r + 1 steps.
struct LowRank {
    n: usize,
    diag: Vec<f64>,
}

impl SymmetricOperator for LowRank {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        y.fill(0.0);
        for (i, c) in self.diag.iter().enumerate() {
            y[i] = c * x[i];
        }
        Ok(())
    }
}

#[test]
fn breakdown_continues_with_a_fresh_vector_and_finds_the_extremes() {
    let op = LowRank {
        n: 50,
        diag: vec![3.0, -2.0, 1.0],
    };
    let result = lanczos(&op, &config(2, Which::Both), &mut rng::seeded(1)).unwrap();
    assert!(result.n_breakdowns >= 1, "expected a breakdown: {result:?}");
    assert!(result.all_converged());
    let values = result.values();
    for (v, e) in values.iter().zip(&[-2.0, 0.0, 1.0, 3.0]) {
        assert!((v - e).abs() <= 1e-12, "{values:?}");
    }
}

#[test]
fn warm_start_at_a_non_extreme_eigenvector_still_finds_the_top() {
    // A start vector that is an exact eigenvector breaks down at once; the run must not stop on it.
    let n = 30;
    let d: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let a = with_spectrum(&d, 3);
    let (_, q) = a.eigen().unwrap();
    let second: Vec<f64> = (0..n).map(|i| q[(i, n - 2)]).collect();
    let result = lanczos_from(&a, &second, &config(1, Which::Top), &mut rng::seeded(4)).unwrap();
    assert!(result.n_breakdowns >= 1);
    assert!(
        (result.values()[0] - (n - 1) as f64).abs() <= 1e-9,
        "{:?}",
        result.values()
    );
}

#[test]
fn warm_start_near_the_top_eigenvector_converges_in_few_products() {
    let n = 400;
    let a = random_symmetric(n, 8);
    let cold = lanczos(&a, &config(1, Which::Top), &mut rng::seeded(9)).unwrap();
    let mut warm_start = cold.pairs[0].vector.clone();
    let mut r = rng::seeded(10);
    // Perturb by 1e-3 so the warm start is close to, not exactly, the eigenvector.
    warm_start.iter_mut().for_each(|x| {
        let g: f64 = StandardNormal.sample(&mut r);
        *x += 1e-3 * g / (n as f64).sqrt();
    });
    let warm = lanczos_from(&a, &warm_start, &config(1, Which::Top), &mut r).unwrap();
    assert_eq!(warm.stopped, Stopped::Converged);
    assert!(
        warm.n_matvecs < cold.n_matvecs,
        "warm {} vs cold {} products",
        warm.n_matvecs,
        cold.n_matvecs
    );
    assert!((warm.values()[0] - cold.values()[0]).abs() <= 2.0 * TOL * warm.norm_estimate);
}

#[test]
fn k_close_to_n_uses_the_whole_space() {
    let n = 12;
    let a = random_symmetric(n, 21);
    let exact = a.eigenvalues().unwrap();
    for (k, which) in [(11, Which::Top), (12, Which::Bottom), (6, Which::Both)] {
        let result = lanczos(&a, &config(k, which), &mut rng::seeded(22)).unwrap();
        assert!(result.all_converged(), "k {k} {which:?}: {result:?}");
        assert!(result.peak_basis <= n);
        let err = max_rel_error(&result.values(), &expected(&exact, k, which), 1.0);
        assert!(err <= 1e-12, "k {k} {which:?}: {err:e}");
    }
}

#[test]
fn zero_operator_breaks_down_without_nan() {
    let op = LowRank {
        n: 10,
        diag: vec![],
    };
    let result = lanczos(&op, &config(1, Which::Top), &mut rng::seeded(3)).unwrap();
    assert!(
        result
            .pairs
            .iter()
            .all(|p| p.value == 0.0 && p.residual == 0.0 && p.converged),
        "{result:?}"
    );
}

struct NanOperator;
impl SymmetricOperator for NanOperator {
    fn dim(&self) -> usize {
        8
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), SimulateError> {
        y.copy_from_slice(x);
        y[5] = f64::NAN;
        Ok(())
    }
}

#[test]
fn nan_from_operator_is_an_error() {
    let err = lanczos(&NanOperator, &LanczosConfig::default(), &mut rng::seeded(0)).unwrap_err();
    assert!(
        matches!(err, SimulateError::NonFinite { index: 5, .. }),
        "{err}"
    );
}

#[test]
fn invalid_settings_are_errors_naming_the_argument() {
    let a = random_symmetric(10, 1);
    let mut r = rng::seeded(0);
    let cases = [
        ("k", config(11, Which::Top)),
        ("k", config(6, Which::Both)),
        ("k", config(0, Which::Bottom)),
        (
            "tol",
            LanczosConfig {
                tol: 0.0,
                ..config(1, Which::Top)
            },
        ),
        (
            "tol",
            LanczosConfig {
                tol: f64::NAN,
                ..config(1, Which::Top)
            },
        ),
        (
            "max_matvecs",
            LanczosConfig {
                max_matvecs: 3,
                ..config(4, Which::Top)
            },
        ),
        (
            "max_basis",
            LanczosConfig {
                max_basis: Some(4),
                ..config(4, Which::Top)
            },
        ),
    ];
    for (name, cfg) in cases {
        match lanczos(&a, &cfg, &mut r) {
            Err(SimulateError::InvalidArgument { name: got, .. }) => {
                assert_eq!(got, name, "{cfg:?}");
            }
            other => panic!("{cfg:?}: expected an invalid {name}, got {other:?}"),
        }
    }
    let wrong_length = lanczos_from(&a, &[1.0; 3], &config(1, Which::Top), &mut r);
    assert!(matches!(
        wrong_length,
        Err(SimulateError::InvalidArgument { .. })
    ));
    let zero = lanczos_from(&a, &[0.0; 10], &config(1, Which::Top), &mut r);
    assert!(matches!(zero, Err(SimulateError::InvalidArgument { .. })));
}

#[test]
fn same_seed_gives_the_same_bits() {
    let a = random_symmetric(120, 30);
    let cfg = LanczosConfig {
        max_basis: Some(16),
        ..config(3, Which::Both)
    };
    let one = lanczos(&a, &cfg, &mut rng::seeded(31)).unwrap();
    let two = lanczos(&a, &cfg, &mut rng::seeded(31)).unwrap();
    assert_eq!(one.pairs, two.pairs);
    assert_eq!(one.n_matvecs, two.n_matvecs);
}

/// The spectra the property test draws: generic, clustered (groups of eigenvalues 1e-3 apart) and degenerate
/// (exact repeats).
#[derive(Debug, Clone, Copy)]
enum SpectrumKind {
    Generic,
    Clustered,
    Degenerate,
}

fn spectrum(kind: SpectrumKind, n: usize, seed: u64) -> Vec<f64> {
    let mut r = rng::seeded(seed);
    let mut d: Vec<f64> = match kind {
        SpectrumKind::Generic => (0..n).map(|_| StandardNormal.sample(&mut r)).collect(),
        SpectrumKind::Clustered => (0..n)
            .map(|i| {
                let centre: f64 = ((i / 4) as f64).sqrt();
                centre + 1e-3 * (i % 4) as f64
            })
            .collect(),
        SpectrumKind::Degenerate => (0..n).map(|i| ((i / 3) as f64) - (n / 6) as f64).collect(),
    };
    d.sort_by(f64::total_cmp);
    d
}

/// Values within this distance (relative to ‖A‖) are one eigenvalue when checking a run on a degenerate
/// spectrum: far above the tolerance (1e-10), far below the spacing of distinct values (≥ 1e-3 relative).
const SAME_EIGENVALUE_REL: f64 = 1e-7;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn converged_extremes_are_the_dense_extremes(
        seed in 0u64..1_000_000,
        n in 30usize..90,
        k in 1usize..5,
        which_idx in 0usize..3,
        kind_idx in 0usize..3,
        small_basis in proptest::bool::ANY,
    ) {
        let which = [Which::Top, Which::Bottom, Which::Both][which_idx];
        let kind = [SpectrumKind::Generic, SpectrumKind::Clustered, SpectrumKind::Degenerate][kind_idx];
        let d = spectrum(kind, n, seed);
        let a = with_spectrum(&d, seed ^ 0x5eed);
        let exact = a.eigenvalues().unwrap();
        let norm_a = exact[0].abs().max(exact[n - 1].abs());
        let wanted = if which == Which::Both { 2 * k } else { k };
        let cfg = LanczosConfig {
            max_basis: small_basis.then_some(wanted + 6),
            max_matvecs: 20_000,
            ..config(k, which)
        };
        let result = lanczos(&a, &cfg, &mut rng::seeded(seed)).unwrap();
        let context = format!("seed {seed} n {n} k {k} {which:?} {kind:?} basis {:?}", cfg.max_basis);
        prop_assert!(result.all_converged(), "{context}: {:?}", result.residuals());
        prop_assert!(result.peak_basis <= cfg.basis_bound(n), "{context}: peak {}", result.peak_basis);
        let got = result.values();
        match kind {
            SpectrumKind::Generic | SpectrumKind::Clustered => {
                let err = max_rel_error(&got, &expected(&exact, k, which), norm_a);
                prop_assert!(err <= RITZ_VS_DENSE_REL_TOL, "{context}: rel err {err:e}, {got:?}");
            }
            SpectrumKind::Degenerate => {
                // Every value is an eigenvalue, and no distinct eigenvalue is skipped at either end;
                // multiplicities may be undercounted (one start vector sees one direction per eigenspace).
                let distinct = |v: &[f64]| {
                    let mut out: Vec<f64> = Vec::new();
                    for &x in v {
                        if out.last().is_none_or(|l| (x - l).abs() > SAME_EIGENVALUE_REL * norm_a) {
                            out.push(x);
                        }
                    }
                    out
                };
                let exact_distinct = distinct(&exact);
                let (low, high): (Vec<f64>, Vec<f64>) = match which {
                    Which::Top => (Vec::new(), got.clone()),
                    Which::Bottom => (got.clone(), Vec::new()),
                    Which::Both => (got[..k].to_vec(), got[k..].to_vec()),
                };
                let low_distinct = distinct(&low);
                for (g, e) in low_distinct.iter().zip(&exact_distinct) {
                    prop_assert!((g - e).abs() <= RITZ_VS_DENSE_REL_TOL * norm_a, "{context}: {got:?}");
                }
                let high_distinct = distinct(&high);
                for (g, e) in high_distinct.iter().rev().zip(exact_distinct.iter().rev()) {
                    prop_assert!((g - e).abs() <= RITZ_VS_DENSE_REL_TOL * norm_a, "{context}: {got:?}");
                }
            }
        }
    }
}
