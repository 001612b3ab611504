//! `landscape conjecture check`: the JSON contract, the exit codes (0 as expected, 1 not, 2 bad input) and the
//! files written with --out.

mod common;

use common::{json, landscape, rejects};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "landscape-conjecture-cli-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const SMALL_N: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/conjectures/wishart_edge_small_n.toml"
);

#[test]
fn conjecture_check_prints_the_verdict_with_its_statistics_and_writes_its_files() {
    let out = temp_dir("out");
    let v = json(&[
        "conjecture",
        "check",
        SMALL_N,
        "--scale",
        "quick",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(v["verdict"], "refuted");
    for key in ["claim", "reason", "file", "seed", "version", "points"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let point = &v["points"][0];
    for key in [
        "grid",
        "verdict",
        "estimate",
        "stderr",
        "interval",
        "prediction",
        "p_value",
        "detectable",
        "seeds_needed",
    ] {
        assert!(point.get(key).is_some(), "point misses {key}");
    }
    for file in ["results.json", "figure.svg", "conjecture.pdf"] {
        assert!(out.join(file).is_file(), "{file} not written");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn conjecture_check_exits_1_when_the_verdict_is_not_the_expected_one() {
    let dir = temp_dir("expect");
    let text = std::fs::read_to_string(SMALL_N)
        .unwrap()
        .replace("expect = \"refuted\"", "expect = \"supported\"");
    let file = dir.join("c.toml");
    std::fs::write(&file, text).unwrap();
    let out = landscape(&[
        "conjecture",
        "check",
        file.to_str().unwrap(),
        "--scale",
        "quick",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "refuted");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn conjecture_check_rejects_bad_files_with_a_located_line() {
    let dir = temp_dir("bad");
    let file = dir.join("bad.toml");
    let text = std::fs::read_to_string(SMALL_N)
        .unwrap()
        .replace("lambda_max", "lambda_maxx");
    std::fs::write(&file, text).unwrap();
    rejects(
        &["conjecture", "check", file.to_str().unwrap()],
        "bad.toml:15:13: statistic: `lambda_maxx` is not one of",
    );
    rejects(&["conjecture", "check", "/nonexistent.toml"], "cannot read");
    rejects(&["conjecture", "check", SMALL_N, "--scale", "huge"], "huge");
    rejects(
        &["conjecture", "check", SMALL_N, "--shard", "1/2"],
        "--shard",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
