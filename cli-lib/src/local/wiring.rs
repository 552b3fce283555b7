//! Starts the parts moto cannot run, wired to each other: the function
//! runtime, the IAM-enforcing AWS endpoint the functions call, the API's
//! front door, event source mappings, rules and schedules.
//!
//! ```text
//!  caller --SigV4--> front door (apigw) --invoke--> Lambda (Node) --AWS calls--> IAM proxy --> moto
//!                                                     ^                            | PutEvents, Invoke
//!                    event source mappings, rules, schedules <---------------------+
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use platform_core::synth::Assembly;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::apigw::{self, FrontDoorDeps};
use super::aws_proxy::{self, ProxyConfig};
use super::deployed::Deployed;
use super::events::{self, Events, async_invoke::FunctionAsync};
use super::iam::{
    EmulatorKeyStore, Identities, PolicyAuthorizer, cluster_secret_key, key_map_from_template,
    sdk_config,
};
use super::lambda::{FunctionSpec, Lambda, Logging, RuntimeSettings};
use super::postgres::Postgres;
use super::prereq::Prerequisites;
use super::serve::admin_credentials;
use super::sigv4::SigV4Authenticator;
use super::state::Paths;
use super::types::{Credentials, Invoker};

pub struct Inputs<'a> {
    pub prereq: &'a Prerequisites,
    pub paths: &'a Paths,
    pub assembly: &'a Assembly,
    pub deployed: &'a Deployed,
    pub postgres: &'a [Postgres],
    pub endpoint: &'a str,
    pub region: &'a str,
    pub suffix: &'a str,
    pub retry_delay: Option<std::time::Duration>,
    /// Where the IAM-enforcing AWS endpoint listens (bound before moto
    /// started, whose queue URLs name it).
    pub proxy_listener: tokio::net::TcpListener,
}

/// The running parts.
pub struct Parts {
    /// Added to the environment file: the API's URL, the caller's credentials.
    pub env: BTreeMap<String, String>,
    pub invoker: Arc<dyn Invoker>,
    pub lambda: Arc<Lambda>,
    pub events: Mutex<Option<Events>>,
    pub servers: Vec<JoinHandle<()>>,
}

impl Parts {
    /// Stops taking work, then stops the functions.
    pub async fn shutdown(&self) {
        for server in &self.servers {
            server.abort();
        }
        if let Some(events) = self.events.lock().await.take() {
            events.shutdown().await;
        }
        self.lambda.shutdown().await;
    }
}

/// Unzips each function's code asset into `dir/<function>`.
pub fn unzip_code(
    assembly: &Assembly,
    deployed: &Deployed,
    dir: &Path,
) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for f in &deployed.functions {
        let asset = assembly
            .assets
            .iter()
            .find(|a| a.id == f.asset_id)
            .with_context(|| {
                format!(
                    "function {} names asset {} which synth did not produce",
                    f.name, f.asset_id
                )
            })?;
        let target = dir.join(&f.name);
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(&target)?;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(asset.zip()?))?;
        archive
            .extract(&target)
            .with_context(|| format!("unzip the code of {}", f.name))?;
        out.insert(f.name.clone(), target);
    }
    Ok(out)
}

/// The policy of the caller `tp local` creates: invoke every method of
/// every stage of the API, nothing else.
pub fn caller_policy(region: &str, account: &str, api_id: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "InvokeTheApi",
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": format!("arn:aws:execute-api:{region}:{account}:{api_id}/*"),
        }],
    })
}

async fn listener() -> anyhow::Result<(tokio::net::TcpListener, u16)> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = l.local_addr()?.port();
    Ok((l, port))
}

pub async fn start(inputs: Inputs<'_>) -> anyhow::Result<Parts> {
    let Inputs {
        prereq,
        paths,
        assembly,
        deployed,
        postgres,
        endpoint,
        region,
        suffix,
        retry_delay,
        proxy_listener,
    } = inputs;
    let account = deployed.account.clone();
    let admin = admin_credentials();
    let code = unzip_code(assembly, deployed, &paths.dir.join("code"))?;

    // Who is who: each function's role assumed, and the API's caller.
    let identities = Identities::new(endpoint, region, &admin).await;
    let mut function_credentials: HashMap<String, Credentials> = HashMap::new();
    for f in &deployed.functions {
        let (_, credentials) = identities
            .assume_role(&f.role_arn, &f.name)
            .await
            .with_context(|| format!("assume the role of {}", f.name))?;
        function_credentials.insert(f.name.clone(), credentials);
    }
    let apis =
        apigw::ApiSpec::from_template(&deployed.template, &deployed.physical, region, &account)?;
    let authorizer = Arc::new(PolicyAuthorizer::start(
        &prereq.node,
        &prereq.runtime_dir,
        identities.iam(),
    )?);
    // Keys of users made later through the emulator's IAM API are accepted too.
    let authenticator = Arc::new(SigV4Authenticator {
        keys: Arc::new(EmulatorKeyStore::new(identities.keys(), endpoint)),
    });

    let proxy_url = format!("http://{}", proxy_listener.local_addr()?);
    let mut env = BTreeMap::new();
    let mut url_rewrites = BTreeMap::new();
    let mut api_listeners = Vec::new();
    for api in &apis {
        let (l, port) = listener().await?;
        url_rewrites.insert(
            format!("https://{}.execute-api.{region}.amazonaws.com", api.id),
            format!("http://127.0.0.1:{port}"),
        );
        if env.is_empty() {
            let stage = api
                .stages
                .first()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            env.insert(
                "TP_API_URL".to_owned(),
                format!("http://127.0.0.1:{port}/{stage}"),
            );
            let (_, caller) = identities
                .create_user(
                    &format!("tp-local-caller-{suffix}"),
                    caller_policy(region, &account, &api.id),
                )
                .await
                .context("create the API's caller")?;
            env.insert("AWS_ACCESS_KEY_ID".to_owned(), caller.access_key_id);
            env.insert("AWS_SECRET_ACCESS_KEY".to_owned(), caller.secret_access_key);
        }
        api_listeners.push((l, api.clone()));
    }

    // The functions: their code, the deployed environment, their role's
    // credentials, AWS through the IAM proxy, the cluster's endpoints
    // resolving to the local PostgreSQL.
    let mut hosts = BTreeMap::new();
    for (cluster, pg) in deployed.clusters.iter().zip(postgres) {
        for name in &cluster.endpoints {
            hosts.insert(name.clone(), pg.address);
        }
    }
    let settings = RuntimeSettings {
        node: prereq.node.clone(),
        runtime_dir: prereq.runtime_dir.clone(),
        aws_endpoint: proxy_url.clone(),
        region: region.to_owned(),
        account: account.clone(),
        extra_ca_file: postgres.first().map(|pg| pg.ca_file.clone()),
        hosts,
        url_rewrites,
        logs_endpoint: endpoint.to_owned(),
        logs_credentials: admin.clone(),
        work_dir: paths.dir.join("lambda"),
    };
    let specs = deployed
        .functions
        .iter()
        .map(|f| {
            let logging = Logging::from_config(
                &f.log_format,
                f.application_log_level.as_deref(),
                f.system_log_level.as_deref(),
            )
            .with_context(|| format!("the LoggingConfig of function {}", f.name))?;
            Ok(FunctionSpec {
                name: f.name.clone(),
                arn: f.arn.clone(),
                handler: f.handler.clone(),
                runtime: f.runtime.clone(),
                timeout: f.timeout,
                memory_mb: f.memory_mb,
                environment: f.environment.clone(),
                code_dir: code[&f.name].clone(),
                log_group: f.log_group.clone(),
                logging,
                credentials: function_credentials[&f.name].clone(),
                reserved_concurrency: f.reserved_concurrency,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let lambda = Lambda::start(settings, specs).await?;
    let invoker: Arc<dyn Invoker> = lambda.clone();

    // Clients with a function's own credentials, through the proxy.
    let mut role_sqs: HashMap<String, aws_sdk_sqs::Client> = HashMap::new();
    for f in &deployed.functions {
        let config = sdk_config(&proxy_url, region, &function_credentials[&f.name]).await;
        role_sqs.insert(f.name.clone(), aws_sdk_sqs::Client::new(&config));
    }
    let admin_config = sdk_config(endpoint, region, &admin).await;
    let functions = deployed
        .functions
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                FunctionAsync {
                    dead_letter: f
                        .dead_letter_arn
                        .clone()
                        .map(|arn| (arn, role_sqs[&f.name].clone())),
                    maximum_retry_attempts: f.async_retries,
                    maximum_event_age: f.async_max_age,
                },
            )
        })
        .collect();
    let esm_clients = role_sqs.clone();
    let fallback_sqs = aws_sdk_sqs::Client::new(&admin_config);
    let events = events::start(events::Setup {
        lambda: aws_sdk_lambda::Client::new(&admin_config),
        eventbridge: aws_sdk_eventbridge::Client::new(&admin_config),
        sqs: aws_sdk_sqs::Client::new(&admin_config),
        sns: aws_sdk_sns::Client::new(&admin_config),
        logs: aws_sdk_cloudwatchlogs::Client::new(&admin_config),
        invoker: invoker.clone(),
        region: region.to_owned(),
        account: account.clone(),
        functions,
        // Lambda polls with the function's execution role.
        esm_sqs: Arc::new(move |m| {
            esm_clients
                .get(&m.function_name)
                .cloned()
                .unwrap_or_else(|| fallback_sqs.clone())
        }),
        esm_options: events::esm::EsmOptions {
            retry_delay,
            ..Default::default()
        },
        async_options: Default::default(),
        router_options: Default::default(),
    })
    .await?;

    // Which resources need the caller's grant on their KMS key.
    let (template, physical) = (&deployed.template, &deployed.physical);
    let mut keys = key_map_from_template(template, physical, region, &account);
    for cluster in &deployed.clusters {
        if let Some(key) =
            cluster_secret_key(template, physical, region, &account, &cluster.logical_id)
        {
            keys.insert(cluster.secret_arn.clone(), key);
        }
    }

    let mut servers = Vec::new();
    let proxy = ProxyConfig {
        upstream: endpoint.to_owned(),
        authenticator: authenticator.clone(),
        authorizer: authorizer.clone(),
        events: events.router.clone(),
        invoker: invoker.clone(),
        region: region.to_owned(),
        account: account.clone(),
        keys: Arc::new(keys),
    };
    servers.push(tokio::spawn(async move {
        if let Err(e) = aws_proxy::serve(proxy_listener, proxy).await {
            eprintln!("tp local: the AWS endpoint stopped: {e:#}");
        }
    }));
    for (l, api) in api_listeners {
        let deps = FrontDoorDeps {
            invoker: invoker.clone(),
            authenticator: authenticator.clone(),
            authorizer: authorizer.clone(),
            region: region.to_owned(),
            account: account.clone(),
        };
        servers.push(tokio::spawn(apigw::serve(l, api, deps)));
    }
    env.insert("TP_LOCAL_AWS_PROXY".to_owned(), proxy_url);
    Ok(Parts {
        env,
        invoker,
        lambda,
        events: Mutex::new(Some(events)),
        servers,
    })
}
