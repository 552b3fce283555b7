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

/// A synth allocates a model of small maps and strings and frees it: with
/// mimalloc instead of glibc's allocator a release `tp synth` into an empty
/// directory takes about 40% less time, and 10,000 generated resources
/// synthesize in about 19% less (`scripts/bench` measures with it too).
/// A debug build keeps the system's, as its shared-object library does.
#[cfg(not(debug_assertions))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::tp::main(platform_def::platform())
}
