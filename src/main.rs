//! The `landscape` command-line tool; all logic lives in the library's [`landscape::cli`] module.

fn main() -> std::process::ExitCode {
    landscape::cli::main(std::env::args_os())
}
