//! Helpers shared by the workspace-level tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use platform_core::synth::{self, Assembly, Deployment};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// Synthesizes the trading platform for `suffix` and `profile`, every region.
pub fn synth_trading(suffix: &str, profile: &str) -> Assembly {
    let platform = platform_def::platform();
    let deployment = Deployment::new(&platform, suffix, Some(profile), &[])
        .unwrap_or_else(|e| panic!("deployment {suffix}/{profile}: {e}"));
    synth::synth(&platform, &deployment).unwrap_or_else(|e| panic!("synth: {e}"))
}

/// A fresh scratch directory under the target directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = workspace_root()
        .join("target")
        .join("test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A Python tool installed by `scripts/test` into `.venv`, or named by the
/// environment variable `var`. Missing tools fail the test: they are part of
/// the suite, not optional.
pub fn python_tool(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let path = workspace_root().join(".venv").join("bin").join(name);
    assert!(
        path.is_file(),
        "{name} is not installed at {}; run scripts/test (it installs the pinned tools), or set {var}",
        path.display()
    );
    path
}

/// Runs `program` with `args` and returns (exit code, stdout + stderr).
pub fn run(program: &Path, args: &[&Path]) -> (i32, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}
