//! `tp` against a local CloudFormation: `moto_server` (through
//! `cli/local/moto-launch.py`) on a free loopback port, started by each test,
//! optionally behind a fault-injection proxy ([`proxy`]) so the real SDK
//! client meets throttling, dropped connections, slow answers and the
//! states moto cannot produce. What `tp` creates is checked through each
//! service's own API (`tests/moto/inventory.py`, boto3 from the venv).

mod acceptance;
mod accounts;
mod after_deploy;
mod archive;
mod arguments;
mod artifact;
mod aws_errors;
mod dns;
mod emulator;
mod faults;
mod flow;
mod json;
mod local_apigw;
mod local_events;
mod local_iam;
mod local_lambda;
mod nested;
mod out_dir;
mod pending;
mod promote;
pub mod proxy;
mod replacement;
mod retention;
mod verify;
mod waves;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const REGION: &str = "us-east-1";

/// The accounts of the trading platform's profiles (platform-def's
/// `accounts:`) and its pipeline's tooling account.
pub const DEV_ACCOUNT: &str = "111111111111";
pub const STAGING_ACCOUNT: &str = "222222222222";
pub const PROD_ACCOUNT: &str = "333333333333";
pub const TOOLING_ACCOUNT: &str = "444444444444";
/// moto's own default: the emulator's management account when moto is
/// started without an account ([`Moto::start_in`] with `None`).
pub const MANAGEMENT_ACCOUNT: &str = "123456789012";

/// The asset bucket `tp bootstrap` creates in `account`'s [`REGION`].
pub fn asset_bucket(account: &str) -> String {
    format!("tp-assets-{account}-{REGION}")
}

/// Temporary credentials in one account.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub token: String,
}

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

/// Runs `f` to completion on a runtime of its own, for the tests that
/// call the deploy engine as a library.
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// A platform `name` of `resources` (each a name and its spec), in
/// [`REGION`] with one profile, `dev`, and nothing else declared: what the
/// tests that build a platform by hand deploy.
pub fn one_region_platform(
    name: &str,
    resources: Vec<(&str, platform_core::spec::Spec)>,
) -> platform_core::spec::Platform {
    use platform_core::spec::{PerProfile, Platform, Resource};
    Platform {
        name: name.into(),
        regions: vec![REGION.into()],
        suffix_max: 8,
        tags: Vec::new(),
        profiles: vec!["dev".into()],
        resources: resources
            .into_iter()
            .map(|(name, spec)| Resource {
                name: name.into(),
                spec,
            })
            .collect(),
        pipeline: None,
        rollback_window_minutes: PerProfile::Same(0),
        drift_check: None,
        accounts: None,
        backups: Vec::new(),
        generic: Vec::new(),
        overrides: Vec::new(),
    }
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
    /// moto whose default account, where the test credentials act, is the
    /// dev account: the trading platform deploys `dev` there.
    pub fn start(name: &str) -> Moto {
        Moto::start_in(name, Some(DEV_ACCOUNT))
    }

    /// moto whose default (management) account is `account`, or moto's own.
    pub fn start_in(name: &str, account: Option<&str>) -> Moto {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("tp-moto-{name}-{}.log", std::process::id()));
        let mut command = Command::new(python());
        command.env_remove("MOTO_ACCOUNT_ID");
        if let Some(account) = account {
            command.env("MOTO_ACCOUNT_ID", account);
        }
        let child = command
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

    /// The same emulator, read as an operator of `account` (through its
    /// OrganizationAccountAccessRole); not stopped when dropped.
    pub fn as_operator_of(&self, account: &str) -> MotoAccount<'_> {
        MotoAccount {
            moto: self,
            account: account.to_owned(),
        }
    }

    /// The OrganizationAccountAccessRole credentials of `account`.
    pub fn operator_credentials(&self, account: &str) -> Credentials {
        let out = self.python(&["credentials", account]);
        let c: Value = serde_json::from_slice(&out.stdout).expect("credentials JSON");
        Credentials {
            access_key: c["AccessKeyId"].as_str().unwrap().to_owned(),
            secret_key: c["SecretAccessKey"].as_str().unwrap().to_owned(),
            token: c["SessionToken"].as_str().unwrap().to_owned(),
        }
    }

    /// What exists in the region, read through each service's API.
    pub fn inventory(&self) -> Value {
        let out = self.python(&["inventory"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("inventory: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// The Backup vaults and plans, the customer keys by alias, the
    /// clusters' and tables' keys in the region (`inventory.py backup`).
    pub fn backup(&self) -> Value {
        let out = self.python(&["backup"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("backup: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// Every topic's subscriptions, every metric alarm and every dashboard's
    /// body (`inventory.py monitoring`).
    pub fn monitoring(&self) -> Value {
        let out = self.python(&["monitoring"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("monitoring: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// Route 53's zones (with their records), health checks and the
    /// us-east-1 alarms on them; and per region of `regions`, its ACM
    /// certificates and API Gateway domain names with their mappings.
    pub fn dns(&self, regions: &[&str]) -> Value {
        let mut args = vec!["dns"];
        args.extend_from_slice(regions);
        let out = self.python(&args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("dns: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// Sets an alarm's state, as CloudWatch would when its metric crosses.
    pub fn alarm_state(&self, name: &str, state: &str) {
        self.python(&["alarm-state", name, state]);
    }

    /// Sends one message to queue `name`.
    pub fn send(&self, queue: &str) {
        self.python(&["send", queue]);
    }

    /// `bucket`'s replication and Object Lock configurations (`replication`,
    /// `object_lock`; null when it has none).
    pub fn s3_protection(&self, bucket: &str) -> Value {
        let out = self.python(&["s3-protection", bucket]);
        serde_json::from_slice(&out.stdout).expect("s3-protection JSON")
    }

    /// Deploys `template` (a file) as stack `stack` through a change set,
    /// as `aws cloudformation deploy --s3-bucket bucket` does; its status
    /// and resources (`status`, `resources`: logical id -> type).
    pub fn deploy_as_awscli(
        &self,
        stack: &str,
        template: &Path,
        bucket: &str,
        parameters: &[&str],
    ) -> Value {
        let template = template.to_str().expect("a UTF-8 path");
        let mut args = vec!["deploy", stack, template, bucket];
        args.extend_from_slice(parameters);
        let out = self.python(&args);
        serde_json::from_slice(&out.stdout).expect("deploy JSON")
    }

    pub fn put_versions(&self, bucket: &str, key: &str) {
        self.python(&["put-versions", bucket, key]);
    }

    fn python(&self, args: &[&str]) -> Output {
        inventory_py(&self.endpoint(), None, args)
    }
}

/// `tests/moto/inventory.py ENDPOINT REGION ARGS`, in `account` (through
/// its OrganizationAccountAccessRole) or the default account.
fn inventory_py(endpoint: &str, account: Option<&str>, args: &[&str]) -> Output {
    inventory_py_as(endpoint, account, ("testing", "testing"), args)
}

/// [`inventory_py`] signing with `key` (access key id and secret), as an
/// endpoint that checks signatures (`tp local`'s) needs.
fn inventory_py_as(
    endpoint: &str,
    account: Option<&str>,
    key: (&str, &str),
    args: &[&str],
) -> Output {
    let mut command = Command::new(python());
    match account {
        Some(account) => command.env("TP_ACCOUNT", account),
        None => command.env_remove("TP_ACCOUNT"),
    };
    let out = command
        .arg(workspace_root().join("tests/moto/inventory.py"))
        .arg(endpoint)
        .arg(REGION)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", key.0)
        .env("AWS_SECRET_ACCESS_KEY", key.1)
        .output()
        .expect("run inventory.py");
    assert!(
        out.status.success(),
        "inventory.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`Moto`]'s reads, in another account.
pub struct MotoAccount<'a> {
    moto: &'a Moto,
    account: String,
}

impl MotoAccount<'_> {
    /// What exists in the region of this account.
    /// Creates the public hosted zone `domain` in this account, as a DNS
    /// team would before the platform deploys into it; returns its id.
    pub fn create_zone(&self, domain: &str) -> String {
        let out = self.python(&["create-zone", domain]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn inventory(&self) -> Value {
        let out = self.python(&["inventory"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("inventory: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// [`Moto::backup`], in this account.
    pub fn backup(&self) -> Value {
        let out = self.python(&["backup"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("backup: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
    }

    /// The object `key` of `bucket`, as text.
    pub fn get(&self, bucket: &str, key: &str) -> String {
        String::from_utf8(self.python(&["get", bucket, key]).stdout).expect("UTF-8")
    }

    /// Writes `text` to `key` of `bucket`.
    pub fn put(&self, bucket: &str, key: &str, text: &str) {
        self.python(&["put", bucket, key, text]);
    }

    fn python(&self, args: &[&str]) -> Output {
        inventory_py(&self.moto.endpoint(), Some(&self.account), args)
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

/// `tp` with `credentials` instead of the test credentials.
pub fn tp_as(endpoint: &str, dir: &Path, credentials: &Credentials) -> Command {
    let mut command = tp(endpoint, dir);
    command
        .env("AWS_ACCESS_KEY_ID", &credentials.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &credentials.secret_key)
        .env("AWS_SESSION_TOKEN", &credentials.token);
    command
}

/// Bootstraps `account` as its operator would, trusting the dev account,
/// whose credentials (the tests' default) then deploy into it.
pub fn bootstrap_trusting_dev(moto: &Moto, endpoint: &str, dir: &Path, account: &str) {
    let mut command = tp_as(endpoint, dir, &moto.operator_credentials(account));
    command.args([
        "bootstrap",
        "--account",
        account,
        "--trust",
        DEV_ACCOUNT,
        "--region",
        REGION,
    ]);
    let run = run(command);
    assert_eq!(run.code, 0, "{run}");
}

/// Deploys the trading platform's dev-profile template of `suffix` into
/// `account` (bootstrapped), as its operator, through the deploy engine:
/// a stack another profile's deploy then updates in place, which `tp`
/// alone cannot set up since each profile has its own account.
pub fn deploy_dev_template_into(
    endpoint: &str,
    dir: &Path,
    moto: &Moto,
    account: &str,
    suffix: &str,
) {
    let mut platform = platform_def::platform();
    // Every profile in `account`: the dev template as it would be there,
    // its bucket names ending with that account as the other profile's do.
    platform.accounts = Some(platform_core::spec::PerProfile::Same(account.to_owned()));
    let deployment =
        platform_core::synth::Deployment::new(&platform, suffix, Some("dev"), &[REGION.to_owned()])
            .expect("deployment");
    let operator = moto.operator_credentials(account);
    let connection = cli::aws::Connection {
        endpoint_url: Some(endpoint.to_owned()),
        credentials: Some(aws_credential_types::Credentials::new(
            operator.access_key,
            operator.secret_key,
            Some(operator.token),
            None,
            "e2e",
        )),
        target: None,
    };
    let opts = cli::commands::DeployOptions {
        approval: cli::commands::Approval::Never,
        allow_replace: Vec::new(),
        no_execute: false,
        outputs_file: dir.join("tp.out/outputs-operator.json"),
        resume: String::new(),
        role_arn: None,
        run_after_deploy: true,
    };
    let code = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(cli::release::deploy_platform(
            &platform,
            &deployment,
            &connection,
            &opts,
        ))
        .expect("deploy of the dev template");
    assert_eq!(code, 0);
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
