//! `landscape report`: files, schema, verdict text in the PDF, reproducibility, and bad input.

use std::path::Path;
mod common;

use common::landscape;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "landscape-report-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn results(dir: &Path) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(dir.join("results.json")).expect("results.json exists"),
    )
    .expect("results.json is JSON")
}

/// The numbers of every check, without timings (which legitimately differ between runs).
fn numbers(results: &serde_json::Value) -> Vec<(String, serde_json::Value, serde_json::Value)> {
    results["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["measurement"].clone(),
                c["details"].clone(),
            )
        })
        .collect()
}

#[test]
fn report_writes_pdf_svg_data_and_a_stable_schema_and_is_reproducible() {
    let dir = temp_dir("simulation");
    let out = landscape(&[
        "report",
        "--only",
        "simulation",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "all simulation checks pass: {stderr}"
    );
    let first = results(&dir);
    assert_eq!(first["schema_version"], 1);
    for key in [
        "landscape_version",
        "commit",
        "seed",
        "scale",
        "machine",
        "date",
        "summary",
        "checks",
    ] {
        assert!(first.get(key).is_some(), "results.json lacks {key}");
    }
    for check in first["checks"].as_array().unwrap() {
        for key in [
            "id",
            "group",
            "claim",
            "verdict",
            "measurement",
            "comparison",
            "tolerance_reason",
            "figures",
        ] {
            assert!(
                check.get(key).is_some(),
                "check {} lacks {key}",
                check["id"]
            );
        }
        for figure in check["figures"].as_array().unwrap() {
            let svg = std::fs::read_to_string(dir.join(figure.as_str().unwrap())).unwrap();
            assert!(
                svg.trim_start().starts_with("<svg") || svg.trim_start().starts_with("<?xml"),
                "{figure}"
            );
            assert!(
                svg.trim_end().ends_with("</svg>"),
                "{figure} is not a complete SVG"
            );
        }
    }
    let pdf = std::fs::read(dir.join("report.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "report.pdf is a PDF");
    assert!(
        std::fs::read_dir(dir.join("data"))
            .unwrap()
            .any(|e| { e.unwrap().path().extension().is_some_and(|x| x == "npy") })
    );
    // The verdict table's text is extractable (poppler; .ci/run installs poppler-utils).
    match std::process::Command::new("pdftotext")
        .args([dir.join("report.pdf").to_str().unwrap(), "-"])
        .output()
    {
        Ok(text) if text.status.success() => {
            let text = String::from_utf8_lossy(&text.stdout);
            assert!(
                text.contains("simulation.wishart.ks") && text.contains("PASS"),
                "verdict table text: {text}"
            );
        }
        _ => println!("SKIPPED: pdftotext not available; the PDF text check needs poppler-utils"),
    }
    // Same seed, same numbers.
    let again = temp_dir("simulation-again");
    let out = landscape(&[
        "report",
        "--only",
        "simulation",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        numbers(&first),
        numbers(&results(&again)),
        "the same seed must give the same numbers"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&again);
}

#[test]
fn report_rejects_bad_input_with_exit_code_2() {
    let out = landscape(&[
        "report",
        "--only",
        "nonsense",
        "--out",
        temp_dir("bad").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown group"));

    let out = landscape(&["report", "--out", "/proc/landscape-cannot-write-here"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));

    let dir = temp_dir("incompatible");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("results.json"), r#"{"schema_version": 999}"#).unwrap();
    let out = landscape(&["report", "--only", "theory", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("incompatible"));
    assert!(
        !dir.join("report.pdf").exists(),
        "nothing written over an incompatible folder"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_from_a_merged_sweep_draws_its_scaling_figures() {
    let sweep = temp_dir("sweep");
    let out = temp_dir("sweep-report");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sweep.toml");
    assert!(
        landscape(&[
            "sweep",
            "run",
            config,
            "--out",
            sweep.to_str().unwrap(),
            "--jobs",
            "2"
        ])
        .status
        .success()
    );
    assert!(
        landscape(&["sweep", "merge", sweep.to_str().unwrap()])
            .status
            .success()
    );
    let result = landscape(&[
        "report",
        "--from",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        std::fs::read(out.join("report.pdf"))
            .unwrap()
            .starts_with(b"%PDF-")
    );
    // Two laws in the example config, each with a KS-against-n figure.
    assert_eq!(std::fs::read_dir(out.join("figures")).unwrap().count(), 2);
    let missing = landscape(&[
        "report",
        "--from",
        "/nonexistent-sweep",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("sweep merge"));
    let _ = std::fs::remove_dir_all(&sweep);
    let _ = std::fs::remove_dir_all(&out);
}
