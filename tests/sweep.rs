//! `landscape sweep`: crash-safe resume under SIGKILL, shard independence, and clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_landscape");

/// 2 laws × 4 sizes × 5 replicates = 40 dense eigendecompositions of side ≤ 300: long enough (≈ 0.1–1 s) for
/// kills to land mid-run, short enough for the test suite.
const CONFIG: &str = "seed = 11\nseeds = 5\n[simulate.esd]\nlaw = [\"mp(ratio=0.5)\", \"semicircle()\"]\nn = [150, 200, 250, 300]\n";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landscape-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn landscape(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .expect("the landscape binary runs")
}

fn ok(args: &[&str]) -> serde_json::Value {
    let out = landscape(args);
    assert!(
        out.status.success(),
        "{args:?} failed with {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e})"))
}

/// Asserts bad input: exit code 2 and one line on stderr containing every needle.
fn rejects(args: &[&str], needles: &[&str]) {
    let out = landscape(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} should exit 2; stderr: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: stderr must be one line: {stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: stderr should mention `{needle}`: {stderr}"
        );
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The merged table and document of a finished sweep folder.
fn merged(dir: &Path) -> (String, String, Vec<u8>) {
    ok(&["sweep", "merge", s(dir)]);
    (
        std::fs::read_to_string(dir.join("results.csv")).unwrap(),
        std::fs::read_to_string(dir.join("results.json")).unwrap(),
        std::fs::read(dir.join("results.npy")).unwrap(),
    )
}

/// Every result file parses; returns (finished files, temporary files).
fn check_points(dir: &Path) -> (usize, usize) {
    let (mut done, mut tmp) = (0, 0);
    for entry in std::fs::read_dir(dir.join("points")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(".tmp-") {
            tmp += 1;
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("corrupt result file {name}: {e}"));
            assert!(v["result"]["ks"].is_number(), "{name} lacks a result");
            done += 1;
        }
    }
    (done, tmp)
}

/// splitmix64: the kill times' generator, seeded so a failure can be replayed.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run() {
    const KILL_SEED: u64 = 20_261_128;
    /// Interrupted runs wanted (each killed with points left to do), and the attempts allowed to get them.
    const WANTED_INTERRUPTIONS: usize = 4;
    const MAX_ATTEMPTS: usize = 40;
    let root = scratch("kill");
    let config = write_config(&root, "grid.toml", CONFIG);
    let (reference, killed) = (root.join("reference"), root.join("killed"));
    let t0 = Instant::now();
    ok(&[
        "sweep",
        "run",
        s(&config),
        "--out",
        s(&reference),
        "--jobs",
        "2",
    ]);
    let full = t0.elapsed();
    let total = 40;
    let mut state = KILL_SEED;
    let (mut interruptions, mut attempts, mut kill_log) = (0, 0, Vec::new());
    while interruptions < WANTED_INTERRUPTIONS && attempts < MAX_ATTEMPTS {
        attempts += 1;
        // Kill at a uniform moment within the expected remaining time (plus process start-up).
        let remaining = if killed.join("points").exists() {
            total - check_points(&killed).0
        } else {
            total
        };
        if remaining == 0 {
            // A kill that came too late proves nothing: start the interrupted folder over.
            std::fs::remove_dir_all(&killed).unwrap();
            continue;
        }
        // Within the first 80% of the expected remaining time (plus 2 ms of process start-up), so most kills
        // land mid-run even when this run is a little faster than the reference.
        let budget = full.as_micros() as u64 * remaining as u64 * 4 / (5 * total as u64) + 2_000;
        let delay = Duration::from_micros(splitmix(&mut state) % budget);
        let mut child = Command::new(BIN)
            .args([
                "sweep",
                "run",
                s(&config),
                "--out",
                s(&killed),
                "--jobs",
                "2",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        // `Child::kill` sends SIGKILL on Unix: no destructor, no flush, no cleanup runs.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if killed.join("points").exists() {
            let (done, tmp) = check_points(&killed);
            kill_log.push(format!(
                "{delay:?}: {done} done, {tmp} temporary, exit {status:?}"
            ));
            if !status.success() && done < total {
                interruptions += 1;
            }
        }
    }
    assert!(
        interruptions >= 1,
        "no kill landed mid-run (kill seed {KILL_SEED}, full run {full:?}): {kill_log:?}"
    );
    eprintln!("full run {full:?}; kills (seed {KILL_SEED}): {kill_log:#?}");
    ok(&[
        "sweep",
        "run",
        s(&config),
        "--out",
        s(&killed),
        "--jobs",
        "3",
    ]);
    assert_eq!(
        check_points(&killed),
        (total, 0),
        "after resume: all points, no temporary file; {kill_log:?}"
    );
    assert_eq!(
        merged(&killed),
        merged(&reference),
        "kill seed {KILL_SEED}: {kill_log:?}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn shards_one_two_three_of_three_merged_equal_the_unsharded_run() {
    let root = scratch("shards");
    let config = write_config(&root, "grid.toml", CONFIG);
    let (whole, sharded) = (root.join("whole"), root.join("sharded"));
    ok(&[
        "sweep",
        "run",
        s(&config),
        "--out",
        s(&whole),
        "--jobs",
        "3",
    ]);
    let mut counts = 0;
    for shard in ["3/3", "1/3"] {
        let summary = ok(&[
            "sweep",
            "run",
            s(&config),
            "--out",
            s(&sharded),
            "--jobs",
            "1",
            "--shard",
            shard,
        ]);
        counts += summary["ran"].as_u64().unwrap();
    }
    // An incomplete folder is not merged silently.
    let out = landscape(&["sweep", "merge", s(&sharded)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("have no result"));
    // The third shard through the Slurm array variables (task ids 0..N-1).
    let out = Command::new(BIN)
        .args([
            "sweep",
            "run",
            s(&config),
            "--out",
            s(&sharded),
            "--jobs",
            "2",
        ])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["shard"], "2/3");
    counts += summary["ran"].as_u64().unwrap();
    assert_eq!(counts, 40, "the shards partition the points");
    assert_eq!(merged(&sharded), merged(&whole));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn merged_table_has_one_row_per_point_in_grid_order() {
    let root = scratch("table");
    let config = write_config(
        &root,
        "spiked.toml",
        "seeds = [3, 1]\n[simulate.spiked]\nmodel = [\"wigner\"]\nn = [60]\nspike = [0.5, 3.0]\n",
    );
    let out = root.join("out");
    ok(&["sweep", "run", s(&config), "--out", s(&out)]);
    let (csv, json, npy) = merged(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{csv}");
    assert!(
        lines[0].starts_with(
            "index,replicate,seed,model,n,spike,variance,outlier,overlap_sq,predicted."
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("0,3,") && lines[2].starts_with("1,1,"),
        "{csv}"
    );
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["points"].as_array().unwrap().len(), 4);
    // Above the BBP threshold (θ = 3 > σ = 1) the outlier is near θ + σ²/θ = 3.33; this checks the point ran
    // with its own parameters, not that BBP holds (n = 60 fluctuations are O(n^{-1/2}) ≈ 0.13; bound 0.5).
    let outlier = doc["points"][2]["result"]["outlier"].as_f64().unwrap();
    assert!((outlier - 10.0 / 3.0).abs() < 0.5, "outlier {outlier}");
    assert_eq!(&npy[..6], b"\x93NUMPY");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn config_errors_name_file_line_and_field_with_exit_code_2() {
    let root = scratch("errors");
    let out = root.join("out");
    let unknown = write_config(
        &root,
        "unknown.toml",
        "seed = 1\n[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [10]\nsize = [3]\n",
    );
    rejects(
        &["sweep", "run", s(&unknown), "--out", s(&out)],
        &["unknown.toml:5:", "size", "unknown field"],
    );
    let empty = write_config(
        &root,
        "empty.toml",
        "[simulate.esd]\nlaw = [\"semicircle()\"]\nn = []\n",
    );
    rejects(
        &["sweep", "run", s(&empty), "--out", s(&out)],
        &["empty.toml:3:", "n:", "empty list"],
    );
    let bad_law = write_config(
        &root,
        "law.toml",
        "[simulate.esd]\nlaw = [\"semicircle(varience=1)\"]\nn = [10]\n",
    );
    rejects(
        &["sweep", "run", s(&bad_law), "--out", s(&out)],
        &["law.toml:2:", "law"],
    );
    let syntax = write_config(
        &root,
        "syntax.toml",
        "[simulate.esd]\nlaw = [\"semicircle()\"\nn = [10]\n",
    );
    rejects(
        &[
            "sweep",
            "slurm",
            s(&syntax),
            "--out",
            s(&out),
            "--array",
            "2",
        ],
        &["syntax.toml:"],
    );
    rejects(
        &[
            "sweep",
            "run",
            s(&root.join("absent.toml")),
            "--out",
            s(&out),
        ],
        &["absent.toml"],
    );
    assert!(!out.exists(), "nothing is written for a bad configuration");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn another_configs_folder_and_bad_shards_are_refused_with_exit_code_2() {
    let root = scratch("refuse");
    let out = root.join("out");
    let a = write_config(
        &root,
        "a.toml",
        "[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [20]\n",
    );
    let b = write_config(
        &root,
        "b.toml",
        "[simulate.esd]\nlaw = [\"semicircle()\"]\nn = [30]\n",
    );
    ok(&["sweep", "run", s(&a), "--out", s(&out)]);
    rejects(
        &["sweep", "run", s(&b), "--out", s(&out)],
        &["different configuration", "--force"],
    );
    rejects(
        &["sweep", "slurm", s(&b), "--out", s(&out), "--array", "2"],
        &["different configuration"],
    );
    let summary = ok(&["sweep", "run", s(&b), "--out", s(&out), "--force"]);
    assert_eq!(summary["ran"], 1);
    assert_eq!(
        check_points(&out),
        (1, 0),
        "--force removed the other configuration's results"
    );
    for spec in ["0/3", "4/3", "1/0", "two/3"] {
        rejects(
            &["sweep", "run", s(&b), "--out", s(&out), "--shard", spec],
            &["--shard", spec],
        );
    }
    let out2 = Command::new(BIN)
        .args(["sweep", "run", s(&b), "--out", s(&out)])
        .env("SLURM_ARRAY_TASK_ID", "5")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .unwrap();
    assert_eq!(out2.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out2.stderr).contains("SLURM_ARRAY_TASK_ID=5"));
    rejects(
        &["sweep", "merge", s(&root.join("nothing"))],
        &["no manifest.json"],
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// Any command as a sweep point: the merged table holds the command's result, each point equals the command run
/// by hand with the point's seed, and the results do not depend on `--jobs`.
#[test]
fn a_command_sweep_runs_any_landscape_command_with_the_points_seed() {
    let root = scratch("command");
    let config = write_config(
        &root,
        "hessian.toml",
        "seed = 5\nseeds = 2\n[command]\nargs = [\"empirical\", \"hessian\", \"--top-k\", \"3\", \"--samples\", \"64\"]\n\
         [command.grid]\nmodel = [\"mlp:widths=8\", \"mlp:widths=16\"]\ndata = [\"digits\"]\n",
    );
    let (one, two) = (root.join("one"), root.join("two"));
    ok(&["sweep", "run", s(&config), "--out", s(&one), "--jobs", "1"]);
    ok(&["sweep", "run", s(&config), "--out", s(&two), "--jobs", "2"]);
    let (csv1, json1, _) = merged(&one);
    let (csv2, _, _) = merged(&two);
    assert_eq!(csv1, csv2, "results must not depend on --jobs");
    let doc: serde_json::Value = serde_json::from_str(&json1).unwrap();
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    let first = &points[0];
    assert_eq!(first["coords"]["model"], "mlp:widths=8");
    assert_eq!(
        first["coords"]["command"],
        "empirical hessian --top-k 3 --samples 64"
    );
    let seed = first["seed"].as_u64().unwrap().to_string();
    let direct = ok(&[
        "empirical",
        "hessian",
        "--top-k",
        "3",
        "--samples",
        "64",
        "--data",
        "digits",
        "--model",
        "mlp:widths=8",
        "--seed",
        &seed,
    ]);
    assert_eq!(
        first["result"]["top_eigenvalues"],
        direct["top_eigenvalues"]
    );
    assert_eq!(first["result"]["seed"].to_string(), seed);
    // A flag the command does not know, and a command that cannot be a point: one line, exit code 2.
    let bad_flag = write_config(
        &root,
        "bad_flag.toml",
        "[command]\nargs = [\"empirical\", \"hessian\"]\n[command.grid]\nwidth = [8]\n",
    );
    rejects(
        &["sweep", "run", s(&bad_flag), "--out", s(&root.join("x"))],
        &[
            "bad_flag.toml:1:1: [command]",
            "landscape empirical hessian --width 8",
            "--width",
        ],
    );
    let report = write_config(&root, "report.toml", "[command]\nargs = [\"report\"]\n");
    rejects(
        &["sweep", "run", s(&report), "--out", s(&root.join("y"))],
        &["report.toml:2:8: args", "`report` cannot be swept"],
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn example_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sweep.toml");
    let config = landscape::sweep::load(&path).expect("examples/sweep.toml is valid");
    assert_eq!(config.points.len(), 18);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sweep-phase2.toml");
    let config = landscape::sweep::load(&path).expect("examples/sweep-phase2.toml is valid");
    assert_eq!(config.points.len(), 12);
}

/// The Phase-2 example end to end at its small size: 12 points (3 MLPs × digits × Hessian/GGN × 2 seeds) swept on
/// two workers, merged, and drawn by `report --from`; every row carries the top eigenvalues with their residuals
/// and the trace estimate with its standard error.
/// About 15 s on 2 cores.
#[test]
fn phase2_example_sweeps_merges_and_reports_end_to_end() {
    let root = scratch("phase2");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sweep-phase2.toml");
    let (sweep, report) = (root.join("phase2"), root.join("report"));
    ok(&[
        "sweep",
        "run",
        s(&config),
        "--out",
        s(&sweep),
        "--jobs",
        "2",
    ]);
    let (csv, json, _) = merged(&sweep);
    assert_eq!(csv.lines().count(), 13, "a header and 12 rows:\n{csv}");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 12);
    for point in points {
        let result = &point["result"];
        let top = result["top_eigenvalues"].as_array().unwrap();
        assert_eq!(top.len(), 20, "{}", point["coords"]);
        assert!(top.iter().all(|v| v.as_f64().is_some_and(f64::is_finite)));
        assert!(result["trace"].is_object(), "{}", point["coords"]);
    }
    let out = landscape(&["report", "--from", s(&sweep), "--out", s(&report)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read(report.join("report.pdf"))
            .unwrap()
            .starts_with(b"%PDF-")
    );
    std::fs::remove_dir_all(&root).unwrap();
}
