//! CloudFormation operations on one stack: find it, compare it, upload what
//! it needs, create and describe change sets, execute, watch events until a
//! terminal state, delete, read outputs.
//!
//! Only glue to the SDK: what a change means and whether it is allowed is
//! decided by the AWS-free library ([`crate::changeset`], [`crate::diff`],
//! [`crate::guards`]).

use std::collections::HashSet;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diff::{self, ResourceChange};
use crate::exit::{self, Exit};
use crate::progress::{self, Progress};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{
    Capability, Change, ChangeSetStatus, ChangeSetType, Parameter, RollbackConfiguration,
    RollbackTrigger, Stack as CfnStack, TemplateStage,
};
use aws_sdk_s3::primitives::ByteStream;
use platform_core::synth::GuardAlarm;
use platform_core::synth::limits::MAX_INLINE_BODY;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::aws::{Backoff, Session};

pub use platform_core::synth::bootstrap::{BOOTSTRAP_OUTPUT, BOOTSTRAP_STACK};

// ---------------------------------------------------------------- Ctrl-C

static WATCHING: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: OnceLock<tokio::sync::watch::Receiver<bool>> = OnceLock::new();

/// Ctrl-C while `tp` watches an operation stops watching (the operation goes
/// on in CloudFormation); at any other time it ends `tp` at once, as usual.
pub fn install_interrupt_handler() {
    let (tx, rx) = tokio::sync::watch::channel(false);
    if INTERRUPTED.set(rx).is_err() {
        return;
    }
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if !WATCHING.load(Ordering::SeqCst) {
                eprintln!("interrupted");
                std::process::exit(i32::from(exit::INTERRUPTED));
            }
            let _ = tx.send(true);
        }
    });
}

async fn interrupted() {
    match INTERRUPTED.get() {
        Some(rx) => {
            let mut rx = rx.clone();
            let _ = rx.wait_for(|v| *v).await;
        }
        None => std::future::pending().await,
    }
}

// ---------------------------------------------------------------- reading

pub fn status(stack: &CfnStack) -> &str {
    stack
        .stack_status()
        .map(|s| s.as_str())
        .unwrap_or("UNKNOWN")
}

/// An operation CloudFormation is still carrying out.
pub fn in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}

/// A state in which the stack exists but holds no resources, and which no
/// deploy can update: its creation failed and rolled back
/// (`ROLLBACK_COMPLETE`), or its first change set was never executed
/// (`REVIEW_IN_PROGRESS`: `--no-execute`, or an approval that never came).
/// A deploy deletes it and creates it again.
pub fn holds_no_resources(status: &str) -> bool {
    matches!(status, "ROLLBACK_COMPLETE" | "REVIEW_IN_PROGRESS")
}

/// Why a stack in a [`holds_no_resources`] state is empty, for messages.
pub fn why_empty(status: &str) -> &'static str {
    if status == "REVIEW_IN_PROGRESS" {
        "its first change set was never executed and it holds no resources"
    } else {
        "its creation failed and it holds no resources"
    }
}

/// A state in which the last operation succeeded: the stack runs the
/// template it was last given.
pub fn complete(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

/// A state in which the stack runs resources of a successful deploy: the
/// last one ([`complete`]), or the one before an update that rolled back.
pub fn running(status: &str) -> bool {
    complete(status)
        || matches!(
            status,
            "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_ROLLBACK_COMPLETE"
        )
}

/// A final state in which the last operation failed.
pub fn failed(status: &str) -> bool {
    status.contains("ROLLBACK") || status.ends_with("_FAILED")
}

/// The stack, or `None` when there is none (or only a deleted one).
pub async fn find(s: &Session, name: &str) -> anyhow::Result<Option<CfnStack>> {
    match s.cfn.describe_stacks().stack_name(name).send().await {
        Ok(out) => Ok(out
            .stacks()
            .iter()
            .find(|st| status(st) != "DELETE_COMPLETE")
            .cloned()),
        Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(None),
        Err(e) => Err(s.error(&format!("describe stack {name}"), e)),
    }
}

/// The template the stack was last deployed with, as JSON.
pub async fn deployed_template(s: &Session, name: &str) -> anyhow::Result<Value> {
    let out = s
        .cfn
        .get_template()
        .stack_name(name)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| s.error(&format!("get the template of {name}"), e))?;
    Ok(out
        .template_body()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null))
}

/// The stack's outputs, sorted by key.
pub fn outputs(stack: &CfnStack) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = stack
        .outputs()
        .iter()
        .map(|o| {
            (
                o.output_key().unwrap_or("").to_owned(),
                o.output_value().unwrap_or("").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every resource of stack `name` as `(type, logical id, physical id)`,
/// through all pages; resources not created yet have no physical id.
pub async fn resources(
    s: &Session,
    name: &str,
) -> anyhow::Result<Vec<(String, String, Option<String>)>> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = s
            .cfn
            .list_stack_resources()
            .stack_name(name)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| s.error(&format!("list the resources of {name}"), e))?;
        for r in out.stack_resource_summaries() {
            all.push((
                r.resource_type().unwrap_or_default().to_owned(),
                r.logical_resource_id().unwrap_or_default().to_owned(),
                r.physical_resource_id().map(str::to_owned),
            ));
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(all),
        }
    }
}

/// The nested stacks of `name`: logical id to the id (name or ARN) that
/// finds each.
pub async fn nested_stack_ids(
    s: &Session,
    name: &str,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    Ok(resources(s, name)
        .await?
        .into_iter()
        .filter(|(kind, ..)| kind == "AWS::CloudFormation::Stack")
        .filter_map(|(_, logical, physical)| Some((logical, physical?)))
        .collect())
}

/// The asset bucket recorded by `tp bootstrap` in this region.
pub async fn asset_bucket(s: &Session) -> anyhow::Result<String> {
    let stack = find(s, BOOTSTRAP_STACK).await?;
    let bucket = stack
        .as_ref()
        .filter(|st| !failed(status(st)))
        .and_then(|st| {
            outputs(st)
                .into_iter()
                .find(|(k, _)| k == BOOTSTRAP_OUTPUT)
                .map(|(_, v)| v)
        });
    bucket.ok_or_else(|| {
        Exit::new(
            exit::NOT_BOOTSTRAPPED,
            format!(
                "region {} is not bootstrapped (no usable stack {BOOTSTRAP_STACK}); run `tp bootstrap --region {}` first",
                s.region, s.region
            ),
        )
        .into()
    })
}

// ---------------------------------------------------------------- uploads

/// Uploads `bytes` to `key` unless an object is already there (keys are
/// content hashes, so an existing object is the same bytes). Returns
/// whether it uploaded.
/// Whether `s3://bucket/key` exists.
pub async fn exists(s: &Session, bucket: &str, key: &str) -> anyhow::Result<bool> {
    match s.s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => Ok(false),
        Err(e) => Err(s.error(&format!("look for s3://{bucket}/{key}"), e)),
    }
}

pub async fn upload(s: &Session, bucket: &str, key: &str, bytes: &[u8]) -> anyhow::Result<bool> {
    if exists(s, bucket, key).await? {
        return Ok(false);
    }
    s.s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .map_err(|e| s.error(&format!("upload s3://{bucket}/{key}"), e))?;
    Ok(true)
}

/// Where a change set takes its template from.
pub enum TemplateSource {
    Body(String),
    Url(String),
}

/// The template inline when CloudFormation accepts it so, else uploaded to
/// `templates/<sha256>.json` in the asset bucket.
pub async fn template_source(
    s: &Session,
    bucket: Option<&str>,
    body: &str,
) -> anyhow::Result<TemplateSource> {
    if body.len() <= MAX_INLINE_BODY {
        return Ok(TemplateSource::Body(body.to_owned()));
    }
    let Some(bucket) = bucket else {
        anyhow::bail!(
            "the template is {} bytes, over the {MAX_INLINE_BODY}-byte inline limit, and there is no asset bucket to upload it to",
            body.len()
        );
    };
    let key = format!("templates/{:x}.json", Sha256::digest(body.as_bytes()));
    upload(s, bucket, &key, body.as_bytes()).await?;
    Ok(TemplateSource::Url(s.object_url(bucket, &key)))
}

// ---------------------------------------------------------------- change sets

/// Creates a change set (CREATE when `creating`, else UPDATE) with the IAM
/// capabilities, and returns its id.
/// The rollback triggers of an update: the guard alarms the deployed
/// stack already has (CloudFormation requires a trigger's alarm to exist),
/// watched for `minutes` after the last resource changes. `None` when there
/// are none, or when the stack is being created.
pub fn rollback_configuration(
    existing: Option<&CfnStack>,
    deployed: &Value,
    alarms: &[GuardAlarm],
    minutes: u32,
) -> Option<RollbackConfiguration> {
    // arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID
    let stack_id = existing?.stack_id()?;
    let mut parts = stack_id.split(':');
    let (partition, region, account) = (parts.nth(1)?, parts.nth(1)?, parts.next()?);
    let triggers: Vec<RollbackTrigger> = alarms
        .iter()
        .filter(|a| deployed["Resources"].get(&a.logical_id).is_some())
        .map(|a| {
            RollbackTrigger::builder()
                .arn(format!(
                    "arn:{partition}:cloudwatch:{region}:{account}:alarm:{}",
                    a.name
                ))
                .r#type("AWS::CloudWatch::Alarm")
                .build()
        })
        .collect();
    if triggers.is_empty() {
        return None;
    }
    Some(
        RollbackConfiguration::builder()
            .set_rollback_triggers(Some(triggers))
            .monitoring_time_in_minutes(i32::try_from(minutes).unwrap_or(180))
            .build(),
    )
}

/// The parameters a change set is given: the ones `tp` fills
/// ([`crate::waves`]); every other parameter takes its default (the
/// SSM-typed ones, which CloudFormation resolves itself).
#[derive(Debug, Clone, Default)]
pub struct ChangeSetParameters {
    pub values: std::collections::BTreeMap<String, String>,
    /// Parameters that keep the value the stack has (`tp diff`, for values
    /// not known yet).
    pub previous: Vec<String>,
}

pub async fn create_change_set(
    s: &Session,
    name: &str,
    creating: bool,
    source: TemplateSource,
    rollback: Option<RollbackConfiguration>,
    role_arn: Option<&str>,
    parameters: &ChangeSetParameters,
) -> anyhow::Result<String> {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut request = s
        .cfn
        .create_change_set()
        .stack_name(name)
        .change_set_name(format!("tp-{millis}"))
        .description("created by tp")
        .change_set_type(if creating {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        })
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam);
    request = match source {
        TemplateSource::Body(body) => request.template_body(body),
        TemplateSource::Url(url) => request.template_url(url),
    };
    for (key, value) in &parameters.values {
        request = request.parameters(
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build(),
        );
    }
    for key in &parameters.previous {
        request = request.parameters(
            Parameter::builder()
                .parameter_key(key)
                .use_previous_value(true)
                .build(),
        );
    }
    if let Some(rollback) = rollback {
        request = request.rollback_configuration(rollback);
    }
    if let Some(role) = role_arn {
        request = request.role_arn(role);
    }
    let out = request
        .send()
        .await
        .map_err(|e| s.error(&format!("create a change set for {name}"), e))?;
    out.id()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("CloudFormation returned no change set id for {name}"))
}

/// One change in the JSON shape of CloudFormation's API reference, which is
/// what [`crate::changeset::from_describe`] reads.
fn change_json(change: &Change) -> Value {
    let Some(rc) = change.resource_change() else {
        return json!({ "Type": change.r#type().map(|t| t.as_str()) });
    };
    let details: Vec<Value> = rc
        .details()
        .iter()
        .map(|d| {
            let t = d.target();
            json!({ "Target": {
                "Attribute": t.and_then(|t| t.attribute()).map(|a| a.as_str()),
                "Name": t.and_then(|t| t.name()),
                "Path": t.and_then(|t| t.path()),
                "RequiresRecreation": t.and_then(|t| t.requires_recreation()).map(|r| r.as_str()),
            }})
        })
        .collect();
    json!({ "Type": "Resource", "ResourceChange": {
        "Action": rc.action().map(|a| a.as_str()),
        "LogicalResourceId": rc.logical_resource_id(),
        "ResourceType": rc.resource_type(),
        "Replacement": rc.replacement().map(|r| r.as_str()),
        "Details": details,
    }})
}

/// Waits for the change set, then returns its changes (every page), or
/// `None` when CloudFormation found nothing to change (the change set is
/// then deleted).
pub async fn change_set_changes(
    s: &Session,
    name: &str,
    id: &str,
) -> anyhow::Result<Option<Vec<ResourceChange>>> {
    let mut backoff = Backoff::watching();
    loop {
        let out = s
            .cfn
            .describe_change_set()
            .stack_name(name)
            .change_set_name(id)
            .send()
            .await
            .map_err(|e| s.error(&format!("describe the change set of {name}"), e))?;
        match out.status() {
            Some(ChangeSetStatus::CreateComplete) => break,
            Some(ChangeSetStatus::Failed) => {
                let reason = out.status_reason().unwrap_or("");
                if reason.contains("didn't contain changes")
                    || reason.contains("No updates are to be performed")
                {
                    delete_change_set(s, name, id).await?;
                    return Ok(None);
                }
                anyhow::bail!("CloudFormation could not create a change set for {name}: {reason}");
            }
            _ => backoff.wait().await,
        }
    }
    let mut changes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = s
            .cfn
            .describe_change_set()
            .stack_name(name)
            .change_set_name(id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| s.error(&format!("describe the change set of {name}"), e))?;
        changes.extend(out.changes().iter().map(change_json));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(Some(crate::changeset::from_describe(&Value::Array(
        changes,
    ))))
}

pub async fn delete_change_set(s: &Session, name: &str, id: &str) -> anyhow::Result<()> {
    s.cfn
        .delete_change_set()
        .stack_name(name)
        .change_set_name(id)
        .send()
        .await
        .map_err(|e| s.error(&format!("delete the change set of {name}"), e))?;
    Ok(())
}

pub async fn set_stack_policy(s: &Session, name: &str, policy: &Value) -> anyhow::Result<()> {
    s.cfn
        .set_stack_policy()
        .stack_name(name)
        .stack_policy_body(policy.to_string())
        .send()
        .await
        .map_err(|e| s.error(&format!("set the stack policy of {name}"), e))?;
    Ok(())
}

pub async fn execute_change_set(s: &Session, name: &str, id: &str) -> anyhow::Result<()> {
    s.cfn
        .execute_change_set()
        .stack_name(name)
        .change_set_name(id)
        .send()
        .await
        .map_err(|e| s.error(&format!("execute the change set of {name}"), e))?;
    Ok(())
}

pub async fn delete_stack(s: &Session, name: &str) -> anyhow::Result<()> {
    s.cfn
        .delete_stack()
        .stack_name(name)
        .send()
        .await
        .map_err(|e| s.error(&format!("delete stack {name}"), e))?;
    Ok(())
}

// ---------------------------------------------------------------- watching

/// The ids of the stack's most recent events, so a watch prints only what
/// happens after it starts.
pub async fn current_events(s: &Session, name: &str) -> anyhow::Result<HashSet<String>> {
    match s.cfn.describe_stack_events().stack_name(name).send().await {
        Ok(out) => Ok(out
            .stack_events()
            .iter()
            .filter_map(|e| e.event_id().map(str::to_owned))
            .collect()),
        Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(HashSet::new()),
        Err(e) => Err(s.error(&format!("read the events of {name}"), e)),
    }
}

/// How a watched operation ended.
pub struct Watched {
    pub status: String,
    /// `logical id (type): reason` of every failed resource event seen.
    pub failures: Vec<String>,
}

/// Shows the stack's operation ([`crate::progress`]: its new events, the
/// resources finished out of `expected`) until the stack reaches a
/// terminal state, polling with backoff. Ctrl-C stops watching
/// and leaves the operation running, saying how to resume (`resume`).
pub async fn watch(
    s: &Session,
    name: &str,
    mut seen: HashSet<String>,
    expected: usize,
    resume: &str,
) -> anyhow::Result<Watched> {
    WATCHING.store(true, Ordering::SeqCst);
    let result = tokio::select! {
        result = watch_until_done(s, name, &mut seen, expected) => result,
        () = interrupted() => Err(Exit::new(
            exit::INTERRUPTED,
            format!(
                "stopped watching {name} in {}; CloudFormation carries on with the operation. `{resume}` attaches to it again; `tp status` shows its state",
                s.region
            ),
        )
        .into()),
    };
    WATCHING.store(false, Ordering::SeqCst);
    result
}

async fn watch_until_done(
    s: &Session,
    name: &str,
    seen: &mut HashSet<String>,
    expected: usize,
) -> anyhow::Result<Watched> {
    let mut backoff = Backoff::watching();
    let progress = Progress::start(&s.region, name, expected);
    let mut failures = Vec::new();
    loop {
        let events = match s.cfn.describe_stack_events().stack_name(name).send().await {
            Ok(out) => out.stack_events().to_vec(),
            Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Vec::new(),
            Err(e) => return Err(s.error(&format!("read the events of {name}"), e)),
        };
        for event in events.iter().rev() {
            let Some(id) = event.event_id() else { continue };
            if !seen.insert(id.to_owned()) {
                continue;
            }
            let time = event
                .timestamp()
                .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
                .map(|t| t.get(11..19).unwrap_or("").to_owned())
                .unwrap_or_default();
            let event = progress::Event {
                time: &time,
                status: event.resource_status().map(|r| r.as_str()).unwrap_or(""),
                resource_type: event.resource_type().unwrap_or(""),
                logical_id: event.logical_resource_id().unwrap_or(""),
                reason: event.resource_status_reason().unwrap_or(""),
            };
            if event.status.ends_with("_FAILED") && !event.reason.is_empty() {
                failures.push(format!(
                    "{} ({}): {}",
                    event.logical_id, event.resource_type, event.reason
                ));
            }
            progress.event(&event);
        }
        let stack = find(s, name).await?;
        let state = stack.as_ref().map(status).unwrap_or("DELETE_COMPLETE");
        if !in_progress(state) {
            if let Some(reason) = stack.as_ref().and_then(|st| st.stack_status_reason()) {
                if failed(state) && failures.is_empty() {
                    failures.push(reason.to_owned());
                }
            }
            progress.finish(state, complete(state) || state == "DELETE_COMPLETE");
            return Ok(Watched {
                status: state.to_owned(),
                failures,
            });
        }
        backoff.wait().await;
    }
}

/// A short description of changes, for progress counts.
pub fn count_changes(changes: &[ResourceChange]) -> usize {
    changes
        .iter()
        .filter(|c| c.action != diff::Action::Remove)
        .count()
}
