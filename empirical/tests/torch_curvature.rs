//! The libtorch curvature operators against finite differences, against themselves on repeated data, and against
//! PyTorch's own `hvp` on a TorchScript module written by Python.
#![cfg(feature = "torch")]

use landscape_empirical::EmpiricalError;
use landscape_empirical::data::mixture::GaussianMixture;
use landscape_empirical::data::{Dataset, Targets};
use landscape_empirical::torch::{
    Activation, DeviceSpec, Loss, Mode, Objective, Reduction, TorchGaussNewton, TorchHessian,
    TorchModel, loss_and_gradient,
};
use landscape_simulate::SymmetricOperator;
use std::path::{Path, PathBuf};

/// Round-off floor of f64 products through a few tanh layers and a softmax: observed ~1e-15 relative; 1e-12 leaves
/// three orders of margin without hiding a wrong factor.
const ROUNDING_REL: f64 = 1e-12;

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let scale: f64 = b
        .iter()
        .map(|y| y * y)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    diff / scale
}

fn test_vector(n: usize, phase: f64) -> Vec<f64> {
    (0..n).map(|i| (phase + 0.7 * i as f64).sin()).collect()
}

fn mixture(n: usize, classes: usize) -> Dataset {
    GaussianMixture {
        n_samples: n,
        dim: 4,
        n_classes: classes,
        separation: 2.0,
        seed: 7,
    }
    .sample()
    .unwrap()
}

fn regression(n: usize) -> Dataset {
    let x = mixture(n, 2);
    let values = (0..2 * n).map(|i| (i as f64 * 0.37).cos()).collect();
    Dataset::new(
        "regression",
        x.inputs().to_vec(),
        vec![4],
        Targets::Values { values, dim: 2 },
    )
    .unwrap()
}

fn apply(op: &dyn SymmetricOperator, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; op.dim()];
    op.apply(x, &mut y).unwrap();
    y
}

#[test]
fn hessian_vector_product_matches_central_differences_of_the_gradient() {
    let cases = [
        (mixture(20, 3), Objective::mean(Loss::CrossEntropy), 3),
        (
            regression(20),
            Objective {
                loss: Loss::Mse,
                reduction: Reduction::Sum,
            },
            2,
        ),
    ];
    for (data, objective, n_out) in cases {
        let mut model =
            TorchModel::mlp(&[4, 6, n_out], Activation::Tanh, 3, DeviceSpec::Cpu).unwrap();
        let theta = model.flat_parameters().unwrap();
        let v = test_vector(theta.len(), 0.3);
        let hv = apply(&TorchHessian::new(&model, &data, objective).unwrap(), &v);
        // Central difference with step h: truncation O(h²‖∇³L‖) ≈ 1e-10, rounding ε‖g‖/h ≈ 1e-11.
        let h = 1e-5;
        let mut grad_at = |sign: f64| {
            let shifted: Vec<f64> = theta
                .iter()
                .zip(&v)
                .map(|(t, vi)| t + sign * h * vi)
                .collect();
            model.set_flat_parameters(&shifted).unwrap();
            loss_and_gradient(&model, &data, objective).unwrap().1
        };
        let (gp, gm) = (grad_at(1.0), grad_at(-1.0));
        let fd: Vec<f64> = gp
            .iter()
            .zip(&gm)
            .map(|(a, b)| (a - b) / (2.0 * h))
            .collect();
        let err = rel_err(&hv, &fd);
        // Bound: both error terms above, relative to ‖Hv‖ = O(1), with two orders of margin.
        assert!(
            err < 1e-7,
            "{objective}: relative error {err:e} of Hv against central differences, bound 1e-7"
        );
    }
}

#[test]
fn gauss_newton_equals_hessian_for_a_model_linear_in_its_parameters() {
    // f(θ) = Wx + b is linear in θ, so ∇²L = Jᵀ H_ℓ J exactly.
    for (data, objective, n_out) in [
        (mixture(15, 3), Objective::mean(Loss::CrossEntropy), 3),
        (regression(15), Objective::mean(Loss::Mse), 2),
    ] {
        let model = TorchModel::mlp(&[4, n_out], Activation::Tanh, 5, DeviceSpec::Cpu).unwrap();
        let v = test_vector(model.n_params(), 1.1);
        let hv = apply(&TorchHessian::new(&model, &data, objective).unwrap(), &v);
        let gv = apply(
            &TorchGaussNewton::new(&model, &data, objective).unwrap(),
            &v,
        );
        let err = rel_err(&gv, &hv);
        assert!(
            err < ROUNDING_REL,
            "{objective}: ‖Gv − Hv‖/‖Hv‖ = {err:e}, bound {ROUNDING_REL:e}"
        );
    }
}

#[test]
fn gauss_newton_is_symmetric_and_positive_semidefinite_for_a_deep_network() {
    let data = mixture(12, 3);
    let model = TorchModel::mlp(&[4, 5, 5, 3], Activation::Tanh, 9, DeviceSpec::Cpu).unwrap();
    let op = TorchGaussNewton::new(&model, &data, Objective::mean(Loss::CrossEntropy)).unwrap();
    let (a, b) = (test_vector(op.dim(), 0.2), test_vector(op.dim(), 2.9));
    let (ga, gb) = (apply(&op, &a), apply(&op, &b));
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    let (agb, bga) = (dot(&a, &gb), dot(&b, &ga));
    assert!(
        (agb - bga).abs() <= ROUNDING_REL * agb.abs().max(1.0),
        "aᵀGb {agb} vs bᵀGa {bga}"
    );
    assert!(dot(&a, &ga) >= 0.0 && dot(&b, &gb) >= 0.0);
}

#[test]
fn operators_over_k_copies_of_a_batch_equal_the_operators_over_the_batch() {
    let data = mixture(9, 3);
    let copies = data
        .subset(&(0..3 * 9).map(|i| i % 9).collect::<Vec<_>>())
        .unwrap();
    let model = TorchModel::mlp(&[4, 6, 3], Activation::Relu, 11, DeviceSpec::Cpu).unwrap();
    let objective = Objective::mean(Loss::CrossEntropy);
    let v = test_vector(model.n_params(), 0.5);
    let pairs: [(Vec<f64>, Vec<f64>); 2] = [
        (
            apply(&TorchHessian::new(&model, &data, objective).unwrap(), &v),
            apply(&TorchHessian::new(&model, &copies, objective).unwrap(), &v),
        ),
        (
            apply(
                &TorchGaussNewton::new(&model, &data, objective).unwrap(),
                &v,
            ),
            apply(
                &TorchGaussNewton::new(&model, &copies, objective).unwrap(),
                &v,
            ),
        ),
    ];
    for (one, three) in pairs {
        let err = rel_err(&three, &one);
        assert!(
            err < ROUNDING_REL,
            "k = 3 copies: relative difference {err:e}, bound {ROUNDING_REL:e}"
        );
    }
    // The sum reduction scales with the number of samples instead.
    let sum = Objective {
        loss: Loss::CrossEntropy,
        reduction: Reduction::Sum,
    };
    let h_sum = apply(&TorchHessian::new(&model, &data, sum).unwrap(), &v);
    let h_mean = apply(&TorchHessian::new(&model, &data, objective).unwrap(), &v);
    let scaled: Vec<f64> = h_mean.iter().map(|x| 9.0 * x).collect();
    assert!(rel_err(&h_sum, &scaled) < ROUNDING_REL);
}

#[test]
fn every_operator_states_its_mode_loss_and_samples() {
    let data = mixture(6, 3);
    let model = TorchModel::mlp(&[4, 3], Activation::Tanh, 1, DeviceSpec::Cpu).unwrap();
    let op = TorchHessian::new(&model, &data, Objective::mean(Loss::CrossEntropy)).unwrap();
    let text = op.info().to_string();
    assert!(
        text.contains("eval mode") && text.contains("cross-entropy (mean over samples)"),
        "{text}"
    );
    assert!(
        text.contains("6 samples") && text.contains("15 parameters"),
        "{text}"
    );
}

#[test]
fn data_that_does_not_fit_the_model_is_a_one_line_error() {
    let objective = Objective::mean(Loss::CrossEntropy);
    let wide = TorchModel::mlp(&[5, 3], Activation::Tanh, 1, DeviceSpec::Cpu).unwrap();
    let err = TorchHessian::new(&wide, &mixture(6, 3), objective).unwrap_err();
    assert!(matches!(err, EmpiricalError::Shape(_)), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");

    let two_outputs = TorchModel::mlp(&[4, 2], Activation::Tanh, 1, DeviceSpec::Cpu).unwrap();
    let err = TorchHessian::new(&two_outputs, &mixture(6, 3), objective).unwrap_err();
    assert_eq!(
        err.to_string(),
        "label 2 of sample 2 is out of range: expected 0 ≤ label < 2"
    );

    let err = TorchHessian::new(&two_outputs, &regression(6), objective).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid loss = cross-entropy"),
        "{err}"
    );
}

#[test]
fn missing_or_corrupt_torchscript_files_are_one_line_errors() {
    let dir = temp_dir("bad-pt");
    let missing =
        TorchModel::torchscript(&dir.join("nope.pt"), DeviceSpec::Cpu, Mode::Eval).unwrap_err();
    assert!(matches!(missing, EmpiricalError::Io { .. }), "{missing}");
    let corrupt = dir.join("corrupt.pt");
    std::fs::write(&corrupt, b"this is not a zip archive").unwrap();
    let err = TorchModel::torchscript(&corrupt, DeviceSpec::Cpu, Mode::Eval).unwrap_err();
    assert!(matches!(err, EmpiricalError::Format { .. }), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landscape-torch-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The Python with torch: `LANDSCAPE_PYTHON`, else `python3` on `PATH` (scripts/setup-torch.sh puts the venv's
/// first).
fn python() -> String {
    std::env::var("LANDSCAPE_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn floats(json: &serde_json::Value, key: &str) -> Vec<f64> {
    json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn torchscript_round_trip_matches_pytorch_outputs_gradient_and_curvature() {
    let dir = temp_dir("roundtrip");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/make_torchscript_mlp.py");
    let status = std::process::Command::new(python())
        .args(["-W", "ignore"])
        .arg(&script)
        .arg(&dir)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (set LANDSCAPE_PYTHON to the venv's python): {e}",
                python()
            )
        });
    assert!(
        status.success(),
        "{} {} failed: is torch installed there?",
        python(),
        script.display()
    );
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();

    let model = TorchModel::torchscript(&dir.join("mlp.pt"), DeviceSpec::Cpu, Mode::Eval).unwrap();
    assert_eq!(
        model.parameter_names(),
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    );
    let theta = floats(&reference, "theta");
    // serde_json's default float parser may be one ulp off Python's shortest repr, hence not bit equality.
    let err = rel_err(&model.flat_parameters().unwrap(), &theta);
    assert!(
        err < ROUNDING_REL,
        "parameters in named_parameters order: relative difference {err:e}"
    );

    // The reference script's inputs are float32 values.
    let x: Vec<f64> = floats(&reference, "x")
        .iter()
        .map(|&v| f64::from(v as f32))
        .collect();
    let labels: Vec<usize> = reference["y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let data = Dataset::new(
        "python",
        x,
        vec![4],
        Targets::Classes {
            labels,
            n_classes: 3,
        },
    )
    .unwrap();
    let (inputs, _) = model.batch(&data).unwrap();
    let outputs = tch::no_grad(|| model.forward(&inputs))
        .unwrap()
        .reshape([-1]);
    let outputs = Vec::<f64>::try_from(&outputs).unwrap();
    assert!(rel_err(&outputs, &floats(&reference, "outputs")) < ROUNDING_REL);

    let objective = Objective::mean(Loss::CrossEntropy);
    let (loss, grad) = loss_and_gradient(&model, &data, objective).unwrap();
    let expected_loss = reference["loss"].as_f64().unwrap();
    assert!(
        (loss - expected_loss).abs() < ROUNDING_REL,
        "loss {loss} vs PyTorch {expected_loss}"
    );
    assert!(rel_err(&grad, &floats(&reference, "grad")) < ROUNDING_REL);

    let v = floats(&reference, "v");
    let hv = apply(&TorchHessian::new(&model, &data, objective).unwrap(), &v);
    let err = rel_err(&hv, &floats(&reference, "hv"));
    assert!(
        err < ROUNDING_REL,
        "Hv vs torch.autograd.functional.hvp: {err:e}"
    );
    let gv = apply(
        &TorchGaussNewton::new(&model, &data, objective).unwrap(),
        &v,
    );
    let err = rel_err(&gv, &floats(&reference, "gv"));
    assert!(err < ROUNDING_REL, "Gv vs torch.func jvp/vjp: {err:e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Dropout in train mode draws a new mask on every forward pass; an operator that redrew it per product would change
/// under Lanczos (residuals of 0.15 were measured that way). The operator draws once, at construction, so two
/// identical products agree bit for bit — and a second operator (a new draw) is another matrix.
#[test]
fn a_dropout_module_in_train_mode_gives_one_matrix_per_operator() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/model_files/dropout.pt");
    let model = TorchModel::torchscript(&path, DeviceSpec::Cpu, Mode::Train).unwrap();
    let data = mixture(32, 2);
    let objective = Objective::mean(Loss::CrossEntropy);
    let h = TorchHessian::new(&model, &data, objective).unwrap();
    let v = test_vector(h.dim(), 0.3);
    let (mut a, mut b) = (vec![0.0; v.len()], vec![0.0; v.len()]);
    h.apply(&v, &mut a).unwrap();
    h.apply(&v, &mut b).unwrap();
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let other = TorchHessian::new(&model, &data, objective).unwrap();
    let mut c = vec![0.0; v.len()];
    other.apply(&v, &mut c).unwrap();
    assert!(
        rel_err(&c, &a) > 1e-6,
        "two draws of the mask gave the same matrix"
    );
}

/// `--dtype f32`: parameters, inputs and products in float32, flat vectors in f64. Each product then carries
/// float32 round-off: for this two-layer tanh network a few operations per entry, so a relative error of a few
/// ε₃₂ = 1.2e-7 (measured 1e-7); 1e-5 leaves two orders of margin and still rejects an f64 product, a product
/// of the unrounded parameters' negative or a wrong scale. The operator says its precision, and the eigensolver
/// raises its tolerance to what float32 products resolve, converging there.
#[test]
// Exact comparisons: rounding to f32 and back is exact, and the tolerances are constants the code sets.
#[allow(clippy::float_cmp)]
fn float32_products_agree_with_float64_to_float32_precision() {
    use landscape_empirical::experiments::eigenpairs::{
        DEFAULT_EIGENPAIR_TOL, End, ROUNDOFF_TOL_FACTOR, extreme_eigenpairs,
    };
    use landscape_empirical::spec::Precision;
    let data = mixture(40, 3);
    let objective = Objective::mean(Loss::CrossEntropy);
    let double = TorchModel::mlp(&[4, 16, 3], Activation::Tanh, 5, DeviceSpec::Cpu).unwrap();
    let mut single = TorchModel::mlp(&[4, 16, 3], Activation::Tanh, 5, DeviceSpec::Cpu).unwrap();
    single.set_precision(Precision::F32).unwrap();
    assert_eq!(single.precision(), Precision::F32);
    // The parameters were rounded to float32 and come back as f64 copies of those values.
    let (p64, p32) = (
        double.flat_parameters().unwrap(),
        single.flat_parameters().unwrap(),
    );
    assert!(
        p64.iter()
            .zip(&p32)
            .all(|(a, b)| *b == f64::from(*a as f32))
    );
    assert!(p64.iter().zip(&p32).any(|(a, b)| a != b));

    let h64 = TorchHessian::new(&double, &data, objective).unwrap();
    let h32 = TorchHessian::new(&single, &data, objective).unwrap();
    assert_eq!(h32.epsilon(), f64::from(f32::EPSILON));
    assert_eq!(h64.epsilon(), f64::EPSILON);
    assert!(
        h32.info().to_string().ends_with("float32"),
        "{}",
        h32.info()
    );
    let v = test_vector(h64.dim(), 0.4);
    let err = rel_err(&apply(&h32, &v), &apply(&h64, &v));
    assert!(err < 1e-5 && err > 0.0, "f32 against f64 products: {err:e}");
    let g32 = TorchGaussNewton::new(&single, &data, objective).unwrap();
    let g64 = TorchGaussNewton::new(&double, &data, objective).unwrap();
    let err = rel_err(&apply(&g32, &v), &apply(&g64, &v));
    assert!(
        err < 1e-5 && err > 0.0,
        "f32 against f64 GGN products: {err:e}"
    );

    let top32 = extreme_eigenpairs(&h32, 2, End::Top, 500, None, 1).unwrap();
    let top64 = extreme_eigenpairs(&h64, 2, End::Top, 500, None, 1).unwrap();
    assert_eq!(top32.tol, ROUNDOFF_TOL_FACTOR * f64::from(f32::EPSILON));
    assert_eq!(top64.tol, DEFAULT_EIGENPAIR_TOL);
    assert!(top32.all_converged() && top64.all_converged());
    for (a, b) in top32.values.iter().zip(&top64.values) {
        assert!((a - b).abs() <= 1e-5 * top64.values[0], "{a} vs {b}");
    }
}

/// A module that casts its input inside `forward` (`self.model(x.float())`, written by `make_model_files.py`)
/// cannot run in float64: a dtype error naming `--dtype`, not a shape error; in float32 it runs.
#[test]
fn a_module_that_casts_to_float32_is_a_dtype_error_in_float64_and_runs_in_float32() {
    use landscape_empirical::spec::Precision;
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/model_files/casts_float.pt");
    let data = mixture(6, 2);
    let objective = Objective::mean(Loss::CrossEntropy);
    let mut model = TorchModel::torchscript(&path, DeviceSpec::Cpu, Mode::Eval).unwrap();
    let err = TorchHessian::new(&model, &data, objective).unwrap_err();
    assert!(matches!(err, EmpiricalError::Dtype(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("dtype mismatch: float64 inputs do not fit") && text.contains("--dtype"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    model.set_precision(Precision::F32).unwrap();
    let h = TorchHessian::new(&model, &data, objective).unwrap();
    let v = test_vector(h.dim(), 0.1);
    assert!(apply(&h, &v).iter().all(|x| x.is_finite()));
}
