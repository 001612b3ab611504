//! Records the git commit in `LANDSCAPE_GIT_COMMIT`, so every output of the experiment layer (optimizer reports,
//! conjecture verdicts) names the code that produced it.

fn main() {
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=LANDSCAPE_GIT_COMMIT={commit}");
}
