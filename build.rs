//! Build script of the `landscape` binary.
//!
//! (The git commit is recorded by `experiments/build.rs` and read as `landscape_experiments::GIT_COMMIT`.)
//! * With the `torch` feature, gives the binary an rpath to libtorch's folder (so users need no
//!   `LD_LIBRARY_PATH`) and links `libtorch_cuda` explicitly when present (with `--as-needed` it would be dropped
//!   and CUDA would silently disappear). The folder comes from `landscape-empirical`'s build script through its
//!   `links` metadata.

include!("empirical/torch_link_args.rs");

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LANDSCAPE_EMPIRICAL_LIBTORCH_LIB");
    if let Some(dir) = std::env::var_os("DEP_LANDSCAPE_EMPIRICAL_LIBTORCH_LIB") {
        emit_torch_link_args(std::path::Path::new(&dir));
    }
}
