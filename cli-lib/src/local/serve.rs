//! The daemon behind `tp local up`: starts moto, deploys the region's
//! stack into it with the deploy engine (bootstrap, assets, change set,
//! execute), starts PostgreSQL for each Aurora cluster and puts its
//! credentials in the cluster's managed secret, then runs the parts moto
//! cannot (functions, the IAM-enforcing AWS endpoint, the API's front
//! door, event sources, rules and schedules) until told to stop.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use platform_core::spec::Platform;
use platform_core::synth::{self, Deployment};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::deployed::Deployed;
use super::moto::Moto;
use super::postgres::Postgres;
use super::prereq::Prerequisites;
use super::state::{Paths, State};
use crate::aws::{Connection, Session};
use crate::commands::{self, Approval, DeployOptions};

/// The emulator's administrator: moto accepts any key; `tp local` itself
/// (deploying, reading what was deployed, writing logs) calls it directly.
pub const ADMIN_KEY: &str = "testing";

/// What the daemon needs to know.
pub struct Options {
    pub suffix: String,
    pub profile: Option<String>,
    pub region: String,
    pub out: PathBuf,
    pub retry_delay: Option<std::time::Duration>,
}

/// Running parts the control endpoint reaches.
pub struct Daemon {
    pub paths: Paths,
    pub state: Mutex<State>,
    pub postgres: Vec<Postgres>,
    pub deployed: Deployed,
    pub parts: super::wiring::Parts,
    pub shutdown: tokio::sync::Notify,
}

fn admin(endpoint: &str) -> Connection {
    Connection::to_endpoint(endpoint, ADMIN_KEY, ADMIN_KEY)
}

/// The emulator's administrator credentials.
pub fn admin_credentials() -> super::types::Credentials {
    super::types::Credentials {
        access_key_id: ADMIN_KEY.to_owned(),
        secret_access_key: ADMIN_KEY.to_owned(),
        session_token: None,
    }
}

/// AWS SDK configuration for the emulator with admin credentials.
pub async fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    super::iam::sdk_config(endpoint, region, &admin_credentials()).await
}

/// Runs the daemon to the end. Everything it starts is recorded in
/// `state.json` as soon as it runs, so `tp local down` can stop it even if
/// the daemon itself dies.
pub async fn run(platform: &Platform, prereq: Prerequisites, opts: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = std::path::absolute(&opts.out)?;
    let paths = Paths::new(&out, &opts.suffix);
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("cannot create {}", paths.dir.display()))?;
    let deployment = Deployment::new(
        platform,
        &opts.suffix,
        opts.profile.as_deref(),
        std::slice::from_ref(&opts.region),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let profile = deployment.profile.to_string();
    let mut state = State::new(&opts.suffix, &profile, &opts.region);
    state.0["pids"]["daemon"] = json!(std::process::id());
    paths.write_state(&state)?;

    // The endpoint the functions call AWS through is bound first: queue
    // URLs name it.
    let proxy_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let proxy_url = format!("http://{}", proxy_listener.local_addr()?);
    // Where moto asks for a secret's rotation; served once the functions run.
    let rotation_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let rotation_url = format!("http://{}/rotate", rotation_listener.local_addr()?);
    let rotation_key = super::postgres::random_hex(16)?;
    let moto = Moto::start(
        &prereq.python,
        &prereq.moto_launcher,
        &paths.moto_log(),
        &proxy_url,
        // The environment runs in its profile's account, as deployed.
        platform.account(&profile).as_deref(),
        (&rotation_url, &rotation_key),
    )?;
    state.0["pids"]["moto"] = json!(moto.child.id());
    let endpoint = moto.endpoint();
    state.0["moto"] = json!(endpoint);
    paths.write_state(&state)?;
    // From here on moto is stopped whatever happens.
    let moto = KillOnDrop(moto);
    eprintln!(
        "tp local: moto_server on {endpoint} ({} ms)",
        started.elapsed().as_millis()
    );

    // The real deploy path: bootstrap, assets, change set, execute.
    let connection = admin(&endpoint);
    let regions = vec![opts.region.clone()];
    let request = commands::BootstrapRequest {
        account: platform.account(&profile),
        ..Default::default()
    };
    let code = commands::bootstrap(platform, &regions, &connection, &request).await?;
    anyhow::ensure!(
        code == 0,
        "tp bootstrap into the emulator failed (exit {code})"
    );
    let deploy = DeployOptions {
        approval: Approval::Never,
        allow_replace: Vec::new(),
        no_execute: false,
        outputs_file: paths.dir.join("outputs.json"),
        resume: format!("tp local up --suffix {}", opts.suffix),
        role_arn: None,
        // moto cannot run functions: they run once the local runtime is up.
        run_after_deploy: false,
    };
    let code = crate::release::deploy_platform(platform, &deployment, &connection, &deploy).await?;
    anyhow::ensure!(
        code == 0,
        "tp deploy into the emulator failed (exit {code})"
    );
    eprintln!("tp local: deployed ({} ms)", started.elapsed().as_millis());

    let assembly = synth::synth(platform, &deployment)?;
    let stack = assembly
        .stacks
        .iter()
        .find(|s| s.region == opts.region)
        .context("the platform has no stack in this region")?;
    anyhow::ensure!(
        stack.nested.is_empty(),
        "stack {} is split into nested stacks; tp local runs unsplit stacks only",
        stack.name
    );
    let template: Value = serde_json::from_str(&stack.body)?;
    let session = Session::new(&opts.region, &connection).await?;
    let config = sdk_config(&endpoint, &opts.region).await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let rds = aws_sdk_rds::Client::new(&config);
    let deployed = Deployed::read(platform, &session, &stack.name, template, &lambda, &rds).await?;

    // Aurora: a PostgreSQL per cluster, its credentials in the managed secret.
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let mut postgres = Vec::new();
    for cluster in &deployed.clusters {
        let pg = Postgres::create(
            &prereq.pg_bin,
            &paths.dir.join(&cluster.identifier),
            &cluster.endpoints,
            cluster.port,
            &cluster.master_username,
            &cluster.database,
        )?;
        let secret = json!({
            "username": pg.user,
            "password": pg.password,
            "engine": "postgres",
            "host": cluster.endpoints.first(),
            "port": cluster.port,
            "dbname": cluster.database,
            "dbClusterIdentifier": cluster.identifier,
        });
        secrets
            .put_secret_value()
            .secret_id(&cluster.secret_arn)
            .secret_string(secret.to_string())
            .send()
            .await
            .with_context(|| format!("write the credentials into {}", cluster.secret_arn))?;
        state.0["postgres"][&cluster.identifier] = json!({
            "dir": pg.dir,
            "bin": pg.bin,
            "address": pg.address.to_string(),
            "port": pg.port,
            "url": pg.url(),
        });
        paths.write_state(&state)?;
        postgres.push(pg);
    }
    let postgres = StopOnDrop(postgres);
    eprintln!(
        "tp local: PostgreSQL up ({} ms)",
        started.elapsed().as_millis()
    );

    let parts = super::wiring::start(super::wiring::Inputs {
        prereq: &prereq,
        paths: &paths,
        assembly: &assembly,
        deployed: &deployed,
        postgres: &postgres.0,
        endpoint: &endpoint,
        region: &opts.region,
        suffix: &opts.suffix,
        retry_delay: opts.retry_delay,
        proxy_listener,
    })
    .await?;
    let rotation = tokio::spawn(super::rotation::serve(
        rotation_listener,
        parts.invoker.clone(),
        rotation_key,
    ));
    // The deploy's last step, as `tp deploy` runs it: the migrations, once
    // the functions run and before anything is reported ready.
    run_after_deploy(parts.invoker.as_ref(), stack).await?;

    let mut env = BTreeMap::new();
    env.insert("TP_LOCAL_SUFFIX".to_owned(), opts.suffix.clone());
    env.insert("AWS_ENDPOINT_URL".to_owned(), endpoint.clone());
    env.insert("AWS_REGION".to_owned(), opts.region.clone());
    env.insert("AWS_DEFAULT_REGION".to_owned(), opts.region.clone());
    if let Some(pg) = postgres.0.first() {
        env.insert("DATABASE_URL".to_owned(), pg.url());
    }
    env.extend(parts.env.clone());
    state.0["env"] = json!(env);
    state.0["functions"] = deployed
        .functions
        .iter()
        .map(|f| {
            (
                f.declared.clone(),
                json!({"name": f.name, "logGroup": f.log_group}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();

    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let control_url = format!("http://{}", control.local_addr()?);
    state.0["control"] = json!(control_url);
    state.0["startedMs"] = json!(started.elapsed().as_millis() as u64);
    state.0["ready"] = json!(true);

    let daemon = Arc::new(Daemon {
        paths: paths.clone(),
        state: Mutex::new(state.clone()),
        postgres: postgres.0.clone(),
        deployed,
        parts,
        shutdown: tokio::sync::Notify::new(),
    });
    let server = tokio::spawn(super::control::serve(control, daemon.clone()));
    paths.write_env(&env)?;
    paths.write_state(&state)?;
    eprintln!("tp local: ready in {} ms", started.elapsed().as_millis());

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = daemon.shutdown.notified() => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("tp local: stopping");
    server.abort();
    rotation.abort();
    daemon.parts.shutdown().await;
    drop(postgres);
    drop(moto);
    Ok(())
}

/// Invokes each `run: after_deploy` function of `stack` through the local
/// runtime, in declaration order, with the payload `tp deploy` sends;
/// the first that throws or times out fails `tp local up` with its error.
pub(crate) async fn run_after_deploy(
    invoker: &dyn super::types::Invoker,
    stack: &synth::Stack,
) -> anyhow::Result<()> {
    for step in &stack.after_deploy {
        let payload = synth::AfterDeploy::payload(&stack.name, &stack.region);
        let result = invoker
            .invoke(&step.function_name, payload)
            .await
            .with_context(|| format!("invoke after-deploy function {}", step.declared))?;
        match after_deploy_failure(&result.outcome) {
            None => eprintln!(
                "tp local: after-deploy function {} done ({} ms)",
                step.declared,
                result.duration.as_millis()
            ),
            Some(why) => {
                return Err(crate::exit::Exit::new(
                    crate::exit::DEPLOY_FAILED,
                    format!(
                        "after-deploy function {} ({}) failed: {why}; its log is in the function's log group",
                        step.declared, step.function_name
                    ),
                )
                .into());
            }
        }
    }
    Ok(())
}

/// Why an after-deploy invocation failed, when it did.
fn after_deploy_failure(outcome: &super::types::Outcome) -> Option<String> {
    match outcome {
        super::types::Outcome::Returned(_) => None,
        super::types::Outcome::Failed {
            error_type,
            error_message,
        } => Some(format!("{error_type}: {error_message}")),
        super::types::Outcome::TimedOut => Some("the function timed out".to_owned()),
    }
}

/// Stops moto when the daemon ends, however it ends.
struct KillOnDrop(Moto);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

/// Stops the PostgreSQL servers when the daemon ends.
struct StopOnDrop(Vec<Postgres>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        for pg in &self.0 {
            if pg.running() {
                let _ = pg.stop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::types::{BoxFuture, InvokeResult, Invoker, Outcome};
    use std::sync::Mutex as StdMutex;

    /// Answers each invocation with the next outcome, recording what it got.
    struct Scripted {
        outcomes: StdMutex<Vec<Outcome>>,
        calls: StdMutex<Vec<(String, Value)>>,
    }

    impl Invoker for Scripted {
        fn invoke<'a>(
            &'a self,
            function: &'a str,
            payload: Value,
        ) -> BoxFuture<'a, anyhow::Result<InvokeResult>> {
            self.calls
                .lock()
                .unwrap()
                .push((function.to_owned(), payload));
            let outcome = self.outcomes.lock().unwrap().remove(0);
            Box::pin(async move {
                Ok(InvokeResult {
                    request_id: "r".into(),
                    outcome,
                    duration: std::time::Duration::from_millis(1),
                })
            })
        }
    }

    fn stack() -> synth::Stack {
        synth::Stack {
            name: "p-us-east-1-dev".into(),
            region: "us-east-1".into(),
            template: Default::default(),
            body: String::new(),
            assets: Vec::new(),
            nested: Vec::new(),
            guard_alarms: Vec::new(),
            rollback_window_minutes: 0,
            imports: Vec::new(),
            zone_lookups: Vec::new(),
            after_deploy: ["migrate", "seed"]
                .iter()
                .map(|f| synth::AfterDeploy {
                    declared: (*f).into(),
                    function_name: format!("fn-{f}-us-east-1-dev"),
                })
                .collect(),
        }
    }

    fn scripted(outcomes: Vec<Outcome>) -> Scripted {
        Scripted {
            outcomes: StdMutex::new(outcomes),
            calls: StdMutex::new(Vec::new()),
        }
    }

    #[tokio::test]
    async fn every_after_deploy_function_runs_in_order_with_the_deploy_payload() {
        let invoker = scripted(vec![
            Outcome::Returned(json!({"applied": 1})),
            Outcome::Returned(Value::Null),
        ]);
        run_after_deploy(&invoker, &stack())
            .await
            .expect("both pass");
        let calls = invoker.calls.lock().unwrap();
        let names: Vec<&str> = calls.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["fn-migrate-us-east-1-dev", "fn-seed-us-east-1-dev"]);
        assert_eq!(
            calls[0].1,
            json!({"phase": "after_deploy", "stack": "p-us-east-1-dev", "region": "us-east-1"})
        );
    }

    #[tokio::test]
    async fn a_failing_function_fails_up_with_its_error_and_stops_the_rest() {
        let invoker = scripted(vec![Outcome::Failed {
            error_type: "MigrationError".into(),
            error_message: "syntax error at or near \"TABLE\"".into(),
        }]);
        let err = run_after_deploy(&invoker, &stack()).await.unwrap_err();
        let exit = err.downcast_ref::<crate::exit::Exit>().expect("an exit");
        assert_eq!(exit.code, crate::exit::DEPLOY_FAILED);
        assert!(
            err.to_string().contains(
                "migrate (fn-migrate-us-east-1-dev) failed: MigrationError: syntax error"
            ),
            "{err}"
        );
        assert_eq!(invoker.calls.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_timed_out_function_fails_up() {
        let invoker = scripted(vec![Outcome::TimedOut]);
        let err = run_after_deploy(&invoker, &stack()).await.unwrap_err();
        assert!(err.to_string().contains("timed out"), "{err}");
    }
}
