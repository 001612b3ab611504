//! Times one Hessian-vector product through tch and through the native backend, for `benches/hvp.py`.
//!
//! ```text
//! cargo run --release -p landscape-empirical --features torch --example bench_hvp -- \
//!     --model mlp --widths 64,64,64,10 --batch 256 --threads 1 --repeats 30 [--device cpu|cuda]
//! cargo run ... -- --model cnn --channels 8,16 --image 1,8,8 --classes 10 --batch 256 --threads 1
//! cargo run ... -- --model PATH.pt --data PATH.npz --dtype f32 --threads 1   # a TorchScript module on its data
//! ```
//!
//! Prints one JSON object: the median seconds per product (and the minimum for `tch_tensors`) of
//! * `tch_tensors`: double backward on parameter-shaped tensors (the same work as PyTorch's `autograd.grad`
//!   twice, the figure to hold against PyTorch from Python);
//! * `tch_operator`: the flat `f64` [`SymmetricOperator`] every estimator uses (adds the host copies of `v` and
//!   `Hv`);
//! * `native` (MLPs only): the f64 MLP of `landscape-simulate` (always one thread).
//!
//! Also printed: `hv_norm` and `hv_head` (the first entries) of the operator's product with `vᵢ = sin(0.1 i)`, so a
//! script can check that every library it times computes the same vector. Cross-entropy with the mean over the
//! batch in `--dtype` (float64 unless `f32`); the built-in models' inputs and labels are seeded.

use std::time::Instant;

use std::path::Path;

use landscape_empirical::data::npz::read_npz;
use landscape_empirical::data::{Dataset, Targets};
use landscape_empirical::model::Mode;
use landscape_empirical::model::{CurvatureKind, CurvatureModel};
use landscape_empirical::native::NativeMlp;
use landscape_empirical::spec::Precision;
use landscape_empirical::torch::{
    Activation, DeviceSpec, Loss, Objective, TorchHessian, TorchModel,
};
use landscape_simulate::SymmetricOperator;
use landscape_simulate::network::{self, Mlp, MlpConfig, Parameterization};
use landscape_simulate::rng::seeded;
use rand_distr::{Distribution, StandardNormal};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn list(text: &str) -> Vec<usize> {
    text.split(',')
        .map(|w| w.trim().parse().expect("a comma-separated list of sizes"))
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    }
}

/// Median and minimum wall time of `f` over `repeats` calls after `warmup` untimed ones.
fn time(repeats: usize, warmup: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..warmup {
        f();
    }
    let times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    (median(times), min)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = arg(&args, "--model", "mlp");
    let batch: usize = arg(&args, "--batch", "256").parse().expect("--batch N");
    let threads: i32 = arg(&args, "--threads", "1").parse().expect("--threads T");
    let repeats: usize = arg(&args, "--repeats", "30").parse().expect("--repeats R");
    let device: DeviceSpec = arg(&args, "--device", "cpu").parse().expect("--device");
    let precision: Precision = arg(&args, "--dtype", "f64")
        .parse()
        .expect("--dtype f32|f64");
    tch::set_num_threads(threads);

    let mut rng = seeded(1);
    let (mut model, shape, classes) = match kind.as_str() {
        "mlp" => {
            let widths = list(&arg(&args, "--widths", "64,64,64,10"));
            let classes = *widths.last().unwrap();
            let model = TorchModel::mlp(&widths, Activation::Tanh, 2, device).unwrap();
            (model, vec![widths[0]], classes)
        }
        "cnn" => {
            let channels = list(&arg(&args, "--channels", "8,16"));
            let image = list(&arg(&args, "--image", "1,8,8"));
            let classes: usize = arg(&args, "--classes", "10").parse().unwrap();
            let model = TorchModel::cnn(&channels, &image, classes, 2, device).unwrap();
            (model, image, classes)
        }
        path if path.ends_with(".pt") => {
            let model = TorchModel::torchscript(Path::new(path), device, Mode::Eval).unwrap();
            let data = read_npz(Path::new(&arg(&args, "--data", ""))).expect("--data PATH.npz");
            let classes = data.n_classes().expect("class labels");
            (model, data.sample_shape().to_vec(), classes)
        }
        other => panic!("--model {other}: expected mlp, cnn or PATH.pt"),
    };
    model.set_precision(precision).unwrap();
    let len: usize = shape.iter().product();
    // Standard normal inputs rounded to float32, the values a float32 model is fed.
    let inputs: Vec<f64> = (0..batch * len)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            f64::from(z as f32)
        })
        .collect();
    let labels: Vec<usize> = (0..batch).map(|i| i % classes).collect();
    let data = if kind.ends_with(".pt") {
        read_npz(Path::new(&arg(&args, "--data", ""))).unwrap()
    } else {
        Dataset::new(
            "bench",
            inputs,
            shape,
            Targets::Classes {
                labels,
                n_classes: classes,
            },
        )
        .unwrap()
    };
    let objective = Objective::mean(Loss::CrossEntropy);
    let n_params = model.n_params();
    let v: Vec<f64> = (0..n_params).map(|i| (0.1 * i as f64).sin()).collect();
    let mut y = vec![0.0; n_params];
    let warmup = 3;
    let sync = || {
        if let DeviceSpec::Cuda(i) = device {
            tch::Cuda::synchronize(i as i64);
        }
    };

    let hessian = TorchHessian::new(&model, &data, objective).unwrap();
    let v_tensors: Vec<tch::Tensor> = model
        .parameters()
        .iter()
        .scan(0usize, |offset, p| {
            let n = p.numel();
            let t = tch::Tensor::from_slice(&v[*offset..*offset + n])
                .reshape(p.size())
                .to_kind(p.kind())
                .to_device(p.device());
            *offset += n;
            Some(t)
        })
        .collect();
    let tch_tensors = time(repeats, warmup, || {
        let hv = hessian.apply_tensors(&v_tensors).unwrap();
        std::hint::black_box(&hv);
        sync();
    });
    let tch_operator = time(repeats, warmup, || {
        hessian.apply(&v, &mut y).unwrap();
    });
    hessian.apply(&v, &mut y).unwrap();
    let hv_norm = y.iter().map(|x| x * x).sum::<f64>().sqrt();
    let hv_head: Vec<f64> = y.iter().take(4).copied().collect();

    let native =
        (kind == "mlp" && device == DeviceSpec::Cpu && precision == Precision::F64).then(|| {
            let widths = list(&arg(&args, "--widths", "64,64,64,10"));
            let mlp = Mlp::new(MlpConfig {
                widths,
                activation: network::Activation::Tanh,
                parameterization: Parameterization::TorchDefault,
                bias: true,
            })
            .unwrap();
            let params = model.flat_parameters().unwrap();
            let loss = network::Loss::cross_entropy();
            let net = NativeMlp::new(mlp, params, loss).unwrap();
            let op = net
                .curvature_operator(&data, CurvatureKind::Hessian)
                .unwrap();
            // The same product: check before timing, so a fast wrong answer cannot win.
            let mut y_native = vec![0.0; n_params];
            op.apply(&v, &mut y_native).unwrap();
            hessian.apply(&v, &mut y).unwrap();
            let diff = y_native
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let scale = y.iter().map(|b| b.abs()).fold(0.0, f64::max);
            assert!(diff <= 1e-10 * scale, "native and tch disagree: {diff:e}");
            time(repeats, warmup, || {
                op.apply(&v, &mut y_native).unwrap();
            })
        });

    let out = serde_json::json!({
        "model": model.description(),
        "n_params": n_params,
        "batch": batch,
        "threads": tch::get_num_threads(),
        "device": device.to_string(),
        "dtype": precision.torch_name(),
        "repeats": repeats,
        "hv_norm": hv_norm,
        "hv_head": hv_head,
        "tch_tensors_s": tch_tensors.0,
        "tch_tensors_min_s": tch_tensors.1,
        "tch_operator_s": tch_operator.0,
        "native_s": native.map(|t| t.0),
    });
    println!("{out}");
}
