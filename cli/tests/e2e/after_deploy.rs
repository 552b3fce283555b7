//! The deploy's last step against moto, through the deploy engine `tp`
//! runs (`cli::release::deploy_platform`): once the stack is complete, each
//! `run: after_deploy` function is invoked synchronously with the deploy's
//! payload, and an error it answers fails the deploy with exit code 7.
//! moto cannot run functions, so the fault-injection proxy in front of it
//! answers Lambda's `Invoke` as Lambda would.

use cli::aws::Connection;
use cli::commands::{Approval, DeployOptions};
use cli::exit::{self, Exit};
use platform_core::spec::{
    AuroraSpec, Capacity, DbPrivileges, DbUserSpec, FunctionSpec, Grant, KeySpec, NetworkSpec,
    PerProfile, PerRegion, Platform, Run, Spec,
};
use platform_core::synth::Deployment;
use serde_json::{Value, json};

use super::proxy::{Fault, Proxy};
use super::*;

/// A cluster with a database user, and the migration that runs after each
/// deploy.
fn platform() -> Platform {
    let code = workspace_root().join("platform-core/tests/fixtures/handler");
    one_region_platform(
        "migrations",
        vec![
            (
                "data",
                Spec::Key(KeySpec {
                    description: "data".into(),
                    rotation: true,
                    pending_window_days: 30,
                }),
            ),
            (
                "core",
                Spec::Network(NetworkSpec {
                    cidr: PerProfile::Same(PerRegion(vec![(REGION.into(), "10.0.0.0/16".into())])),
                    azs: 2,
                    endpoints: vec!["secretsmanager".into(), "kms".into()],
                    flow_log_retention_days: PerProfile::Same(30),
                    key: "data".into(),
                    public: false,
                }),
            ),
            (
                "trades",
                Spec::Aurora(AuroraSpec {
                    engine_version: "16.10".into(),
                    database: "trading".into(),
                    capacity: PerProfile::Same(Capacity { min: 0.5, max: 2.0 }),
                    readers: 0,
                    network: "core".into(),
                    backup_days: PerProfile::Same(7),
                    key: "data".into(),
                    log_retention_days: PerProfile::Same(30),
                    log_key: "data".into(),
                    snapshot_on_removal: PerProfile::Same(false),
                }),
            ),
            (
                "trading_app",
                Spec::DbUser(DbUserSpec {
                    cluster: "trades".into(),
                    privileges: DbPrivileges::Dml,
                    key: "data".into(),
                    rotation_days: None,
                }),
            ),
            (
                "migrate",
                Spec::Function(FunctionSpec {
                    code: code.to_string_lossy().into_owned(),
                    include: Vec::new(),
                    exclude: Vec::new(),
                    handler: "index.handler".into(),
                    memory_mb: PerProfile::Same(128),
                    timeout_secs: PerProfile::Same(300),
                    log_retention_days: PerProfile::Same(30),
                    key: "data".into(),
                    log_key: "data".into(),
                    env: Vec::new(),
                    grants: vec![
                        Grant {
                            resource: "trades".into(),
                            access: "read_secret".into(),
                        },
                        Grant {
                            resource: "trading_app".into(),
                            access: "connect".into(),
                        },
                    ],
                    statements: Vec::new(),
                    trigger: None,
                    network: Some("core".into()),
                    reserved_concurrency: PerProfile::Same(None),
                    dead_letter: None,
                    async_invoke: None,
                    metric_namespace: None,
                    run: Some(Run::AfterDeploy),
                }),
            ),
        ],
    )
}

fn options(dir: &std::path::Path, no_execute: bool) -> DeployOptions {
    DeployOptions {
        approval: Approval::Never,
        allow_replace: Vec::new(),
        no_execute,
        outputs_file: dir.join("outputs.json"),
        resume: "the after-deploy test".into(),
        role_arn: None,
        run_after_deploy: true,
    }
}

#[test]
fn the_deploy_invokes_its_after_deploy_function_and_fails_with_7_when_it_fails() {
    let moto = Moto::start("after-deploy");
    let proxy = Proxy::start(moto.port);
    let dir = scratch("after-deploy");
    let run = tp_run(&moto.endpoint(), &dir, &["bootstrap", "--region", REGION]);
    assert_eq!(run.code, 0, "{run}");

    let platform = platform();
    let deployment = Deployment::new(&platform, "e2e", None, &[]).expect("deployment");
    let stack = "migrations-us-east-1-e2e";
    let invoke = "Lambda:Invoke:lambda-migrate-us-east-1-e2e";
    let connection = Connection::to_endpoint(&proxy.endpoint(), "testing", "testing");

    // The function returns: the deploy passes, having invoked it once,
    // after the stack was created, with the deploy's payload.
    proxy.add(
        invoke,
        Fault::RespondJson {
            body: r#"{"applied":["0001_trades"]}"#.into(),
            headers: Vec::new(),
        },
        1,
    );
    let code = block_on(cli::release::deploy_platform(
        &platform,
        &deployment,
        &connection,
        &options(&dir, false),
    ))
    .expect("the first deploy passes");
    assert_eq!(code, exit::OK);
    assert_eq!(proxy.applied(invoke), 1);
    let requests = proxy.requests(invoke);
    let payload: Value = serde_json::from_str(&requests[0]).expect("a JSON payload");
    assert_eq!(
        payload,
        json!({"phase": "after_deploy", "stack": stack, "region": REGION})
    );
    assert!(
        names(&moto.inventory(), "functions").contains(&"lambda-migrate-us-east-1-e2e".to_owned()),
        "the function exists before it is invoked"
    );

    // The database user's secret: generated, with its role's name.
    let secret = block_on(async {
        let config = cli::local::serve::sdk_config(&moto.endpoint(), REGION).await;
        aws_sdk_secretsmanager::Client::new(&config)
            .get_secret_value()
            .secret_id("dbuser-trading-app-us-east-1-e2e")
            .send()
            .await
            .expect("the database user's secret")
            .secret_string()
            .map(str::to_owned)
            .expect("a secret string")
    });
    let secret: Value = serde_json::from_str(&secret).expect("a JSON secret");
    assert_eq!(secret["username"], "trading_app");
    let password = secret["password"].as_str().expect("a password");
    assert_eq!(password.len(), 32);
    assert!(
        password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password}"
    );

    // `--no-execute` deploys nothing and invokes nothing.
    let code = block_on(cli::release::deploy_platform(
        &platform,
        &deployment,
        &connection,
        &options(&dir, true),
    ))
    .expect("a no-execute deploy");
    assert_eq!(code, exit::OK);
    assert_eq!(proxy.seen(invoke), 1);

    // Nothing changes, and the step runs again; the function throws: the
    // deploy fails with 7 and the function's error.
    proxy.add(
        invoke,
        Fault::RespondJson {
            body: r#"{"errorType":"MigrationError","errorMessage":"permission denied for schema public","trace":[]}"#.into(),
            headers: vec![("X-Amz-Function-Error".into(), "Unhandled".into())],
        },
        1,
    );
    let err = block_on(cli::release::deploy_platform(
        &platform,
        &deployment,
        &connection,
        &options(&dir, false),
    ))
    .expect_err("the failing function fails the deploy");
    let exit = err.downcast_ref::<Exit>().expect("an exit code");
    assert_eq!(exit.code, exit::DEPLOY_FAILED, "{err}");
    assert!(
        exit.message.contains(
            "after-deploy function migrate (lambda-migrate-us-east-1-e2e) failed: MigrationError: permission denied for schema public"
        ),
        "{}",
        exit.message
    );
    assert_eq!(proxy.applied(invoke), 2);
}
