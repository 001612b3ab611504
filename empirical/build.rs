//! With the `torch` feature: an rpath to libtorch's folder and a forced link of torch_cuda, for this crate's
//! tests; and the folder re-exported (as `DEP_LANDSCAPE_EMPIRICAL_LIBTORCH_LIB`) for the root package's build
//! script, which emits the same arguments for the `landscape` binary.

include!("torch_link_args.rs");

fn main() {
    println!("cargo:rerun-if-changed=torch_link_args.rs");
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
        return;
    }
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" && os != "macos" {
        // torch-sys itself exports no folder there (and Windows has no rpath); the user sets PATH.
        return;
    }
    // Exported by torch-sys's build script (its `links = "tch"` key) to its direct dependents.
    let Some(lib_dir) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") else {
        println!(
            "cargo:warning=torch-sys did not export DEP_TCH_LIBTORCH_LIB; the binary will need LD_LIBRARY_PATH"
        );
        return;
    };
    let lib_dir = std::path::PathBuf::from(lib_dir);
    emit_torch_link_args(&lib_dir);
    // The pip wheel records its version beside lib/ (torch/version.py: `__version__ = '2.13.0+cu130'`).
    let version_py = lib_dir.join("..").join("version.py");
    println!("cargo:rerun-if-changed={}", version_py.display());
    if let Ok(text) = std::fs::read_to_string(&version_py) {
        let version = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("__version__"))
            .and_then(|rest| rest.split(['\'', '"']).nth(1));
        if let Some(version) = version {
            println!("cargo:rustc-env=LANDSCAPE_LIBTORCH_VERSION={version}");
        }
    }
    println!("cargo:libtorch_lib={}", lib_dir.display());
}
