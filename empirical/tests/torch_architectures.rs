//! The built-in CNN and ResNet of the libtorch backend: Hessian-vector products against finite differences,
//! the top Lanczos eigenvalue against the dense Hessian, the operator over `k` copies of a batch, and the
//! parameter layout and function against the equivalent `torch.nn` modules built by Python.
#![cfg(feature = "torch")]

use landscape_empirical::data::mixture::GaussianMixture;
use landscape_empirical::data::{Dataset, Targets};
use landscape_empirical::experiments::eigenpairs::{End, extreme_eigenpairs};
use landscape_empirical::model::{CurvatureKind, CurvatureModel};
use landscape_empirical::torch::{
    DeviceSpec, Loss, Mode, Objective, TorchHessian, TorchModel, TorchNetwork, loss_and_gradient,
};
use landscape_simulate::SymmetricOperator;
use landscape_simulate::dense::DenseSymmetric;
use std::path::{Path, PathBuf};

/// Round-off floor of f64 products through a few convolutions and a softmax: observed ≲1e-14 relative; 1e-12
/// leaves two orders of margin without hiding a wrong factor.
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

fn apply(op: &dyn SymmetricOperator, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; op.dim()];
    op.apply(x, &mut y).unwrap();
    y
}

/// `n` images of `shape` from a `classes`-component Gaussian mixture (flattened draws reshaped).
fn images(n: usize, shape: &[usize], classes: usize, seed: u64) -> Dataset {
    let flat = GaussianMixture {
        n_samples: n,
        dim: shape.iter().product(),
        n_classes: classes,
        separation: 2.0,
        seed,
    }
    .sample()
    .unwrap();
    Dataset::new(
        "images",
        flat.inputs().to_vec(),
        shape.to_vec(),
        flat.targets().clone(),
    )
    .unwrap()
}

/// The two architectures under test, small enough for a dense Hessian (P ≤ 3000).
fn models() -> Vec<(TorchModel, Dataset)> {
    let cnn_data = images(12, &[1, 8, 8], 3, 1);
    let res_data = images(10, &[2, 6, 6], 3, 2);
    vec![
        (
            TorchModel::cnn(&[4, 6], &[1, 8, 8], 3, 11, DeviceSpec::Cpu).unwrap(),
            cnn_data,
        ),
        (
            TorchModel::resnet(2, 4, &[2, 6, 6], 3, 12, DeviceSpec::Cpu).unwrap(),
            res_data,
        ),
    ]
}

#[test]
fn cnn_and_resnet_parameter_counts_follow_their_layers() {
    // cnn[4, 6] on 1×8×8 → 3: conv 4·1·9+4, conv 6·4·9+6, two poolings 8→4→2, linear 3·(6·2·2)+3.
    let cnn = TorchModel::cnn(&[4, 6], &[1, 8, 8], 3, 0, DeviceSpec::Cpu).unwrap();
    assert_eq!(cnn.n_params(), 40 + 222 + 75);
    assert_eq!(
        cnn.parameter_names(),
        [
            "0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"
        ]
    );
    // resnet depth 2, width 4 on 2×6×6 → 3: stem 4·2·9+4, 4 convs 4·4·9+4, fc 3·4+3.
    let res = TorchModel::resnet(2, 4, &[2, 6, 6], 3, 0, DeviceSpec::Cpu).unwrap();
    assert_eq!(res.n_params(), 76 + 4 * 148 + 15);
    assert_eq!(res.parameter_names()[2], "blocks.0.conv1.weight");
    assert_eq!(res.parameter_names().last().unwrap(), "fc.bias");
    // PyTorch's default init: every entry within ±1/√fan_in of its layer (fan_in = 2·9 for the stem).
    let stem = res.flat_parameters().unwrap();
    let bound = 1.0 / 18f64.sqrt();
    assert!(stem[..76].iter().all(|w| w.abs() <= bound));
    assert!(stem[..76].iter().any(|w| w.abs() > 0.9 * bound));
}

#[test]
fn image_models_reject_data_that_are_not_images() {
    let err = TorchModel::cnn(&[4], &[64], 10, 0, DeviceSpec::Cpu).unwrap_err();
    assert!(
        err.to_string()
            .contains("needs image samples of shape [C, H, W] or [H, W]"),
        "{err}"
    );
    // A model built for 1×8×8 images refuses 2×6×6 data with one line.
    let model = TorchModel::cnn(&[4], &[1, 8, 8], 3, 0, DeviceSpec::Cpu).unwrap();
    let err = TorchNetwork::new(
        model,
        Objective::mean(Loss::CrossEntropy),
        &images(4, &[2, 6, 6], 3, 0),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("shape mismatch"), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");
}

#[test]
fn hessian_vector_products_of_cnn_and_resnet_match_central_differences() {
    let objective = Objective::mean(Loss::CrossEntropy);
    for (mut model, data) in models() {
        let theta = model.flat_parameters().unwrap();
        let v: Vec<f64> = (0..theta.len())
            .map(|i| (0.3 + 0.7 * i as f64).sin())
            .collect();
        let hv = apply(&TorchHessian::new(&model, &data, objective).unwrap(), &v);
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
        // Central differences: truncation O(h²‖∇³L‖) and rounding ε‖g‖/h, both ≲1e-10 relative here. ReLU kinks
        // are a risk only if a pre-activation lies within h‖v‖ ≈ 1e-4 of zero; the bound leaves two orders of
        // margin over the smooth-case error and would catch any wrong factor.
        assert!(
            err < 1e-7,
            "{}: relative error {err:e} of Hv against central differences, bound 1e-7",
            model.description()
        );
    }
}

#[test]
fn lanczos_top_eigenvalue_of_cnn_and_resnet_matches_the_dense_hessian() {
    let objective = Objective::mean(Loss::CrossEntropy);
    for (model, data) in models() {
        let net = TorchNetwork::new(model, objective, &data).unwrap();
        let n = net.n_params();
        assert!(n <= 3000, "dense reference needs P ≤ 3000, got {n}");
        let op = net
            .curvature_operator(&data, CurvatureKind::Hessian)
            .unwrap();
        let mut dense = vec![0.0; n * n];
        let mut e = vec![0.0; n];
        for j in 0..n {
            e[j] = 1.0;
            let col = apply(op.as_ref(), &e);
            e[j] = 0.0;
            for (i, v) in col.into_iter().enumerate() {
                dense[i * n + j] = v;
            }
        }
        let asym = (0..n)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| (dense[i * n + j] - dense[j * n + i]).abs())
            .fold(0.0f64, f64::max);
        let scale = dense.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            asym <= ROUNDING_REL * scale,
            "Hessian asymmetry {asym:e}, scale {scale:e}"
        );
        for i in 0..n {
            for j in 0..i {
                let m = 0.5 * (dense[i * n + j] + dense[j * n + i]);
                dense[i * n + j] = m;
                dense[j * n + i] = m;
            }
        }
        let eigenvalues = DenseSymmetric::from_row_major(n, &dense)
            .unwrap()
            .eigenvalues()
            .unwrap();
        let lambda_max = *eigenvalues.last().unwrap();
        let top = extreme_eigenpairs(op.as_ref(), 1, End::Top, 120, None, 3).unwrap();
        let (theta, residual) = (top.values[0], top.residuals[0]);
        // A Ritz value lies within its residual ‖Hx − θx‖ of an eigenvalue; it is the largest one once the
        // residual is below the gap to the second (checked by the relative bound, which the gap exceeds).
        assert!(
            residual < 1e-8 * lambda_max.abs(),
            "{}: residual {residual:e}",
            net.describe()
        );
        assert!(
            (theta - lambda_max).abs() <= residual + ROUNDING_REL * lambda_max.abs(),
            "{}: Lanczos λ_max {theta} vs dense {lambda_max}, residual {residual:e}, P {n}",
            net.describe()
        );
    }
}

#[test]
fn operators_of_cnn_and_resnet_over_k_copies_of_a_batch_equal_those_over_the_batch() {
    let objective = Objective::mean(Loss::CrossEntropy);
    for (model, data) in models() {
        let k = 3;
        let n = data.n_samples();
        let copies = data
            .subset(&(0..k * n).map(|i| i % n).collect::<Vec<_>>())
            .unwrap();
        let net = TorchNetwork::new(model, objective, &data).unwrap();
        let v: Vec<f64> = (0..net.n_params())
            .map(|i| (1.3 * i as f64).cos())
            .collect();
        for kind in [CurvatureKind::Hessian, CurvatureKind::GaussNewton] {
            let one = apply(net.curvature_operator(&data, kind).unwrap().as_ref(), &v);
            let three = apply(net.curvature_operator(&copies, kind).unwrap().as_ref(), &v);
            let err = rel_err(&three, &one);
            assert!(
                err < ROUNDING_REL,
                "{} {}: k = {k} copies differ by {err:e}, bound {ROUNDING_REL:e}",
                net.describe(),
                kind.name()
            );
        }
    }
}

/// The Python with torch: `LANDSCAPE_PYTHON`, else `python3` on `PATH`; `None` (and a visible note) when it
/// cannot import torch.
fn python_with_torch() -> Option<String> {
    let python = std::env::var("LANDSCAPE_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        eprintln!(
            "SKIPPED: {python} cannot import torch (set LANDSCAPE_PYTHON to the venv's python from scripts/setup-torch.sh)"
        );
        None
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landscape-arch-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn cnn_and_resnet_equal_the_torch_nn_modules_in_layout_and_function() {
    let Some(python) = python_with_torch() else {
        return;
    };
    let dir = temp_dir("nn");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/make_torch_architectures.py");
    let status = std::process::Command::new(&python)
        .args(["-W", "ignore"])
        .arg(&script)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success(), "{python} {} failed", script.display());
    let cases = [
        (
            "cnn.pt",
            TorchModel::cnn(&[3, 5], &[1, 8, 8], 4, 5, DeviceSpec::Cpu).unwrap(),
            images(9, &[1, 8, 8], 4, 3),
        ),
        (
            "resnet.pt",
            TorchModel::resnet(2, 4, &[3, 5, 5], 3, 6, DeviceSpec::Cpu).unwrap(),
            images(7, &[3, 5, 5], 3, 4),
        ),
    ];
    let objective = Objective::mean(Loss::CrossEntropy);
    for (file, ours, data) in cases {
        let mut theirs =
            TorchModel::torchscript(&dir.join(file), DeviceSpec::Cpu, Mode::Eval).unwrap();
        assert_eq!(theirs.parameter_names(), ours.parameter_names(), "{file}");
        assert_eq!(theirs.parameter_shapes(), ours.parameter_shapes(), "{file}");
        // Our (seeded) parameters into the torch.nn module: the same function, loss, gradient and curvature.
        theirs
            .set_flat_parameters(&ours.flat_parameters().unwrap())
            .unwrap();
        let (inputs, _) = ours.batch(&data).unwrap();
        let out = |m: &TorchModel| {
            let t = tch::no_grad(|| m.forward(&inputs)).unwrap().reshape([-1]);
            Vec::<f64>::try_from(&t).unwrap()
        };
        let err = rel_err(&out(&ours), &out(&theirs));
        assert!(err < ROUNDING_REL, "{file}: outputs differ by {err:e}");
        let (l1, g1) = loss_and_gradient(&ours, &data, objective).unwrap();
        let (l2, g2) = loss_and_gradient(&theirs, &data, objective).unwrap();
        assert!(
            (l1 - l2).abs() < ROUNDING_REL * l2.abs(),
            "{file}: loss {l1} vs {l2}"
        );
        assert!(rel_err(&g1, &g2) < ROUNDING_REL, "{file}: gradients differ");
        let v: Vec<f64> = (0..g1.len()).map(|i| (0.5 * i as f64).sin()).collect();
        let h1 = apply(&TorchHessian::new(&ours, &data, objective).unwrap(), &v);
        let h2 = apply(&TorchHessian::new(&theirs, &data, objective).unwrap(), &v);
        let err = rel_err(&h1, &h2);
        assert!(err < ROUNDING_REL, "{file}: Hv differs by {err:e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn digits_are_one_channel_eight_by_eight_images_for_the_cnn() {
    let mut digits = landscape_empirical::data::digits::digits().unwrap();
    digits.standardize();
    let data = digits.head(20).unwrap();
    assert_eq!(data.sample_shape(), &[1, 8, 8]);
    let Targets::Classes { n_classes, .. } = data.targets() else {
        panic!("digits have labels")
    };
    let model = TorchModel::cnn(
        &[8, 16],
        data.sample_shape(),
        *n_classes,
        1,
        DeviceSpec::Cpu,
    )
    .unwrap();
    let net = TorchNetwork::new(model, Objective::mean(Loss::CrossEntropy), &data).unwrap();
    assert_eq!(net.n_outputs(), 10);
    let (loss, _) = net.loss_and_gradient(&data).unwrap();
    // Near-uniform predictions at initialization: the loss is close to ln 10.
    assert!((loss - 10f64.ln()).abs() < 0.5, "initial loss {loss}");
}

#[test]
fn filter_groups_of_cnn_and_resnet_cover_every_parameter_once() {
    for (model, data) in models() {
        let shapes = model.parameter_shapes();
        let net = TorchNetwork::new(model, Objective::mean(Loss::CrossEntropy), &data).unwrap();
        let mut seen = vec![0usize; net.n_params()];
        let groups = net.param_groups();
        for g in &groups {
            for i in g.range.clone() {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "{}", net.describe());
        // One filter per output channel of each convolution and per row of each linear weight.
        let filters: usize = shapes.iter().filter(|s| s.len() >= 2).map(|s| s[0]).sum();
        assert_eq!(groups.iter().filter(|g| g.is_filter).count(), filters);
    }
}
