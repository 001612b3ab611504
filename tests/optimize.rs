//! `landscape optimize --config FILE.toml`: the example runs and records what it should; bad configurations are
//! one-line errors naming the file, line, column and field (exit code 2); diverging runs are recorded, not crashes.

mod common;

use common::{json, rejects_all};

fn temp_config(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("landscape-optimize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SMALL: &str = "seed = 3\nseeds = 2\nsteps = 30\nloss_target = 0.5\ntasks = [\"mixture\"]\nhidden = [8]\n\
[mixture]\nclasses = 3\ndim = 6\nsamples = 100\nseparation = 2.0\n\
[optimizers.sgd]\nlr = [0.1, 0.5]\n[optimizers.inverse_sharpness]\nc = [1.0]\nevery = 5\n";

#[test]
fn the_example_configuration_runs_and_records_version_config_and_seeds() {
    let out = json(&["optimize", "--config", "examples/optimize.toml"]);
    assert_eq!(out["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        out["config"]
            .as_str()
            .unwrap()
            .contains("[optimizers.adam]")
    );
    assert_eq!(out["evaluation_seeds"].as_array().unwrap().len(), 5);
    let tuning = out["tuning_seed"].as_u64().unwrap();
    assert!(
        out["evaluation_seeds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.as_u64() != Some(tuning)),
        "the tuning seed must not be an evaluation seed"
    );
    let tasks = out["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    for task in tasks {
        let methods = task["methods"].as_array().unwrap();
        assert_eq!(methods.len(), 10, "{}", task["task"]);
        for (m, name) in methods.iter().zip([
            "sgd",
            "momentum",
            "adam",
            "adam_warmup",
            "inverse_sharpness",
            "inverse_trace",
            "gn_diagonal",
            "sophia",
            "adahessian",
            "polyak",
        ]) {
            assert_eq!(m["name"], name);
        }
        for m in methods {
            let summary = &m["summary"];
            assert_eq!(summary["runs"], 5, "{}", m["name"]);
            let acc = &summary["test_accuracy"];
            // Ten or four well-separated classes: a tuned optimizer far above chance (0.1 / 0.25).
            assert!(acc["mean"].as_f64().unwrap() > 0.8, "{}: {acc}", m["name"]);
            assert!(acc["ci95"].as_f64().unwrap() >= 0.0);
            // Trained on 20 % flipped labels, still far above chance.
            let noisy = summary["label_noise_accuracy"]["mean"].as_f64().unwrap();
            assert!(noisy > 0.5, "{}: {noisy}", m["name"]);
        }
        assert!(
            task["finding"]
                .as_str()
                .unwrap()
                .contains("best tuned baseline")
        );
        assert_eq!(task["architecture"].as_array().unwrap().len(), 3);
        // Steps to target are resolved to the step: the curve is evaluated at every step until the target.
        let sgd = &methods[0]["runs"][0];
        let reached = sgd["steps_to_target"].as_u64().unwrap();
        let curve = sgd["curve"].as_array().unwrap();
        for (k, point) in curve.iter().take(reached as usize + 1).enumerate() {
            assert_eq!(point[0].as_u64().unwrap(), k as u64, "{}", task["task"]);
        }
        assert!(curve[reached as usize][1].as_f64().unwrap() <= 0.3);
        assert!(curve[reached as usize - 1][1].as_f64().unwrap() > 0.3);
        assert!(task["finding"].as_str().unwrap().contains("power:"));
    }
    // The stability map: six MLPs (two widths, two depths, two parameterizations) × three optimizers natively;
    // the CNN and the ResNet need the torch feature.
    let map = &out["stability"];
    let points = map["points"].as_array().unwrap();
    let torch = cfg!(feature = "torch");
    assert_eq!(points.len(), if torch { 24 } else { 18 });
    assert_eq!(
        map["skipped"].as_array().unwrap().len(),
        if torch { 0 } else { 2 }
    );
    for p in points {
        let predicted = p["predicted_max_lr"]["geomean"].as_f64().unwrap();
        let observed = p["observed_max_lr"].as_f64().unwrap();
        assert!(predicted > 0.0 && observed > 0.0, "{p}");
        if p["optimizer"] == "gd" {
            // The quadratic model's threshold is a lower bound up to the bisection's resolution (0.95).
            assert!(observed >= 0.95 * predicted, "{p}");
        }
        for s in p["seeds"].as_array().unwrap() {
            let (lo, hi) = (&s["observed_max_lr"]["lo"], &s["observed_max_lr"]["hi"]);
            assert!(
                hi.is_null() || lo.as_f64().unwrap() < hi.as_f64().unwrap(),
                "{s}"
            );
        }
    }
    let transfer = map["transfer"].as_array().unwrap();
    assert!(
        transfer.iter().any(|t| t["axis"] == "width"
            && t["parameterization"] == "ntk"
            && t["optimizer"] == "gd")
    );
    let gd = map["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["optimizer"] == "gd")
        .unwrap();
    assert!(gd["factor"].as_f64().unwrap() >= 1.0, "{gd}");
}

#[test]
fn a_diverging_step_is_recorded_as_diverged_not_a_crash() {
    // A linear network with a huge step: the iterates grow geometrically and overflow.
    let text = SMALL
        .replace("lr = [0.1, 0.5]", "lr = [1e3]")
        .replace("hidden = [8]", "hidden = [8]\nactivation = \"linear\"");
    let path = temp_config("diverge.toml", &text);
    let out = json(&["optimize", "--config", path.to_str().unwrap()]);
    let sgd = &out["tasks"][0]["methods"][0];
    assert_eq!(sgd["name"], "sgd");
    assert_eq!(sgd["tuning"][0]["diverged"], true, "{sgd}");
    assert!(sgd["chosen"].is_null());
    assert_eq!(out["tasks"][0]["methods"][1]["summary"]["diverged"], 0);
    assert!(
        out["tasks"][0]["finding"]
            .as_str()
            .unwrap()
            .starts_with("no comparison")
    );
}

#[test]
fn bad_configurations_name_the_file_line_column_and_field() {
    let cases: &[(&str, String, &[&str])] = &[
        (
            "unknown_optimizer.toml",
            format!("{SMALL}[optimizers.lbfgs]\nlr = [1.0]\n"),
            &[":17:13: [optimizers.lbfgs]:", "unknown field `lbfgs`"],
        ),
        (
            "negative_lr.toml",
            SMALL.replace("lr = [0.1, 0.5]", "lr = [0.1, -0.5]"),
            &[":13:12: lr:", "-0.5", "step size"],
        ),
        (
            "missing_dataset.toml",
            SMALL.replace("\"mixture\"", "\"nowhere.npz\""),
            &[":5:10: tasks:", "nowhere.npz", "does not exist"],
        ),
        (
            "unknown_task.toml",
            SMALL.replace("\"mixture\"", "\"imagenet\""),
            &[":5:10: tasks:", "unknown data set `imagenet`"],
        ),
        (
            "unknown_key.toml",
            SMALL.replace("hidden = [8]", "hiden = [8]"),
            &[":6:1: hiden:", "unknown field `hiden`"],
        ),
        (
            "no_tasks.toml",
            SMALL.replace("tasks = [\"mixture\"]\n", ""),
            &["missing field `tasks`"],
        ),
    ];
    for (name, text, needles) in cases {
        let path = temp_config(name, text);
        let mut all: Vec<&str> = needles.to_vec();
        let file = path.display().to_string();
        all.push(&file);
        rejects_all(&["optimize", "--config", path.to_str().unwrap()], &all);
    }
    let path = temp_config(
        "batch.toml",
        &SMALL.replace("steps = 30", "steps = 30\nbatch_size = 500"),
    );
    rejects_all(
        &["optimize", "--config", path.to_str().unwrap()],
        &["batch_size = 500 exceeds the 60 training samples of task mixture"],
    );
    rejects_all(
        &["optimize", "--config", "/nonexistent/optimize.toml"],
        &["cannot read the configuration"],
    );
}

/// A CNN evaluated by the same harness as the MLP (torch backend): tuned, trained from every seed, scored.
#[cfg(feature = "torch")]
#[test]
fn a_torch_cnn_is_tuned_and_evaluated_like_the_mlp() {
    let text = "seed = 1\nseeds = 2\nsteps = 40\nbatch_size = 64\nloss_target = 1.0\nperturbation_draws = 1\n\
                tasks = [\"digits\"]\nmodel = \"cnn:channels=4,8\"\n[optimizers.sgd]\nlr = [0.1, 0.3]\n\
                [optimizers.polyak]\nc = [0.5]\n";
    let path = temp_config("cnn.toml", text);
    let out = json(&["optimize", "--config", path.to_str().unwrap()]);
    let task = &out["tasks"][0];
    assert!(
        task["model"]
            .as_str()
            .unwrap()
            .starts_with("cnn[4, 8] on 1x8x8 images"),
        "{}",
        task["model"]
    );
    for m in task["methods"].as_array().unwrap() {
        let acc = m["summary"]["test_accuracy"]["mean"].as_f64().unwrap();
        // Ten classes: chance is 0.1; 40 steps of a small CNN reach well above it.
        assert!(acc > 0.3, "{}: {acc}", m["name"]);
        assert_eq!(m["summary"]["runs"], 2);
        assert!(m["runs"][0]["perturbed_accuracy"].as_f64().is_some());
    }
    // A mixture has no image shape: one line naming the task and the model.
    let mixture = temp_config(
        "cnn_mixture.toml",
        &text.replace("\"digits\"", "\"mixture\""),
    );
    common::rejects_all(
        &["optimize", "--config", mixture.to_str().unwrap()],
        &["task mixture, model cnn:channels=4,8", "image samples"],
    );
}

#[cfg(not(feature = "torch"))]
#[test]
fn a_torch_model_without_the_torch_feature_is_a_usage_error() {
    let path = temp_config(
        "cnn_native.toml",
        &SMALL.replace("hidden = [8]\n", "hidden = [8]\nmodel = \"cnn\"\n"),
    );
    common::rejects_all(
        &["optimize", "--config", path.to_str().unwrap()],
        &[
            "model = \"cnn\" runs on the torch backend",
            "--features torch",
        ],
    );
}
