//! Lambda execution for `tp local`: each function's real code runs under
//! Node as the AWS Lambda Node.js runtime runs it.
//!
//! An execution environment is a Node process running the runtime client
//! `cli/local/node/bootstrap.mjs` against a Lambda Runtime API served here
//! ([`runtime_api`]) on its own loopback port ([`environment`]). It has the
//! function's deployed environment, its role's credentials and nothing of
//! `tp`'s; `@aws-sdk/*` comes from the runtime (`cli/local/node`) unless
//! the function bundles it. Environments are reused warm between
//! invocations (module state survives), started on demand up to the
//! function's reserved concurrency (else [`DEFAULT_ENVIRONMENTS`]), and
//! replaced when they time out or crash. Every invocation's output, framed
//! by the platform's records in the function's log format (`START` / `END`
//! / `REPORT` in Text, `platform.*` events in JSON, see [`Logging`]), is in
//! the function's log group by the time [`Lambda::invoke_timed`] returns
//! ([`logs`]).

mod environment;
mod logs;
mod runtime_api;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Bytes;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::local::types::{BoxFuture, Credentials, InvokeResult, Invoker, Outcome};
use environment::{Environment, Init, Registry, Run};
use logs::{InitStatus, Platform, Status};
pub use logs::{LogFormat, LogLevel, Logging};
use runtime_api::Invocation;

/// How long init (loading the handler module) may take, as in Lambda.
pub const INIT_LIMIT: Duration = Duration::from_secs(10);

/// Execution environments per function when it has no reserved concurrency.
pub const DEFAULT_ENVIRONMENTS: u32 = 4;

/// What every execution environment shares.
#[derive(Clone, Debug)]
pub struct RuntimeSettings {
    /// The Node.js binary (20 or later).
    pub node: PathBuf,
    /// `cli/local/node`: the runtime client and the runtime's AWS SDK.
    pub runtime_dir: PathBuf,
    /// `AWS_ENDPOINT_URL` of the functions (the IAM-enforcing proxy).
    pub aws_endpoint: String,
    pub region: String,
    pub account: String,
    /// A CA bundle the functions trust besides Node's (`NODE_EXTRA_CA_CERTS`).
    pub extra_ca_file: Option<PathBuf>,
    /// Host names the functions resolve to these addresses (DNS lookups).
    pub hosts: BTreeMap<String, std::net::IpAddr>,
    /// `fetch` requests to an origin (`https://abc.execute-api.us-east-1.amazonaws.com`)
    /// go to this base URL instead (`http://127.0.0.1:4567`), path and query kept.
    pub url_rewrites: BTreeMap<String, String>,
    /// Where the functions' logs are written (CloudWatch Logs).
    pub logs_endpoint: String,
    pub logs_credentials: Credentials,
    /// Scratch space (the environments' `HOME`).
    pub work_dir: PathBuf,
}

/// One deployed function.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    /// The physical name invocations name it by.
    pub name: String,
    pub arn: String,
    /// `index.handler`, `dir/file.export.path`.
    pub handler: String,
    /// `nodejs20.x`.
    pub runtime: String,
    pub timeout: Duration,
    pub memory_mb: u32,
    /// The deployed environment variables, resolved.
    pub environment: BTreeMap<String, String>,
    /// The function's code, unpacked (the task root).
    pub code_dir: PathBuf,
    pub log_group: String,
    /// `LoggingConfig`: the log format and, in JSON, the levels logs are kept at.
    pub logging: Logging,
    /// The execution role's credentials.
    pub credentials: Credentials,
    /// At most this many concurrent executions (0: every invocation is throttled).
    pub reserved_concurrency: Option<u32>,
}

/// Where the time of one invocation went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timings {
    /// From the call to its return.
    pub total: Duration,
    /// The handler's own time (as in [`InvokeResult::duration`]).
    pub handler: Duration,
    /// Starting the environment and loading the handler, on a cold start.
    pub init: Option<Duration>,
    /// Writing the invocation's log events.
    pub logs: Duration,
}

impl Timings {
    /// What running under `tp local` added to the handler's own time,
    /// cold start excluded.
    pub fn overhead(&self) -> Duration {
        self.total
            .saturating_sub(self.handler)
            .saturating_sub(self.init.unwrap_or_default())
    }
}

struct Function {
    spec: FunctionSpec,
    task_root: PathBuf,
    /// Warm environments, the most recently used last.
    idle: Mutex<Vec<Environment>>,
    permits: Semaphore,
}

/// The functions of one `tp local` region and their execution environments.
pub struct Lambda {
    settings: RuntimeSettings,
    functions: BTreeMap<String, Function>,
    logs: logs::LogWriter,
    registry: Registry,
    next_key: AtomicU64,
    closed: AtomicBool,
}

impl Lambda {
    /// Checks the functions and creates their log groups; environments
    /// start on the first invocation, as in Lambda.
    pub async fn start(
        settings: RuntimeSettings,
        functions: Vec<FunctionSpec>,
    ) -> anyhow::Result<Arc<Lambda>> {
        for file in ["bootstrap.mjs", "sdk-register.mjs", "sdk-hooks.mjs"] {
            let path = settings.runtime_dir.join(file);
            anyhow::ensure!(
                path.is_file(),
                "{} is missing; runtime_dir must be cli/local/node of the tp checkout",
                path.display()
            );
        }
        let logs = logs::LogWriter::new(
            &settings.logs_endpoint,
            &settings.region,
            &settings.logs_credentials,
        );
        let mut table = BTreeMap::new();
        for spec in functions {
            anyhow::ensure!(
                spec.runtime.starts_with("nodejs"),
                "function {} has runtime {}; tp local runs Node.js functions only",
                spec.name,
                spec.runtime
            );
            let task_root = environment::task_root(&spec.code_dir)?;
            logs.ensure_group(&spec.log_group).await?;
            let permits = spec.reserved_concurrency.unwrap_or(DEFAULT_ENVIRONMENTS) as usize;
            let name = spec.name.clone();
            let function = Function {
                spec,
                task_root,
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(permits),
            };
            anyhow::ensure!(
                table.insert(name.clone(), function).is_none(),
                "function {name} is given twice"
            );
        }
        std::fs::create_dir_all(&settings.work_dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", settings.work_dir.display()))?;
        Ok(Arc::new(Lambda {
            settings,
            functions: table,
            logs,
            registry: Arc::default(),
            next_key: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }))
    }

    /// The functions' physical names.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.keys().cloned().collect()
    }

    /// Ends every execution environment (an invocation in flight ends with
    /// `Runtime.ExitError`) and writes their last log lines.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for function in self.functions.values() {
            function.permits.close();
            let idle: Vec<Environment> =
                std::mem::take(&mut *function.idle.lock().expect("idle lock"));
            for mut env in idle {
                env.kill();
                env.drain();
                self.flush(&function.spec, &mut env).await;
            }
        }
        let live: Vec<u32> = self
            .registry
            .lock()
            .expect("registry lock")
            .values()
            .copied()
            .collect();
        for pid in live {
            environment::kill_group(pid);
        }
    }

    /// Runs `function` with `payload` and says where the time went.
    pub async fn invoke_timed(
        &self,
        function: &str,
        payload: &Value,
    ) -> anyhow::Result<(InvokeResult, Timings)> {
        let called = Instant::now();
        let f = self.functions.get(function).ok_or_else(|| {
            anyhow::anyhow!(
                "no function named {function} in tp local; the functions are: {}",
                self.function_names().join(", ")
            )
        })?;
        anyhow::ensure!(
            !self.closed.load(Ordering::SeqCst),
            "tp local's Lambda runtime is shut down"
        );
        if f.spec.reserved_concurrency == Some(0) {
            anyhow::bail!(
                "function {function} is throttled: its reserved concurrency is 0 (TooManyRequestsException)"
            );
        }
        let _permit = f
            .permits
            .acquire()
            .await
            .map_err(|_| anyhow::anyhow!("tp local's Lambda runtime is shut down"))?;
        let payload = Bytes::from(serde_json::to_vec(payload)?);
        let id = logs::request_id();
        // An idle environment whose process ended since its last invocation
        // never takes the event: run it on a fresh one.
        for _ in 0..3 {
            let warm = f.idle.lock().expect("idle lock").pop();
            let mut env = match warm {
                Some(mut env) => {
                    if !env.drain() {
                        self.flush(&f.spec, &mut env).await;
                        continue;
                    }
                    env
                }
                None => {
                    let key = self.next_key.fetch_add(1, Ordering::Relaxed);
                    let mut env = Environment::spawn(
                        &self.settings,
                        &f.spec,
                        &f.task_root,
                        key,
                        self.registry.clone(),
                    )
                    .await?;
                    let stream = env.stream.clone();
                    let (created, init) = tokio::join!(
                        self.logs.create_stream(&f.spec.log_group, &stream),
                        env.init(INIT_LIMIT)
                    );
                    if let Err(e) = created {
                        eprintln!("tp local: {e:#}");
                    }
                    if let Some(result) = self.init_failed(f, &mut env, &id, init, called).await {
                        return Ok(result);
                    }
                    env
                }
            };
            let invocation = Invocation {
                id: id.clone(),
                deadline_ms: logs::epoch_ms(SystemTime::now()) + f.spec.timeout.as_millis() as i64,
                function_arn: f.spec.arn.clone(),
                trace_id: logs::trace_id(SystemTime::now()),
                payload: payload.clone(),
            };
            match env.run(invocation, f.spec.timeout).await {
                Run::NotStarted => {
                    self.flush(&f.spec, &mut env).await;
                    continue;
                }
                Run::Done {
                    outcome,
                    duration,
                    dead,
                } => {
                    let init = env.init_duration.take();
                    let platform = Platform::new(f.spec.logging);
                    let status = match &outcome {
                        Outcome::Returned(_) => Status::Success,
                        Outcome::Failed { error_type, .. } => Status::Failure(error_type.clone()),
                        Outcome::TimedOut => Status::Timeout,
                    };
                    let now = logs::epoch_ms(SystemTime::now());
                    env.record(platform.runtime_done(now, &id, &status, duration));
                    env.record(platform.report(
                        now,
                        &id,
                        &status,
                        duration,
                        f.spec.memory_mb,
                        env.max_memory_used_mb(),
                        init,
                    ));
                    let flushing = Instant::now();
                    self.flush(&f.spec, &mut env).await;
                    let logs = flushing.elapsed();
                    if !dead {
                        f.idle.lock().expect("idle lock").push(env);
                    }
                    let result = InvokeResult {
                        request_id: id,
                        outcome,
                        duration,
                    };
                    let timings = Timings {
                        total: called.elapsed(),
                        handler: duration,
                        init,
                        logs,
                    };
                    return Ok((result, timings));
                }
            }
        }
        anyhow::bail!(
            "the execution environments of {function} keep exiting before taking an invocation; see its log group {}",
            f.spec.log_group
        )
    }

    /// For an init that did not end ready: the invocation's result, its
    /// log lines written as Lambda writes them.
    async fn init_failed(
        &self,
        f: &Function,
        env: &mut Environment,
        id: &str,
        init: Init,
        called: Instant,
    ) -> Option<(InvokeResult, Timings)> {
        let platform = Platform::new(f.spec.logging);
        let now = logs::epoch_ms(SystemTime::now());
        let (outcome, init_status, status) = match init {
            Init::Ready => {
                let took = env.init_duration.unwrap_or_default();
                for line in platform.init_done(now, &InitStatus::Success, took) {
                    env.record(Some(line));
                }
                return None;
            }
            Init::Failed(error) => {
                let error_type = error.error_type.clone();
                (
                    Outcome::Failed {
                        error_type: error.error_type,
                        error_message: error.error_message,
                    },
                    InitStatus::Error(error_type.clone()),
                    Status::Failure(error_type),
                )
            }
            Init::TimedOut => (Outcome::TimedOut, InitStatus::Timeout, Status::Timeout),
        };
        let init_duration = env.init_duration.take().unwrap_or_default();
        for line in platform.init_done(now, &init_status, init_duration) {
            env.record(Some(line));
        }
        env.record(platform.start(now, id));
        env.record(platform.runtime_done(now, id, &status, Duration::ZERO));
        env.record(platform.report(
            now,
            id,
            &status,
            Duration::ZERO,
            f.spec.memory_mb,
            env.max_memory_used_mb(),
            Some(init_duration),
        ));
        let flushing = Instant::now();
        self.flush(&f.spec, env).await;
        let result = InvokeResult {
            request_id: id.to_owned(),
            outcome,
            duration: Duration::ZERO,
        };
        let timings = Timings {
            total: called.elapsed(),
            handler: Duration::ZERO,
            init: Some(init_duration),
            logs: flushing.elapsed(),
        };
        Some((result, timings))
    }

    async fn flush(&self, spec: &FunctionSpec, env: &mut Environment) {
        let lines = env.take_lines();
        if lines.is_empty() {
            return;
        }
        if let Err(e) = self.logs.put(&spec.log_group, &env.stream, lines).await {
            eprintln!("tp local: the logs of function {}: {e:#}", spec.name);
        }
    }
}

impl Invoker for Lambda {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
        Box::pin(async move {
            let (result, _) = self.invoke_timed(function, &payload).await?;
            Ok(result)
        })
    }
}
