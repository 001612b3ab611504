//! Checks of the network's gradient, Jacobian, Gauss–Newton matrix and Hessian.
//!
//! Three independent references: central finite differences, an exact dense Hessian built by forward propagation
//! of every unit's value, gradient and Hessian (no backpropagation, no R-operator), and structural identities
//! (symmetry, positive semidefiniteness, rank, `H = G + R`).

use faer::{MatRef, Side};

use super::activation::Activation;
use super::curvature::{CurvaturePoint, GaussNewtonOperator, HessianOperator, loss_and_gradient};
use super::data::{self, Dataset, InputScale, Targets};
use super::loss::{Loss, LossKind, Reduction};
use super::mlp::{Mlp, MlpConfig, Parameterization};
use crate::SymmetricOperator;
use crate::rng::seeded;

/// Central-difference step. For a smooth ℒ the error of `(ℒ(θ+hv) − ℒ(θ−hv))/2h` is at most
/// `h²·M₃/6 + ε·|ℒ|/h` (truncation plus rounding); at h = 1e-5 that is `1.7e-11·M₃ + 2.2e-11·|ℒ|`.
const FD_STEP: f64 = 1e-5;
/// Finite-difference tolerance relative to `1 + ‖reference‖∞`: allows third derivatives `M₃` up to ~500 on these
/// tiny nets (measured maxima are O(10)) — a bound, not a fit.
const FD_REL_TOL: f64 = 1e-7;
/// Two exact computations of the same curvature differ only by rounding, ≲ (depth·width + n·k)·ε relative to the
/// largest entry; measured ≤ 1.1e-15 over every net here, so 1e-12 leaves a factor ~1000.
const EXACT_REL_TOL: f64 = 1e-12;

struct Case {
    mlp: Mlp,
    params: Vec<f64>,
    data: Dataset,
    loss: Loss,
    seed: u64,
}

fn case(
    widths: &[usize],
    activation: Activation,
    parameterization: Parameterization,
    bias: bool,
    loss_kind: LossKind,
    n: usize,
    seed: u64,
) -> Case {
    let mlp = Mlp::new(MlpConfig {
        widths: widths.to_vec(),
        activation,
        parameterization,
        bias,
    })
    .unwrap();
    let mut rng = seeded(seed);
    let params = mlp.init(&mut rng);
    let (d0, k) = (widths[0], widths[widths.len() - 1]);
    let (data, loss) = match loss_kind {
        LossKind::Mse => (
            data::isotropic_regression(n, d0, k, InputScale::UnitVariance, &mut rng).unwrap(),
            Loss::mse(),
        ),
        LossKind::CrossEntropy => (
            data::isotropic_classification(n, d0, k, InputScale::UnitVariance, &mut rng).unwrap(),
            Loss::cross_entropy(),
        ),
    };
    Case {
        mlp,
        params,
        data,
        loss,
        seed,
    }
}

/// A spread of small nets: every activation, both losses, all parameterisations, with and without biases.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let pars = [
        Parameterization::TorchDefault,
        Parameterization::Standard {
            sigma_w: 1.5,
            sigma_b: 0.3,
        },
        Parameterization::Ntk { bias_scale: 0.7 },
    ];
    for (i, act) in Activation::ALL.into_iter().enumerate() {
        for (j, loss) in [LossKind::Mse, LossKind::CrossEntropy]
            .into_iter()
            .enumerate()
        {
            let seed = 100 + 10 * i as u64 + j as u64;
            let par = pars[(i + j) % 3];
            out.push(case(
                &[3, 4, 3, 3],
                act,
                par,
                (i + j) % 2 == 0,
                loss,
                5,
                seed,
            ));
        }
    }
    out
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

fn random_direction(p: usize, seed: u64) -> Vec<f64> {
    data::gaussian_inputs(1, p, InputScale::UnitVariance, &mut seeded(seed))
}

fn describe(c: &Case) -> String {
    format!(
        "seed {} widths {:?} {} {:?} bias {} loss {:?} n {}",
        c.seed,
        c.mlp.widths(),
        c.mlp.activation(),
        c.mlp.config().parameterization,
        c.mlp.config().bias,
        c.loss.kind(),
        c.data.n_samples()
    )
}

/// The exact Hessian, `G` and `R` by forward propagation of (value, ∇, ∇²) of every unit, sample by sample.
/// Cost `O(n · units · fan_in · P²)`: tiny nets only. Returns `(H, G, R)`, each row-major `P × P`.
fn forward_second_order(c: &Case) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mlp, params, data) = (&c.mlp, &c.params, &c.data);
    let p = mlp.n_params();
    let k = mlp.n_outputs();
    let n_layers = mlp.layers().len();
    let outputs = mlp
        .forward(params, data.inputs(), data.n_samples())
        .unwrap();
    let ev = c
        .loss
        .evaluate(&outputs, data.n_samples(), k, data.targets())
        .unwrap();
    let mut g_total = vec![0.0; p * p];
    let mut r_total = vec![0.0; p * p];
    for a in 0..data.n_samples() {
        let mut units: Vec<(f64, Vec<f64>, Vec<f64>)> = data
            .sample(a)
            .iter()
            .map(|&v| (v, vec![0.0; p], vec![0.0; p * p]))
            .collect();
        for (l, layer) in mlp.layers().iter().enumerate() {
            let s = layer.weight_scale;
            let mut next = Vec::with_capacity(layer.fan_out);
            for i in 0..layer.fan_out {
                let mut val = 0.0;
                let mut grad = vec![0.0; p];
                let mut hess = vec![0.0; p * p];
                for (m, (xv, xg, xh)) in units.iter().enumerate() {
                    let widx = layer.weight_offset + i * layer.fan_in + m;
                    let w = params[widx];
                    val += s * w * xv;
                    for q in 0..p {
                        grad[q] += s * w * xg[q];
                    }
                    grad[widx] += s * xv;
                    for (h, xhv) in hess.iter_mut().zip(xh) {
                        *h += s * w * xhv;
                    }
                    for q in 0..p {
                        hess[widx * p + q] += s * xg[q];
                        hess[q * p + widx] += s * xg[q];
                    }
                }
                if let Some(bo) = layer.bias_offset {
                    val += layer.bias_scale * params[bo + i];
                    grad[bo + i] += layer.bias_scale;
                }
                if l + 1 < n_layers {
                    let (v, d1, d2) = mlp.activation().value_and_derivatives(val);
                    for q in 0..p {
                        for r in 0..p {
                            hess[q * p + r] = d1 * hess[q * p + r] + d2 * grad[q] * grad[r];
                        }
                    }
                    grad.iter_mut().for_each(|g| *g *= d1);
                    val = v;
                }
                next.push((val, grad, hess));
            }
            units = next;
        }
        let h_out = ev.sample_hessian(a);
        let g_out = &ev.gradient()[a * k..(a + 1) * k];
        for j in 0..k {
            for jj in 0..k {
                let hjj = h_out[j * k + jj];
                for q in 0..p {
                    for r in 0..p {
                        g_total[q * p + r] += hjj * units[j].1[q] * units[jj].1[r];
                    }
                }
            }
            for (r, h) in r_total.iter_mut().zip(&units[j].2) {
                *r += g_out[j] * h;
            }
        }
    }
    let h_total = g_total.iter().zip(&r_total).map(|(a, b)| a + b).collect();
    (h_total, g_total, r_total)
}

#[test]
fn gradient_matches_central_finite_differences() {
    for c in cases() {
        let (_, grad) = loss_and_gradient(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let scale = 1.0 + max_abs(&grad);
        for i in 0..c.mlp.n_params() {
            let mut plus = c.params.clone();
            let mut minus = c.params.clone();
            plus[i] += FD_STEP;
            minus[i] -= FD_STEP;
            let lp = loss_and_gradient(&c.mlp, &plus, &c.data, c.loss).unwrap().0;
            let lm = loss_and_gradient(&c.mlp, &minus, &c.data, c.loss)
                .unwrap()
                .0;
            let fd = (lp - lm) / (2.0 * FD_STEP);
            assert!(
                (fd - grad[i]).abs() < FD_REL_TOL * scale,
                "{}: ∂ℒ/∂θ_{i} = {:e}, finite difference {fd:e}, bound {:e}",
                describe(&c),
                grad[i],
                FD_REL_TOL * scale
            );
        }
    }
}

#[test]
fn hessian_vector_product_matches_finite_differences_of_gradients() {
    for c in cases() {
        let p = c.mlp.n_params();
        let v = random_direction(p, c.seed + 7);
        let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let mut hv = vec![0.0; p];
        point.hessian_vector_product(&v, &mut hv);
        let shifted = |t: f64| {
            let q: Vec<f64> = c.params.iter().zip(&v).map(|(a, b)| a + t * b).collect();
            loss_and_gradient(&c.mlp, &q, &c.data, c.loss).unwrap().1
        };
        let (gp, gm) = (shifted(FD_STEP), shifted(-FD_STEP));
        let fd: Vec<f64> = gp
            .iter()
            .zip(&gm)
            .map(|(a, b)| (a - b) / (2.0 * FD_STEP))
            .collect();
        let err = max_abs_diff(&fd, &hv);
        let bound = FD_REL_TOL * (1.0 + max_abs(&hv));
        assert!(
            err < bound,
            "{}: ‖Hv − fd‖∞ = {err:e}, bound {bound:e}",
            describe(&c)
        );
    }
}

#[test]
fn hessian_gauss_newton_and_residual_match_forward_second_order_propagation() {
    for c in cases() {
        let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let (h_ref, g_ref, r_ref) = forward_second_order(&c);
        let scale = 1.0 + max_abs(&h_ref);
        for (name, got, want) in [
            ("Hessian (R-operator)", point.hessian_dense(), &h_ref),
            (
                "Gauss–Newton (Jacobian)",
                point.gauss_newton_dense(),
                &g_ref,
            ),
            ("residual (R-operator)", point.residual_dense(), &r_ref),
        ] {
            let err = max_abs_diff(&got, want);
            assert!(
                err < EXACT_REL_TOL * scale,
                "{}: {name} differs from forward propagation by {err:e} (scale {scale:e})",
                describe(&c)
            );
        }
    }
}

#[test]
fn products_equal_dense_matrices_times_vector() {
    for c in cases() {
        let p = c.mlp.n_params();
        let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let (h_ref, g_ref, _) = forward_second_order(&c);
        let v = random_direction(p, c.seed + 11);
        let matvec = |m: &[f64]| -> Vec<f64> {
            m.chunks_exact(p)
                .map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum())
                .collect()
        };
        let mut hv = vec![0.0; p];
        point.hessian_vector_product(&v, &mut hv);
        let mut gv = vec![0.0; p];
        point.gauss_newton_vector_product(&v, &mut gv);
        for (name, got, want) in [("Hv", hv, matvec(&h_ref)), ("Gv", gv, matvec(&g_ref))] {
            let err = max_abs_diff(&got, &want);
            let bound = EXACT_REL_TOL * (1.0 + max_abs(&want));
            assert!(
                err < bound,
                "{}: {name} error {err:e}, bound {bound:e}",
                describe(&c)
            );
        }
    }
}

#[test]
fn dense_hessian_from_products_is_symmetric() {
    for c in cases() {
        let p = c.mlp.n_params();
        let h = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss)
            .unwrap()
            .hessian_dense();
        let scale = 1.0 + max_abs(&h);
        let mut asym = 0.0_f64;
        for i in 0..p {
            for j in 0..i {
                asym = asym.max((h[i * p + j] - h[j * p + i]).abs());
            }
        }
        assert!(
            asym < EXACT_REL_TOL * scale,
            "{}: max |H − Hᵀ| = {asym:e}",
            describe(&c)
        );
    }
}

#[test]
fn jacobian_matches_finite_differences_of_outputs_and_products() {
    for c in cases() {
        let (n, k, p) = (c.data.n_samples(), c.mlp.n_outputs(), c.mlp.n_params());
        let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let jac = point.jacobian();
        let scale = 1.0 + max_abs(&jac);
        for i in 0..p {
            let mut plus = c.params.clone();
            let mut minus = c.params.clone();
            plus[i] += FD_STEP;
            minus[i] -= FD_STEP;
            let fp = c.mlp.forward(&plus, c.data.inputs(), n).unwrap();
            let fm = c.mlp.forward(&minus, c.data.inputs(), n).unwrap();
            for row in 0..n * k {
                let fd = (fp[row] - fm[row]) / (2.0 * FD_STEP);
                assert!(
                    (fd - jac[row * p + i]).abs() < FD_REL_TOL * scale,
                    "{}: J[{row},{i}] = {:e}, fd {fd:e}",
                    describe(&c),
                    jac[row * p + i]
                );
            }
        }
        // J v and Jᵀ u against the explicit Jacobian.
        let v = random_direction(p, c.seed + 3);
        let u = random_direction(n * k, c.seed + 4);
        let jv_ref: Vec<f64> = jac
            .chunks_exact(p)
            .map(|r| r.iter().zip(&v).map(|(a, b)| a * b).sum())
            .collect();
        let mut jtu_ref = vec![0.0; p];
        for (row, ur) in jac.chunks_exact(p).zip(&u) {
            for (o, j) in jtu_ref.iter_mut().zip(row) {
                *o += ur * j;
            }
        }
        let e1 = max_abs_diff(&point.jacobian_vector_product(&v), &jv_ref);
        let e2 = max_abs_diff(&point.vector_jacobian_product(&u), &jtu_ref);
        assert!(
            e1 < EXACT_REL_TOL * scale && e2 < EXACT_REL_TOL * scale,
            "{}",
            describe(&c)
        );
    }
}

#[test]
fn residual_matches_finite_differences_of_jacobian_transpose() {
    // R v = d/dt Jᵀ(θ + t v) g at fixed g = ∂ℒ/∂f(θ): an FD reference for the residual alone.
    for c in cases() {
        let p = c.mlp.n_params();
        let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let g_out = point.loss_evaluation().gradient().to_vec();
        let v = random_direction(p, c.seed + 5);
        let mut rv = vec![0.0; p];
        point.residual_vector_product(&v, &mut rv);
        let jt_g = |t: f64| {
            let q: Vec<f64> = c.params.iter().zip(&v).map(|(a, b)| a + t * b).collect();
            CurvaturePoint::new(&c.mlp, &q, &c.data, c.loss)
                .unwrap()
                .vector_jacobian_product(&g_out)
        };
        let (a, b) = (jt_g(FD_STEP), jt_g(-FD_STEP));
        let fd: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y) / (2.0 * FD_STEP))
            .collect();
        let err = max_abs_diff(&fd, &rv);
        let bound = FD_REL_TOL * (1.0 + max_abs(&rv));
        assert!(
            err < bound,
            "{}: ‖Rv − fd‖∞ = {err:e}, bound {bound:e}",
            describe(&c)
        );
    }
}

#[test]
fn hessian_is_gauss_newton_plus_residual() {
    for c in cases() {
        let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
        let h = point.hessian_dense();
        let g = point.gauss_newton_dense();
        let r = point.residual_dense();
        let sum: Vec<f64> = g.iter().zip(&r).map(|(a, b)| a + b).collect();
        let err = max_abs_diff(&h, &sum);
        assert!(
            err < EXACT_REL_TOL * (1.0 + max_abs(&h)),
            "{}: ‖H − G − R‖ = {err:e}",
            describe(&c)
        );
    }
}

/// Eigenvalues (ascending) of a symmetric row-major `p × p` matrix.
fn eigenvalues(m: &[f64], p: usize) -> Vec<f64> {
    MatRef::from_row_major_slice(m, p, p)
        .self_adjoint_eigenvalues(Side::Lower)
        .unwrap()
}

/// A backward-stable symmetric eigensolver returns each eigenvalue within `c·p·ε·‖G‖`, and forming `G = JᵀHJ`
/// in floating point perturbs it by at most `c·n·k·ε·‖J‖²‖H‖`; with c = 100 this bounds how far below zero a PSD
/// matrix's computed eigenvalues may go (here ~1e-12 relative), while a sign error would show at O(‖G‖).
fn psd_floor(p: usize, n: usize, k: usize, norm: f64) -> f64 {
    -100.0 * (p + n * k) as f64 * f64::EPSILON * norm
}

#[test]
fn gauss_newton_is_positive_semidefinite() {
    for c in cases() {
        let (p, n, k) = (c.mlp.n_params(), c.data.n_samples(), c.mlp.n_outputs());
        let g = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss)
            .unwrap()
            .gauss_newton_dense();
        let eig = eigenvalues(&g, p);
        let (lo, hi) = (eig[0], eig[p - 1]);
        let floor = psd_floor(p, n, k, hi);
        assert!(
            lo >= floor,
            "{}: λ_min(G) = {lo:e} < {floor:e} (λ_max {hi:e})",
            describe(&c)
        );
    }
}

#[test]
fn cross_entropy_gauss_newton_rank_is_at_most_samples_times_classes_minus_one() {
    // P = 4·8 + 8 + 8·4 + 4 = 76 > n(C − 1) = 6·3 = 18, so the bound is not implied by P.
    for seed in [1, 2, 3] {
        let c = case(
            &[4, 8, 4],
            Activation::Tanh,
            Parameterization::TorchDefault,
            true,
            LossKind::CrossEntropy,
            6,
            seed,
        );
        let (p, n, k) = (c.mlp.n_params(), c.data.n_samples(), c.mlp.n_outputs());
        let g = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss)
            .unwrap()
            .gauss_newton_dense();
        let mut eig = eigenvalues(&g, p);
        eig.reverse();
        let bound = n * (k - 1);
        // Eigenvalues that vanish in exact arithmetic are below |psd_floor| ≈ 2e-12·λ_max; a threshold 1e-9·λ_max
        // sits 500× above that floor, and the test also shows the surviving eigenvalues are far above it.
        let threshold = 1e-9 * eig[0];
        let rank = eig.iter().filter(|&&l| l > threshold).count();
        assert!(
            rank <= bound,
            "seed {seed} n {n} C {k}: rank(G) = {rank} > n(C−1) = {bound}; eigenvalues {:?}",
            &eig[..(bound + 2).min(p)]
        );
        // Generic data give full rank n(C−1): the bound is attained and the gap is clear.
        assert_eq!(
            rank,
            bound,
            "seed {seed}: rank {rank}, eigenvalues {:?}",
            &eig[..bound + 2]
        );
        assert!(
            eig[bound - 1] > 1e-6 * eig[0] && eig[bound].abs() < -psd_floor(p, n, k, eig[0]),
            "seed {seed}: no clear gap at the rank: λ_{bound} = {:e}, λ_{} = {:e}, λ_max = {:e}",
            eig[bound - 1],
            bound + 1,
            eig[bound],
            eig[0]
        );
    }
}

fn mse_case_with_targets(c: &Case, y: Vec<f64>) -> Dataset {
    Dataset::from_rows(
        c.data.inputs().to_vec(),
        c.data.n_samples(),
        c.data.sample_len(),
        Targets::Values {
            values: y,
            dim: c.mlp.n_outputs(),
        },
    )
    .unwrap()
}

#[test]
fn residual_vanishes_when_mse_targets_equal_outputs() {
    let c = case(
        &[3, 5, 2],
        Activation::Gelu,
        Parameterization::TorchDefault,
        true,
        LossKind::Mse,
        4,
        8,
    );
    let outputs = c
        .mlp
        .forward(&c.params, c.data.inputs(), c.data.n_samples())
        .unwrap();
    let data = mse_case_with_targets(&c, outputs);
    let point = CurvaturePoint::new(&c.mlp, &c.params, &data, c.loss).unwrap();
    // g = 2c(f − y) is exactly zero, so R is exactly zero and H = G up to rounding.
    assert!(point.residual_dense().iter().all(|&r| r == 0.0));
    let (h, g) = (point.hessian_dense(), point.gauss_newton_dense());
    let err = max_abs_diff(&h, &g);
    assert!(
        err < EXACT_REL_TOL * (1.0 + max_abs(&h)),
        "seed 8: ‖H − G‖ = {err:e}"
    );
}

#[test]
fn one_layer_linear_mse_hessian_equals_gauss_newton() {
    // f = W x + b is linear in θ, so ∇²f = 0 and R = 0 for any targets.
    let c = case(
        &[4, 3],
        Activation::Linear,
        Parameterization::TorchDefault,
        true,
        LossKind::Mse,
        6,
        21,
    );
    let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
    let (h, g) = (point.hessian_dense(), point.gauss_newton_dense());
    let err = max_abs_diff(&h, &g);
    assert!(
        err < EXACT_REL_TOL * (1.0 + max_abs(&h)),
        "seed 21: ‖H − G‖ = {err:e}"
    );
    assert!(max_abs(&point.residual_dense()) < EXACT_REL_TOL);
}

#[test]
fn deep_linear_mse_residual_is_nonzero() {
    // f = W₂W₁x is bilinear in (W₁, W₂): ∂²f/∂W₁∂W₂ ≠ 0, so R ≠ 0 whenever the residuals f − y are nonzero.
    let c = case(
        &[3, 4, 2],
        Activation::Linear,
        Parameterization::TorchDefault,
        false,
        LossKind::Mse,
        5,
        22,
    );
    let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
    let r = point.residual_dense();
    let g = point.gauss_newton_dense();
    assert!(
        max_abs(&r) > 1e-3 * max_abs(&g),
        "seed 22: ‖R‖∞ = {:e}, ‖G‖∞ = {:e}",
        max_abs(&r),
        max_abs(&g)
    );
}

#[test]
fn half_mean_reduction_gives_gauss_newton_jt_j_over_n() {
    let c = case(
        &[3, 4, 2],
        Activation::Tanh,
        Parameterization::Ntk { bias_scale: 1.0 },
        true,
        LossKind::Mse,
        5,
        30,
    );
    let loss = Loss::new(LossKind::Mse, Reduction::HalfMeanOverSamples).unwrap();
    let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, loss).unwrap();
    let (p, rows) = (c.mlp.n_params(), c.data.n_samples() * c.mlp.n_outputs());
    let jac = point.jacobian();
    let g = point.gauss_newton_dense();
    let mut err = 0.0_f64;
    for i in 0..p {
        for j in 0..p {
            let jtj: f64 = (0..rows).map(|r| jac[r * p + i] * jac[r * p + j]).sum();
            err = err.max((g[i * p + j] - jtj / c.data.n_samples() as f64).abs());
        }
    }
    assert!(
        err < EXACT_REL_TOL * (1.0 + max_abs(&g)),
        "seed 30: ‖G − JᵀJ/n‖ = {err:e}"
    );
}

#[test]
fn operators_apply_their_products_and_reject_wrong_lengths() {
    let c = case(
        &[3, 4, 2],
        Activation::Erf,
        Parameterization::TorchDefault,
        true,
        LossKind::CrossEntropy,
        4,
        40,
    );
    let p = c.mlp.n_params();
    let h_op = HessianOperator::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
    let g_op = GaussNewtonOperator::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
    assert_eq!((h_op.dim(), g_op.dim()), (p, p));
    let v = random_direction(p, 41);
    let (mut y1, mut y2) = (vec![0.0; p], vec![0.0; p]);
    h_op.apply(&v, &mut y1).unwrap();
    h_op.point().hessian_vector_product(&v, &mut y2);
    assert_eq!(
        y1, y2,
        "apply must be deterministic and equal the point's product"
    );
    assert!(h_op.apply(&v[1..], &mut y1).is_err());
    assert!(g_op.apply(&v, &mut y1[1..]).is_err());
    let mismatched = Dataset::from_rows(vec![0.0; 8], 4, 2, Targets::classes(vec![0; 4])).unwrap();
    assert!(HessianOperator::new(&c.mlp, &c.params, &mismatched, c.loss).is_err());
}

include!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/reference/network_reference.rs"
));

/// A fixed 3-4-2 GELU net in PyTorch's layout and loss conventions against mpmath at 40 digits
/// (`simulate/tests/reference/make_network_reference.py`). The f64 inputs differ from the script's exact ones by
/// ~1e-16 relative and the computation is well conditioned, so 1e-12 relative to the largest entry is ample.
#[test]
fn network_matches_mpmath_reference() {
    const REF_REL_TOL: f64 = 1e-12;
    let mlp = Mlp::new(MlpConfig {
        widths: vec![3, 4, 2],
        activation: Activation::Gelu,
        parameterization: Parameterization::TorchDefault,
        bias: true,
    })
    .unwrap();
    let p = mlp.n_params();
    let params: Vec<f64> = (0..p).map(|i| (1.3 * i as f64 + 0.5).sin() / 2.0).collect();
    let x: Vec<f64> = (0..3)
        .flat_map(|a| (0..3).map(move |j| (0.7 * f64::from(a) + 1.1 * f64::from(j)).cos()))
        .collect();
    let y: Vec<f64> = (0..3)
        .flat_map(|a| (0..2).map(move |j| 0.3 * f64::from(a + 1) - f64::from(j)))
        .collect();
    let v: Vec<f64> = (0..p).map(|i| (i as f64 / 3.0).cos()).collect();
    let mse_data =
        Dataset::from_rows(x.clone(), 3, 3, Targets::Values { values: y, dim: 2 }).unwrap();
    let ce_data = Dataset::from_rows(x, 3, 3, Targets::classes(vec![1, 0, 1])).unwrap();
    for (name, data, loss, ref_loss, ref_grad, ref_hvp) in [
        (
            "mse",
            &mse_data,
            Loss::mse(),
            REF_MSE_LOSS,
            &REF_MSE_GRAD,
            &REF_MSE_HVP,
        ),
        (
            "cross-entropy",
            &ce_data,
            Loss::cross_entropy(),
            REF_CE_LOSS,
            &REF_CE_GRAD,
            &REF_CE_HVP,
        ),
    ] {
        let point = CurvaturePoint::new(&mlp, &params, data, loss).unwrap();
        let mut hv = vec![0.0; p];
        point.hessian_vector_product(&v, &mut hv);
        let e_loss = (point.loss_value() - ref_loss).abs() / ref_loss.abs();
        let e_grad = max_abs_diff(point.gradient(), ref_grad) / max_abs(ref_grad);
        let e_hvp = max_abs_diff(&hv, ref_hvp) / max_abs(ref_hvp);
        assert!(
            e_loss < REF_REL_TOL && e_grad < REF_REL_TOL && e_hvp < REF_REL_TOL,
            "{name}: relative errors loss {e_loss:e}, gradient {e_grad:e}, Hv {e_hvp:e}; bound {REF_REL_TOL:e}"
        );
    }
}

/// A medium net (P = 258, the size limit of the dense tests is P ≤ 500): the R-operator Hessian is symmetric and
/// its products match finite differences of gradients, as on the tiny nets.
#[test]
fn medium_net_hessian_is_symmetric_and_matches_finite_differences() {
    let c = case(
        &[6, 12, 10, 4],
        Activation::Gelu,
        Parameterization::TorchDefault,
        true,
        LossKind::CrossEntropy,
        16,
        50,
    );
    let p = c.mlp.n_params();
    assert_eq!(p, 6 * 12 + 12 + 12 * 10 + 10 + 10 * 4 + 4);
    let point = CurvaturePoint::new(&c.mlp, &c.params, &c.data, c.loss).unwrap();
    let h = point.hessian_dense();
    let scale = 1.0 + max_abs(&h);
    let mut asym = 0.0_f64;
    for i in 0..p {
        for j in 0..i {
            asym = asym.max((h[i * p + j] - h[j * p + i]).abs());
        }
    }
    assert!(
        asym < EXACT_REL_TOL * scale,
        "{}: max |H − Hᵀ| = {asym:e}",
        describe(&c)
    );
    let v = random_direction(p, 51);
    let mut hv = vec![0.0; p];
    point.hessian_vector_product(&v, &mut hv);
    let shifted = |t: f64| {
        let q: Vec<f64> = c.params.iter().zip(&v).map(|(a, b)| a + t * b).collect();
        loss_and_gradient(&c.mlp, &q, &c.data, c.loss).unwrap().1
    };
    let (gp, gm) = (shifted(FD_STEP), shifted(-FD_STEP));
    let fd: Vec<f64> = gp
        .iter()
        .zip(&gm)
        .map(|(a, b)| (a - b) / (2.0 * FD_STEP))
        .collect();
    let err = max_abs_diff(&fd, &hv);
    let bound = FD_REL_TOL * (1.0 + max_abs(&hv));
    assert!(
        err < bound,
        "{}: ‖Hv − fd‖∞ = {err:e}, bound {bound:e}",
        describe(&c)
    );
    let g = point.gauss_newton_dense();
    let eig = eigenvalues(&g, p);
    let floor = psd_floor(p, c.data.n_samples(), c.mlp.n_outputs(), eig[p - 1]);
    assert!(
        eig[0] >= floor,
        "{}: λ_min(G) = {:e} < {floor:e}",
        describe(&c),
        eig[0]
    );
}
