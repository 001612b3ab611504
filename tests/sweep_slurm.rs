//! End to end on a real single-node Slurm: `landscape sweep slurm --array 4 --submit --wait`, then merge, equals
//! an unsharded local run.
//!
//! The test starts Slurm itself with `scripts/slurm-local.sh start` (Debian's slurm-wlm and munge must be
//! installed: `scripts/slurm-local.sh install`, which CI runs) and stops what it started. Where Slurm is not
//! installed or cannot be started (not root, a foreign slurm.conf), it prints `SKIPPED: slurm not available:
//! <reason>` straight to the terminal, past the test harness's capture, and returns.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_landscape");

/// An array of 4 tasks on one node runs in about 15 s (sbatch --wait returns ≈ 10 s after the job ends); a
/// minute more is slack for a loaded machine, not a performance bound.
const ARRAY_TIMEOUT: Duration = Duration::from_secs(180);

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm-local.sh")
}

/// Printed past libtest's output capture (which only redirects the print macros), so a skip is always visible.
fn skip(reason: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: slurm not available: {reason}");
}

/// Stops the daemons the test started, even when an assertion fails.
struct Daemons;

impl Drop for Daemons {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").output();
    }
}

fn ok(out: &Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what} failed with {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e})"))
}

fn landscape(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .unwrap()
}

/// Runs `cmd`, failing the test after `timeout`.
fn output_within(mut cmd: Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = Command::new("scancel")
                .args(["--name", "landscape-sweep"])
                .output();
            panic!("the Slurm array did not finish within {timeout:?}; see /var/log/slurm");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn slurm_job_array_of_four_merged_equals_an_unsharded_run() {
    if Command::new("sbatch").arg("--version").output().is_err() {
        skip("sbatch not found (install with scripts/slurm-local.sh install)");
        return;
    }
    let start = Command::new(script()).arg("start").output().unwrap();
    let _daemons = Daemons;
    if !start.status.success() {
        let stderr = String::from_utf8_lossy(&start.stderr);
        let reason = stderr
            .lines()
            .find_map(|l| l.strip_prefix("reason: "))
            .unwrap_or("scripts/slurm-local.sh start failed");
        skip(reason);
        return;
    }
    let root = std::env::temp_dir().join(format!("landscape-sweep-slurm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let config = root.join("grid.toml");
    std::fs::write(
        &config,
        "seed = 5\nseeds = 5\n[simulate.esd]\nlaw = [\"mp(ratio=0.25)\", \"semicircle()\"]\nn = [60, 120]\n",
    )
    .unwrap();
    let (array_dir, local_dir) = (root.join("array"), root.join("local"));
    let c = config.to_str().unwrap();

    let mut submit = Command::new(BIN);
    submit.args([
        "sweep",
        "slurm",
        c,
        "--out",
        array_dir.to_str().unwrap(),
        "--array",
        "4",
        "--submit",
        "--wait",
    ]);
    let summary = ok(
        &output_within(submit, ARRAY_TIMEOUT),
        "sweep slurm --submit --wait",
    );
    assert_eq!(summary["submitted"], true);
    let job = summary["job_id"]
        .as_str()
        .expect("sbatch printed a job id")
        .to_string();

    // Each array task ran its own shard, taken from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT.
    let mut ran = 0;
    for task in 0..4 {
        let log = array_dir.join("slurm").join(format!("{job}_{task}.out"));
        let text =
            std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let start = text
            .find('{')
            .unwrap_or_else(|| panic!("{}: no JSON summary:\n{text}", log.display()));
        let task_summary: serde_json::Value = serde_json::from_str(&text[start..])
            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", log.display()));
        assert_eq!(
            task_summary["shard"],
            format!("{}/4", task + 1),
            "{}",
            log.display()
        );
        ran += task_summary["ran"].as_u64().unwrap();
    }
    assert_eq!(ran, 20, "the four tasks ran every point once");

    ok(
        &landscape(&[
            "sweep",
            "run",
            c,
            "--out",
            local_dir.to_str().unwrap(),
            "--jobs",
            "2",
        ]),
        "local run",
    );
    for dir in [&array_dir, &local_dir] {
        ok(
            &landscape(&["sweep", "merge", dir.to_str().unwrap()]),
            "merge",
        );
    }
    for name in ["results.csv", "results.json", "results.npy"] {
        assert_eq!(
            std::fs::read(array_dir.join(name)).unwrap(),
            std::fs::read(local_dir.join(name)).unwrap(),
            "{name}: the Slurm array's merged results differ from the local run's"
        );
    }

    // A conjecture through the same Slurm code: three array tasks store their shards' samples, then `conjecture
    // check --out` reads them all and decides exactly as an unsharded in-memory run.
    let claim = Path::new(env!("CARGO_MANIFEST_DIR")).join("conjectures/wishart_edge_small_n.toml");
    let claim = claim.to_str().unwrap();
    let conj_dir = root.join("conjecture");
    let common = ["--scale", "quick", "--seed", "7"];
    let mut submit = Command::new(BIN);
    submit
        .args([
            "conjecture",
            "slurm",
            claim,
            "--out",
            conj_dir.to_str().unwrap(),
        ])
        .args(["--array", "3", "--submit", "--wait"])
        .args(common);
    let summary = ok(
        &output_within(submit, ARRAY_TIMEOUT),
        "conjecture slurm --submit --wait",
    );
    assert_eq!(summary["submitted"], true);
    assert!(
        summary["verdict_command"]
            .as_str()
            .unwrap()
            .contains("conjecture"),
        "{summary}"
    );
    let mut stored = vec![
        "conjecture",
        "check",
        claim,
        "--out",
        conj_dir.to_str().unwrap(),
    ];
    stored.extend(common);
    let from_array = ok(
        &landscape(&stored),
        "conjecture check on the array's samples",
    );
    assert_eq!(from_array["tasks_done"], from_array["tasks_total"]);
    let mut local = vec!["conjecture", "check", claim];
    local.extend(common);
    let in_memory = ok(&landscape(&local), "conjecture check in memory");
    assert_eq!(from_array["points"], in_memory["points"]);
    assert_eq!(from_array["verdict"], "refuted");
    std::fs::remove_dir_all(&root).unwrap();
}
