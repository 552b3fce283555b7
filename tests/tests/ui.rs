//! Compile-fail cases, one per compile-time rule (`docs/rules.md`), and a
//! case that must compile. Paths are relative to this crate's manifest.

use std::path::{Path, PathBuf};

/// The crate trybuild builds the cases in: `<target>/tests/trybuild/tests`,
/// which is the cases' `CARGO_MANIFEST_DIR`.
fn trybuild_crate() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../target"));
    target.join("tests/trybuild/tests")
}

#[test]
fn ui() {
    // The cases' `code:` directories (`function-code` requires them to
    // exist): `handlers/` of this crate, seen from the crate trybuild builds.
    let project = trybuild_crate();
    std::fs::create_dir_all(&project).expect("trybuild's crate directory");
    let handlers = project.join("handlers");
    if !handlers.exists() {
        std::os::unix::fs::symlink(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("handlers"),
            &handlers,
        )
        .expect("handlers linked into trybuild's crate");
    }
    let t = trybuild::TestCases::new();
    for family in [
        "grammar",
        "references",
        "naming",
        "iam",
        "network",
        "api",
        "buckets",
        "functions",
        "databases",
        "pipeline",
        "accounts",
        "values",
        "logs",
        "queues",
        "policy",
        "backup",
        "alerting",
        "dns",
        "resources",
    ] {
        t.compile_fail(format!("ui/{family}/*.rs"));
    }
    t.pass("pass/*.rs");
}
