//! The CLI contract: JSON on stdout, one line on stderr and exit code 2 for bad input.

use std::process::{Command, Output};

fn landscape(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_landscape")).args(args).output().expect("the landscape binary runs")
}

/// Runs a command that must succeed and returns its JSON.
fn json(args: &[&str]) -> serde_json::Value {
    let out = landscape(args);
    assert!(
        out.status.success(),
        "{args:?} failed with {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e})"))
}

/// Asserts a command is rejected as bad input: exit code 2, one line on stderr mentioning `needle`.
fn rejects(args: &[&str], needle: &str) {
    let out = landscape(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} should exit 2; stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: stderr must be one line: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: stderr {stderr:?} should mention {needle:?}");
    assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout on error");
}

#[test]
fn theory_rejects_bad_law_expressions_with_one_line() {
    rejects(&["theory", "pdf", "--law", "wishart(ratio=1)", "--at", "1"], "unknown law");
    rejects(&["theory", "pdf", "--law", "mp(ratio=1, ratio=2)", "--at", "1"], "repeated");
    rejects(&["theory", "pdf", "--law", "mp(variance=1)", "--at", "1"], "missing argument `ratio`");
    rejects(&["theory", "cdf", "--law", "mp(ratio=nan)", "--at", "1"], "finite");
    rejects(&["theory", "pdf", "--law", "mp(ratio=1)", "--at", ""], "--at");
    rejects(&["theory", "pdf", "--law", "mp(ratio=1)", "--at", "1,x"], "--at");
    rejects(&["theory", "pdf", "--law", "mp(ratio=1)"], "--at");
    rejects(&["theory", "nonsense"], "nonsense");
}

#[test]
fn help_lists_examples() {
    let out = landscape(&["theory", "pdf", "--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Example"));
    let _ = json; // used by the law tests below once laws are registered
}
