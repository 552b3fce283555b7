//! `tp` against a local CloudFormation: `moto_server` (through
//! `cli/local/moto-launch.py`) on a free loopback port, started by each test,
//! optionally behind a fault-injection proxy ([`proxy`]) so the real SDK
//! client meets throttling, dropped connections, slow answers and the
//! states moto cannot produce. What `tp` creates is checked through each
//! service's own API (`tests/moto/inventory.py`, boto3 from the venv).

mod acceptance;
mod after_deploy;
mod artifact;
mod faults;
mod flow;
mod local_apigw;
mod local_events;
mod local_iam;
mod local_lambda;
mod nested;
mod promote;
pub mod proxy;
mod verify;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const REGION: &str = "us-east-1";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ is in the workspace")
        .to_path_buf()
}

/// The venv's Python, which has moto and boto3 (`MOTO_PYTHON` overrides).
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_PYTHON") {
        return PathBuf::from(path);
    }
    let path = workspace_root().join(".venv/bin/python");
    assert!(
        path.is_file(),
        "{} is missing; run scripts/test (it installs moto[server] into .venv), or set MOTO_PYTHON",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A moto_server of its own, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Moto {
    pub fn start(name: &str) -> Moto {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("tp-moto-{name}-{}.log", std::process::id()));
        let child = Command::new(python())
            .arg(workspace_root().join("cli/local/moto-launch.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("moto log file"))
            .spawn()
            .expect("start moto_server");
        let mut moto = Moto { child, port, log };
        moto.wait_ready();
        moto
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut delay = Duration::from_millis(50);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto_server exited ({status}):\n{}", self.log_text());
            }
            if http_get_ok(self.port, "/moto-api/data.json") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer within 60 s:\n{}",
                self.log_text()
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(500));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What exists in the region, read through each service's API.
    pub fn inventory(&self) -> Value {
        let out = self.python(&["inventory"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("inventory: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// Sets an alarm's state, as CloudWatch would when its metric crosses.
    pub fn alarm_state(&self, name: &str, state: &str) {
        self.python(&["alarm-state", name, state]);
    }

    /// The object `key` of `bucket`, as text.
    pub fn get(&self, bucket: &str, key: &str) -> String {
        String::from_utf8(self.python(&["get", bucket, key]).stdout).expect("UTF-8")
    }

    /// Writes `text` to `key` of `bucket`.
    pub fn put(&self, bucket: &str, key: &str, text: &str) {
        self.python(&["put", bucket, key, text]);
    }

    /// Sends one message to queue `name`.
    pub fn send(&self, queue: &str) {
        self.python(&["send", queue]);
    }

    pub fn put_versions(&self, bucket: &str, key: &str) {
        self.python(&["put-versions", bucket, key]);
    }

    fn python(&self, args: &[&str]) -> Output {
        let out = Command::new(python())
            .arg(workspace_root().join("tests/moto/inventory.py"))
            .arg(self.endpoint())
            .arg(REGION)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .expect("run inventory.py");
        assert!(
            out.status.success(),
            "inventory.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn http_get_ok(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// How `tp` ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `tp` run in `dir` with none of the caller's AWS settings.
pub fn tp_without_aws(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tp"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command.current_dir(dir).stdin(Stdio::null());
    command
}

/// `tp` configured for `endpoint` only: test credentials, no profile or
/// config file of the caller, no instance metadata, run in `dir`.
pub fn tp(endpoint: &str, dir: &Path) -> Command {
    let mut command = tp_without_aws(dir);
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        );
    command
}

pub fn run(mut command: Command) -> Run {
    let out = command.output().expect("run tp");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `tp ARGS` against `endpoint` in `dir`.
pub fn tp_run(endpoint: &str, dir: &Path, args: &[&str]) -> Run {
    let mut command = tp(endpoint, dir);
    command.args(args);
    run(command)
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tp-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

pub fn names(inventory: &Value, key: &str) -> Vec<String> {
    match &inventory[key] {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}
