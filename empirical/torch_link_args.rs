// Link arguments for binaries and tests that use libtorch; `include!`d by build scripts (this crate's and the
// root package's), so it must stay a single self-contained function with no dependencies.
//
// Two things cargo does not do on its own:
// * rpath: torch-sys links libtorch dynamically from the pip wheel's folder but sets no rpath on the final
//   artifact, so without this the binary would need LD_LIBRARY_PATH.
// * torch_cuda: rustc links with `--as-needed`, and no symbol of libtorch_cuda is referenced directly (CUDA
//   kernels register themselves from static constructors), so the linker would drop it and CUDA would silently
//   be unavailable. When the library exists we force it in with `--no-as-needed`.
//
// `cargo:rustc-link-arg` only reaches the emitting package's own binaries, tests and examples, hence the
// include in every package that produces an executable.

/// Prints the cargo instructions for an rpath to `lib_dir` and, when present, a forced link of torch_cuda.
#[allow(dead_code)]
fn emit_torch_link_args(lib_dir: &std::path::Path) {
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    for cuda_lib in ["torch_cuda", "torch_cuda_cu", "torch_cuda_cpp"] {
        if lib_dir.join(format!("lib{cuda_lib}.so")).exists() {
            println!("cargo:rustc-link-search=native={}", lib_dir.display());
            println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
            println!("cargo:rustc-link-arg=-l{cuda_lib}");
            println!("cargo:rustc-link-arg=-Wl,--as-needed");
        }
    }
}
