//! The `landscape empirical` contract: JSON on stdout with version, config, seed and mode; one line on stderr and
//! exit code 2 for bad input (CUDA or torch models in a native build, malformed specs).

mod common;

use common::{json, rejects};

/// A small problem: 4 classes in dimension 6, 80 samples, one hidden layer of 8 (P = 6·8+8+8·4+4 = 92).
const DATA: &str = "gaussian-mixture:classes=4,dim=6,n=80,separation=0.7";
const MODEL: &str = "mlp:widths=8";

fn with_common<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "empirical",
        command,
        "--data",
        DATA,
        "--model",
        MODEL,
        "--seed",
        "3",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn hessian_reports_the_documented_fields_with_mode_version_and_seed() {
    let v = json(&with_common(
        "hessian",
        &[
            "--top-k",
            "5",
            "--bottom-k",
            "2",
            "--probes",
            "3",
            "--steps",
            "20",
            "--samples",
            "40",
            "--compare",
        ],
    ));
    assert_eq!(v["n_params"], 92);
    assert_eq!(v["n_samples"], 40);
    assert_eq!(v["operator"], "hessian");
    assert_eq!(v["mode"], "eval");
    assert_eq!(v["seed"], 3);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["config"]["data"], DATA);
    let top = v["top_eigenvalues"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    assert_eq!(v["residuals"].as_array().unwrap().len(), 5);
    assert!(
        top.windows(2).all(|w| w[0].as_f64() >= w[1].as_f64()),
        "descending: {top:?}"
    );
    assert_eq!(v["bottom_eigenvalues"].as_array().unwrap().len(), 2);
    assert!(v["trace"]["estimate"].is_f64() && v["trace"]["stderr"].is_f64());
    let weights: f64 = v["density"]["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .sum();
    // SLQ weights are squared components of unit vectors averaged over probes: they sum to 1 to round-off.
    assert!((weights - 1.0).abs() < 1e-12, "weights sum {weights}");
    assert_eq!(v["comparison"]["operator"], "ggn");
    assert_eq!(v["outliers"]["n_classes"], 4);
}

#[test]
fn ggn_operator_is_positive_semidefinite_at_its_bottom() {
    let v = json(&with_common(
        "hessian",
        &[
            "--operator",
            "ggn",
            "--top-k",
            "2",
            "--bottom-k",
            "1",
            "--lanczos-steps",
            "92",
        ],
    ));
    assert_eq!(v["operator"], "ggn");
    let bottom = v["bottom_eigenvalues"][0].as_f64().unwrap();
    let top = v["top_eigenvalues"][0].as_f64().unwrap();
    // G = Jᵀ H_ℓ J with H_ℓ ⪰ 0 for cross-entropy: λ_min ≥ 0 up to round-off of a full Krylov space.
    assert!(bottom > -1e-10 * top, "λ_min(G) = {bottom}, λ_max = {top}");
}

#[test]
fn training_ten_plus_ten_resumed_steps_equals_twenty_straight() {
    let dir = std::env::temp_dir().join(format!("landscape-cli-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = dir.join("run.ckpt");
    let ckpt = ckpt.to_str().unwrap();
    let train = |steps: &str, checkpoint: bool| {
        let mut args = with_common(
            "train",
            &[
                "--optimizer",
                "adam",
                "--batch-size",
                "16",
                "--lr",
                "0.01",
                "--steps",
                steps,
            ],
        );
        if checkpoint {
            args.extend_from_slice(&["--checkpoint", ckpt, "--checkpoint-every", "4", "--resume"]);
        }
        json(&args)
    };
    let straight = train("20", false);
    let first = train("10", true);
    assert_eq!(first["steps_done"], 10);
    let resumed = train("20", true);
    assert_eq!(resumed["resumed_from"], 10);
    assert_eq!(resumed["steps_done"], 20);
    // JSON prints shortest round-trip decimals, so equal text means equal bits.
    assert_eq!(resumed["losses"], straight["losses"]);
    assert_eq!(resumed["final_loss"], straight["final_loss"]);
    assert_eq!(resumed["diverged"], false);
    // The checkpoint feeds the curvature commands.
    let at_end = json(&with_common("hessian", &["--top-k", "1", "--params", ckpt]));
    assert_eq!(at_end["config"]["command"]["params_step"], 20);
    assert_eq!(at_end["loss"], straight["final_loss"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn divergent_training_is_reported_not_a_crash() {
    let v = json(&with_common(
        "train",
        &["--lr", "1e6", "--steps", "50", "--loss", "mse"],
    ));
    assert_eq!(v["diverged"], true, "{v}");
    assert!(v["diverged_at"].as_u64().unwrap() < 50);
}

#[test]
fn sharpness_compares_lambda_max_with_two_over_eta() {
    let v = json(&with_common(
        "sharpness",
        &[
            "--lr", "0.5", "--steps", "21", "--every", "10", "--loss", "mse",
        ],
    ));
    assert_eq!(v["threshold"], 4.0);
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    for p in points {
        let (lambda, ratio) = (
            p["lambda_max"].as_f64().unwrap(),
            p["ratio"].as_f64().unwrap(),
        );
        assert!(
            (ratio - lambda * 0.5 / 2.0).abs() < 1e-12 * lambda.max(1.0),
            "{p}"
        );
    }
    let m = json(&with_common(
        "sharpness",
        &[
            "--optimizer",
            "momentum",
            "--momentum",
            "0.5",
            "--lr",
            "0.1",
            "--steps",
            "2",
            "--every",
            "1",
        ],
    ));
    // (2 + 2β)/η = 3/0.1.
    assert!((m["threshold"].as_f64().unwrap() - 30.0).abs() < 1e-9);
}

#[test]
fn overlap_connect_and_slice_produce_their_profiles() {
    let o = json(&with_common(
        "overlap",
        &["--lr", "0.5", "--steps", "11", "--every", "5"],
    ));
    assert_eq!(o["k"], 4);
    assert!(
        o["points"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| (0.0..=1.0 + 1e-12).contains(&p["overlap"].as_f64().unwrap()))
    );
    let c = json(&with_common(
        "connect",
        &["--lr", "0.5", "--steps", "30", "--curve-steps", "30"],
    ));
    assert_eq!(c["linear"]["loss"].as_array().unwrap().len(), 51);
    assert_eq!(c["bezier"]["loss"].as_array().unwrap().len(), 51);
    assert!(c["linear"]["barrier"].is_f64() && c["distance"].as_f64().unwrap() > 0.0);
    let s = json(&with_common("slice", &["--dims", "1", "--points", "5"]));
    assert_eq!(s["losses"][2], s["center_loss"]);
    let s2 = json(&with_common("slice", &["--dims", "2", "--points", "3"]));
    assert_eq!(s2["losses"][1][1], s2["center_loss"]);
}

#[test]
fn native_build_refuses_cuda_and_torch_models_with_one_line() {
    rejects(
        &with_common("hessian", &["--device", "cuda"]),
        "CUDA requires the torch feature",
    );
    rejects(
        &["empirical", "hessian", "--model", "model.pt", "--seed", "1"],
        "requires building with --features torch",
    );
    rejects(
        &[
            "empirical",
            "hessian",
            "--model",
            "resnet:depth=8",
            "--seed",
            "1",
        ],
        "requires building with --features torch",
    );
}

#[test]
fn malformed_specs_and_sizes_are_bad_input() {
    rejects(
        &[
            "empirical",
            "hessian",
            "--data",
            "gaussian-mixture:classes=4,dim=6",
            "--seed",
            "1",
        ],
        "n=",
    );
    rejects(
        &["empirical", "hessian", "--data", "imagenet", "--seed", "1"],
        "unknown data set",
    );
    rejects(&with_common("hessian", &["--samples", "81"]), "samples");
    rejects(&with_common("hessian", &["--loss", "hinge"]), "loss");
    rejects(
        &[
            "empirical",
            "hessian",
            "--model",
            "mlp:widths=0",
            "--data",
            DATA,
            "--seed",
            "1",
        ],
        "widths",
    );
    rejects(&with_common("train", &["--lr", "-1", "--steps", "3"]), "lr");
    rejects(
        &with_common(
            "train",
            &["--optimizer", "sgd", "--lr", "0.1", "--steps", "3"],
        ),
        "batch-size",
    );
    rejects(&with_common("slice", &["--dims", "3"]), "--dims");
}

#[test]
fn hessian_on_the_vendored_digits_and_clear_errors_for_missing_files() {
    let v = json(&[
        "empirical",
        "hessian",
        "--model",
        "mlp:widths=8",
        "--data",
        "digits",
        "--loss",
        "cross_entropy",
        "--samples",
        "40",
        "--top-k",
        "3",
        "--seed",
        "1",
    ]);
    // 64 pixels → 8 hidden → 10 classes, with biases.
    assert_eq!(
        v["n_params"].as_u64(),
        Some(64 * 8 + 8 + 8 * 10 + 10),
        "{v}"
    );
    assert_eq!(v["n_samples"].as_u64(), Some(40), "{v}");
    rejects(
        &[
            "empirical",
            "hessian",
            "--model",
            "mlp:widths=8",
            "--data",
            "/nonexistent/x.npz",
            "--seed",
            "1",
        ],
        "x.npz",
    );
}
