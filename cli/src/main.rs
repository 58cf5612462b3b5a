//! `mediaops`: see the crate's library.

fn main() -> std::process::ExitCode {
    mediaops_cli::main()
}
