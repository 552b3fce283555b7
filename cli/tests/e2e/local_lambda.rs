//! `tp local`'s Lambda execution (`cli::local::lambda`): small handlers
//! written to a scratch directory run under Node as the Lambda Node.js
//! runtime runs them, their AWS calls and logs going to a moto of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cli::local::lambda::{FunctionSpec, Lambda, LogLevel, Logging, RuntimeSettings, Timings};
use cli::local::types::{Credentials, InvokeResult, Invoker, Outcome};
use serde_json::{Value, json};

use super::*;

fn node() -> PathBuf {
    if let Some(node) = std::env::var_os("TP_NODE") {
        return PathBuf::from(node);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("node"))
        .find(|p| p.is_file())
        .expect("node (20 or later) on PATH, or TP_NODE")
}

fn testing() -> Credentials {
    Credentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
    }
}

/// A function whose code is `files`, written under `dir/name`.
fn function(dir: &Path, name: &str, handler: &str, files: &[(&str, &str)]) -> FunctionSpec {
    let code = dir.join(name);
    for (path, text) in files {
        let file = code.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    std::fs::create_dir_all(&code).unwrap();
    FunctionSpec {
        name: name.to_owned(),
        arn: format!("arn:aws:lambda:{REGION}:{DEV_ACCOUNT}:function:{name}"),
        handler: handler.to_owned(),
        runtime: "nodejs20.x".to_owned(),
        timeout: Duration::from_secs(5),
        memory_mb: 256,
        environment: BTreeMap::new(),
        code_dir: code,
        log_group: format!("/aws/lambda/{name}"),
        logging: Logging::text(),
        credentials: testing(),
        reserved_concurrency: None,
    }
}

/// moto, and the functions running against it.
struct Harness {
    moto: Moto,
    runtime: tokio::runtime::Runtime,
    lambda: Arc<Lambda>,
}

impl Harness {
    fn settings(moto: &Moto, dir: &Path) -> RuntimeSettings {
        let endpoint = format!("http://127.0.0.1:{}", moto.port);
        RuntimeSettings {
            node: node(),
            runtime_dir: workspace_root().join("cli/local/node"),
            aws_endpoint: endpoint.clone(),
            region: REGION.to_owned(),
            account: DEV_ACCOUNT.to_owned(),
            extra_ca_file: None,
            hosts: BTreeMap::new(),
            url_rewrites: BTreeMap::new(),
            logs_endpoint: endpoint,
            logs_credentials: testing(),
            work_dir: dir.join("work"),
        }
    }

    fn start(
        name: &str,
        build: impl FnOnce(&Path, &mut RuntimeSettings) -> Vec<FunctionSpec>,
    ) -> Harness {
        let moto = Moto::start(name);
        let dir = scratch(name);
        let mut settings = Harness::settings(&moto, &dir);
        let functions = build(&dir, &mut settings);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let lambda = runtime
            .block_on(Lambda::start(settings, functions))
            .expect("start the Lambda runtime");
        Harness {
            moto,
            runtime,
            lambda,
        }
    }

    fn invoke(&self, function: &str, payload: Value) -> InvokeResult {
        self.runtime
            .block_on(self.lambda.invoke(function, payload))
            .unwrap_or_else(|e| panic!("invoke {function}: {e:#}"))
    }

    fn invoke_timed(&self, function: &str, payload: Value) -> (InvokeResult, Timings) {
        self.runtime
            .block_on(self.lambda.invoke_timed(function, &payload))
            .unwrap_or_else(|e| panic!("invoke {function}: {e:#}"))
    }

    fn returned(&self, function: &str, payload: Value) -> Value {
        match self.invoke(function, payload).outcome {
            Outcome::Returned(value) => value,
            other => panic!("{function} did not return: {other:?}"),
        }
    }

    /// The log group's events, per stream, in order.
    fn log_events(&self, group: &str) -> BTreeMap<String, Vec<String>> {
        let endpoint = format!("http://127.0.0.1:{}", self.moto.port);
        self.runtime.block_on(async {
            let config = aws_sdk_cloudwatchlogs::Config::builder()
                .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
                .region(aws_sdk_cloudwatchlogs::config::Region::new(REGION))
                .endpoint_url(endpoint)
                .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .http_client(
                    aws_smithy_http_client::Builder::new()
                        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                        ))
                        .build_https(),
                )
                .build();
            let client = aws_sdk_cloudwatchlogs::Client::from_conf(config);
            let streams = client
                .describe_log_streams()
                .log_group_name(group)
                .send()
                .await
                .expect("describe log streams");
            let mut out = BTreeMap::new();
            for stream in streams.log_streams() {
                let name = stream.log_stream_name().unwrap().to_owned();
                let events = client
                    .get_log_events()
                    .log_group_name(group)
                    .log_stream_name(&name)
                    .start_from_head(true)
                    .send()
                    .await
                    .expect("get log events");
                let messages = events
                    .events()
                    .iter()
                    .filter_map(|e| e.message().map(str::to_owned))
                    .collect();
                out.insert(name, messages);
            }
            out
        })
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.runtime.block_on(self.lambda.shutdown());
    }
}

const ECHO: &str = "export const handler = async (event) => event;\n";

const INSPECT: &str = r#"
let calls = 0;
export const handler = async (event, context) => {
  calls += 1;
  const first = context.getRemainingTimeInMillis();
  await new Promise((r) => setTimeout(r, 30));
  const second = context.getRemainingTimeInMillis();
  console.log("inspect", JSON.stringify(event));
  console.error("two\nlines");
  process.stdout.write("raw write\n");
  const c = context;
  return {
    calls,
    remaining: [first, second],
    context: {
      awsRequestId: c.awsRequestId, functionName: c.functionName, functionVersion: c.functionVersion,
      invokedFunctionArn: c.invokedFunctionArn, memoryLimitInMB: c.memoryLimitInMB,
      logGroupName: c.logGroupName, logStreamName: c.logStreamName,
      callbackWaitsForEmptyEventLoop: c.callbackWaitsForEmptyEventLoop,
      done: typeof c.done, succeed: typeof c.succeed, fail: typeof c.fail,
    },
    env: process.env,
    argv: process.argv.length,
    cwd: process.cwd(),
    trace: process.env._X_AMZN_TRACE_ID,
  };
};
"#;

#[test]
fn handlers_get_the_event_lambdas_context_and_only_lambdas_environment() {
    let h = Harness::start("lambda-context", |dir, _| {
        let mut inspect = function(dir, "inspect", "index.handler", &[("index.mjs", INSPECT)]);
        inspect.environment = BTreeMap::from([("TABLE_NAME".to_owned(), "orders".to_owned())]);
        inspect.credentials = Credentials {
            access_key_id: "AKIAROLE".into(),
            secret_access_key: "role-secret".into(),
            session_token: Some("role-token".into()),
        };
        vec![
            function(dir, "echo", "index.handler", &[("index.mjs", ECHO)]),
            inspect,
        ]
    });
    let event = json!({"order": {"id": 7, "items": ["a", "b"]}, "unicode": "é€"});
    assert_eq!(h.returned("echo", event.clone()), event);

    let result = h.invoke("inspect", json!({"n": 1}));
    let Outcome::Returned(first) = result.outcome else {
        panic!("{:?}", result.outcome)
    };
    let c = &first["context"];
    assert_eq!(c["awsRequestId"], result.request_id.as_str());
    assert_eq!(c["functionName"], "inspect");
    assert_eq!(c["functionVersion"], "$LATEST");
    assert_eq!(
        c["invokedFunctionArn"],
        format!("arn:aws:lambda:{REGION}:{DEV_ACCOUNT}:function:inspect")
    );
    assert_eq!(c["memoryLimitInMB"], "256", "a string, as in Lambda");
    assert_eq!(c["logGroupName"], "/aws/lambda/inspect");
    assert_eq!(c["callbackWaitsForEmptyEventLoop"], true);
    for f in ["done", "succeed", "fail"] {
        assert_eq!(c[f], "function", "context.{f}");
    }
    let (r1, r2) = (
        first["remaining"][0].as_i64().unwrap(),
        first["remaining"][1].as_i64().unwrap(),
    );
    assert!(r1 <= 5_000 && r1 > 4_000, "remaining {r1}");
    // 30 ms passed between the two readings; each is `deadline -
    // Date.now()`, whole milliseconds of the wall clock, so the difference
    // may show 1 ms less than the monotonic timer waited.
    assert!(r2 <= r1 - 29, "remaining went from {r1} to {r2}");
    assert!(result.duration >= Duration::from_millis(30));
    assert!(
        first["trace"].as_str().unwrap().starts_with("Root=1-"),
        "{}",
        first["trace"]
    );
    assert_eq!(first["argv"], 2);

    // The environment: the function's variables and Lambda's, nothing of this process.
    let env = first["env"].as_object().unwrap();
    let stream = c["logStreamName"].as_str().unwrap();
    assert_eq!(env["TABLE_NAME"], "orders");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "inspect");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/inspect");
    assert_eq!(env["AWS_LAMBDA_LOG_STREAM_NAME"], stream);
    assert_eq!(env["AWS_REGION"], REGION);
    assert_eq!(env["AWS_DEFAULT_REGION"], REGION);
    assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_nodejs20.x");
    assert_eq!(env["AWS_ACCESS_KEY_ID"], "AKIAROLE");
    assert_eq!(env["AWS_SECRET_ACCESS_KEY"], "role-secret");
    assert_eq!(env["AWS_SESSION_TOKEN"], "role-token");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["_HANDLER"], "index.handler");
    assert_eq!(
        env["AWS_ENDPOINT_URL"],
        format!("http://127.0.0.1:{}", h.moto.port)
    );
    let task_root = std::fs::canonicalize(scratch_path("lambda-context").join("inspect")).unwrap();
    assert_eq!(env["LAMBDA_TASK_ROOT"], task_root.to_str().unwrap());
    assert_eq!(first["cwd"], task_root.to_str().unwrap());
    assert!(
        env["AWS_LAMBDA_RUNTIME_API"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let names: BTreeSet<&str> = env.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "TABLE_NAME",
        "PATH",
        "LANG",
        "TZ",
        "HOME",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
    ]
    .into_iter()
    .collect();
    assert_eq!(names, expected);
    // cargo runs this test with its own variables; none reach the function.
    let ours: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    assert!(ours.iter().any(|k| k.starts_with("CARGO")), "{ours:?}");
    for key in &ours {
        assert!(
            expected.contains(key.as_str()) || !env.contains_key(key),
            "{key} leaked into the function's environment"
        );
    }
    assert_ne!(
        env["PATH"].as_str(),
        std::env::var("PATH").ok().as_deref(),
        "PATH is Lambda-like, not this process's"
    );

    // Warm: the same environment, its module state kept.
    let second = h.returned("inspect", json!({"n": 2}));
    assert_eq!(second["calls"], 2);
    assert_eq!(second["context"]["logStreamName"], stream);
    assert_ne!(second["context"]["awsRequestId"], c["awsRequestId"]);

    // Logs: in the function's group, one stream per environment, as Lambda writes them.
    let logs = h.log_events("/aws/lambda/inspect");
    assert_eq!(logs.keys().collect::<Vec<_>>(), [stream]);
    let (date, rest) = stream.split_at(11);
    assert_eq!(date.len(), 11);
    assert!(date.chars().filter(|c| *c == '/').count() == 3, "{stream}");
    let hex = rest.strip_prefix("[$LATEST]").expect(stream);
    assert!(hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()));
    let lines = &logs[stream];
    let id = &result.request_id;
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting {prefix:?} in {lines:#?}"))
    };
    let start = at(&format!("START RequestId: {id} Version: $LATEST"));
    let end = at(&format!("END RequestId: {id}"));
    let report = at(&format!("REPORT RequestId: {id}\tDuration: "));
    let info = lines
        .iter()
        .position(|l| {
            let parts: Vec<&str> = l.splitn(4, '\t').collect();
            parts.len() == 4
                && parts[0].ends_with('Z')
                && parts[0].len() == 24
                && parts[1] == id
                && parts[2] == "INFO"
                && parts[3] == r#"inspect {"n":1}"#
        })
        .unwrap_or_else(|| panic!("no console.log line in {lines:#?}"));
    let error = lines
        .iter()
        .position(|l| l.ends_with(&format!("{id}\tERROR\ttwo\nlines")))
        .unwrap_or_else(|| panic!("no two-line console.error event in {lines:#?}"));
    let raw = lines
        .iter()
        .position(|l| l == "raw write")
        .unwrap_or_else(|| panic!("no raw stdout line in {lines:#?}"));
    assert!(start < info && info < error && error < raw && raw < end && end < report);
    let report_line = &lines[report];
    for field in [
        "\tBilled Duration: ",
        "\tMemory Size: 256 MB\t",
        "\tMax Memory Used: ",
        "\tInit Duration: ",
    ] {
        assert!(report_line.contains(field), "{field:?} in {report_line}");
    }
    let second_id = second["context"]["awsRequestId"].as_str().unwrap();
    let warm_report = lines
        .iter()
        .find(|l| l.starts_with(&format!("REPORT RequestId: {second_id}")))
        .expect("the warm invocation's REPORT");
    assert!(!warm_report.contains("Init Duration"), "{warm_report}");
    assert!(
        !lines.iter().any(|l| l.contains("tp-local-mark")),
        "{lines:#?}"
    );
}

fn scratch_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tp-e2e-{name}-{}", std::process::id()))
}

#[test]
fn errors_callbacks_and_crashes_end_invocations_as_lambda_does() {
    let h = Harness::start("lambda-errors", |dir, _| {
        vec![
            function(
                dir,
                "throws",
                "index.handler",
                &[(
                    "index.mjs",
                    r#"
class OrderError extends Error { constructor(m) { super(m); this.name = "OrderError"; } }
export const handler = async (event) => {
  if (event.kind === "type") throw new TypeError("bad input");
  if (event.kind === "custom") throw new OrderError("no such order 7");
  if (event.kind === "string") throw "plain text";
  return "fine";
};
"#,
                )],
            ),
            function(
                dir,
                "callback",
                "app.handler",
                &[(
                    "app.js",
                    r#"
exports.handler = (event, context, callback) => {
  if (event.mode === "succeed") return context.succeed({ via: "succeed" });
  if (event.mode === "error") return callback(new RangeError("out of range"));
  if (event.mode === "nowait") context.callbackWaitsForEmptyEventLoop = false;
  if (event.mode === "sync") return 42;
  setTimeout(() => {}, event.pending);
  callback(null, { via: "callback", mode: event.mode });
};
"#,
                )],
            ),
            function(
                dir,
                "crash",
                "index.handler",
                &[(
                    "index.js",
                    r#"
let calls = 0;
exports.handler = async (event) => {
  calls += 1;
  if (event.exit) process.exit(3);
  if (event.uncaught) { setTimeout(() => { throw new Error("later"); }, 1); return new Promise(() => {}); }
  return { calls };
};
"#,
                )],
            ),
        ]
    });
    let failed = |function: &str, payload: Value| match h.invoke(function, payload).outcome {
        Outcome::Failed {
            error_type,
            error_message,
        } => (error_type, error_message),
        other => panic!("{function} did not fail: {other:?}"),
    };
    assert_eq!(
        failed("throws", json!({"kind": "type"})),
        ("TypeError".into(), "bad input".into())
    );
    assert_eq!(
        failed("throws", json!({"kind": "custom"})),
        ("OrderError".into(), "no such order 7".into())
    );
    assert_eq!(
        failed("throws", json!({"kind": "string"})),
        ("string".into(), "plain text".into())
    );
    assert_eq!(h.returned("throws", json!({})), "fine");
    let logs = h.log_events("/aws/lambda/throws");
    let lines: Vec<&String> = logs.values().flatten().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\tERROR\tInvoke Error \t")
                && l.contains(r#""errorType":"OrderError""#)),
        "{lines:#?}"
    );

    // Callbacks: the answer waits for the event loop to empty unless told not to.
    let waited = h.invoke("callback", json!({"mode": "wait", "pending": 300}));
    assert_eq!(
        waited.outcome,
        Outcome::Returned(json!({"via": "callback", "mode": "wait"}))
    );
    assert!(
        waited.duration >= Duration::from_millis(300),
        "{:?}",
        waited.duration
    );
    assert_eq!(
        h.returned("callback", json!({"mode": "succeed"})),
        json!({"via": "succeed"})
    );
    assert_eq!(
        h.returned("callback", json!({"mode": "sync"})),
        Value::Null,
        "a synchronous handler's return value is not its answer"
    );
    assert_eq!(
        failed("callback", json!({"mode": "error"})),
        ("RangeError".into(), "out of range".into())
    );
    let quick = h.invoke("callback", json!({"mode": "nowait", "pending": 3_000}));
    assert_eq!(
        quick.outcome,
        Outcome::Returned(json!({"via": "callback", "mode": "nowait"}))
    );
    assert!(
        quick.duration < Duration::from_millis(2_000),
        "{:?}",
        quick.duration
    );

    // A process that exits mid-invocation: Runtime.ExitError, then a fresh one.
    assert_eq!(h.returned("crash", json!({})), json!({"calls": 1}));
    let (error_type, message) = failed("crash", json!({"exit": true}));
    assert_eq!(error_type, "Runtime.ExitError");
    assert!(
        message.ends_with("Error: Runtime exited with error: exit status 3"),
        "{message}"
    );
    assert_eq!(h.returned("crash", json!({})), json!({"calls": 1}));
    // An uncaught exception fails the invocation and ends the environment.
    assert_eq!(
        failed("crash", json!({"uncaught": true})),
        ("Error".into(), "later".into())
    );
    assert_eq!(h.returned("crash", json!({})), json!({"calls": 1}));
}

#[test]
fn a_timeout_kills_the_environment_and_the_next_invocation_starts_fresh() {
    let h = Harness::start("lambda-timeout", |dir, _| {
        let mut slow = function(
            dir,
            "slow",
            "index.handler",
            &[(
                "index.mjs",
                r#"
let count = 0;
export const handler = async (event, context) => {
  count += 1;
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  return { count, stream: context.logStreamName };
};
"#,
            )],
        );
        slow.timeout = Duration::from_secs(1);
        vec![slow]
    });
    let first = h.returned("slow", json!({}));
    assert_eq!(first["count"], 1);
    assert_eq!(h.returned("slow", json!({}))["count"], 2, "warm state kept");
    let started = Instant::now();
    let timed_out = h.invoke("slow", json!({"sleep": 10_000}));
    assert_eq!(timed_out.outcome, Outcome::TimedOut);
    assert_eq!(timed_out.duration, Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(5));
    let fresh = h.returned("slow", json!({}));
    assert_eq!(fresh["count"], 1, "a fresh environment");
    assert_ne!(fresh["stream"], first["stream"]);
    assert_eq!(h.returned("slow", json!({}))["count"], 2);

    let logs = h.log_events("/aws/lambda/slow");
    let old = &logs[first["stream"].as_str().unwrap()];
    let id = &timed_out.request_id;
    let line = old
        .iter()
        .find(|l| l.contains("Task timed out"))
        .unwrap_or_else(|| panic!("{old:#?}"));
    let parts: Vec<&str> = line.split('\t').collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(parts[0].ends_with('Z'));
    assert_eq!(parts[1], id);
    assert_eq!(parts[2], "Task timed out after 1.00 seconds");
    assert!(
        old.iter()
            .any(|l| l.starts_with(&format!("END RequestId: {id}")))
    );
}

#[test]
fn init_errors_fail_the_invocation_with_the_runtimes_error_types() {
    let h = Harness::start("lambda-init", |dir, _| {
        std::fs::create_dir_all(dir.join("node_modules/ancestor-pkg")).unwrap();
        std::fs::write(
            dir.join("node_modules/ancestor-pkg/package.json"),
            r#"{"name":"ancestor-pkg","main":"index.js"}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("node_modules/ancestor-pkg/index.js"),
            "module.exports = 1;",
        )
        .unwrap();
        vec![
            function(
                dir,
                "throws-at-init",
                "index.handler",
                &[(
                    "index.mjs",
                    "console.log('loading');\nthrow new Error('no config');\n",
                )],
            ),
            function(dir, "no-module", "missing.handler", &[("index.mjs", ECHO)]),
            function(dir, "no-export", "index.other", &[("index.mjs", ECHO)]),
            function(
                dir,
                "runtime-internals",
                "index.handler",
                &[(
                    "index.mjs",
                    "import 'fast-xml-parser';\nexport const handler = async () => 1;\n",
                )],
            ),
            function(
                dir,
                "ancestor",
                "index.handler",
                &[(
                    "index.js",
                    "require('ancestor-pkg');\nexports.handler = async () => 1;\n",
                )],
            ),
            function(
                dir,
                "own-modules",
                "index.handler",
                &[
                    (
                        "index.mjs",
                        "import v from 'own-pkg';\nexport const handler = async () => v;\n",
                    ),
                    (
                        "node_modules/own-pkg/package.json",
                        r#"{"name":"own-pkg","main":"index.js"}"#,
                    ),
                    ("node_modules/own-pkg/index.js", "module.exports = 'own';"),
                ],
            ),
            function(
                dir,
                "syntax",
                "index.handler",
                &[("index.mjs", "export const handler = async () => {;\n")],
            ),
        ]
    });
    let failed = |function: &str| match h.invoke(function, json!({})).outcome {
        Outcome::Failed {
            error_type,
            error_message,
        } => (error_type, error_message),
        other => panic!("{function} did not fail: {other:?}"),
    };
    assert_eq!(
        failed("throws-at-init"),
        ("Error".into(), "no config".into())
    );
    let (t, m) = failed("no-module");
    assert_eq!(t, "Runtime.ImportModuleError");
    assert!(m.contains("Cannot find module 'missing'"), "{m}");
    assert_eq!(
        failed("no-export"),
        (
            "Runtime.HandlerNotFound".into(),
            "index.other is undefined or not exported".into()
        )
    );
    let (t, m) = failed("runtime-internals");
    assert_eq!(t, "Runtime.ImportModuleError", "{m}");
    assert!(m.contains("fast-xml-parser"), "{m}");
    let (t, m) = failed("ancestor");
    assert_eq!(t, "Runtime.ImportModuleError", "{m}");
    assert!(m.contains("ancestor-pkg"), "{m}");
    assert_eq!(failed("syntax").0, "Runtime.UserCodeSyntaxError");
    assert_eq!(h.returned("own-modules", json!({})), "own");

    // The failed init's output and its report are in the log.
    let logs = h.log_events("/aws/lambda/throws-at-init");
    let lines: Vec<&String> = logs.values().flatten().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("\tundefined\tINFO\tloading")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("INIT_REPORT Init Duration: ")
                && l.contains("Status: error\tError Type: Error")),
        "{lines:#?}"
    );
    // And the next invocation tries init again.
    assert_eq!(failed("throws-at-init").1, "no config");

    let unknown = h
        .runtime
        .block_on(h.lambda.invoke("nope", json!({})))
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("nope") && unknown.contains("own-modules") && unknown.contains("syntax"),
        "{unknown}"
    );
}

#[test]
fn the_runtimes_aws_sdk_reaches_the_endpoint_with_the_roles_credentials() {
    let h = Harness::start("lambda-sdk", |dir, _| {
        vec![function(
            dir,
            "sqs",
            "index.handler",
            &[(
                "index.mjs",
                r#"
import { SQSClient, CreateQueueCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
const sqs = new SQSClient({});
export const handler = async (event) => {
  await sqs.send(new CreateQueueCommand({ QueueName: event.name }));
  const listed = await sqs.send(new ListQueuesCommand({}));
  const credentials = await sqs.config.credentials();
  return { urls: listed.QueueUrls, key: credentials.accessKeyId, region: await sqs.config.region() };
};
"#,
            )],
        )]
    });
    let out = h.returned("sqs", json!({"name": "from-lambda"}));
    assert!(
        out["urls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u.as_str().unwrap().ends_with("/from-lambda")),
        "{out}"
    );
    assert_eq!(out["key"], "testing");
    assert_eq!(out["region"], REGION);
    let queues = names(&h.moto.inventory(), "queues");
    assert!(
        queues.iter().any(|q| q.contains("from-lambda")),
        "{queues:?}"
    );
}

/// A server answering what it was asked: method, path, query, a header, the body.
async fn echo_server() -> (u16, tokio::task::JoinHandle<()>) {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |request: hyper::Request<hyper::body::Incoming>| async move {
                        let method = request.method().to_string();
                        let uri = request.uri().to_string();
                        let header = request
                            .headers()
                            .get("x-test")
                            .map(|v| v.to_str().unwrap().to_owned());
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let answer = json!({
                            "method": method, "uri": uri, "header": header,
                            "body": String::from_utf8_lossy(&body),
                        });
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(answer.to_string()),
                        )))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, task)
}

#[test]
fn host_names_and_origins_reach_the_local_servers_they_are_mapped_to() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let db_port = db.local_addr().unwrap().port();
    let db_thread = std::thread::spawn(move || {
        use std::io::Write;
        let (mut conn, _) = db.accept().unwrap();
        conn.write_all(b"pong from the database").unwrap();
    });
    // The HTTP server runs on its own runtime thread for the test's length.
    let (http_port_tx, http_port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        runtime.block_on(async {
            let (port, task) = echo_server().await;
            http_port_tx.send(port).unwrap();
            let _ = task.await;
        })
    });
    let http_port = http_port_rx.recv().unwrap();
    let h = Harness::start("lambda-network", |dir, settings| {
        settings.hosts.insert(
            "db.example.internal".to_owned(),
            "127.0.0.1".parse().unwrap(),
        );
        settings.url_rewrites.insert(
            "https://api.example.com".to_owned(),
            format!("http://127.0.0.1:{http_port}"),
        );
        vec![function(
            dir,
            "net",
            "index.handler",
            &[(
                "index.mjs",
                r#"
import net from "node:net";
import dns from "node:dns/promises";
export const handler = async (event) => {
  const fromDb = await new Promise((resolve, reject) => {
    const socket = net.connect(event.dbPort, "db.example.internal");
    let data = "";
    socket.on("data", (d) => (data += d));
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
  const looked = await dns.lookup("DB.example.internal");
  const response = await fetch("https://api.example.com/x/y?z=1", {
    method: "POST", headers: { "x-test": "yes" }, body: "hello",
  });
  const request = await fetch(new Request("https://api.example.com/r", { method: "PUT", body: "req" }));
  return { fromDb, looked, api: await response.json(), request: await request.json() };
};
"#,
            )],
        )]
    });
    let out = h.returned("net", json!({"dbPort": db_port}));
    db_thread.join().unwrap();
    assert_eq!(out["fromDb"], "pong from the database");
    assert_eq!(out["looked"], json!({"address": "127.0.0.1", "family": 4}));
    assert_eq!(
        out["api"],
        json!({"method": "POST", "uri": "/x/y?z=1", "header": "yes", "body": "hello"})
    );
    assert_eq!(out["request"]["method"], "PUT");
    assert_eq!(out["request"]["uri"], "/r");
    assert_eq!(out["request"]["body"], "req");
}

#[test]
fn concurrent_invocations_share_environments_up_to_the_reserved_concurrency() {
    let h = Harness::start("lambda-concurrency", |dir, _| {
        let code = r#"export const handler = async (event, context) => {
  await new Promise((r) => setTimeout(r, 300));
  return context.logStreamName;
};
"#;
        let mut one = function(dir, "one", "index.handler", &[("index.mjs", code)]);
        one.reserved_concurrency = Some(1);
        let mut two = function(dir, "two", "index.handler", &[("index.mjs", code)]);
        two.reserved_concurrency = Some(2);
        let mut none = function(dir, "none", "index.handler", &[("index.mjs", code)]);
        none.reserved_concurrency = Some(0);
        vec![one, two, none]
    });
    let both = |function: &'static str| {
        let lambda = h.lambda.clone();
        h.runtime.block_on(async move {
            let a = lambda.invoke(function, json!({}));
            let b = lambda.invoke(function, json!({}));
            let (a, b) = tokio::join!(a, b);
            [a.unwrap().outcome, b.unwrap().outcome]
        })
    };
    let [a, b] = both("one");
    assert_eq!(a, b, "one environment serves both in turn");
    let [a, b] = both("two");
    assert!(matches!(a, Outcome::Returned(_)));
    assert_ne!(a, b, "two environments at once");
    let throttled = h
        .runtime
        .block_on(h.lambda.invoke("none", json!({})))
        .unwrap_err();
    assert!(
        throttled.to_string().contains("reserved concurrency is 0"),
        "{throttled}"
    );
}

#[test]
fn cold_start_and_warm_overhead_are_measured() {
    let h = Harness::start("lambda-timing", |dir, _| {
        vec![function(
            dir,
            "echo",
            "index.handler",
            &[("index.mjs", ECHO)],
        )]
    });
    let (cold, cold_timings) = h.invoke_timed("echo", json!({"i": 0}));
    assert_eq!(cold.outcome, Outcome::Returned(json!({"i": 0})));
    let init = cold_timings.init.expect("a cold start reports its init");
    assert!(init > Duration::ZERO && init < cold_timings.total);
    let mut overheads = Vec::new();
    let mut log_writes = Vec::new();
    for i in 1..=20 {
        let (warm, timings) = h.invoke_timed("echo", json!({"i": i}));
        assert_eq!(warm.outcome, Outcome::Returned(json!({"i": i})));
        assert_eq!(timings.init, None);
        assert!(timings.total >= timings.handler + timings.logs);
        overheads.push(timings.overhead());
        log_writes.push(timings.logs);
    }
    overheads.sort();
    log_writes.sort();
    let median = overheads[overheads.len() / 2];
    eprintln!(
        "lambda timing: cold start {:.1} ms (init {:.1} ms), warm overhead median {:.1} ms (writing logs {:.1} ms), max {:.1} ms",
        cold_timings.total.as_secs_f64() * 1e3,
        init.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        log_writes[log_writes.len() / 2].as_secs_f64() * 1e3,
        overheads.last().unwrap().as_secs_f64() * 1e3,
    );
    // Generous: the machine is shared; the target is a few ms.
    assert!(median < Duration::from_millis(250), "{median:?}");
}

const JSON_LOGGER: &str = r#"
console.log("loading");
export const handler = async (event) => {
  console.log("plain %s", "text");
  console.log({ order: { id: 7 }, items: ["a"] });
  console.debug("debug detail");
  console.info(new TypeError("logged error"));
  console.error("failed with", new RangeError("out of range"));
  process.stdout.write("raw write\n");
  if (event.fail) throw new TypeError("bad input");
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  return { format: process.env.AWS_LAMBDA_LOG_FORMAT, level: process.env.AWS_LAMBDA_LOG_LEVEL };
};
"#;

/// A log stream's events: the JSON ones parsed, the others as they are.
fn parsed(lines: &[String]) -> Vec<Result<Value, String>> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).map_err(|_| l.clone()))
        .collect()
}

/// The position of the first platform event of `kind` for request `id`
/// (any request when `id` is empty).
fn platform_event(records: &[Result<Value, String>], kind: &str, id: &str) -> Option<usize> {
    records.iter().position(|r| {
        r.as_ref()
            .is_ok_and(|v| v["type"] == kind && (id.is_empty() || v["record"]["requestId"] == id))
    })
}

fn app_records<'a>(records: &'a [Result<Value, String>], id: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|v| v.get("level").is_some() && v["requestId"] == id)
        .collect()
}

fn is_iso(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T')
}

#[test]
fn json_format_logs_are_lambdas_advanced_logging_records() {
    let h = Harness::start("lambda-jsonlogs", |dir, _| {
        let files = [("index.mjs", JSON_LOGGER)];
        let mut info = function(dir, "json-info", "index.handler", &files);
        info.logging = Logging::json();
        info.timeout = Duration::from_secs(1);
        let mut debug = function(dir, "json-debug", "index.handler", &files);
        debug.logging = Logging {
            application_level: Some(LogLevel::Debug),
            ..Logging::json()
        };
        let mut warn = function(dir, "json-warn", "index.handler", &files);
        warn.logging = Logging {
            system_level: Some(LogLevel::Warn),
            ..Logging::json()
        };
        let mut broken = function(
            dir,
            "json-init-error",
            "index.handler",
            &[("index.mjs", "throw new RangeError('no config');\n")],
        );
        broken.logging = Logging::json();
        vec![info, debug, warn, broken]
    });

    let (cold, _) = h.invoke_timed("json-info", json!({}));
    assert_eq!(
        cold.outcome,
        Outcome::Returned(json!({"format": "JSON", "level": "INFO"}))
    );
    let failed = h.invoke("json-info", json!({"fail": true}));
    assert!(
        matches!(&failed.outcome, Outcome::Failed { error_type, .. } if error_type == "TypeError")
    );
    let timed_out = h.invoke("json-info", json!({"sleep": 5_000}));
    assert_eq!(timed_out.outcome, Outcome::TimedOut);

    let logs = h.log_events("/aws/lambda/json-info");
    let (first_stream, lines) = logs
        .iter()
        .find(|(_, lines)| lines.iter().any(|l| l.contains(&cold.request_id)))
        .expect("the cold start's stream");
    let records = parsed(lines);
    // Every event is a JSON object but what the function wrote to stdout itself.
    for r in &records {
        if let Err(raw) = r {
            assert_eq!(raw, "raw write", "in {first_stream}: {lines:#?}");
        }
    }
    let id = cold.request_id.as_str();

    // Init: its start first, then its end and report.
    let init_start = records[0].as_ref().expect("platform.initStart first");
    assert_eq!(init_start["type"], "platform.initStart", "{lines:#?}");
    assert!(is_iso(&init_start["time"]), "{init_start}");
    assert_eq!(init_start["record"]["initializationType"], "on-demand");
    assert_eq!(init_start["record"]["phase"], "init");
    assert_eq!(init_start["record"]["functionName"], "json-info");
    let init_done =
        platform_event(&records, "platform.initRuntimeDone", "").expect("initRuntimeDone");
    let init_report = platform_event(&records, "platform.initReport", "").expect("initReport");
    assert_eq!(
        records[init_done].as_ref().unwrap()["record"]["status"],
        "success"
    );
    let init_metrics = &records[init_report].as_ref().unwrap()["record"]["metrics"];
    assert!(
        init_metrics["durationMs"].as_f64().unwrap() > 0.0,
        "{init_metrics}"
    );
    // What init logged has no request id.
    let loading = records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .find(|v| v["message"] == "loading")
        .unwrap_or_else(|| panic!("no init-time record in {lines:#?}"));
    assert_eq!(loading["level"], "INFO");
    assert!(loading.get("requestId").is_none(), "{loading}");

    // The invocation: start, the function's records, runtimeDone, report.
    let start = platform_event(&records, "platform.start", id).expect("platform.start");
    assert_eq!(
        records[start].as_ref().unwrap()["record"],
        json!({"requestId": id, "version": "$LATEST"})
    );
    let done = platform_event(&records, "platform.runtimeDone", id).expect("runtimeDone");
    let report = platform_event(&records, "platform.report", id).expect("platform.report");
    assert!(
        init_report < start && start < done && done < report,
        "{lines:#?}"
    );
    let done_record = &records[done].as_ref().unwrap()["record"];
    assert_eq!(done_record["status"], "success");
    assert!(done_record["metrics"]["durationMs"].as_f64().unwrap() >= 0.0);
    let report_record = &records[report].as_ref().unwrap()["record"];
    assert_eq!(report_record["status"], "success");
    let metrics = &report_record["metrics"];
    assert_eq!(metrics["memorySizeMB"], 256);
    assert!(
        metrics["billedDurationMs"].as_u64().unwrap() >= 1,
        "{metrics}"
    );
    assert!(
        metrics["maxMemoryUsedMB"].as_u64().unwrap() > 0,
        "{metrics}"
    );
    assert!(metrics["durationMs"].as_f64().is_some(), "{metrics}");
    assert!(
        metrics["initDurationMs"].as_f64().unwrap() > 0.0,
        "{metrics}"
    );

    let app = app_records(&records, id);
    for record in &app {
        assert!(is_iso(&record["timestamp"]), "{record}");
    }
    let messages: Vec<&Value> = app.iter().map(|r| &r["message"]).collect();
    assert_eq!(app[0]["level"], "INFO");
    assert_eq!(*messages[0], json!("plain text"));
    assert_eq!(app[1]["level"], "INFO");
    assert_eq!(
        *messages[1],
        json!({"order": {"id": 7}, "items": ["a"]}),
        "an object stays one"
    );
    assert!(
        !lines.iter().any(|l| l.contains("debug detail")),
        "DEBUG is below INFO: {lines:#?}"
    );
    let logged_error = &app[2]["message"];
    assert_eq!(logged_error["errorType"], "TypeError");
    assert_eq!(logged_error["errorMessage"], "logged error");
    assert_eq!(
        logged_error["stackTrace"][0], "TypeError: logged error",
        "{logged_error}"
    );
    let error = app[3];
    assert_eq!(error["level"], "ERROR");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("failed with RangeError: out of range"),
        "{error}"
    );
    assert_eq!(error["errorType"], "RangeError");
    assert_eq!(error["errorMessage"], "out of range");
    assert!(error["stackTrace"].as_array().unwrap().len() > 1, "{error}");
    assert_eq!(app.len(), 4, "{app:#?}");
    let raw = records
        .iter()
        .position(|r| r.as_ref().err().is_some_and(|l| l == "raw write"))
        .expect("the raw stdout write");
    assert!(start < raw && raw < done);

    // A failed invocation: the runtime's Invoke Error record and a failure.
    let failed_id = failed.request_id.as_str();
    let invoke_error = app_records(&records, failed_id)
        .into_iter()
        .find(|r| r["message"]["errorMessage"] == "bad input")
        .unwrap_or_else(|| panic!("no Invoke Error record in {lines:#?}"));
    assert_eq!(invoke_error["level"], "ERROR");
    assert_eq!(invoke_error["message"]["errorType"], "TypeError");
    assert!(invoke_error["message"]["stackTrace"].is_array());
    for kind in ["platform.runtimeDone", "platform.report"] {
        let at = platform_event(&records, kind, failed_id).expect(kind);
        let record = &records[at].as_ref().unwrap()["record"];
        assert_eq!(record["status"], "failure", "{record}");
        assert_eq!(record["errorType"], "TypeError", "{record}");
        assert!(
            record["metrics"].get("initDurationMs").is_none(),
            "warm: {record}"
        );
    }

    // A timeout: both records say so, and no text line is written.
    let timeout_id = timed_out.request_id.as_str();
    let done = platform_event(&records, "platform.runtimeDone", timeout_id).expect("runtimeDone");
    assert_eq!(
        records[done].as_ref().unwrap()["record"]["status"],
        "timeout"
    );
    let report = platform_event(&records, "platform.report", timeout_id).expect("report");
    let report_record = &records[report].as_ref().unwrap()["record"];
    assert_eq!(report_record["status"], "timeout");
    assert_eq!(report_record["metrics"]["durationMs"], 1000.0);
    assert_eq!(report_record["metrics"]["billedDurationMs"], 1000);
    assert!(
        !lines.iter().any(|l| l.contains("Task timed out")),
        "{lines:#?}"
    );

    // At DEBUG, console.debug is kept.
    let (debug, _) = h.invoke_timed("json-debug", json!({}));
    assert_eq!(
        debug.outcome,
        Outcome::Returned(json!({"format": "JSON", "level": "DEBUG"}))
    );
    let logs = h.log_events("/aws/lambda/json-debug");
    let records = parsed(&logs.values().flatten().cloned().collect::<Vec<_>>());
    let kept = app_records(&records, &debug.request_id)
        .into_iter()
        .find(|r| r["message"] == "debug detail")
        .unwrap_or_else(|| panic!("no DEBUG record in {logs:#?}"));
    assert_eq!(kept["level"], "DEBUG");

    // At a WARN system log level only what went wrong is reported.
    let ok = h.invoke("json-warn", json!({}));
    let bad = h.invoke("json-warn", json!({"fail": true}));
    let logs = h.log_events("/aws/lambda/json-warn");
    let records = parsed(&logs.values().flatten().cloned().collect::<Vec<_>>());
    for kind in [
        "platform.initStart",
        "platform.initRuntimeDone",
        "platform.initReport",
        "platform.start",
    ] {
        assert_eq!(platform_event(&records, kind, ""), None, "{kind} at WARN");
    }
    assert_eq!(
        platform_event(&records, "platform.report", &ok.request_id),
        None
    );
    assert!(platform_event(&records, "platform.report", &bad.request_id).is_some());
    assert!(platform_event(&records, "platform.runtimeDone", &bad.request_id).is_some());
    assert_eq!(
        app_records(&records, &ok.request_id).len(),
        4,
        "application logs are kept"
    );

    // An init error: the error as a record, init's end and report say so,
    // and the invocation fails with its type.
    let broken = h.invoke("json-init-error", json!({}));
    assert!(
        matches!(&broken.outcome, Outcome::Failed { error_type, .. } if error_type == "RangeError"),
        "{:?}",
        broken.outcome
    );
    let logs = h.log_events("/aws/lambda/json-init-error");
    let records = parsed(&logs.values().flatten().cloned().collect::<Vec<_>>());
    let uncaught = records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .find(|v| v["level"] == "ERROR")
        .unwrap_or_else(|| panic!("no error record in {logs:#?}"));
    assert_eq!(uncaught["message"]["errorType"], "RangeError");
    assert_eq!(uncaught["message"]["errorMessage"], "no config");
    for kind in ["platform.initRuntimeDone", "platform.initReport"] {
        let at = platform_event(&records, kind, "").expect(kind);
        let record = &records[at].as_ref().unwrap()["record"];
        assert_eq!(record["status"], "error", "{record}");
        assert_eq!(record["errorType"], "RangeError", "{record}");
    }
    let id = broken.request_id.as_str();
    let report = platform_event(&records, "platform.report", id).expect("platform.report");
    let record = &records[report].as_ref().unwrap()["record"];
    assert_eq!(record["status"], "failure");
    assert!(
        record["metrics"]["initDurationMs"].as_f64().unwrap() > 0.0,
        "{record}"
    );
    assert!(platform_event(&records, "platform.start", id).unwrap() < report);
    assert!(
        !logs
            .values()
            .flatten()
            .any(|l| l.starts_with("INIT_REPORT")),
        "{logs:#?}"
    );
}
