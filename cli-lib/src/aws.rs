//! AWS clients for one region, and what their errors mean to a user.
//!
//! Every endpoint honours `AWS_ENDPOINT_URL` (and the per-service
//! `AWS_ENDPOINT_URL_<SERVICE>`), read by `aws-config`. With an endpoint
//! override S3 is addressed path-style (`http://host/bucket/key`), which
//! emulators and private endpoints need.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::exit::{self, Exit};
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudformation::config::ProvideCredentials;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

/// Attempts per AWS call (the first and four retries), with the SDK's
/// standard exponential backoff and jitter for throttling and transient
/// errors.
const MAX_ATTEMPTS: u32 = 5;

/// How long one `Invoke` attempt may take: Lambda's longest function
/// timeout (900 s) and a margin for the response.
pub const LAMBDA_INVOKE_TIMEOUT: Duration = Duration::from_secs(900 + 30);

/// The clients `tp` uses in one region.
#[derive(Clone)]
pub struct Session {
    pub region: String,
    /// The account the clients act in.
    pub account: String,
    /// The role CloudFormation changes the stacks with when the session
    /// acts through the account's deploy role: its execution role.
    pub execution_role: Option<String>,
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Invokes the `run: after_deploy` functions: one attempt may last as
    /// long as a function may run (15 minutes). Throttling and transient
    /// errors are retried like every other call, so an after-deploy function
    /// must be idempotent (a migration skips what is already applied).
    pub lambda: aws_sdk_lambda::Client,
    pub sts: aws_sdk_sts::Client,
    /// Route 53 is global: the client reaches it from any region.
    pub route53: aws_sdk_route53::Client,
    /// The endpoint override, if any (`AWS_ENDPOINT_URL`).
    pub endpoint: Option<String>,
}

/// Where the AWS calls go and with which credentials. The default reads
/// both the usual AWS way (environment, `AWS_PROFILE`, instance or
/// container role), with `AWS_ENDPOINT_URL` honoured; a program embedding
/// the deploy engine (the tests) names an endpoint and credentials instead,
/// without touching the process environment.
#[derive(Clone, Debug, Default)]
pub struct Connection {
    /// Overrides the endpoint of every service.
    pub endpoint_url: Option<String>,
    /// Static credentials instead of the default provider chain.
    pub credentials: Option<aws_sdk_cloudformation::config::Credentials>,
    /// The account the calls must land in; `None`: the caller's.
    pub target: Option<AccountTarget>,
}

/// The account an environment deploys into, and the session name its
/// deploy role is assumed with (CloudTrail shows it).
#[derive(Clone, Debug)]
pub struct AccountTarget {
    /// 12 digits; `None`: the caller's own account.
    pub account: Option<String>,
    /// `tp-deploy-dev`: 2 to 64 of `[A-Za-z0-9+=,.@-]`.
    pub session_name: String,
}

/// Who the credentials are: `(account, ARN)`, from STS GetCallerIdentity.
pub async fn caller_identity(config: &aws_config::SdkConfig) -> anyhow::Result<(String, String)> {
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            sts_error(
                &region,
                config,
                "find the credentials' account (sts:GetCallerIdentity)",
                e,
            )
        })?;
    Ok((
        out.account().unwrap_or_default().to_owned(),
        out.arn().unwrap_or_default().to_owned(),
    ))
}

impl Connection {
    /// Every call to `endpoint_url`, with these static credentials.
    pub fn to_endpoint(endpoint_url: &str, access_key: &str, secret_key: &str) -> Connection {
        Connection {
            endpoint_url: Some(endpoint_url.to_owned()),
            credentials: Some(aws_sdk_cloudformation::config::Credentials::new(
                access_key, secret_key, None, None, "tp",
            )),
            target: None,
        }
    }

    /// The same connection, landing in `account` (`None`: the caller's),
    /// through its deploy role where one lets the caller in (see
    /// [`Session::new`]).
    pub fn in_account(&self, account: Option<String>, session_name: &str) -> Connection {
        Connection {
            target: Some(AccountTarget {
                account,
                session_name: session_name.to_owned(),
            }),
            ..self.clone()
        }
    }
}

/// The SDK's HTTP client: rustls on ring (see the workspace manifest).
pub fn http_client() -> aws_sdk_cloudformation::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// How long one HTTP attempt may take: `TP_HTTP_TIMEOUT` seconds, default 30.
fn attempt_timeout() -> Duration {
    std::env::var("TP_HTTP_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(30))
}

/// The SDK configuration for `region`: `connection`'s endpoint, its
/// credentials or `provider`'s.
async fn load_config(
    region: &str,
    connection: &Connection,
    provider: Option<aws_credential_types::provider::SharedCredentialsProvider>,
) -> aws_config::SdkConfig {
    let attempt = attempt_timeout();
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(endpoint) = &connection.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(provider) = provider {
        loader = loader.credentials_provider(provider);
    } else if let Some(credentials) = &connection.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader
        .region(aws_config::Region::new(region.to_owned()))
        .http_client(http_client())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5).min(attempt))
                .operation_attempt_timeout(attempt)
                .build(),
        )
        .load()
        .await
}

async fn check_credentials(config: &aws_config::SdkConfig) -> anyhow::Result<()> {
    let Some(credentials) = config.credentials_provider() else {
        return Err(no_credentials("no credentials provider is configured"));
    };
    if let Err(e) = credentials.provide_credentials().await {
        if let Some(refusal) = unknown_profile() {
            return Err(refusal);
        }
        return Err(with_details(no_credentials(&root_cause(&e)), &e));
    }
    Ok(())
}

// ---------------------------------------------------------------- error text

static VERBOSE: AtomicBool = AtomicBool::new(false);

/// `tp -v`: AWS errors are followed by the SDK's full error (request,
/// response, every cause), which is otherwise left out.
pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::SeqCst);
}

/// The innermost cause of `err`: what went wrong, without the layers that
/// say where (and without the SDK's debug rendering of the request).
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `error` as it is, or with `-v` followed by the SDK's full error.
fn with_details(error: anyhow::Error, details: &dyn std::fmt::Debug) -> anyhow::Error {
    if !VERBOSE.load(Ordering::SeqCst) {
        return error;
    }
    match error.downcast::<Exit>() {
        Ok(exit) => Exit::new(
            exit.code,
            format!("{}\n  details: {details:#?}", exit.message),
        )
        .into(),
        Err(error) => anyhow::anyhow!("{error}\n  details: {details:#?}"),
    }
}

/// What to do about an AWS error code that needs more than its message.
fn advice(code: &str) -> &'static str {
    match code {
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown" => {
            "AWS throttled the calls through every retry; wait a minute and run the command again"
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            "the session credentials have expired; renew them (`aws sso login`, or a new session token) and run the command again"
        }
        "ValidationError" => {
            "CloudFormation refused the request as it stands; `tp status` shows the stacks' state"
        }
        "InsufficientCapabilitiesException" | "LimitExceededException" => {
            "the account refused the operation; see the message, then run the command again"
        }
        _ => "run with -v for the request and response",
    }
}

/// When `AWS_PROFILE` names a profile that is in neither the config nor the
/// credentials file, the refusal that says so (the SDK reports only that no
/// credentials were found).
fn unknown_profile() -> Option<anyhow::Error> {
    let profile = std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())?;
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
    };
    let config = file("AWS_CONFIG_FILE", "config");
    let credentials = file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let mut known = std::collections::BTreeSet::new();
    for (path, in_config) in [(&config, true), (&credentials, false)] {
        let Some(text) = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) else {
            continue;
        };
        known.extend(profile_names(&text, in_config));
    }
    if known.contains(&profile) {
        return None;
    }
    let names: Vec<&str> = known.iter().map(String::as_str).collect();
    let shown = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no home directory)".into())
    };
    Some(
        Exit::new(
            exit::NO_CREDENTIALS,
            format!(
                "AWS_PROFILE `{profile}` is not a profile in {} or {} ({}); set AWS_PROFILE to one of them, or unset it",
                shown(&config),
                shown(&credentials),
                if names.is_empty() {
                    "they define none".to_owned()
                } else {
                    format!("they define {}", names.join(", "))
                }
            ),
        )
        .into(),
    )
}

/// The profiles a shared config file defines: `[profile NAME]` and
/// `[default]` in the config file, `[NAME]` in the credentials file.
pub fn profile_names(text: &str, config_file: bool) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let section = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
            let name = match section.strip_prefix("profile ") {
                Some(name) if config_file => name.trim(),
                Some(_) => return None,
                None if config_file && section != "default" => return None,
                None => section,
            };
            Some(name.to_owned())
        })
        .collect()
}

/// The refusal when the credentials cannot act in the target account.
fn wrong_account(caller: &str, caller_arn: &str, target: &str, why: &str) -> anyhow::Error {
    Exit::new(
        exit::WRONG_ACCOUNT,
        format!(
            "the credentials are in account {caller} ({caller_arn}), the environment deploys into account {target}, and {why}; nothing was changed. Bootstrap {target} to trust {caller} (with credentials in {target}: `tp bootstrap --account {target} --trust {caller}`), or use credentials of account {target}"
        ),
    )
    .into()
}

impl Session {
    /// A session for the region of each of `stacks`, in their order,
    /// loaded at once.
    pub async fn for_stacks(
        stacks: &[platform_core::synth::Stack],
        connection: &Connection,
    ) -> anyhow::Result<Vec<Session>> {
        futures_util::future::join_all(stacks.iter().map(|s| Session::new(&s.region, connection)))
            .await
            .into_iter()
            .collect()
    }

    /// Loads the configuration for `region` and checks that credentials
    /// exist, so a missing one is reported once, before any call.
    ///
    /// With a target account ([`Connection::target`]) the session acts in
    /// that account through its deploy role (`tp bootstrap`): STS must then
    /// say the target account, and CloudFormation is given the account's
    /// execution role. Credentials already in the account that the deploy
    /// role does not trust are used as they are; credentials elsewhere that
    /// cannot assume it are refused ([`exit::WRONG_ACCOUNT`]) before any
    /// change.
    pub async fn new(region: &str, connection: &Connection) -> anyhow::Result<Session> {
        let mut config = load_config(region, connection, None).await;
        check_credentials(&config).await?;
        let mut account = String::new();
        let mut execution_role = None;
        if let Some(target) = &connection.target {
            let (caller, caller_arn) = caller_identity(&config).await?;
            account = caller.clone();
            let wanted = target.account.clone().unwrap_or_else(|| caller.clone());
            let role = platform_core::accounts::role_arn(
                &wanted,
                &platform_core::accounts::deploy_role_name(region),
            );
            // As `cdk deploy` does, the deploy role is preferred also in the
            // caller's own account: a pipeline's deploy job holds nothing
            // but the right to assume it. Asked once here to tell a refusal
            // from a network error, then through the provider, which renews
            // the credentials before they expire (a deploy may outlast them).
            let assumed = aws_sdk_sts::Client::new(&config)
                .assume_role()
                .role_arn(&role)
                .role_session_name(&target.session_name)
                .send()
                .await;
            match assumed {
                Err(e) => {
                    let err = sts_error(region, &config, &format!("assume {role}"), e);
                    if err
                        .downcast_ref::<Exit>()
                        .is_some_and(|x| x.code == exit::UNREACHABLE)
                    {
                        return Err(err);
                    }
                    // In its own account the caller may act with its own
                    // credentials (an administrator, or an account that was
                    // bootstrapped trusting nobody).
                    if caller != wanted {
                        return Err(wrong_account(
                            &caller,
                            &caller_arn,
                            &wanted,
                            &format!("its deploy role {role} cannot be assumed ({err:#})"),
                        ));
                    }
                }
                Ok(_) => {
                    let provider = aws_config::sts::AssumeRoleProvider::builder(&role)
                        .session_name(&target.session_name)
                        .configure(&config)
                        .build()
                        .await;
                    config = load_config(
                        region,
                        connection,
                        Some(
                            aws_credential_types::provider::SharedCredentialsProvider::new(
                                provider,
                            ),
                        ),
                    )
                    .await;
                    check_credentials(&config).await?;
                    let (now, now_arn) = caller_identity(&config).await?;
                    if now != wanted {
                        return Err(wrong_account(
                            &caller,
                            &caller_arn,
                            &wanted,
                            &format!(
                                "assuming {role} gave credentials in account {now} ({now_arn})"
                            ),
                        ));
                    }
                    account = now;
                    execution_role = Some(platform_core::accounts::role_arn(
                        &wanted,
                        &platform_core::accounts::execution_role_name(region),
                    ));
                }
            }
        }
        let attempt = attempt_timeout();
        let endpoint = config.endpoint_url().map(str::to_owned);
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(endpoint.is_some())
            .build();
        let lambda_config = aws_sdk_lambda::config::Builder::from(&config)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5).min(attempt))
                    .operation_attempt_timeout(LAMBDA_INVOKE_TIMEOUT)
                    .build(),
            )
            .build();
        Ok(Session {
            lambda: aws_sdk_lambda::Client::from_conf(lambda_config),
            region: region.to_owned(),
            account,
            execution_role,
            cfn: aws_sdk_cloudformation::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            route53: aws_sdk_route53::Client::new(&config),
            endpoint,
        })
    }

    /// Who the session's credentials are: `(account, ARN)`.
    pub async fn caller_identity(&self) -> anyhow::Result<(String, String)> {
        let out =
            self.sts.get_caller_identity().send().await.map_err(|e| {
                self.error("find the credentials' account (sts:GetCallerIdentity)", e)
            })?;
        Ok((
            out.account().unwrap_or_default().to_owned(),
            out.arn().unwrap_or_default().to_owned(),
        ))
    }

    /// Where an S3 object is, as CloudFormation's `TemplateURL` wants it:
    /// always the S3 URL of the bucket in the region, also with an endpoint
    /// override. CloudFormation reads the template from S3 itself, so the
    /// URL names the bucket and key, not the address `tp` reached S3 at
    /// (an emulator's `http://127.0.0.1:PORT/bucket/key` is not an S3 URL).
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("https://{bucket}.s3.{}.amazonaws.com/{key}", self.region)
    }

    /// Turns an SDK error into the message and exit code a user needs:
    /// unreachable endpoint, access denied, or the service's own message.
    pub fn error<E>(&self, doing: &str, err: SdkError<E, HttpResponse>) -> anyhow::Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        describe_error(&self.region, self.endpoint.as_deref(), doing, err)
    }
}

fn describe_error<E>(
    region: &str,
    endpoint: Option<&str>,
    doing: &str,
    err: SdkError<E, HttpResponse>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let endpoint_name = endpoint
        .map(str::to_owned)
        .unwrap_or_else(|| format!("AWS in {region}"));
    let unreachable = match &err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_io() || d.is_timeout(),
        _ => false,
    };
    let message: anyhow::Error = if unreachable {
        Exit::new(
            exit::UNREACHABLE,
            format!(
                "cannot reach {endpoint_name} while trying to {doing} ({MAX_ATTEMPTS} attempts): {}; check the network, the region, and AWS_ENDPOINT_URL if set",
                root_cause(&err)
            ),
        )
        .into()
    } else if let Some(code) = err.code() {
        let text = err.message().unwrap_or("").trim_end_matches('.');
        if is_access_denied(code) && !code.starts_with("Expired") {
            Exit::new(
                exit::ACCESS_DENIED,
                format!(
                    "access denied while trying to {doing} in {region}: {code}: {text}; check the credentials' account and permissions"
                ),
            )
            .into()
        } else if code.starts_with("Expired") {
            Exit::new(
                exit::ACCESS_DENIED,
                format!(
                    "cannot {doing} in {region}: {code}: {text}; {}",
                    advice(code)
                ),
            )
            .into()
        } else {
            anyhow::anyhow!(
                "cannot {doing} in {region}: {code}: {text}; {}",
                advice(code)
            )
        }
    } else if let SdkError::ServiceError(se) = &err {
        anyhow::anyhow!(
            "cannot {doing} in {region}: {endpoint_name} answered HTTP {} without an AWS error; check AWS_ENDPOINT_URL if set, or run with -v for the response",
            se.raw().status().as_u16()
        )
    } else {
        anyhow::anyhow!(
            "cannot {doing} in {region}: {}; run with -v for the request",
            root_cause(&err)
        )
    };
    with_details(message, &err)
}

/// [`Session::error`] for a call made before the session exists.
fn sts_error<E>(
    region: &str,
    config: &aws_config::SdkConfig,
    doing: &str,
    err: SdkError<E, HttpResponse>,
) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    describe_error(region, config.endpoint_url(), doing, err)
}

fn no_credentials(detail: &str) -> anyhow::Error {
    Exit::new(
        exit::NO_CREDENTIALS,
        format!(
            "no AWS credentials found ({detail}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance or container role is available"
        ),
    )
    .into()
}

fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
    )
}

/// Polling delays: exponential from `initial` up to `max`, each with
/// random jitter (half to all of the delay), so parallel pollers spread out.
pub struct Backoff {
    delay: Duration,
    max: Duration,
    state: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Backoff {
            delay: initial,
            max,
            state: seed | 1,
        }
    }

    /// The default for watching CloudFormation: 0.25 s up to 5 s.
    pub fn watching() -> Backoff {
        Backoff::new(Duration::from_millis(250), Duration::from_secs(5))
    }

    fn next_random(&mut self) -> f64 {
        // xorshift64: jitter needs spread, not cryptographic quality.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }

    pub async fn wait(&mut self) {
        let jitter = 0.5 + self.next_random() / 2.0;
        tokio::time::sleep(self.delay.mul_f64(jitter)).await;
        self.delay = (self.delay * 2).min(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_read_from_both_shared_files_as_each_names_them() {
        let config = "[default]\nregion = us-east-1\n[profile trading-dev]\n[sso-session corp]\n";
        assert_eq!(profile_names(config, true), ["default", "trading-dev"]);
        let credentials = "[default]\naws_access_key_id = x\n[ trading-prod ]\n";
        assert_eq!(
            profile_names(credentials, false),
            ["default", "trading-prod"]
        );
    }

    #[test]
    fn the_innermost_cause_is_what_went_wrong() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let wrapped = anyhow::Error::new(io).context("dispatch failure");
        assert_eq!(root_cause(wrapped.as_ref()), "connection refused");
    }
}
