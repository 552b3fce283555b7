//! Where a local environment keeps what it started: `tp.out/local-<suffix>/`
//! (the daemon's log, moto's log, PostgreSQL's data, unzipped code, and
//! `state.json` with every process id, port and URL), and the
//! shell-sourceable `tp.out/local-<suffix>.env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

/// The files of one local environment.
#[derive(Clone, Debug)]
pub struct Paths {
    pub suffix: String,
    pub dir: PathBuf,
    pub env_file: PathBuf,
}

impl Paths {
    pub fn new(out: &Path, suffix: &str) -> Paths {
        Paths {
            suffix: suffix.to_owned(),
            dir: out.join(format!("local-{suffix}")),
            env_file: out.join(format!("local-{suffix}.env")),
        }
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    pub fn daemon_log(&self) -> PathBuf {
        self.dir.join("tp-local.log")
    }

    pub fn moto_log(&self) -> PathBuf {
        self.dir.join("moto.log")
    }

    /// The local environments under `out`, by suffix.
    pub fn all(out: &Path) -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(out)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let suffix = name.strip_prefix("local-")?.strip_suffix(".env")?;
                Some(suffix.to_owned())
            })
            .collect();
        found.sort();
        found
    }

    pub fn read_state(&self) -> anyhow::Result<State> {
        let text = std::fs::read_to_string(self.state_file()).with_context(|| {
            format!(
                "no local environment `{}` runs here ({} is missing); start one with `tp local up --suffix {}`",
                self.suffix,
                self.state_file().display(),
                self.suffix
            )
        })?;
        Ok(State(serde_json::from_str(&text).with_context(|| {
            format!("{} is not valid JSON", self.state_file().display())
        })?))
    }

    pub fn write_state(&self, state: &State) -> anyhow::Result<()> {
        let tmp = self.dir.join("state.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&state.0)?)?;
        std::fs::rename(&tmp, self.state_file())?;
        Ok(())
    }

    /// Writes the environment for a shell: `set -a; . tp.out/local-dev.env`.
    pub fn write_env(&self, env: &BTreeMap<String, String>) -> anyhow::Result<()> {
        let mut text = format!(
            "# tp local environment `{}`: `set -a; . {}; set +a`\n",
            self.suffix,
            self.env_file.display()
        );
        for (name, value) in env {
            text.push_str(&format!("{name}={}\n", shell_quote(value)));
        }
        std::fs::write(&self.env_file, text)
            .with_context(|| format!("cannot write {}", self.env_file.display()))
    }
}

/// `'value'` with single quotes escaped, for a POSIX shell.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// `state.json`: written by the daemon, read by every other `tp local` command.
#[derive(Clone, Debug, Default)]
pub struct State(pub Value);

impl State {
    pub fn new(suffix: &str, profile: &str, region: &str) -> State {
        State(json!({
            "suffix": suffix,
            "profile": profile,
            "region": region,
            "ready": false,
            "pids": {},
            "env": {},
            "functions": {},
        }))
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.0[key].as_str()
    }

    pub fn ready(&self) -> bool {
        self.0["ready"].as_bool().unwrap_or(false)
    }

    pub fn pids(&self) -> Vec<(String, i32)> {
        self.0["pids"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, pid)| Some((name.clone(), pid.as_i64()? as i32)))
            .collect()
    }

    pub fn env(&self) -> BTreeMap<String, String> {
        self.0["env"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    }
}

/// Whether process `pid` exists.
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}

/// Sends `signal` to `pid`.
pub fn signal(pid: i32, signal: i32) {
    if pid > 0 {
        // SAFETY: sending a signal has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_are_quoted_for_a_shell() {
        assert_eq!(shell_quote("plain"), "'plain'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        let dir = std::env::temp_dir().join(format!("tp-local-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let paths = Paths::new(&dir, "dev");
        let env = BTreeMap::from([
            ("A".to_owned(), "x y".to_owned()),
            ("B".to_owned(), "$HOME".to_owned()),
        ]);
        paths.write_env(&env).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                ". {}; printf '%s|%s' \"$A\" \"$B\"",
                paths.env_file.display()
            ))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "x y|$HOME");
        assert_eq!(Paths::all(&dir), vec!["dev".to_owned()]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
