//! Build script of the `landscape` binary.
//!
//! * Records the git commit (for the report's title page and `results.json`) in `LANDSCAPE_GIT_COMMIT`.
//! * With the `torch` feature, gives the binary an rpath to libtorch's folder (so users need no
//!   `LD_LIBRARY_PATH`) and links `libtorch_cuda` explicitly when present (with `--as-needed` it would be dropped
//!   and CUDA would silently disappear). The folder comes from `landscape-empirical`'s build script through its
//!   `links` metadata.

include!("empirical/torch_link_args.rs");

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=LANDSCAPE_GIT_COMMIT={commit}");

    println!("cargo:rerun-if-env-changed=DEP_LANDSCAPE_EMPIRICAL_LIBTORCH_LIB");
    if let Some(dir) = std::env::var_os("DEP_LANDSCAPE_EMPIRICAL_LIBTORCH_LIB") {
        emit_torch_link_args(std::path::Path::new(&dir));
    }
}
