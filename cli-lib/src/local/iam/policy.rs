//! Identity-policy evaluation: policies read from moto's IAM and cached per
//! identity, evaluated by `iam-eval.mjs` (npm `@cloud-copilot/iam-simulate`)
//! in one Node process that lives as long as the authorizer.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::classify::percent_decode;
use crate::local::types::{Authorizer, AuthzRequest, BoxFuture, Credentials, Decision};

/// `cli/local/node`: where `iam-eval.mjs` and its `node_modules` are in
/// this source tree.
pub fn default_node_package() -> PathBuf {
    crate::local::prereq::local_dir().join("node")
}

/// An SDK configuration for the emulator at `endpoint` with static
/// credentials.
pub async fn sdk_config(
    endpoint: &str,
    region: &str,
    credentials: &Credentials,
) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_credential_types::Credentials::new(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.clone(),
            None,
            "tp-local",
        ))
        .http_client(crate::aws::http_client())
        .load()
        .await
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<String, String>>>>>;

/// The Node process running `iam-eval.mjs`.
struct Sidecar {
    child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    pending: Pending,
    next_id: AtomicU64,
}

impl Sidecar {
    fn start(node: &Path, package: &Path) -> anyhow::Result<Sidecar> {
        let script = package.join("iam-eval.mjs");
        anyhow::ensure!(
            package
                .join("node_modules/@cloud-copilot/iam-simulate")
                .is_dir(),
            "{} has no node_modules/@cloud-copilot/iam-simulate; run `npm ci` in it",
            package.display()
        );
        let mut child = Command::new(node)
            .arg(&script)
            .current_dir(package)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start the policy evaluator `{} {}`",
                    node.display(),
                    script.display()
                )
            })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let pending: Pending = Arc::default();
        let answers = pending.clone();
        std::thread::Builder::new()
            .name("iam-eval".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let Ok(answer) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    let Some(id) = answer["id"].as_u64() else {
                        continue;
                    };
                    let result = match (answer["result"].as_str(), answer["error"].as_str()) {
                        (Some(r), _) => Ok(r.to_owned()),
                        (None, Some(e)) => Err(e.to_owned()),
                        (None, None) => Err(format!("the policy evaluator answered {line}")),
                    };
                    if let Some(tx) = answers.lock().expect("pending").remove(&id) {
                        let _ = tx.send(result);
                    }
                }
                // The process is gone: nobody will answer what is waiting.
                for (_, tx) in answers.lock().expect("pending").drain() {
                    let _ = tx.send(Err("the policy evaluator (node iam-eval.mjs) exited".into()));
                }
            })?;
        Ok(Sidecar {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            pending,
            next_id: AtomicU64::new(1),
        })
    }

    async fn evaluate(&self, mut request: Value) -> anyhow::Result<String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        request["id"] = json!(id);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, tx);
        let mut line = serde_json::to_vec(&request)?;
        line.push(b'\n');
        // One small line into a pipe the sidecar keeps draining.
        let written = {
            let mut stdin = self.stdin.lock().expect("stdin");
            stdin.write_all(&line).and_then(|()| stdin.flush())
        };
        if let Err(e) = written {
            self.pending.lock().expect("pending").remove(&id);
            bail!("cannot reach the policy evaluator (node iam-eval.mjs): {e}");
        }
        rx.await
            .map_err(|_| anyhow!("the policy evaluator (node iam-eval.mjs) exited"))?
            .map_err(|e| anyhow!("the policy evaluator refused the request: {e}"))
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One identity policy as iam-simulate takes it.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    pub document: Value,
}

/// Evaluates identity policies read from moto's IAM.
pub struct PolicyAuthorizer {
    iam: aws_sdk_iam::Client,
    sidecar: Sidecar,
    cache: Mutex<HashMap<String, Arc<Vec<NamedPolicy>>>>,
}

impl PolicyAuthorizer {
    /// Starts the evaluator (`node` running `node_package/iam-eval.mjs`)
    /// and reads policies through `iam`.
    pub fn start(
        node: &Path,
        node_package: &Path,
        iam: aws_sdk_iam::Client,
    ) -> anyhow::Result<PolicyAuthorizer> {
        Ok(PolicyAuthorizer {
            iam,
            sidecar: Sidecar::start(node, node_package)?,
            cache: Mutex::default(),
        })
    }

    /// Forgets every cached policy set (after a deploy changed roles).
    pub fn invalidate(&self) {
        self.cache.lock().expect("policy cache").clear();
    }

    /// The identity policies of `identity_arn` (a role or user), cached.
    pub async fn policies(&self, identity_arn: &str) -> anyhow::Result<Arc<Vec<NamedPolicy>>> {
        if let Some(hit) = self.cache.lock().expect("policy cache").get(identity_arn) {
            return Ok(hit.clone());
        }
        let loaded = Arc::new(self.load(identity_arn).await?);
        self.cache
            .lock()
            .expect("policy cache")
            .insert(identity_arn.to_owned(), loaded.clone());
        Ok(loaded)
    }

    async fn load(&self, identity_arn: &str) -> anyhow::Result<Vec<NamedPolicy>> {
        let resource = identity_arn.splitn(6, ':').nth(5).unwrap_or_default();
        let name = resource.rsplit('/').next().unwrap_or_default().to_owned();
        let mut out = Vec::new();
        let mut managed = Vec::new();
        let what = |doing: &str| format!("{doing} of {identity_arn} from the emulator's IAM");
        if resource.starts_with("role/") {
            let inline = self
                .iam
                .list_role_policies()
                .role_name(&name)
                .max_items(1000)
                .send()
                .await
                .with_context(|| what("listing the inline policies"))?;
            for policy in inline.policy_names() {
                let got = self
                    .iam
                    .get_role_policy()
                    .role_name(&name)
                    .policy_name(policy)
                    .send()
                    .await
                    .with_context(|| what(&format!("reading policy {policy}")))?;
                out.push(named(policy, got.policy_document())?);
            }
            let attached = self
                .iam
                .list_attached_role_policies()
                .role_name(&name)
                .max_items(1000)
                .send()
                .await
                .with_context(|| what("listing the managed policies"))?;
            managed.extend(
                attached
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
        } else if resource.starts_with("user/") {
            let inline = self
                .iam
                .list_user_policies()
                .user_name(&name)
                .max_items(1000)
                .send()
                .await
                .with_context(|| what("listing the inline policies"))?;
            for policy in inline.policy_names() {
                let got = self
                    .iam
                    .get_user_policy()
                    .user_name(&name)
                    .policy_name(policy)
                    .send()
                    .await
                    .with_context(|| what(&format!("reading policy {policy}")))?;
                out.push(named(policy, got.policy_document())?);
            }
            let attached = self
                .iam
                .list_attached_user_policies()
                .user_name(&name)
                .max_items(1000)
                .send()
                .await
                .with_context(|| what("listing the managed policies"))?;
            managed.extend(
                attached
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
        } else {
            bail!(
                "{identity_arn} is neither a role nor a user ARN; tp local evaluates the policies of IAM roles and users only"
            );
        }
        for arn in managed {
            let policy = self
                .iam
                .get_policy()
                .policy_arn(&arn)
                .send()
                .await
                .with_context(|| what(&format!("reading managed policy {arn}")))?;
            let version = policy
                .policy()
                .and_then(|p| p.default_version_id())
                .unwrap_or("v1")
                .to_owned();
            let got = self
                .iam
                .get_policy_version()
                .policy_arn(&arn)
                .version_id(&version)
                .send()
                .await
                .with_context(|| what(&format!("reading managed policy {arn} {version}")))?;
            let document = got
                .policy_version()
                .and_then(|v| v.document())
                .unwrap_or_default();
            out.push(named(&arn, document)?);
        }
        Ok(out)
    }
}

/// IAM returns policy documents URL-encoded (moto sometimes not).
fn named(name: &str, document: &str) -> anyhow::Result<NamedPolicy> {
    let document = serde_json::from_str(document)
        .or_else(|_| serde_json::from_str(&percent_decode(document)))
        .with_context(|| format!("policy {name} is not JSON"))?;
    Ok(NamedPolicy {
        name: name.to_owned(),
        document,
    })
}

/// What the evaluator needs besides the request's own keys: the global
/// keys AWS sets on every request. Calls reach AWS over TLS, so
/// `aws:SecureTransport` is true here too.
fn simulation_request(request: &AuthzRequest, policies: &[NamedPolicy]) -> Value {
    let account = request
        .identity_arn
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_owned();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut context = serde_json::Map::new();
    context.insert("aws:SecureTransport".into(), json!("true"));
    context.insert("aws:EpochTime".into(), json!(now.to_string()));
    context.insert("aws:CurrentTime".into(), json!(rfc3339(now)));
    context.insert("aws:PrincipalArn".into(), json!(request.identity_arn));
    context.insert("aws:PrincipalAccount".into(), json!(account));
    for (key, values) in &request.context {
        let value = match values.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        context.insert(key.clone(), value);
    }
    let mut simulation = json!({
        "principal": request.identity_arn,
        "account": account,
        "action": request.action,
        "resource": request.resource,
        "context": context,
        "policies": policies
            .iter()
            .map(|p| json!({"name": p.name, "policy": p.document}))
            .collect::<Vec<_>>(),
    });
    if let Some(policy) = default_key_policy(&request.action, &request.resource) {
        simulation["resourcePolicy"] = policy;
    }
    simulation
}

/// KMS allows nothing a key policy does not: the evaluator, like AWS,
/// denies a `kms:` action without one. The key policy AWS gives a key
/// created without one (KMS Developer Guide, "Default key policy") lets the
/// account's IAM policies decide, as the platform's keys do; it stands in
/// for the key's own here.
fn default_key_policy(action: &str, resource: &str) -> Option<Value> {
    if !action.starts_with("kms:") {
        return None;
    }
    let account = resource.split(':').nth(4).filter(|a| !a.is_empty())?;
    Some(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }))
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = crate::local::sigv4::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl PolicyAuthorizer {
    /// Evaluates `request` against `policies` (no lookup).
    pub async fn evaluate(
        &self,
        request: &AuthzRequest,
        policies: &[NamedPolicy],
    ) -> anyhow::Result<Decision> {
        let result = self
            .sidecar
            .evaluate(simulation_request(request, policies))
            .await
            .with_context(|| {
                format!(
                    "cannot evaluate {} on {} for {}",
                    request.action, request.resource, request.identity_arn
                )
            })?;
        match result.as_str() {
            "Allowed" => Ok(Decision::Allowed),
            "ExplicitlyDenied" => Ok(Decision::ExplicitDeny),
            "ImplicitlyDenied" => Ok(Decision::ImplicitDeny),
            other => bail!("the policy evaluator answered {other:?}"),
        }
    }
}

impl Authorizer for PolicyAuthorizer {
    fn authorize<'a>(
        &'a self,
        request: &'a AuthzRequest,
    ) -> BoxFuture<'a, anyhow::Result<Decision>> {
        Box::pin(async move {
            let policies = self.policies(&request.identity_arn).await?;
            self.evaluate(request, &policies).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node() -> PathBuf {
        std::env::var_os("TP_NODE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("node"))
    }

    /// An authorizer whose IAM client points nowhere: these tests give the
    /// policies themselves.
    async fn authorizer() -> PolicyAuthorizer {
        let config = sdk_config(
            "http://127.0.0.1:9",
            "us-east-1",
            &Credentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: None,
            },
        )
        .await;
        PolicyAuthorizer::start(
            &node(),
            &default_node_package(),
            aws_sdk_iam::Client::new(&config),
        )
        .expect("start the evaluator")
    }

    fn request(action: &str, resource: &str) -> AuthzRequest {
        AuthzRequest {
            identity_arn: "arn:aws:iam::123456789012:role/fn".into(),
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    fn policy(statements: Value) -> Vec<NamedPolicy> {
        vec![NamedPolicy {
            name: "inline".into(),
            document: json!({"Version": "2012-10-17", "Statement": statements}),
        }]
    }

    #[tokio::test]
    async fn allow_implicit_and_explicit_deny_are_told_apart() {
        let authz = authorizer().await;
        let policies = policy(json!([
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:A"},
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:123456789012:C"},
            {"Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "*"},
        ]));
        let a = "arn:aws:sqs:us-east-1:123456789012:A";
        let b = "arn:aws:sqs:us-east-1:123456789012:B";
        let c = "arn:aws:sqs:us-east-1:123456789012:C";
        let check = |action: &'static str, resource: &'static str| {
            let (authz, policies) = (&authz, &policies);
            async move {
                authz
                    .evaluate(&request(action, resource), policies)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(check("sqs:SendMessage", a).await, Decision::Allowed);
        assert_eq!(check("sqs:SendMessage", b).await, Decision::ImplicitDeny);
        assert_eq!(check("sqs:ReceiveMessage", c).await, Decision::Allowed);
        assert_eq!(check("sqs:DeleteQueue", c).await, Decision::ExplicitDeny);
    }

    #[tokio::test]
    async fn conditions_see_the_request_context() {
        let authz = authorizer().await;
        let policies = policy(json!([{
            "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Trading"}}
        }, {
            "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]));
        let mut ok = request("cloudwatch:PutMetricData", "*");
        ok.context
            .insert("cloudwatch:namespace".into(), vec!["Trading".into()]);
        assert_eq!(
            authz.evaluate(&ok, &policies).await.unwrap(),
            Decision::Allowed
        );
        let mut other = ok.clone();
        other
            .context
            .insert("cloudwatch:namespace".into(), vec!["Other".into()]);
        assert_eq!(
            authz.evaluate(&other, &policies).await.unwrap(),
            Decision::ImplicitDeny
        );
    }

    #[tokio::test]
    async fn key_use_is_decided_by_identity_policies_and_via_service() {
        let authz = authorizer().await;
        let key = "arn:aws:kms:us-east-1:123456789012:key/k1";
        let policies = policy(json!([{
            "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key,
            "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}
        }]));
        let via = |action: &str, service: &str| {
            let mut r = request(action, key);
            r.context.insert(
                "kms:ViaService".into(),
                vec![format!("{service}.us-east-1.amazonaws.com")],
            );
            r
        };
        assert_eq!(
            authz
                .evaluate(&via("kms:GenerateDataKey", "sqs"), &policies)
                .await
                .unwrap(),
            Decision::Allowed,
            "the default key policy lets the identity policy decide"
        );
        assert_eq!(
            authz
                .evaluate(&via("kms:GenerateDataKey", "sns"), &policies)
                .await
                .unwrap(),
            Decision::ImplicitDeny
        );
        assert_eq!(
            authz
                .evaluate(&via("kms:Encrypt", "sqs"), &policies)
                .await
                .unwrap(),
            Decision::ImplicitDeny
        );
        assert_eq!(
            authz
                .evaluate(&via("kms:Decrypt", "sqs"), &[])
                .await
                .unwrap(),
            Decision::ImplicitDeny
        );
    }

    #[tokio::test]
    async fn an_unknown_action_is_an_error_naming_it() {
        let authz = authorizer().await;
        let err = authz
            .evaluate(&request("sqs:Bogus", "*"), &[])
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("sqs:Bogus"), "{err:#}");
    }

    #[tokio::test]
    async fn concurrent_requests_get_their_own_answers() {
        let authz = authorizer().await;
        let policies = policy(json!([
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:q0"},
        ]));
        let arns: Vec<String> = (0..50)
            .map(|i| format!("arn:aws:sqs:us-east-1:123456789012:q{}", i % 2))
            .collect();
        let requests: Vec<AuthzRequest> =
            arns.iter().map(|r| request("sqs:SendMessage", r)).collect();
        let answers =
            futures_util::future::join_all(requests.iter().map(|r| authz.evaluate(r, &policies)))
                .await;
        for (i, answer) in answers.into_iter().enumerate() {
            let expected = if i % 2 == 0 {
                Decision::Allowed
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(answer.unwrap(), expected, "request {i}");
        }
    }

    #[test]
    fn documents_are_read_encoded_or_not() {
        let raw = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(named("p", raw).unwrap(), named("p", encoded).unwrap());
        assert!(named("p", "not json").is_err());
        assert_eq!(rfc3339(1_440_938_160), "2015-08-30T12:36:00Z");
    }
}
