//! `tp`: the trading platform's command-line tool.
//!
//! The platform itself is in `platform-def`; everything else (the command
//! line, synthesis through `platform-core`, what a change means, what is
//! refused, the deploy engine) is in the `cli` library. This crate is
//! rebuilt on every edit of the definition, so it holds nothing else.
//!
//! A debug build takes the library from the shared object `cli-dylib`
//! builds, so that an edit relinks a small executable; a release build links
//! it statically into one self-contained `tp`.

#[cfg(debug_assertions)]
use cli_dylib as cli;

fn main() -> std::process::ExitCode {
    cli::tp::main(platform_def::platform())
}
