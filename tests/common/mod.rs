//! Helpers shared by the CLI integration tests: run the binary, demand JSON, demand a one-line usage error.
#![allow(dead_code)] // each test binary uses a subset

use std::process::{Command, Output};

/// Runs the `landscape` binary (with any Slurm array variables of the environment removed, so tests never
/// inherit a shard).
pub fn landscape(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landscape"))
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .expect("the landscape binary runs")
}

/// Runs a command that must succeed and returns its JSON.
pub fn json(args: &[&str]) -> serde_json::Value {
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

/// Asserts a command is rejected as bad input: exit code 2, one line on stderr mentioning every needle, nothing
/// on stdout.
pub fn rejects_all(args: &[&str], needles: &[&str]) {
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
            "{args:?}: stderr {stderr:?} should mention {needle:?}"
        );
    }
    assert!(
        out.stdout.is_empty(),
        "{args:?}: nothing on stdout on error"
    );
}

/// [`rejects_all`] with one needle.
pub fn rejects(args: &[&str], needle: &str) {
    rejects_all(args, &[needle]);
}
