//! The seeds' success criteria, through the platform's front door only:
//! `tp local up` runs the platform from its own template; the test then
//! touches it through the API's URL (SigV4-signed requests), the
//! emulator's AWS APIs and the PostgreSQL URL, to look, and `tp` itself
//! (`tp local invoke` for the scheduled monitor, `tp verify`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::{Run, run, scratch, tp_without_aws};

const SUFFIX: &str = "acc";

/// `tp` run in `dir` with nothing of the caller's AWS settings.
fn tp(dir: &Path, args: &[&str]) -> Run {
    let mut command = tp_without_aws(dir);
    command.args(args);
    run(command)
}

/// `tp` with the local environment's variables, as a user who sourced
/// `tp.out/local-<suffix>.env` runs it.
fn tp_in_env(dir: &Path, env: &BTreeMap<String, String>, args: &[&str]) -> Run {
    let mut command = tp_without_aws(dir);
    command
        .envs(env)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .args(args);
    run(command)
}

/// Stops the local environment when the test ends, however it ends.
struct Down(PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let run = tp(&self.0, &["local", "down", "--suffix", SUFFIX]);
        if run.code != 0 {
            eprintln!("tp local down: {run}");
        }
    }
}

/// The environment file `tp local up` wrote, as a map.
fn read_env(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join(format!("tp.out/local-{SUFFIX}.env")))
        .expect("tp local up writes the environment file");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').replace("'\\''", "'")))
        .collect()
}

struct Answer {
    status: u16,
    body: Value,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.body)
    }
}

/// The caller's credentials `tp local up` wrote to the environment file.
fn caller(env: &BTreeMap<String, String>) -> cli::local::types::Credentials {
    cli::local::types::Credentials {
        access_key_id: env["AWS_ACCESS_KEY_ID"].clone(),
        secret_access_key: env["AWS_SECRET_ACCESS_KEY"].clone(),
        session_token: env.get("AWS_SESSION_TOKEN").cloned(),
    }
}

/// A request to the API, signed with the caller's credentials when `signed`.
fn api(
    env: &BTreeMap<String, String>,
    method: &str,
    path: &str,
    body: Option<&Value>,
    signed: bool,
) -> Answer {
    let credentials = signed.then(|| caller(env));
    api_as(env, credentials.as_ref(), method, path, body)
}

/// A request to the API, signed with `credentials` when given.
fn api_as(
    env: &BTreeMap<String, String>,
    credentials: Option<&cli::local::types::Credentials>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let url = format!("{}{path}", env["TP_API_URL"]);
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(credentials) = credentials {
        let unsigned: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signed = cli::local::sigv4::sign(
            method,
            &url,
            &unsigned,
            &body,
            credentials,
            "execute-api",
            &env["AWS_REGION"],
            SystemTime::now(),
        )
        .expect("sign");
        headers.extend(signed);
    }
    let (status, body) =
        cli::local::commands::request(method, &url, &headers, body).expect("the API answers");
    Answer {
        status,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

/// Runs SQL through psql against the environment's DATABASE_URL (the
/// master user's).
fn try_sql(env: &BTreeMap<String, String>, query: &str) -> Result<String, String> {
    psql(Command::new("psql").arg(&env["DATABASE_URL"]), query)
}

/// Runs SQL through psql as a database user: DATABASE_URL's server,
/// database and TLS settings, the user's name and password (through
/// libpq's PGUSER and PGPASSWORD, so nothing needs escaping in the URL).
fn try_sql_as(
    env: &BTreeMap<String, String>,
    user: &DbUser,
    query: &str,
) -> Result<String, String> {
    let (_, server) = env["DATABASE_URL"]
        .split_once('@')
        .expect("DATABASE_URL has user information");
    psql(
        Command::new("psql")
            .arg(format!("postgres://{server}"))
            .env("PGUSER", &user.username)
            .env("PGPASSWORD", &user.password),
        query,
    )
}

/// A database user's name and password, as its secret holds them.
struct DbUser {
    username: String,
    password: String,
}

fn psql(command: &mut Command, query: &str) -> Result<String, String> {
    let out = command
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query])
        .output()
        .expect("psql runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn sql(env: &BTreeMap<String, String>, query: &str) -> String {
    try_sql(env, query).unwrap_or_else(|e| panic!("psql {query}: {e}"))
}

/// Polls `check` until it gives a value or `within` passes.
fn eventually<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    let mut delay = Duration::from_millis(50);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}

/// The emulator's AWS APIs, with the environment's endpoint.
struct Aws {
    runtime: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
    endpoint: String,
    region: String,
}

impl Aws {
    fn new(env: &BTreeMap<String, String>) -> Aws {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let endpoint = env["AWS_ENDPOINT_URL"].clone();
        let region = env["AWS_REGION"].clone();
        let config = runtime.block_on(cli::local::serve::sdk_config(&endpoint, &region));
        Aws {
            runtime,
            config,
            endpoint,
            region,
        }
    }

    fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.config)
    }

    /// A database user's credentials, from its secret in the emulator's
    /// Secrets Manager.
    fn db_user(&self, secret_arn: &str) -> DbUser {
        let client = aws_sdk_secretsmanager::Client::new(&self.config);
        let value = self
            .runtime
            .block_on(client.get_secret_value().secret_id(secret_arn).send())
            .unwrap_or_else(|e| panic!("GetSecretValue {secret_arn}: {e:?}"));
        let secret: Value =
            serde_json::from_str(value.secret_string().expect("a string secret")).unwrap();
        DbUser {
            username: secret["username"].as_str().expect("username").to_owned(),
            password: secret["password"].as_str().expect("password").to_owned(),
        }
    }

    /// A database user's credentials in the version of its secret that
    /// `stage` labels, with the version's id.
    fn db_user_at(&self, secret_arn: &str, stage: &str) -> (String, DbUser) {
        let client = aws_sdk_secretsmanager::Client::new(&self.config);
        let value = self
            .runtime
            .block_on(
                client
                    .get_secret_value()
                    .secret_id(secret_arn)
                    .version_stage(stage)
                    .send(),
            )
            .unwrap_or_else(|e| panic!("GetSecretValue {secret_arn} {stage}: {e:?}"));
        let secret: Value =
            serde_json::from_str(value.secret_string().expect("a string secret")).unwrap();
        let user = DbUser {
            username: secret["username"].as_str().expect("username").to_owned(),
            password: secret["password"].as_str().expect("password").to_owned(),
        };
        (value.version_id().expect("a version id").to_owned(), user)
    }

    /// `RotateSecret` through the emulator's Secrets Manager, with `token`
    /// as the new version's id when given: the version id it answers, or
    /// the error's message.
    fn rotate(&self, secret_arn: &str, token: Option<&str>) -> Result<String, String> {
        let client = aws_sdk_secretsmanager::Client::new(&self.config);
        self.runtime
            .block_on(
                client
                    .rotate_secret()
                    .secret_id(secret_arn)
                    .set_client_request_token(token.map(str::to_owned))
                    .send(),
            )
            .map(|out| out.version_id().expect("a version id").to_owned())
            .map_err(|e| {
                use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
                e.message().map_or_else(|| format!("{e:?}"), str::to_owned)
            })
    }

    /// The stages of each version of the secret.
    fn stages(&self, secret_arn: &str) -> BTreeMap<String, Vec<String>> {
        let client = aws_sdk_secretsmanager::Client::new(&self.config);
        let out = self
            .runtime
            .block_on(client.describe_secret().secret_id(secret_arn).send())
            .unwrap_or_else(|e| panic!("DescribeSecret {secret_arn}: {e:?}"));
        out.version_ids_to_stages()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    /// The messages of every log stream of `group`.
    fn log_messages(&self, group: &str) -> Vec<String> {
        let client = aws_sdk_cloudwatchlogs::Client::new(&self.config);
        self.runtime.block_on(async {
            let mut all = Vec::new();
            let mut token = None;
            loop {
                let Ok(out) = client
                    .filter_log_events()
                    .log_group_name(group)
                    .set_next_token(token.take())
                    .send()
                    .await
                else {
                    return all;
                };
                all.extend(
                    out.events()
                        .iter()
                        .filter_map(|e| e.message().map(str::to_owned)),
                );
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => return all,
                }
            }
        })
    }

    /// How many invocations a function's log group records.
    fn invocations(&self, group: &str) -> usize {
        self.log_messages(group)
            .iter()
            .filter(|m| m.contains("START RequestId") || m.contains("\"type\":\"platform.start\""))
            .count()
    }

    /// Keys under `prefix` in `bucket`.
    fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config)
                .force_path_style(true)
                .build(),
        );
        self.runtime.block_on(async {
            s3.list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .send()
                .await
                .map(|o| {
                    o.contents()
                        .iter()
                        .filter_map(|c| c.key().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    fn object(&self, bucket: &str, key: &str) -> String {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config)
                .force_path_style(true)
                .build(),
        );
        self.runtime.block_on(async {
            let out = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .expect("get object");
            String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
        })
    }

    /// Visible plus in-flight messages of a queue.
    fn depth(&self, url: &str) -> u64 {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let out = self
            .runtime
            .block_on(
                self.sqs()
                    .get_queue_attributes()
                    .queue_url(url)
                    .attribute_names(A::ApproximateNumberOfMessages)
                    .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
                    .send(),
            )
            .expect("queue attributes");
        let get = |a: A| {
            out.attributes()
                .and_then(|m| m.get(&a))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        get(A::ApproximateNumberOfMessages) + get(A::ApproximateNumberOfMessagesNotVisible)
    }

    /// A queue subscribed to `topic_arn`; its URL.
    fn subscribe_queue(&self, topic_arn: &str) -> String {
        let sqs = self.sqs();
        let sns = aws_sdk_sns::Client::new(&self.config);
        self.runtime.block_on(async {
            let url = sqs
                .create_queue()
                .queue_name("acceptance-alerts")
                .send()
                .await
                .unwrap()
                .queue_url()
                .unwrap()
                .to_owned();
            let arn = format!(
                "arn:aws:sqs:{}:{}:acceptance-alerts",
                self.region,
                super::DEV_ACCOUNT
            );
            sns.subscribe()
                .topic_arn(topic_arn)
                .protocol("sqs")
                .endpoint(arn)
                .send()
                .await
                .unwrap();
            url
        })
    }

    fn receive(&self, url: &str) -> Vec<String> {
        self.runtime
            .block_on(
                self.sqs()
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .send(),
            )
            .map(|o| {
                o.messages()
                    .iter()
                    .filter_map(|m| m.body().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn send(&self, url: &str, body: &str) {
        self.runtime
            .block_on(
                self.sqs()
                    .send_message()
                    .queue_url(url)
                    .message_body(body)
                    .send(),
            )
            .expect("send");
    }

    /// A second caller of the API: an IAM user made through the emulator's
    /// IAM API with the policy `tp local` gives its own caller, and its keys.
    fn second_caller(&self, name: &str, api_id: &str) -> (String, cli::local::types::Credentials) {
        let iam = aws_sdk_iam::Client::new(&self.config);
        let sts = aws_sdk_sts::Client::new(&self.config);
        self.runtime.block_on(async {
            let account = sts
                .get_caller_identity()
                .send()
                .await
                .expect("GetCallerIdentity")
                .account()
                .expect("an account")
                .to_owned();
            let user = iam
                .create_user()
                .user_name(name)
                .send()
                .await
                .expect("CreateUser");
            let arn = user.user().expect("a user").arn().to_owned();
            let policy = cli::local::wiring::caller_policy(&self.region, &account, api_id);
            iam.put_user_policy()
                .user_name(name)
                .policy_name("invoke-the-api")
                .policy_document(policy.to_string())
                .send()
                .await
                .expect("PutUserPolicy");
            let key = iam
                .create_access_key()
                .user_name(name)
                .send()
                .await
                .expect("CreateAccessKey");
            let key = key.access_key().expect("a key");
            let credentials = cli::local::types::Credentials {
                access_key_id: key.access_key_id().to_owned(),
                secret_access_key: key.secret_access_key().to_owned(),
                session_token: None,
            };
            (arn, credentials)
        })
    }

    /// An item of a table, through DynamoDB's API (boto3 from the venv).
    fn item(&self, table: &str, key: &str, value: &str) -> Value {
        let out = Command::new(super::python())
            .arg(super::workspace_root().join("tests/moto/inventory.py"))
            .args([&self.endpoint, &self.region, "item", table, key, value])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .expect("inventory.py");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }
}

fn output(dir: &Path, key: &str) -> String {
    let outputs: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("tp.out/local-{SUFFIX}/outputs.json")))
            .expect("the deploy's outputs"),
    )
    .unwrap();
    outputs
        .as_object()
        .and_then(|regions| regions.values().find_map(|o| o[key].as_str()))
        .or_else(|| outputs[key].as_str())
        .unwrap_or_else(|| panic!("output {key} in {outputs}"))
        .to_owned()
}

/// A function's name, as `tp local` records it.
fn function_name(dir: &Path, function: &str) -> String {
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("tp.out/local-{SUFFIX}/state.json"))).unwrap(),
    )
    .unwrap();
    state["functions"][function]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("function {function} in {state}"))
        .to_owned()
}

/// A function's log group, as `tp local` records it.
fn log_group(dir: &Path, function: &str) -> String {
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("tp.out/local-{SUFFIX}/state.json"))).unwrap(),
    )
    .unwrap();
    state["functions"][function]["logGroup"]
        .as_str()
        .unwrap_or_else(|| panic!("function {function} in {state}"))
        .to_owned()
}

#[test]
fn the_seeds_success_criteria_hold_through_the_front_door() {
    let dir = scratch("acceptance");
    let up = tp(
        &dir,
        &["local", "up", "--suffix", SUFFIX, "--retry-delay", "1s"],
    );
    let _down = Down(dir.clone());
    assert_eq!(up.code, 0, "{up}");
    let env = read_env(&dir);
    for name in [
        "TP_API_URL",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "DATABASE_URL",
    ] {
        assert!(env.contains_key(name), "{name} in {env:?}\n{up}");
        assert!(up.stdout.contains(&format!("{name}=")), "{name}: {up}");
    }
    let aws = Aws::new(&env);
    // The deploy's last step ran before `up` said ready: the migration,
    // once.
    let migrate_log = log_group(&dir, "migrate");
    eventually("the migration's log", Duration::from_secs(10), || {
        aws.log_messages(&migrate_log)
            .iter()
            .any(|m| m.contains("\"msg\":\"database migrated\""))
            .then_some(())
    });
    assert_eq!(aws.invocations(&migrate_log), 1);
    // Before it, network_guard closed the VPC's default security group:
    // no rule left of the two EC2 gives it (moto, as EC2, through its API).
    let admin = cli::local::serve::admin_credentials();
    let inventory: Value = serde_json::from_slice(
        &super::inventory_py_as(
            &env["AWS_ENDPOINT_URL"],
            None,
            (&admin.access_key_id, &admin.secret_access_key),
            &["inventory"],
        )
        .stdout,
    )
    .expect("inventory JSON");
    let groups = inventory["default_security_groups"]
        .as_object()
        .expect("default security groups");
    assert_eq!(groups.len(), 1, "one VPC: {groups:?}");
    for (vpc, rules) in groups {
        assert_eq!(rules, &json!({"ingress": 0, "egress": 0}), "{vpc}");
    }
    assert_eq!(aws.invocations(&log_group(&dir, "network_guard")), 1);
    let api_log = log_group(&dir, "trade_api");
    let health_log = log_group(&dir, "health_api");
    let audit_bucket = output(&dir, "AuditLogBucketName");
    let audit_group = output(&dir, "AuditEventsLogGroupName");
    let sessions = output(&dir, "SessionsTableName");
    let orders_url = output(&dir, "TradeOrdersQueueUrl");
    let orders_dlq = output(&dir, "TradeOrdersDlqQueueUrl");
    let alerts = output(&dir, "AlertsTopicArn");

    // 1. A valid order, signed: 202 with a trade id; then exactly one row,
    // the session updated, the event delivered, the audit trail written.
    let order: Value = serde_json::from_str(
        &std::fs::read_to_string(super::workspace_root().join("examples/order.json")).unwrap(),
    )
    .unwrap();
    let first = api(&env, "POST", "/trades", Some(&order), true);
    assert_eq!(first.status, 202, "{first:?}");
    let trade_id = first.body["tradeId"]
        .as_str()
        .expect("a trade id")
        .to_owned();
    let rows = eventually("the trade in PostgreSQL", Duration::from_secs(30), || {
        let n = try_sql(
            &env,
            &format!("SELECT count(*) FROM trades WHERE trade_id = '{trade_id}'"),
        )
        .ok()?;
        (n == "1").then_some(n)
    });
    assert_eq!(rows, "1");

    // 1b. The schema is the migration's, owned by trading_owner; the
    // processor wrote the row as trading_app, which can read and write the
    // trades and create nothing.
    assert_eq!(
        sql(
            &env,
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"
        ),
        "1,2"
    );
    assert_eq!(
        sql(
            &env,
            "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'"
        ),
        "trading_owner"
    );
    let processor = function_name(&dir, "trade_processor");
    assert_eq!(
        sql(
            &env,
            &format!(
                "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE application_name = '{processor}'"
            )
        ),
        "trading_app",
        "the processor's connections (its pool stays open for a minute)"
    );
    let app = aws.db_user(&output(&dir, "TradingAppDbUserSecretArn"));
    assert_eq!(app.username, "trading_app");
    assert_eq!(
        try_sql_as(
            &env,
            &app,
            &format!("SELECT count(*) FROM trades WHERE trade_id = '{trade_id}'")
        ),
        Ok("1".to_owned())
    );
    let create = try_sql_as(&env, &app, "CREATE TABLE intruder (id int)");
    assert!(
        create
            .as_ref()
            .is_err_and(|e| e.contains("permission denied for schema public")),
        "trading_app creates a table: {create:?}"
    );
    let alter = try_sql_as(&env, &app, "ALTER TABLE trades ADD COLUMN extra text");
    assert!(
        alter
            .as_ref()
            .is_err_and(|e| e.contains("must be owner of table trades")),
        "trading_app alters a table: {alter:?}"
    );
    let monitor = aws.db_user(&output(&dir, "TradingMonitorDbUserSecretArn"));
    let write = try_sql_as(
        &env,
        &monitor,
        &format!("UPDATE trades SET status = 'x' WHERE trade_id = '{trade_id}'"),
    );
    assert!(
        write
            .as_ref()
            .is_err_and(|e| e.contains("permission denied for table trades")),
        "trading_monitor writes: {write:?}"
    );

    let session_id = sql(
        &env,
        &format!("SELECT session_id FROM trades WHERE trade_id = '{trade_id}'"),
    );
    let session = eventually("the session in DynamoDB", Duration::from_secs(30), || {
        let item = aws.item(&sessions, "session_id", &session_id);
        (item["lastProcessedTradeId"] == trade_id.as_str()).then_some(item)
    });
    assert_eq!(
        session["lastSubmittedTradeId"],
        trade_id.as_str(),
        "{session}"
    );
    let audit_key = eventually("the audit object", Duration::from_secs(30), || {
        aws.keys(&audit_bucket, "audit/")
            .into_iter()
            .find(|k| aws.object(&audit_bucket, k).contains(&trade_id))
    });
    let audited: Value = serde_json::from_str(&aws.object(&audit_bucket, &audit_key)).unwrap();
    assert_eq!(
        audited["event"]["detail-type"], "TradeProcessed",
        "{audited}"
    );
    assert_eq!(audited["event"]["source"], "trading.processor", "{audited}");
    eventually("the audit log record", Duration::from_secs(30), || {
        aws.log_messages(&audit_group)
            .into_iter()
            .find(|m| m.contains(&trade_id))
    });

    // 2. The same order again: the same trade id, still one row.
    let again = api(&env, "POST", "/trades", Some(&order), true);
    assert_eq!(again.status, 202, "{again:?}");
    assert_eq!(again.body["tradeId"], trade_id.as_str(), "{again:?}");
    eventually("the queue drained", Duration::from_secs(30), || {
        (aws.depth(&orders_url) == 0).then_some(())
    });
    assert_eq!(
        sql(
            &env,
            &format!(
                "SELECT count(*) FROM trades WHERE client_order_id = '{}'",
                order["clientOrderId"].as_str().unwrap()
            )
        ),
        "1"
    );

    // 2b. Idempotency is per caller: a second identity using the same
    // client order id places its own trade; the first caller reusing it for
    // another order is refused with 409 naming what differs.
    let api_id = output(&dir, "TradingApiId");
    let (second_arn, second) = aws.second_caller("acceptance-second-caller", &api_id);
    let theirs = api_as(&env, Some(&second), "POST", "/trades", Some(&order));
    assert_eq!(theirs.status, 202, "{theirs:?}");
    let their_trade = theirs.body["tradeId"]
        .as_str()
        .expect("a trade id")
        .to_owned();
    assert_ne!(their_trade, trade_id, "another caller, another trade");
    let coid = order["clientOrderId"].as_str().unwrap();
    let callers = eventually("both trades in PostgreSQL", Duration::from_secs(30), || {
        let rows = sql(
            &env,
            &format!(
                "SELECT trade_id || ' ' || caller_id FROM trades WHERE client_order_id = '{coid}' ORDER BY caller_id"
            ),
        );
        (rows.lines().count() == 2).then_some(rows)
    });
    assert!(
        callers.contains(&format!("{their_trade} {second_arn}")),
        "{callers}"
    );
    assert!(callers.contains(&trade_id), "{callers}");
    let mut changed = order.clone();
    changed["quantity"] = json!("11");
    let conflict = api(&env, "POST", "/trades", Some(&changed), true);
    assert_eq!(conflict.status, 409, "{conflict:?}");
    assert_eq!(conflict.body["fields"], json!(["quantity"]), "{conflict:?}");
    assert_eq!(conflict.body["tradeId"], trade_id.as_str(), "{conflict:?}");
    // Exactly one audit object per trade, resubmissions included.
    let trades: usize = sql(&env, "SELECT count(*) FROM trades").parse().unwrap();
    let audited = eventually(
        "an audit object for each trade",
        Duration::from_secs(30),
        || {
            let keys = aws.keys(&audit_bucket, "audit/");
            (keys.len() >= trades).then_some(keys)
        },
    );
    assert_eq!(audited.len(), trades, "{audited:?}");
    for trade in [&trade_id, &their_trade] {
        assert_eq!(
            audited
                .iter()
                .filter(|k| k.ends_with(&format!("/{trade}.json")))
                .count(),
            1,
            "{audited:?}"
        );
    }
    assert_eq!(
        sql(
            &env,
            "SELECT count(*) FROM trade_outbox WHERE published_at IS NOT NULL"
        ),
        trades.to_string()
    );

    // 2c. trading_app's password rotates through Secrets Manager's API:
    // the rotation function's four steps run, AWSCURRENT is a new
    // password and AWSPREVIOUS the old one, PostgreSQL takes only the new
    // one, and the processor, warm with the old password, books the next
    // order exactly once: its connections dropped, it is refused with the
    // old password, reads the secret again and reconnects.
    let app_secret = output(&dir, "TradingAppDbUserSecretArn");
    let (old_version, old_app) = aws.db_user_at(&app_secret, "AWSCURRENT");
    let rotated_version = aws
        .rotate(&app_secret, None)
        .unwrap_or_else(|e| panic!("RotateSecret {app_secret}: {e}"));
    let (current_version, new_app) = aws.db_user_at(&app_secret, "AWSCURRENT");
    assert_eq!(current_version, rotated_version);
    assert_ne!(new_app.password, old_app.password);
    assert_eq!(new_app.username, "trading_app");
    let (previous_version, previous) = aws.db_user_at(&app_secret, "AWSPREVIOUS");
    assert_eq!(previous_version, old_version);
    assert_eq!(previous.password, old_app.password);
    assert_eq!(
        try_sql_as(&env, &new_app, "SELECT current_user"),
        Ok("trading_app".to_owned())
    );
    let old_login = try_sql_as(&env, &old_app, "SELECT 1");
    assert!(
        old_login
            .as_ref()
            .is_err_and(|e| e.contains("password authentication failed")),
        "the old password still logs in: {old_login:?}"
    );
    let rotation_log = log_group(&dir, "db_rotation");
    assert_eq!(aws.invocations(&rotation_log), 4, "one invocation per step");
    sql(
        &env,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'trading_app'",
    );
    let mut after_rotation = order.clone();
    after_rotation["clientOrderId"] = json!("order-after-rotation-1");
    let booked = api(&env, "POST", "/trades", Some(&after_rotation), true);
    assert_eq!(booked.status, 202, "{booked:?}");
    let rotated_trade = booked.body["tradeId"]
        .as_str()
        .expect("a trade id")
        .to_owned();
    eventually(
        "the trade booked after the rotation",
        Duration::from_secs(30),
        || {
            let n = try_sql(
                &env,
                &format!("SELECT count(*) FROM trades WHERE trade_id = '{rotated_trade}'"),
            )
            .ok()?;
            (n == "1").then_some(())
        },
    );
    eventually("the queue drained", Duration::from_secs(30), || {
        (aws.depth(&orders_url) == 0).then_some(())
    });
    assert_eq!(
        sql(
            &env,
            "SELECT count(*) FROM trades WHERE client_order_id = 'order-after-rotation-1'"
        ),
        "1"
    );

    // 3. Refusals at the front door do not reach the function: a bad side,
    // an amount with more than 8 decimals or as a JSON number (amounts are
    // decimal strings, the schema says everything).
    let before = aws.invocations(&api_log);
    let unsigned = api(&env, "POST", "/trades", Some(&order), false);
    assert_eq!(unsigned.status, 403, "{unsigned:?}");
    assert_eq!(unsigned.body["message"], "Missing Authentication Token");
    let mut bad = order.clone();
    bad["side"] = json!("sideways");
    let invalid = api(&env, "POST", "/trades", Some(&bad), true);
    assert_eq!(invalid.status, 400, "{invalid:?}");
    assert_eq!(invalid.body["message"], "Invalid request body");
    for quantity in [json!("1.123456789"), json!(10), json!("0")] {
        let mut precise = order.clone();
        precise["clientOrderId"] = json!("order-precise-1");
        precise["quantity"] = quantity;
        let refused = api(&env, "POST", "/trades", Some(&precise), true);
        assert_eq!(refused.status, 400, "{refused:?}");
        assert_eq!(refused.body["message"], "Invalid request body");
    }
    assert_eq!(
        aws.invocations(&api_log),
        before,
        "refused requests reached trade-api"
    );

    // 3b. The settings in Parameter Store hold the profile's values, and
    // trade-api enforces them: an order above the maximum quantity is
    // refused with a field error, and neither recorded nor queued.
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("tp.out/local-{SUFFIX}/state.json"))).unwrap(),
    )
    .unwrap();
    let (max_quantity, hours) = match state["profile"].as_str() {
        Some("dev") => ("1000", "00:00-24:00"),
        other => panic!("tp local up deploys the dev profile, not {other:?}"),
    };
    let setting = |name: &str| {
        let path = format!("/trading-platform/{SUFFIX}/{}/{name}", env["AWS_REGION"]);
        let out = super::inventory_py_as(
            &env["AWS_ENDPOINT_URL"],
            None,
            (&admin.access_key_id, &admin.secret_access_key),
            &["parameter", &path],
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(setting("max-order-quantity"), max_quantity);
    assert_eq!(setting("trading-hours"), hours);
    let before = aws.invocations(&api_log);
    let mut large = order.clone();
    large["clientOrderId"] = json!("order-above-limit-1");
    large["quantity"] = json!("1000.00000001");
    let refused = api(&env, "POST", "/trades", Some(&large), true);
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(
        refused.body["errors"],
        json!([{"field": "quantity", "message": "must be at most 1000"}]),
        "{refused:?}"
    );
    assert_eq!(
        aws.invocations(&api_log),
        before + 1,
        "trade-api refused it"
    );
    let logged = aws.log_messages(&api_log);
    assert!(
        logged
            .iter()
            .any(|m| m.contains("order above the maximum quantity")
                && m.contains("order-above-limit-1")),
        "{logged:?}"
    );
    assert!(
        !logged
            .iter()
            .any(|m| m.contains("\"msg\":\"order queued\"") && m.contains("order-above-limit-1")),
        "an order above the limit was queued: {logged:?}"
    );
    assert_eq!(
        sql(
            &env,
            "SELECT count(*) FROM trades WHERE client_order_id = 'order-above-limit-1'"
        ),
        "0"
    );

    // 4. Health: per-dependency status; degraded without the database.
    // Served by health_api, a function of its own: trade-api never runs
    // for it, so health checks take nothing of its concurrency.
    let trade_api_runs = aws.invocations(&api_log);
    let health_runs = aws.invocations(&health_log);
    let health = api(&env, "GET", "/health", None, false);
    assert_eq!(health.status, 200, "{health:?}");
    assert_eq!(health.body["status"], "ok", "{health:?}");
    assert_eq!(health.body["checks"]["database"], "ok", "{health:?}");
    assert_eq!(aws.invocations(&health_log), health_runs + 1);
    assert_eq!(aws.invocations(&api_log), trade_api_runs);

    // 6. The hourly monitor checks the API, the database and the queues,
    // and alerts when the database is down.
    let alerts_queue = aws.subscribe_queue(&alerts);
    let healthy = tp(
        &dir,
        &["local", "invoke", "health_monitor", "--suffix", SUFFIX],
    );
    assert_eq!(healthy.code, 0, "{healthy}");
    let result: Value = serde_json::from_str(&healthy.stdout).expect("JSON");
    let summary = &result["outcome"]["result"];
    assert_eq!(summary["status"], "healthy", "{healthy}");
    for check in ["api", "database", "queue", "dlq"] {
        assert_eq!(summary["checks"][check]["ok"], true, "{check}: {healthy}");
    }
    assert!(aws.receive(&alerts_queue).is_empty());

    let stop = tp(&dir, &["local", "aurora", "stop", "--suffix", SUFFIX]);
    assert_eq!(stop.code, 0, "{stop}");
    let degraded = api(&env, "GET", "/health", None, false);
    assert_eq!(degraded.status, 200, "{degraded:?}");
    assert_eq!(degraded.body["status"], "degraded", "{degraded:?}");
    assert_eq!(
        degraded.body["checks"]["database"], "unreachable",
        "{degraded:?}"
    );
    let unhealthy = tp(
        &dir,
        &["local", "invoke", "health_monitor", "--suffix", SUFFIX],
    );
    let result: Value = serde_json::from_str(&unhealthy.stdout).expect("JSON");
    assert_eq!(
        result["outcome"]["result"]["status"], "unhealthy",
        "{unhealthy}"
    );
    assert_eq!(
        result["outcome"]["result"]["checks"]["database"]["ok"],
        false
    );
    let alert = eventually("the alert", Duration::from_secs(20), || {
        aws.receive(&alerts_queue).into_iter().next()
    });
    assert!(alert.contains("database"), "{alert}");
    // A rotation while the database is down fails in setSecret and
    // leaves AWSCURRENT as it was; the same request, once the database is
    // back, finishes it.
    let monitor_secret = output(&dir, "TradingMonitorDbUserSecretArn");
    let (monitor_version, monitor_before) = aws.db_user_at(&monitor_secret, "AWSCURRENT");
    let token = "9a3c0e52-6f1d-4d7a-8b2e-5c4f3a2b1c0d";
    let failed = aws.rotate(&monitor_secret, Some(token));
    assert!(
        failed.as_ref().is_err_and(|e| e.contains("setSecret")),
        "a rotation without the database: {failed:?}"
    );
    let (still_current, unchanged) = aws.db_user_at(&monitor_secret, "AWSCURRENT");
    assert_eq!(still_current, monitor_version);
    assert_eq!(unchanged.password, monitor_before.password);
    assert_eq!(aws.stages(&monitor_secret)[token], ["AWSPENDING"]);
    let start = tp(&dir, &["local", "aurora", "start", "--suffix", SUFFIX]);
    assert_eq!(start.code, 0, "{start}");
    assert_eq!(
        aws.rotate(&monitor_secret, Some(token)),
        Ok(token.to_owned())
    );
    let (_, monitor_after) = aws.db_user_at(&monitor_secret, "AWSCURRENT");
    assert_eq!(
        try_sql_as(&env, &monitor_after, "SELECT current_user"),
        Ok("trading_monitor".to_owned())
    );

    // 8. tp verify passes every check against the local platform.
    let verify = tp_in_env(&dir, &env, &["verify", "--suffix", SUFFIX]);
    assert_eq!(verify.code, 0, "{verify}");
    assert!(verify.stdout.contains("local environment"), "{verify}");

    // 5. A message the processor cannot handle: retried, then in the
    // dead-letter queue after maxReceiveCount; tp verify reports it.
    aws.send(&orders_url, "this is not a trade order");
    eventually(
        "the message in the dead-letter queue",
        Duration::from_secs(60),
        || (aws.depth(&orders_dlq) == 1).then_some(()),
    );
    let verify = tp_in_env(&dir, &env, &["verify", "--suffix", SUFFIX]);
    assert_eq!(verify.code, 10, "{verify}");
    let failed: Vec<&str> = verify
        .stdout
        .lines()
        .filter(|l| l.contains("FAIL"))
        .collect();
    assert_eq!(failed.len(), 1, "{verify}");
    assert!(
        failed[0].contains("dead letters trade_orders_dlq"),
        "{verify}"
    );
    let processor_log = log_group(&dir, "trade_processor");
    let malformed = aws
        .log_messages(&processor_log)
        .into_iter()
        .filter(|m| m.contains("malformed message"))
        .count();
    let receives = match platform_def::platform()
        .resource("trade_orders")
        .map(|r| &r.spec)
    {
        Some(platform_core::spec::Spec::Queue(queue)) => {
            queue
                .dead_letter
                .as_ref()
                .expect("a redrive")
                .max_receive_count
        }
        _ => panic!("platform-def declares queue trade_orders"),
    };
    assert_eq!(
        malformed, receives as usize,
        "one attempt per receive up to maxReceiveCount"
    );

    // tp local down stops everything it started and removes its state.
    let state = cli::local::state::Paths::new(&dir.join("tp.out"), SUFFIX)
        .read_state()
        .unwrap();
    let pids = state.pids();
    assert!(pids.len() >= 2, "daemon and moto: {pids:?}");
    let down = tp(&dir, &["local", "down", "--suffix", SUFFIX]);
    assert_eq!(down.code, 0, "{down}");
    for (name, pid) in pids {
        assert!(!cli::local::state::alive(pid), "{name} ({pid}) still runs");
    }
    assert!(
        try_sql(&env, "SELECT 1").is_err(),
        "PostgreSQL still answers"
    );
    assert!(!dir.join(format!("tp.out/local-{SUFFIX}")).exists());
    assert!(!dir.join(format!("tp.out/local-{SUFFIX}.env")).exists());
    let status = tp(&dir, &["local", "status", "--suffix", SUFFIX]);
    assert_ne!(status.code, 0, "{status}");
}

/// A missing prerequisite is one message naming how to install it, with
/// its own exit code, and nothing is started or left behind.
#[test]
fn a_missing_prerequisite_says_how_to_install_it() {
    let dir = scratch("acceptance-prereq");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tp"));
    command
        .current_dir(&dir)
        .env("TP_LOCAL_PG_BIN", dir.join("no-postgresql"))
        .args(["local", "up", "--suffix", "prq"]);
    let run = run(command);
    assert_eq!(run.code, 11, "{run}");
    assert!(run.stderr.contains("apt-get install postgresql"), "{run}");
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(!dir.join("tp.out").exists(), "{run}");
}

/// IAM is enforced, not assumed: the same platform with one grant removed
/// (health_api's on the sessions table) runs, and that function's calls to
/// the table are refused with AccessDenied, as AWS would refuse them.
#[test]
fn a_function_without_its_grant_is_refused_locally() {
    const SUFFIX: &str = "nogrant";
    let dir = scratch("acceptance-nogrant");
    let mut platform = platform_def::platform();
    let function = platform
        .resources
        .iter_mut()
        .find(|r| r.name == "health_api")
        .expect("health_api is declared");
    let platform_core::spec::Spec::Function(spec) = &mut function.spec else {
        panic!("health_api is a function");
    };
    let before = spec.grants.len();
    spec.grants.retain(|g| g.resource != "sessions");
    assert_eq!(spec.grants.len(), before - 1, "one grant removed");

    let prereq = cli::local::prereq::check().expect("tp local's prerequisites");
    let out = dir.join("tp.out");
    let daemon = {
        let out = out.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(cli::local::serve::run(
                &platform,
                prereq,
                cli::local::serve::Options {
                    suffix: SUFFIX.to_owned(),
                    profile: None,
                    region: "us-east-1".to_owned(),
                    out,
                    retry_delay: None,
                },
            ))
        })
    };
    let paths = cli::local::state::Paths::new(&out, SUFFIX);
    let state = eventually("the environment ready", Duration::from_secs(120), || {
        if daemon.is_finished() {
            return Some(Err(()));
        }
        paths.read_state().ok().filter(|s| s.ready()).map(Ok)
    });
    let Ok(state) = state else {
        panic!("the daemon stopped: {:?}", daemon.join());
    };
    let env = state.env();
    let aws = Aws::new(&env);
    let group = state.0["functions"]["health_api"]["logGroup"]
        .as_str()
        .unwrap()
        .to_owned();

    let health = api(&env, "GET", "/health", None, false);
    assert_eq!(health.status, 503, "{health:?}");
    assert_eq!(
        health.body["checks"]["sessionsTable"], "failed",
        "{health:?}"
    );
    assert_eq!(
        health.body["checks"]["tradeOrdersQueue"], "ok",
        "{health:?}"
    );
    let denied = aws
        .log_messages(&group)
        .into_iter()
        .find(|m| m.contains("AccessDenied"))
        .expect("health-api logged the refusal");
    assert!(denied.contains("dynamodb:DescribeTable"), "{denied}");
    assert!(
        denied.contains("role-health-api-us-east-1-nogrant"),
        "{denied}"
    );

    cli::local::commands::request(
        "POST",
        &format!("{}/shutdown", state.str("control").unwrap()),
        &[],
        Vec::new(),
    )
    .expect("the daemon stops");
    daemon.join().unwrap().expect("the daemon ran cleanly");
}
