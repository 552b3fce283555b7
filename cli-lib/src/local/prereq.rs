//! What `tp local` needs on this machine, found once before anything
//! starts: Node, the local runtime's npm packages, moto in the project's
//! venv, PostgreSQL's server binaries. A missing one is reported with how
//! to install it, and exit code [`exit::PREREQUISITE_MISSING`].

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::exit::{self, Exit};

/// The project files `tp local` runs: moto's launcher and the Node package,
/// `cli/local`, beside the `tp` binary's sources, where the scripts and
/// tests find them too.
pub fn local_dir() -> PathBuf {
    match std::env::var_os("TP_LOCAL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("cli/local"),
    }
}

/// The workspace root, where `.venv` is.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Everything found.
#[derive(Clone, Debug)]
pub struct Prerequisites {
    pub node: PathBuf,
    /// `cli/local/node`, with its `node_modules` installed.
    pub runtime_dir: PathBuf,
    /// A Python with moto[server] (the project's `.venv`, or `TP_LOCAL_PYTHON`).
    pub python: PathBuf,
    pub moto_launcher: PathBuf,
    /// PostgreSQL's `bin` directory (`initdb`, `pg_ctl`, `postgres`).
    pub pg_bin: PathBuf,
}

fn missing(what: &str, how: &str) -> anyhow::Error {
    Exit::new(
        exit::PREREQUISITE_MISSING,
        format!("{what} is missing: {how}"),
    )
    .into()
}

/// The first `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The highest PostgreSQL major version's `bin` under `/usr/lib/postgresql`
/// (Debian's layout), or `TP_LOCAL_PG_BIN`.
fn pg_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TP_LOCAL_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").is_file().then_some(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

pub fn check() -> anyhow::Result<Prerequisites> {
    let node = std::env::var_os("TP_LOCAL_NODE")
        .map(PathBuf::from)
        .or_else(|| on_path("node"))
        .ok_or_else(|| {
            missing(
                "Node.js (20 or newer), which runs the functions",
                "install it (Debian/Ubuntu: `apt-get install nodejs npm`) or set TP_LOCAL_NODE",
            )
        })?;
    let major = Command::new(&node)
        .args(["-p", "process.versions.node.split('.')[0]"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u32>().ok());
    match major {
        Some(m) if m >= 20 => {}
        _ => {
            return Err(missing(
                "Node.js 20 or newer",
                &format!(
                    "{} is older or does not run; install a newer one",
                    node.display()
                ),
            ));
        }
    }
    let runtime_dir = local_dir().join("node");
    if !runtime_dir
        .join("node_modules/@cloud-copilot/iam-simulate")
        .is_dir()
    {
        return Err(missing(
            "the local runtime's npm packages (the AWS SDK, iam-simulate)",
            &format!("run `npm ci --prefix {}`", runtime_dir.display()),
        ));
    }
    let python = std::env::var_os("TP_LOCAL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let has_moto = Command::new(&python)
        .args(["-c", "import moto.server, flask_cors"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_moto {
        return Err(missing(
            "moto_server (PyPI moto[server]), the AWS emulator",
            &format!(
                "run `python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt` in {} (or set TP_LOCAL_PYTHON to a Python that has it)",
                workspace_root().display()
            ),
        ));
    }
    let pg_bin = pg_bin().ok_or_else(|| {
        missing(
            "PostgreSQL's server binaries (initdb, pg_ctl), which stand in for Aurora",
            "install them (Debian/Ubuntu: `apt-get install postgresql`) or set TP_LOCAL_PG_BIN to their directory",
        )
    })?;
    Ok(Prerequisites {
        node,
        runtime_dir,
        python,
        moto_launcher: local_dir().join("moto-launch.py"),
        pg_bin,
    })
}
