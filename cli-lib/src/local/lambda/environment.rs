//! One execution environment: a Node process running the runtime client
//! (`cli/local/node/bootstrap.mjs`) against its own Runtime API, with the
//! function's environment and nothing of `tp`'s, its stdout and stderr
//! collected as the environment's log lines.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader, Read};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tokio::sync::mpsc;

use super::logs::{self, LogFormat, LogLine, Platform};
use super::runtime_api::{ApiEvent, Invocation, RuntimeApi, RuntimeError};
use super::{FunctionSpec, RuntimeSettings};
use crate::local::types::Outcome;

/// How long the lines an answered invocation wrote may take to be read.
const MARK_WAIT: Duration = Duration::from_secs(1);
/// How long a killed or exited process's last lines may take to be read.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdout = 0,
    Stderr = 1,
}

#[derive(Debug)]
enum EnvEvent {
    Api(ApiEvent),
    Output(LogLine),
    /// The runtime client's end-of-answer mark for invocation `id`.
    Mark(Stream, String),
    Closed(Stream),
    /// The process ended, as Lambda words it (`exit status 1`, `signal: killed`).
    Exited(String),
}

/// How init ended.
#[derive(Debug)]
pub(super) enum Init {
    Ready,
    Failed(RuntimeError),
    TimedOut,
}

/// How an invocation on an environment ended.
#[derive(Debug)]
pub(super) enum Run {
    /// The environment was gone before the runtime took the event; nothing ran.
    NotStarted,
    Done {
        outcome: Outcome,
        duration: Duration,
        /// The environment cannot take another invocation.
        dead: bool,
    },
}

/// The process ids of the live environments, to end them all at shutdown.
pub(super) type Registry = Arc<Mutex<HashMap<u64, u32>>>;

struct Process {
    key: u64,
    pid: u32,
    exited: Arc<AtomicBool>,
    registry: Registry,
}

impl Process {
    fn kill(&self) {
        if !self.exited.load(Ordering::SeqCst) {
            kill_group(self.pid);
        }
    }

    /// Peak resident memory (`VmHWM`), in MB.
    fn max_rss_mb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb.div_ceil(1024))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if let Ok(mut live) = self.registry.lock() {
            live.remove(&self.key);
        }
    }
}

/// Ends a process and whatever it started (it leads its own group).
pub(super) fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

pub(super) struct Environment {
    /// The log stream this environment writes.
    pub stream: String,
    api: RuntimeApi,
    process: Process,
    events: mpsc::UnboundedReceiver<EnvEvent>,
    lines: Vec<LogLine>,
    spawned: Instant,
    /// How long init took, until the first invocation reports it.
    pub init_duration: Option<Duration>,
    open: [bool; 2],
    /// The last end-of-answer mark read on each pipe.
    marks: [Option<String>; 2],
    exited: Option<String>,
    max_rss_mb: u64,
    platform: Platform,
}

/// What the runtime client reads from its command line.
fn client_settings(settings: &RuntimeSettings, mark: &str) -> String {
    serde_json::json!({
        "mark": mark,
        "hosts": settings.hosts.iter().map(|(k, v)| (k.clone(), Value::String(v.to_string()))).collect::<serde_json::Map<_, _>>(),
        "url_rewrites": settings.url_rewrites,
    })
    .to_string()
}

/// The process environment of an execution environment: the function's
/// variables, then what Lambda sets (which a function cannot override).
pub(super) fn process_env(
    settings: &RuntimeSettings,
    spec: &FunctionSpec,
    task_root: &Path,
    stream: &str,
    api: &str,
    home: &Path,
) -> BTreeMap<String, String> {
    let mut env = spec.environment.clone();
    let node_dir = settings
        .node
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let path = [node_dir.as_str(), "/usr/local/bin", "/usr/bin", "/bin"]
        .iter()
        .filter(|d| !d.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(":");
    let runtime = spec.runtime.as_str();
    let lambda = [
        ("PATH", path),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("HOME", home.display().to_string()),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        (
            "LAMBDA_RUNTIME_DIR",
            settings.runtime_dir.display().to_string(),
        ),
        ("_HANDLER", spec.handler.clone()),
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_LOG_GROUP_NAME", spec.log_group.clone()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream.to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", settings.region.clone()),
        ("AWS_DEFAULT_REGION", settings.region.clone()),
        ("AWS_EXECUTION_ENV", format!("AWS_Lambda_{runtime}")),
        ("AWS_ACCESS_KEY_ID", spec.credentials.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            spec.credentials.secret_access_key.clone(),
        ),
        ("AWS_ENDPOINT_URL", settings.aws_endpoint.clone()),
    ];
    for (name, value) in lambda {
        env.insert(name.to_owned(), value);
    }
    match &spec.credentials.session_token {
        Some(token) => env.insert("AWS_SESSION_TOKEN".to_owned(), token.clone()),
        None => env.remove("AWS_SESSION_TOKEN"),
    };
    if let Some(ca) = &settings.extra_ca_file {
        env.insert("NODE_EXTRA_CA_CERTS".to_owned(), ca.display().to_string());
    }
    // Lambda tells the runtime the JSON format and the application log
    // level; a Text function has neither.
    if spec.logging.format == LogFormat::Json {
        env.insert("AWS_LAMBDA_LOG_FORMAT".to_owned(), "JSON".to_owned());
        if let Some(level) = spec.logging.application_level {
            env.insert("AWS_LAMBDA_LOG_LEVEL".to_owned(), level.as_str().to_owned());
        }
    }
    env
}

fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(9) => "signal: killed".to_owned(),
        Some(6) => "signal: aborted".to_owned(),
        Some(11) => "signal: segmentation fault".to_owned(),
        Some(15) => "signal: terminated".to_owned(),
        Some(n) => format!("signal: {n}"),
        None => format!("{status}"),
    }
}

/// Reads `pipe` line by line until it closes.
fn read_lines(
    pipe: impl Read,
    stream: Stream,
    mark: String,
    events: mpsc::UnboundedSender<EnvEvent>,
) {
    let mut reader = BufReader::new(pipe);
    let mark = format!("{mark}:").into_bytes();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let found = buf.windows(mark.len()).position(|w| w == mark.as_slice());
        let (text, marked) = match found {
            Some(at) => (
                &buf[..at],
                Some(String::from_utf8_lossy(&buf[at + mark.len()..]).into_owned()),
            ),
            None => (&buf[..], None),
        };
        if !text.is_empty() {
            // The runtime writes a console message's newlines as \r, so
            // one call is one line; the log event has them back.
            let message = String::from_utf8_lossy(text).replace('\r', "\n");
            if events
                .send(EnvEvent::Output(LogLine::now(message)))
                .is_err()
            {
                return;
            }
        }
        if let Some(id) = marked {
            let _ = events.send(EnvEvent::Mark(stream, id));
        }
    }
    let _ = events.send(EnvEvent::Closed(stream));
}

fn hex_nonce() -> String {
    logs::request_id().replace('-', "")
}

impl Environment {
    /// Starts the Node process for `spec`; init runs from here on
    /// (see [`Environment::init`]).
    pub async fn spawn(
        settings: &RuntimeSettings,
        spec: &FunctionSpec,
        task_root: &Path,
        key: u64,
        registry: Registry,
    ) -> anyhow::Result<Environment> {
        let (sender, events) = mpsc::unbounded_channel();
        let api_events = sender.clone();
        let api = RuntimeApi::start(move |event| {
            let _ = api_events.send(EnvEvent::Api(event));
        })
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on a loopback port for the Lambda Runtime API of {}: {e}",
                spec.name
            )
        })?;
        let stream = logs::stream_name(SystemTime::now());
        let home = settings.work_dir.join("home").join(&spec.name);
        std::fs::create_dir_all(&home)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", home.display()))?;
        let mark = format!("\u{1}tp-local-mark-{}", hex_nonce());
        let env = process_env(
            settings,
            spec,
            task_root,
            &stream,
            &api.addr.to_string(),
            &home,
        );
        let mut command = Command::new(&settings.node);
        command
            .arg(format!(
                "--max-old-space-size={}",
                (spec.memory_mb as u64 * 9 / 10).max(64)
            ))
            .arg("--max-http-header-size=81920")
            .arg("--expose-gc")
            .arg("--import")
            .arg(settings.runtime_dir.join("sdk-register.mjs"))
            .arg(settings.runtime_dir.join("bootstrap.mjs"))
            .arg(client_settings(settings, &mark))
            .env_clear()
            .envs(&env)
            .current_dir(task_root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let spawned = Instant::now();
        let spawned_at = logs::epoch_ms(SystemTime::now());
        let mut child = command.spawn().map_err(|e| {
            anyhow::anyhow!(
                "cannot start {} for function {}: {e}; set the Node.js (20 or later) binary tp local runs functions with",
                settings.node.display(),
                spec.name
            )
        })?;
        let pid = child.id();
        let exited = Arc::new(AtomicBool::new(false));
        registry.lock().expect("registry lock").insert(key, pid);
        let process = Process {
            key,
            pid,
            exited: exited.clone(),
            registry,
        };
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        for (pipe, which) in [
            (Box::new(stdout) as Box<dyn Read + Send>, Stream::Stdout),
            (Box::new(stderr), Stream::Stderr),
        ] {
            let events = sender.clone();
            let mark = mark.clone();
            std::thread::Builder::new()
                .name(format!("lambda-{}-{which:?}", spec.name))
                .spawn(move || read_lines(pipe, which, mark, events))
                .map_err(|e| anyhow::anyhow!("cannot start a log reader thread: {e}"))?;
        }
        std::thread::Builder::new()
            .name(format!("lambda-{}-wait", spec.name))
            .spawn(move || {
                let status = child.wait();
                exited.store(true, Ordering::SeqCst);
                let text = match status {
                    Ok(status) => describe_exit(status),
                    Err(e) => format!("cannot wait for the process: {e}"),
                };
                let _ = sender.send(EnvEvent::Exited(text));
            })
            .map_err(|e| anyhow::anyhow!("cannot start a process waiter thread: {e}"))?;
        let platform = Platform::new(spec.logging);
        Ok(Environment {
            stream,
            api,
            process,
            events,
            // Before anything the process writes.
            lines: platform
                .init_start(spawned_at, &spec.name)
                .into_iter()
                .collect(),
            spawned,
            init_duration: None,
            open: [true, true],
            marks: [None, None],
            exited: None,
            max_rss_mb: 0,
            platform,
        })
    }

    /// Waits until the runtime client polls for its first event (init is
    /// done), reports an init error, exits, or `limit` passes.
    pub async fn init(&mut self, limit: Duration) -> Init {
        let deadline = tokio::time::Instant::from_std(self.spawned + limit);
        loop {
            let event = tokio::select! {
                event = self.events.recv() => event,
                _ = tokio::time::sleep_until(deadline) => {
                    self.init_duration = Some(self.spawned.elapsed());
                    self.process.kill();
                    self.wait_closed().await;
                    return Init::TimedOut;
                }
            };
            match event {
                Some(EnvEvent::Api(ApiEvent::Polling)) => {
                    self.init_duration = Some(self.spawned.elapsed());
                    return Init::Ready;
                }
                Some(EnvEvent::Api(ApiEvent::InitError(error))) => {
                    self.init_duration = Some(self.spawned.elapsed());
                    self.process.kill();
                    self.wait_closed().await;
                    return Init::Failed(error);
                }
                Some(event) => {
                    if let Some(status) = self.absorb(event) {
                        self.init_duration = Some(self.spawned.elapsed());
                        self.wait_closed().await;
                        return Init::Failed(RuntimeError {
                            error_type: "Runtime.ExitError".to_owned(),
                            error_message: format!("Runtime exited with error: {status}"),
                        });
                    }
                }
                None => unreachable!("the environment holds a sender"),
            }
        }
    }

    /// Takes what arrived while the environment was idle; false when the
    /// process is gone.
    pub fn drain(&mut self) -> bool {
        while let Ok(event) = self.events.try_recv() {
            self.absorb(event);
        }
        self.exited.is_none()
    }

    /// Keeps a line or a stream's state; returns the exit status if the
    /// process ended.
    fn absorb(&mut self, event: EnvEvent) -> Option<String> {
        match event {
            EnvEvent::Output(line) => self.lines.push(line),
            EnvEvent::Closed(stream) => self.open[stream as usize] = false,
            EnvEvent::Exited(status) => {
                self.exited = Some(status.clone());
                return Some(status);
            }
            EnvEvent::Mark(stream, id) => self.marks[stream as usize] = Some(id),
            EnvEvent::Api(_) => {}
        }
        None
    }

    /// Collects lines until both pipes are closed (the process is gone).
    async fn wait_closed(&mut self) {
        let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
        while self.open.iter().any(|o| *o) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    self.absorb(event);
                }
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Collects lines until the runtime's end-of-answer mark for `id` was
    /// read on both pipes.
    async fn wait_marks(&mut self, id: &str) {
        let deadline = tokio::time::Instant::now() + MARK_WAIT;
        let pending =
            |env: &Environment| (0..2).any(|i| env.open[i] && env.marks[i].as_deref() != Some(id));
        while pending(self) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    self.absorb(event);
                }
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Hands `invocation` to the runtime client and waits for its answer,
    /// the process's end, or `timeout` (then the process is killed).
    pub async fn run(&mut self, invocation: Invocation, timeout: Duration) -> Run {
        let id = invocation.id.clone();
        let sent = Instant::now();
        let deadline = tokio::time::Instant::from_std(sent + timeout);
        if self.api.invocations.try_send(invocation).is_err() {
            return Run::NotStarted;
        }
        let mut started: Option<Instant> = None;
        let (outcome, duration, dead) = loop {
            let event = tokio::select! {
                event = self.events.recv() => event,
                _ = tokio::time::sleep_until(deadline) => {
                    let now = logs::epoch_ms(SystemTime::now());
                    if started.is_none() {
                        self.record(self.platform.start(now, &id));
                    }
                    self.process.kill();
                    self.record(self.platform.timed_out(now, &id, timeout));
                    break (Outcome::TimedOut, timeout, true);
                }
            };
            match event {
                Some(EnvEvent::Api(ApiEvent::Started { id: got, at })) if got == id => {
                    let now = logs::epoch_ms(SystemTime::now());
                    self.record(self.platform.start(now, &id));
                    started = Some(at);
                }
                Some(EnvEvent::Api(ApiEvent::Response { id: got, body, at })) if got == id => {
                    self.note_memory();
                    let value = if body.is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_slice(&body).unwrap_or_else(|_| {
                            Value::String(String::from_utf8_lossy(&body).into_owned())
                        })
                    };
                    let took = at.duration_since(started.unwrap_or(sent));
                    break (Outcome::Returned(value), took, false);
                }
                Some(EnvEvent::Api(ApiEvent::Error { id: got, error, at })) if got == id => {
                    self.note_memory();
                    let took = at.duration_since(started.unwrap_or(sent));
                    break (
                        Outcome::Failed {
                            error_type: error.error_type,
                            error_message: error.error_message,
                        },
                        took,
                        false,
                    );
                }
                Some(event) => {
                    if let Some(status) = self.absorb(event) {
                        let Some(at) = started else {
                            return Run::NotStarted;
                        };
                        let message =
                            format!("RequestId: {id} Error: Runtime exited with error: {status}");
                        self.lines.push(LogLine::now(message.clone()));
                        self.lines
                            .push(LogLine::now("Runtime.ExitError".to_owned()));
                        break (
                            Outcome::Failed {
                                error_type: "Runtime.ExitError".to_owned(),
                                error_message: message,
                            },
                            at.elapsed(),
                            true,
                        );
                    }
                }
                None => unreachable!("the environment holds a sender"),
            }
        };
        if dead {
            self.process.kill();
            self.wait_closed().await;
        } else {
            self.wait_marks(&id).await;
        }
        Run::Done {
            outcome,
            duration,
            dead: dead || self.exited.is_some(),
        }
    }

    fn note_memory(&mut self) {
        if let Some(mb) = self.process.max_rss_mb() {
            self.max_rss_mb = mb;
        }
    }

    pub fn max_memory_used_mb(&self) -> u64 {
        self.max_rss_mb
    }

    /// Appends a record the platform writes, unless it is filtered out.
    pub fn record(&mut self, line: Option<LogLine>) {
        self.lines.extend(line);
    }

    /// The lines not yet written to the log stream.
    pub fn take_lines(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.lines)
    }

    /// Ends the process now.
    pub fn kill(&self) {
        self.process.kill();
    }
}

/// The directory a function's code runs from, with symlinks resolved (the
/// runtime compares it with the paths modules resolve to).
pub(super) fn task_root(code_dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(code_dir).map_err(|e| {
        anyhow::anyhow!(
            "the function code directory {} cannot be used: {e}",
            code_dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::lambda::{LogLevel, Logging};
    use crate::local::types::Credentials;

    fn settings() -> RuntimeSettings {
        RuntimeSettings {
            node: PathBuf::from("/opt/node/bin/node"),
            runtime_dir: PathBuf::from("/rt"),
            aws_endpoint: "http://127.0.0.1:9000".into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            extra_ca_file: Some(PathBuf::from("/ca.pem")),
            hosts: BTreeMap::new(),
            url_rewrites: BTreeMap::new(),
            logs_endpoint: "http://127.0.0.1:9001".into(),
            logs_credentials: Credentials {
                access_key_id: "a".into(),
                secret_access_key: "b".into(),
                session_token: None,
            },
            work_dir: PathBuf::from("/work"),
        }
    }

    fn spec() -> FunctionSpec {
        FunctionSpec {
            name: "orders".into(),
            arn: "arn:aws:lambda:eu-west-1:123456789012:function:orders".into(),
            handler: "index.handler".into(),
            runtime: "nodejs20.x".into(),
            timeout: Duration::from_secs(3),
            memory_mb: 256,
            environment: BTreeMap::from([
                ("TABLE".to_owned(), "t1".to_owned()),
                ("AWS_REGION".to_owned(), "us-west-2".to_owned()),
                ("AWS_SESSION_TOKEN".to_owned(), "stale".to_owned()),
            ]),
            code_dir: PathBuf::from("/code"),
            log_group: "/aws/lambda/orders".into(),
            logging: Logging::text(),
            credentials: Credentials {
                access_key_id: "AKIA1".into(),
                secret_access_key: "s1".into(),
                session_token: Some("tok".into()),
            },
            reserved_concurrency: None,
        }
    }

    #[test]
    fn the_process_environment_is_the_functions_and_lambdas() {
        let env = process_env(
            &settings(),
            &spec(),
            Path::new("/code"),
            "2024/01/01/[$LATEST]ab",
            "127.0.0.1:5000",
            Path::new("/work/home/orders"),
        );
        assert_eq!(env["TABLE"], "t1");
        assert_eq!(env["AWS_REGION"], "eu-west-1", "Lambda's value wins");
        assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
        assert_eq!(env["AWS_SESSION_TOKEN"], "tok");
        assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIA1");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(env["AWS_LAMBDA_LOG_STREAM_NAME"], "2024/01/01/[$LATEST]ab");
        assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_nodejs20.x");
        assert_eq!(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:5000");
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:9000");
        assert_eq!(env["NODE_EXTRA_CA_CERTS"], "/ca.pem");
        assert_eq!(env["TZ"], ":UTC");
        assert_eq!(env["_HANDLER"], "index.handler");
        assert_eq!(env["PATH"], "/opt/node/bin:/usr/local/bin:/usr/bin:/bin");
        assert_eq!(env["HOME"], "/work/home/orders");
    }

    #[test]
    fn json_functions_are_told_the_format_and_application_level() {
        let at = |logging: Logging| {
            let mut spec = spec();
            spec.logging = logging;
            if logging.format == LogFormat::Json {
                spec.environment
                    .insert("AWS_LAMBDA_LOG_LEVEL".to_owned(), "TRACE".to_owned());
            }
            process_env(
                &settings(),
                &spec,
                Path::new("/c"),
                "s",
                "a",
                Path::new("/h"),
            )
        };
        let json = at(Logging::json());
        assert_eq!(json["AWS_LAMBDA_LOG_FORMAT"], "JSON");
        assert_eq!(json["AWS_LAMBDA_LOG_LEVEL"], "INFO", "Lambda's value wins");
        let debug = at(Logging {
            application_level: Some(LogLevel::Debug),
            ..Logging::json()
        });
        assert_eq!(debug["AWS_LAMBDA_LOG_LEVEL"], "DEBUG");
        let text = at(Logging::text());
        assert!(!text.contains_key("AWS_LAMBDA_LOG_FORMAT"));
        assert!(!text.contains_key("AWS_LAMBDA_LOG_LEVEL"));
    }

    #[test]
    fn without_a_session_token_none_is_set() {
        let mut spec = spec();
        spec.credentials.session_token = None;
        let env = process_env(
            &settings(),
            &spec,
            Path::new("/code"),
            "s",
            "a",
            Path::new("/h"),
        );
        assert!(!env.contains_key("AWS_SESSION_TOKEN"));
    }

    #[test]
    fn exits_are_described_as_lambda_does() {
        assert_eq!(describe_exit(ExitStatus::from_raw(1 << 8)), "exit status 1");
        assert_eq!(describe_exit(ExitStatus::from_raw(9)), "signal: killed");
    }

    #[test]
    fn marks_split_lines_and_newlines_come_back() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let input = b"a\rb\nraw\x01M:req-1\n\x01M:req-1\n".to_vec();
        read_lines(
            std::io::Cursor::new(input),
            Stream::Stdout,
            "\u{1}M".into(),
            tx,
        );
        let mut got = Vec::new();
        while let Ok(event) = rx.try_recv() {
            got.push(match event {
                EnvEvent::Output(line) => format!("line {}", line.message),
                EnvEvent::Mark(s, id) => format!("mark {s:?} {id}"),
                EnvEvent::Closed(s) => format!("closed {s:?}"),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(
            got,
            [
                "line a\nb",
                "line raw",
                "mark Stdout req-1",
                "mark Stdout req-1",
                "closed Stdout"
            ]
        );
    }
}
